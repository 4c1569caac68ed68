//! One event as a flat record: the `--json` line format of the CLI, JSONL export and CSV export.

use serde::{Deserialize, Serialize};

use crate::codec::{self, Encoding};
use crate::engine::{CloseReason, Event, EventKind, Proto};
use crate::i18n;

/// RFC 3339 with milliseconds and the local offset, e.g. `2026-11-23T12:00:00.123+08:00`.
pub fn rfc3339(ts: jiff::Timestamp, tz: &jiff::tz::TimeZone) -> String {
    ts.to_zoned(tz.clone()).strftime("%Y-%m-%dT%H:%M:%S%.3f%:z").to_string()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub ts: String,
    /// `rx`, `tx`, `connect`, `disconnect`, `error`, `info`.
    pub kind: String,
    /// The precise event: `listening`, `connecting`, `connected`, `rx`, `tx`, `half_closed`,
    /// `closed`, `error`.
    pub event: String,
    pub proto: Proto,
    pub peer: Option<String>,
    pub len: usize,
    pub text: String,
    pub hex: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conn: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<CloseReason>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lost: Option<usize>,
    /// The multicast group of a `joined`/`left` event.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// Datagrams sent by a generator run (`generated` events; `len` holds the bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub packets: Option<u64>,
    /// How long the generator ran, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub micros: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<u64>,
}

/// English text for a close reason (CLI and exports).
pub fn close_text(r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => i18n::EN.ev_closed_peer,
        CloseReason::Reset => i18n::EN.ev_closed_reset,
        CloseReason::LocalClose => i18n::EN.ev_closed_local,
        CloseReason::Failed => i18n::EN.ev_closed_failed,
    }
}

impl Record {
    /// The record of an event; `None` for the worker's internal `Stopped`.
    pub fn from_event(ev: &Event, encoding: Encoding, tz: &jiff::tz::TimeZone, seq: Option<u64>) -> Option<Record> {
        let mut local = None;
        let mut reason = None;
        let mut lost = None;
        let mut group = None;
        let (mut packets, mut micros, mut generated_bytes) = (None, None, 0u64);
        let (kind, event, text, data): (&str, &str, String, Option<&[u8]>) = match &ev.kind {
            EventKind::Rx { data, lost: l } => {
                let mut t = encoding.decode_lossy(data);
                if *l > 0 {
                    t.push_str(&i18n::fill(i18n::EN.ev_truncated, &[l]));
                    lost = Some(*l);
                }
                ("rx", "rx", t, Some(data))
            }
            EventKind::Tx { data } => ("tx", "tx", encoding.decode_lossy(data), Some(data)),
            EventKind::Listening { local: l } => {
                local = Some(l.to_string());
                ("info", "listening", format!("listening on {l}"), None)
            }
            EventKind::Connecting { peer } => ("info", "connecting", format!("connecting to {peer}"), None),
            EventKind::Connected { local: l, .. } => {
                local = Some(l.to_string());
                ("connect", "connected", format!("connected (local {l})"), None)
            }
            EventKind::HalfClosed => ("info", "half_closed", i18n::EN.ev_half_closed.to_string(), None),
            EventKind::GeneratorDone { packets: p, bytes, micros: m } => {
                packets = Some(*p);
                micros = Some(*m);
                generated_bytes = *bytes;
                ("info", "generated", i18n::generated_text(&i18n::EN, ev.proto, *p, *bytes, *m), None)
            }
            EventKind::Membership { group: g, joined } => {
                group = Some(g.to_string());
                let (event, text) = if *joined { ("joined", i18n::EN.ev_joined) } else { ("left", i18n::EN.ev_left) };
                ("info", event, i18n::fill(text, &[g]), None)
            }
            EventKind::Closed { reason: r } => {
                reason = Some(*r);
                ("disconnect", "closed", close_text(*r).to_string(), None)
            }
            EventKind::Error(p) => ("error", "error", p.to_string(), None),
            EventKind::Stopped => return None,
        };
        Some(Record {
            ts: rfc3339(ev.time, tz),
            kind: kind.into(),
            event: event.into(),
            proto: ev.proto,
            peer: ev.peer.map(|p| p.to_string()),
            len: data.map_or(generated_bytes as usize, <[u8]>::len),
            text,
            hex: data.map(codec::to_hex).unwrap_or_default(),
            conn: ev.conn,
            local: local.or_else(|| ev.local.map(|l| l.to_string())),
            reason,
            lost,
            group,
            packets,
            micros,
            seq,
        })
    }

    /// One JSON object, no newline.
    pub fn to_json(&self) -> String {
        // Serialising plain strings and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    pub const CSV_HEADER: &'static str = "seq,ts,proto,kind,event,conn,peer,local,len,text,hex";

    /// One CSV line (RFC 4180 quoting), no newline.
    pub fn to_csv(&self) -> String {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        let fields = [
            self.seq.map(|s| s.to_string()).unwrap_or_default(),
            self.ts.clone(),
            self.proto.name().to_string(),
            self.kind.clone(),
            self.event.clone(),
            self.conn.map(|c| c.to_string()).unwrap_or_default(),
            opt(&self.peer),
            opt(&self.local),
            self.len.to_string(),
            self.text.clone(),
            self.hex.clone(),
        ];
        fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(",")
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\"\n"), "\"say \"\"hi\"\"\n\"");
    }

    #[test]
    fn record_round_trips_through_json() {
        let ev = Event {
            time: jiff::Timestamp::now(),
            tab: 0,
            source: 0,
            proto: Proto::Tcp,
            conn: Some(3),
            local: None,
            peer: Some("127.0.0.1:5000".parse().unwrap()),
            kind: EventKind::Rx { data: b"hi,\"x\"".to_vec(), lost: 0 },
        };
        let r = Record::from_event(&ev, Encoding::Utf8, &jiff::tz::TimeZone::UTC, Some(7)).unwrap();
        let back: Record = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert_eq!(r.hex, "68 69 2c 22 78 22");
        assert!(r.to_csv().starts_with("7,"));
        assert!(r.to_csv().ends_with(",6,\"hi,\"\"x\"\"\",68 69 2c 22 78 22"));
    }
}
