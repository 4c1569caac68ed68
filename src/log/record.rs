//! One event as a flat record: the `--json` line format of the CLI, JSONL export and CSV export.

use serde::{Deserialize, Serialize};

use crate::codec::{self, Encoding};
use crate::engine::{CloseReason, Event, EventKind, Problem, Proto};
pub use crate::log::format::close_text;
use crate::log::format::{self, event as ev_name, kind as k};

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
    /// Relay rows: which way the bytes went (`up`: client → upstream, `down`: back).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dir: Option<crate::vocab::Dir>,
    /// Relay rows: the client's address (also in `peer`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Relay rows: the upstream server's address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Fault rows: what the fault did (`drop`, `delay`, `slice`, …, see `FaultAction::name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fault: Option<String>,
    /// Fault rows: the action as data, with its values (read back by import).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<crate::engine::relay::FaultAction>,
    /// Delay rows: how long the piece waited, in ms.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// An `error` event's problem as data (serde's names, pinned by `log::format`'s tests), so
    /// the viewer shows it again in the reader's language; `text` has it in English words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<Problem>,
    /// Gap rows: who sent the bytes the capture lacks (`peer` or `local`, `log::format::side`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// A comment the capture (pcapng `opt_comment`) or the log holds on this row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// TLS `connected` rows: the version (`TLSv1.3`), cipher suite (IANA name), key exchange
    /// group, ALPN protocol, SNI, how the peer's certificate was checked and its chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cipher: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tls_group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sni: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certs: Option<Vec<crate::engine::tls::CertSummary>>,
    /// `tls_records` rows: the records that begin in the bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<Vec<crate::codec::tls::TlsRecord>>,
}

/// How a face puts a problem into words for a record's `text` (the CLI and exports use English,
/// `|p| i18n::problem(Lang::En, p)`). The log itself holds no sentences.
pub type Words<'a> = &'a (dyn Fn(&Problem) -> String + Sync);

