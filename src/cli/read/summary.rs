//! `socklab read --summary`: totals of a capture or log, kept while it streams by. Per row it
//! only adds numbers and looks up the row's flow (no record, no string), so it runs at the
//! speed of the reader.

use std::collections::HashSet;

use crate::engine::{Event, EventKind};
use crate::log::FlowKey;
use crate::log::import::{FaultProblem, ImportSummary, SkipKind};
use crate::log::record;
use crate::log::search::payload;

/// What `--summary` adds up over the rows that pass the filter.
#[derive(Default)]
pub(super) struct Totals {
    /// Rows (events) that passed the filter.
    pub rows: u64,
    /// Their bytes of data (received, sent or relayed).
    pub payload_bytes: u64,
    /// TCP connections opened (connect rows).
    pub connections: u64,
    flows: HashSet<FlowKey>,
    /// The last flow added: consecutive rows of one flow skip the set.
    last: Option<FlowKey>,
    first_time: Option<jiff::Timestamp>,
    last_time: Option<jiff::Timestamp>,
}

impl Totals {
    pub(super) fn add(&mut self, ev: &Event) {
        self.rows += 1;
        if let Some(d) = payload(&ev.kind) {
            self.payload_bytes += d.len() as u64;
        }
        if matches!(ev.kind, EventKind::Connected { .. }) {
            self.connections += 1;
        }
        if let Some(key) = FlowKey::of(ev)
            && self.last != Some(key)
        {
            self.flows.insert(key);
            self.last = Some(key);
        }
        self.first_time = Some(self.first_time.map_or(ev.time, |t| t.min(ev.time)));
        self.last_time = Some(self.last_time.map_or(ev.time, |t| t.max(ev.time)));
    }

    fn seconds(&self) -> f64 {
        match (self.first_time, self.last_time) {
            (Some(a), Some(b)) => b.duration_since(a).as_secs_f64(),
            _ => 0.0,
        }
    }

    /// The `--json` object (one line).
    pub(super) fn json(&self, file: &str, s: &ImportSummary, tz: &jiff::tz::TimeZone) -> String {
        let kinds: serde_json::Map<String, serde_json::Value> =
            s.skipped_kinds.iter().map(|(k, n)| (skip_name(*k), (*n).into())).collect();
        let time = |t: Option<jiff::Timestamp>| t.map(|t| record::rfc3339(t, tz));
        let fault = s.fault.as_ref().map(|f| {
            serde_json::json!({ "offset": f.offset, "number": f.number, "problem": fault_text(&f.problem) })
        });
        serde_json::json!({
            "kind": "summary",
            "file": file,
            "packets": s.packets,
            "bytes": s.bytes,
            "rows": self.rows,
            "payload_bytes": self.payload_bytes,
            "flows": self.flows.len(),
            "connections": self.connections,
            "skipped": s.skipped,
            "skipped_kinds": kinds,
            "warnings": s.warnings.len(),
            "first": time(self.first_time),
            "last": time(self.last_time),
            "seconds": (self.seconds() * 1e6).round() / 1e6,
            "fault": fault,
        })
        .to_string()
    }

    /// The text form: a few `name: value` lines.
    pub(super) fn text(&self, file: &str, s: &ImportSummary, tz: &jiff::tz::TimeZone) -> String {
        let mut out = format!("file: {file}\npackets: {} ({} bytes)\n", s.packets, s.bytes);
        out.push_str(&format!(
            "rows: {} ({} bytes of data), {} flows, {} connections\n",
            self.rows,
            self.payload_bytes,
            self.flows.len(),
            self.connections
        ));
        let kinds: Vec<String> = s.skipped_kinds.iter().map(|(k, n)| format!("{} {n}", skip_name(*k))).collect();
        if kinds.is_empty() {
            out.push_str(&format!("skipped: {}\n", s.skipped));
        } else {
            out.push_str(&format!("skipped: {} ({})\n", s.skipped, kinds.join(", ")));
        }
        match (self.first_time, self.last_time) {
            (Some(a), Some(b)) => out.push_str(&format!(
                "time: {} to {} ({:.6} s)",
                record::rfc3339(a, tz),
                record::rfc3339(b, tz),
                self.seconds()
            )),
            _ => out.push_str("time: -"),
        }
        out
    }
}

/// A skipped kind's name in `--summary` (a public interface: the `skipped_kinds` keys).
pub(super) fn skip_name(k: SkipKind) -> String {
    match k {
        SkipKind::Arp => "arp".into(),
        SkipKind::Icmp => "icmp".into(),
        SkipKind::Icmpv6 => "icmpv6".into(),
        SkipKind::Igmp => "igmp".into(),
        SkipKind::EtherType(t) => format!("ethertype-0x{t:04x}"),
        SkipKind::IpProtocol(p) => format!("ip-protocol-{p}"),
        SkipKind::LinkType(l) => format!("link-type-{l}"),
        SkipKind::Fragment => "fragment".into(),
        SkipKind::Family(f) => format!("family-{f}"),
        SkipKind::Malformed => "malformed".into(),
        SkipKind::Block(b) => format!("block-0x{b:08x}"),
        SkipKind::Line => "line".into(),
    }
}

/// Why reading stopped, in English (the CLI's words).
pub(super) fn fault_text(p: &FaultProblem) -> String {
    match p {
        FaultProblem::CutOff => "the file ends in the middle of it (cut off)".into(),
        FaultProblem::Damaged(why) => format!("it is damaged: {why}"),
        FaultProblem::TooBig(n) => {
            format!("it claims {n} bytes, more than the {} MiB a block may have", crate::log::import::MAX_RECORD >> 20)
        }
        FaultProblem::Io(e) => format!("reading failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `skipped_kinds` keys are a public interface.
    #[test]
    fn skip_names_are_frozen() {
        let names: Vec<String> = [
            SkipKind::Arp,
            SkipKind::Icmp,
            SkipKind::Icmpv6,
            SkipKind::Igmp,
            SkipKind::EtherType(0x88cc),
            SkipKind::IpProtocol(132),
            SkipKind::LinkType(147),
            SkipKind::Fragment,
            SkipKind::Malformed,
            SkipKind::Block(5),
            SkipKind::Line,
        ]
        .into_iter()
        .map(skip_name)
        .collect();
        assert_eq!(
            names,
            [
                "arp",
                "icmp",
                "icmpv6",
                "igmp",
                "ethertype-0x88cc",
                "ip-protocol-132",
                "link-type-147",
                "fragment",
                "malformed",
                "block-0x00000005",
                "line"
            ]
        );
    }
}
