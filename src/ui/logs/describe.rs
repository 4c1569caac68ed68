//! How an event reads in the log: its direction mark, colour and text.

use egui::Color32;

use crate::codec::{self, Encoding};
use crate::engine::{CloseReason, Event, EventKind};
use crate::i18n::{self, Lang, Tr};
use crate::ui::widgets::theme::{AMBER, BLUE, GREEN, RED};

/// Text for events that carry no payload.
pub fn event_text(t: &Tr, proto: crate::engine::Proto, kind: &EventKind, lang: Lang) -> String {
    match kind {
        EventKind::Listening { local } => i18n::fill(t.ev_listening, &[local]),
        EventKind::Connecting { .. } => t.ev_connecting.to_string(),
        EventKind::Connected { local, tls: None, .. } => i18n::fill(t.ev_connected, &[local]),
        EventKind::Connected { local, tls: Some(tls), .. } => {
            let mut s = i18n::fill(t.ev_connected_tls, &[local, &tls.version, &tls.cipher]);
            if tls.verify == crate::engine::tls::Verify::Insecure {
                s = format!("{s} — {}", t.tls_not_verified);
            }
            s
        }
        EventKind::TlsRecords { sent, records, .. } => {
            let what =
                if records.is_empty() { t.ev_tls_continued.to_string() } else { codec::tls::summarize(records) };
            i18n::fill(if *sent { t.ev_tls_sent } else { t.ev_tls_received }, &[&what])
        }
        EventKind::HalfClosed => t.ev_half_closed.to_string(),
        EventKind::Membership { group, joined: true } => i18n::fill(t.ev_joined, &[group]),
        EventKind::Membership { group, joined: false } => i18n::fill(t.ev_left, &[group]),
        EventKind::GeneratorDone { packets, bytes, micros } => {
            i18n::generated_text(t, proto, *packets, *bytes, *micros)
        }
        EventKind::Closed { reason } => close_text(t, *reason).to_string(),
        EventKind::Error(p) => i18n::problem(lang, p),
        EventKind::Stopped => t.ev_stopped.to_string(),
        EventKind::Fault { action, .. } => i18n::fault_action(lang, action),
        EventKind::UpstreamConnected { local, upstream } => i18n::fill(t.ev_upstream_connected, &[upstream, local]),
        EventKind::Gap { bytes, from_peer } => {
            i18n::fill(if *from_peer { t.ev_gap_from_peer } else { t.ev_gap_from_local }, &[bytes])
        }
        EventKind::Rx { .. } | EventKind::Tx { .. } | EventKind::Relayed { .. } => String::new(),
    }
}

pub fn close_text(t: &Tr, r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => t.ev_closed_peer,
        CloseReason::Reset => t.ev_closed_reset,
        CloseReason::LocalClose => t.ev_closed_local,
        CloseReason::Failed => t.ev_closed_failed,
    }
}

/// How a tab is named and coloured in the shared log.
#[derive(Clone, Debug, PartialEq)]
pub struct TabInfo {
    pub id: u16,
    pub name: String,
    pub color: Color32,
}

/// The name and colour of a tab in the shared log.
pub fn tab_label(tabs: &[TabInfo], tab: u16) -> (String, Color32) {
    match tabs.iter().find(|i| i.id == tab) {
        Some(i) => (i.name.clone(), i.color),
        None => (format!("#{tab}"), Color32::GRAY),
    }
}

/// Bytes as one line of text on screen: control characters escaped, and a byte that is not
/// text in the encoding as `·` (the bundled fonts have no U+FFFD, which would draw as a box).
pub fn shown(encoding: Encoding, data: &[u8]) -> String {
    codec::printable(&encoding.decode_lossy(data)).replace('\u{fffd}', "·")
}

/// Direction mark, colour, text and payload of an event for display.
pub fn describe(ev: &Event, lang: Lang, encoding: Encoding) -> (&'static str, Color32, String, Option<&[u8]>) {
    let t = lang.tr();
    match &ev.kind {
        EventKind::Rx { data, lost } => {
            let mut s = shown(encoding, data);
            if *lost > 0 {
                s.push_str(&i18n::fill(t.ev_truncated, &[lost]));
            }
            (">>>", GREEN, s, Some(data))
        }
        EventKind::Tx { data } => ("<<<", BLUE, shown(encoding, data), Some(data)),
        // Relayed bytes: client → upstream and back, marked like the two sides of a chat.
        EventKind::Relayed { dir: crate::vocab::Dir::Up, data, .. } => {
            ("=>", GREEN, shown(encoding, data), Some(data))
        }
        EventKind::Relayed { dir: crate::vocab::Dir::Down, data, .. } => {
            ("<=", BLUE, shown(encoding, data), Some(data))
        }
        // The records as they crossed the wire; the hex pane shows their (encrypted) bytes.
        EventKind::TlsRecords { sent: true, data, .. } => ("T<", BLUE, event_text(t, ev.proto, &ev.kind, lang), Some(data)),
        EventKind::TlsRecords { sent: false, data, .. } => {
            ("T>", GREEN, event_text(t, ev.proto, &ev.kind, lang), Some(data))
        }
        EventKind::Fault { .. } => ("~", AMBER, event_text(t, ev.proto, &ev.kind, lang), None),
        EventKind::Error(_) => ("!", RED, event_text(t, ev.proto, &ev.kind, lang), None),
        k => ("•", AMBER, event_text(t, ev.proto, k, lang), None),
    }
}