impl Record {
    /// The record of an event; `None` for the worker's internal `Stopped`. An error's `text` is
    /// `words(problem)`.
    pub fn from_event(
        ev: &Event,
        encoding: Encoding,
        tz: &jiff::tz::TimeZone,
        seq: Option<u64>,
        words: Words<'_>,
    ) -> Option<Record> {
        let mut problem = None;
        let (mut dir, mut upstream_addr, mut fault, mut action, mut delay_ms) = (None, None, None, None, None);
        let mut local = None;
        let mut reason = None;
        let mut lost = None;
        let mut group = None;
        let (mut packets, mut micros, mut generated_bytes) = (None, None, 0u64);
        let mut from = None;
        let mut tls = None;
        let mut records = None;
        let (kind, event, text, data): (&str, &str, String, Option<&[u8]>) = match &ev.kind {
            EventKind::Rx { data, lost: l } => {
                let mut t = encoding.decode_lossy(data);
                if *l > 0 {
                    t.push_str(&format::truncated_text(*l));
                    lost = Some(*l);
                }
                (k::RX, ev_name::RX, t, Some(data))
            }
            EventKind::Tx { data } => (k::TX, ev_name::TX, encoding.decode_lossy(data), Some(data)),
            EventKind::Listening { local: l } => {
                local = Some(l.to_string());
                (k::INFO, ev_name::LISTENING, format::listening_text(l), None)
            }
            EventKind::Connecting { peer } => (k::INFO, ev_name::CONNECTING, format::connecting_text(peer), None),
            EventKind::Connected { local: l, tls: t, .. } => {
                local = Some(l.to_string());
                tls = t.as_deref();
                let text = match t {
                    Some(t) => format::tls_connected_text(l, &t.version, &t.cipher, t.verify == crate::engine::tls::Verify::Insecure),
                    None => format::connected_text(l),
                };
                (k::CONNECT, ev_name::CONNECTED, text, None)
            }
            EventKind::TlsRecords { sent, data, records: r } => {
                from = Some(if *sent { format::side::LOCAL } else { format::side::PEER }.to_string());
                records = Some(r.clone());
                let text = if r.is_empty() {
                    format::TLS_CONTINUED_TEXT.to_string()
                } else {
                    crate::codec::tls::summarize(r)
                };
                (k::TLS, ev_name::TLS_RECORDS, text, Some(data))
            }
            EventKind::HalfClosed => (k::INFO, ev_name::HALF_CLOSED, format::HALF_CLOSED_TEXT.to_string(), None),
            EventKind::GeneratorDone { packets: p, bytes, micros: m } => {
                packets = Some(*p);
                micros = Some(*m);
                generated_bytes = *bytes;
                (k::INFO, ev_name::GENERATED, format::generated_text(ev.proto, *p, *bytes, *m), None)
            }
            EventKind::Membership { group: g, joined } => {
                group = Some(g.to_string());
                let event = if *joined { ev_name::JOINED } else { ev_name::LEFT };
                (k::INFO, event, format::membership_text(g, *joined), None)
            }
            EventKind::Closed { reason: r } => {
                reason = Some(*r);
                (k::DISCONNECT, ev_name::CLOSED, close_text(*r).to_string(), None)
            }
            EventKind::Error(p) => {
                problem = Some(p.clone());
                (k::ERROR, ev_name::ERROR, words(p), None)
            }
            EventKind::Relayed { dir: d, data, upstream } => {
                dir = Some(*d);
                upstream_addr = Some(upstream.to_string());
                (k::RELAY, ev_name::RELAYED, encoding.decode_lossy(data), Some(data))
            }
            EventKind::Fault { dir: d, action: a, upstream } => {
                use crate::engine::relay::FaultAction as A;
                dir = Some(*d);
                upstream_addr = Some(upstream.to_string());
                fault = Some(a.name().to_string());
                if let A::Delayed { ms } | A::Reordered { ms } | A::Throttled { ms } | A::SlowClose { ms } = a {
                    delay_ms = Some(*ms);
                }
                action = Some(a.clone());
                (k::FAULT, ev_name::FAULT, format::fault_text(a), None)
            }
            EventKind::UpstreamConnected { local: l, upstream } => {
                local = Some(l.to_string());
                upstream_addr = Some(upstream.to_string());
                (k::CONNECT, ev_name::UPSTREAM_CONNECTED, format::upstream_connected_text(upstream, l), None)
            }
            EventKind::Gap { bytes, from_peer } => {
                generated_bytes = *bytes;
                from = Some(if *from_peer { format::side::PEER } else { format::side::LOCAL }.to_string());
                (k::INFO, ev_name::GAP, format::gap_text(*bytes), None)
            }
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
            client: dir.or(upstream_addr.as_ref().map(|_| crate::vocab::Dir::Up)).and(ev.peer.map(|p| p.to_string())),
            dir,
            upstream: upstream_addr,
            fault,
            action,
            delay_ms,
            problem,
            from,
            comment: None,
            tls_version: tls.map(|t| t.version.clone()),
            cipher: tls.map(|t| t.cipher.clone()),
            tls_group: tls.and_then(|t| t.group.clone()),
            alpn: tls.and_then(|t| t.alpn.clone()),
            sni: tls.and_then(|t| t.sni.clone()),
            verify: tls.map(|t| t.verify.name().to_string()),
            certs: tls.map(|t| t.certs.clone()),
            records,
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
        let r = Record::from_event(&ev, Encoding::Utf8, &jiff::tz::TimeZone::UTC, Some(7), &|_| String::new()).unwrap();
        let back: Record = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(back, r);
        assert_eq!(r.hex, "68 69 2c 22 78 22");
        assert!(r.to_csv().starts_with("7,"));
        assert!(r.to_csv().ends_with(",6,\"hi,\"\"x\"\"\",68 69 2c 22 78 22"));
    }

    /// One event of each kind, as the JSONL export writes it today. A change here is a change
    /// of the file format: old logs must keep importing.
    #[test]
    fn exported_jsonl_is_frozen_and_reads_back_identically() {
        use crate::engine::problem::Problem;
        use crate::log::import;

        let local: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let peer: std::net::SocketAddr = "127.0.0.1:6000".parse().unwrap();
        let time = jiff::Timestamp::from_millisecond(1_795_000_000_123).unwrap();
        let ev =
            |proto, conn, peer, kind| Event { time, tab: 0, source: 0, proto, conn, local: Some(local), peer, kind };
        let events = [
            ev(Proto::Tcp, None, None, EventKind::Listening { local }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Connected { local, inbound: true, tls: None }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Rx { data: b"hi\n".to_vec(), lost: 3 }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Tx { data: b"\x00ok".to_vec() }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::HalfClosed),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Closed { reason: CloseReason::Reset }),
            ev(Proto::Tcp, None, Some(peer), EventKind::Connecting { peer }),
            ev(Proto::Udp, None, None, EventKind::GeneratorDone { packets: 10, bytes: 640, micros: 1000 }),
            ev(Proto::Udp, None, None, EventKind::Membership { group: "239.1.2.3".parse().unwrap(), joined: true }),
            ev(Proto::Udp, None, None, EventKind::Membership { group: "239.1.2.3".parse().unwrap(), joined: false }),
            ev(Proto::Udp, None, Some(peer), EventKind::Error(Problem::Logged("boom".into()))),
            ev(Proto::Tcp, None, Some(peer), EventKind::Error(Problem::Refused(peer))),
        ];
        // The faces' words; the log only stores them.
        let words = |p: &Problem| format!("words for {p:?}");
        let export = |events: &[Event]| -> Vec<String> {
            events
                .iter()
                .map(|e| {
                    Record::from_event(e, Encoding::Utf8, &jiff::tz::TimeZone::UTC, None, &words).unwrap().to_json()
                })
                .collect()
        };
        let lines = export(&events);
        let ts = r#"{"ts":"2026-11-18T11:06:40.123+00:00""#;
        let expected = [
            r#","kind":"info","event":"listening","proto":"tcp","peer":null,"len":0,"text":"listening on 127.0.0.1:5000","hex":"","local":"127.0.0.1:5000"}"#,
            r#","kind":"connect","event":"connected","proto":"tcp","peer":"127.0.0.1:6000","len":0,"text":"connected (local 127.0.0.1:5000)","hex":"","conn":1,"local":"127.0.0.1:5000"}"#,
            r#","kind":"rx","event":"rx","proto":"tcp","peer":"127.0.0.1:6000","len":3,"text":"hi\n [cut off: 3 more bytes did not fit the receive buffer]","hex":"68 69 0a","conn":1,"local":"127.0.0.1:5000","lost":3}"#,
            r#","kind":"tx","event":"tx","proto":"tcp","peer":"127.0.0.1:6000","len":3,"text":"\u0000ok","hex":"00 6f 6b","conn":1,"local":"127.0.0.1:5000"}"#,
            r#","kind":"info","event":"half_closed","proto":"tcp","peer":"127.0.0.1:6000","len":0,"text":"we shut down sending (FIN sent; still receiving)","hex":"","conn":1,"local":"127.0.0.1:5000"}"#,
            r#","kind":"disconnect","event":"closed","proto":"tcp","peer":"127.0.0.1:6000","len":0,"text":"connection reset (RST)","hex":"","conn":1,"local":"127.0.0.1:5000","reason":"reset"}"#,
            r#","kind":"info","event":"connecting","proto":"tcp","peer":"127.0.0.1:6000","len":0,"text":"connecting to 127.0.0.1:6000","hex":"","local":"127.0.0.1:5000"}"#,
            r#","kind":"info","event":"generated","proto":"udp","peer":null,"len":640,"text":"generator done: 10 datagrams, 640 bytes in 0.001 s (10000 datagrams/s)","hex":"","local":"127.0.0.1:5000","packets":10,"micros":1000}"#,
            r#","kind":"info","event":"joined","proto":"udp","peer":null,"len":0,"text":"joined multicast group 239.1.2.3","hex":"","local":"127.0.0.1:5000","group":"239.1.2.3"}"#,
            r#","kind":"info","event":"left","proto":"udp","peer":null,"len":0,"text":"left multicast group 239.1.2.3","hex":"","local":"127.0.0.1:5000","group":"239.1.2.3"}"#,
            r#","kind":"error","event":"error","proto":"udp","peer":"127.0.0.1:6000","len":0,"text":"words for Logged(\"boom\")","hex":"","local":"127.0.0.1:5000","problem":{"logged":"boom"}}"#,
            r#","kind":"error","event":"error","proto":"tcp","peer":"127.0.0.1:6000","len":0,"text":"words for Refused(127.0.0.1:6000)","hex":"","local":"127.0.0.1:5000","problem":{"refused":"127.0.0.1:6000"}}"#,
        ];
        assert_eq!(lines.len(), expected.len());
        for (line, rest) in lines.iter().zip(expected) {
            assert_eq!(line, &format!("{ts}{rest}"));
        }
        let jsonl = lines.join("\n") + "\n";
        let imported = import::read_jsonl(jsonl.as_bytes()).unwrap();
        assert_eq!((imported.skipped, imported.warnings.len()), (0, 0), "{:?}", imported.warnings);
        assert_eq!(imported.events, events);
        assert_eq!(export(&imported.events), lines);
        // Relay rows: both directions, a fault and the upstream side, read back as they were.
        use crate::engine::relay::FaultAction;
        use crate::vocab::Dir;
        let up: std::net::SocketAddr = "127.0.0.1:9999".parse().unwrap();
        let relay = [
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::UpstreamConnected { local, upstream: up }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Relayed { dir: Dir::Up, data: b"hi".to_vec(), upstream: up }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Relayed { dir: Dir::Down, data: b"HI".to_vec(), upstream: up }),
            ev(Proto::Udp, Some(2), Some(peer), EventKind::Fault { dir: Dir::Up, action: FaultAction::Dropped { len: 2 }, upstream: up }),
            ev(Proto::Tcp, Some(1), Some(peer), EventKind::Fault { dir: Dir::Down, action: FaultAction::Delayed { ms: 50 }, upstream: up }),
        ];
        let lines = export(&relay);
        assert_eq!(
            lines[1],
            format!("{ts}{}", r#","kind":"relay","event":"relayed","proto":"tcp","peer":"127.0.0.1:6000","len":2,"text":"hi","hex":"68 69","conn":1,"local":"127.0.0.1:5000","dir":"up","client":"127.0.0.1:6000","upstream":"127.0.0.1:9999"}"#)
        );
        assert_eq!(
            lines[3],
            format!("{ts}{}", r#","kind":"fault","event":"fault","proto":"udp","peer":"127.0.0.1:6000","len":0,"text":"dropped 2 bytes","hex":"","conn":2,"local":"127.0.0.1:5000","dir":"up","client":"127.0.0.1:6000","upstream":"127.0.0.1:9999","fault":"drop","action":{"dropped":{"len":2}}}"#)
        );
        assert!(lines[4].contains(r#""fault":"delay","action":{"delayed":{"ms":50}},"delay_ms":50"#), "{}", lines[4]);
        let imported = import::read_jsonl((lines.join("\n") + "\n").as_bytes()).unwrap();
        assert_eq!((imported.skipped, imported.warnings.len()), (0, 0), "{:?}", imported.warnings);
        assert_eq!(imported.events, relay);
        // A log from before problems were saved as data, or with a problem this version does
        // not know, shows the text as it was written.
        let old = format!(
            "{ts}{}",
            r#","kind":"error","event":"error","proto":"udp","peer":null,"len":0,"text":"it broke","hex":"","problem":{"from_the_future":1}}"#
        );
        let imported = import::read_jsonl(old.as_bytes()).unwrap();
        assert_eq!(imported.events[0].kind, EventKind::Error(Problem::Logged("it broke".into())));
    }
}
