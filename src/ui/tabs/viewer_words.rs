//! How the Open log tab words what an import found: where a file stopped and why, and what was
//! skipped, by kind ("skipped 120: 100 ARP, 20 ICMPv6"; the kinds' names are `i18n::skip_kind`'s).

use std::io::Read;
use std::path::Path;

use crate::i18n::{self, Lang};
use crate::log::import::{Fault, FaultProblem, ImportSummary, MAX_RECORD};
#[cfg(test)]
use crate::log::import::SkipKind;

/// What a file's numbered parts are: a fault's number counts these.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    /// pcapng blocks.
    Block,
    /// Classic pcap packet records.
    Record,
    /// JSON lines.
    Line,
}

/// What the parts of the file at `path` are, from its first bytes (through gzip, too).
pub fn unit_of(path: &Path) -> Unit {
    let mut magic = [0u8; 4];
    let Ok(mut f) = std::fs::File::open(path) else { return Unit::Line };
    let got = f.read(&mut magic).unwrap_or(0);
    if got >= 2 && magic.starts_with(&[0x1f, 0x8b]) {
        let Ok(f) = std::fs::File::open(path) else { return Unit::Line };
        let mut gz = flate2::read::MultiGzDecoder::new(f);
        magic = [0; 4];
        if gz.read_exact(&mut magic).is_err() {
            return Unit::Line;
        }
    }
    unit_of_magic(magic)
}

fn unit_of_magic(magic: [u8; 4]) -> Unit {
    match magic {
        [0x0a, 0x0d, 0x0d, 0x0a] => Unit::Block,
        [0xd4, 0xc3, 0xb2, 0xa1] | [0xa1, 0xb2, 0xc3, 0xd4] | [0x4d, 0x3c, 0xb2, 0xa1] | [0xa1, 0xb2, 0x3c, 0x4d] => {
            Unit::Record
        }
        _ => Unit::Line,
    }
}

/// "Reading stopped at byte 4096 (block 12): …. The 120 rows read before it are shown."
/// `rows`: rows read before it (held or evicted).
pub fn fault(lang: Lang, f: &Fault, unit: Unit, rows: u64) -> String {
    let t = lang.tr();
    let unit_name = match unit {
        Unit::Block => t.vw_unit_block,
        Unit::Record => t.vw_unit_record,
        Unit::Line => t.vw_unit_line,
    };
    let why = match &f.problem {
        FaultProblem::CutOff => t.vw_fault_cut.to_string(),
        FaultProblem::Damaged(e) => i18n::fill(t.vw_fault_damaged, &[e]),
        FaultProblem::TooBig(n) => i18n::fill(t.vw_fault_too_big, &[n, &MAX_RECORD]),
        FaultProblem::Io(e) => i18n::fill(t.vw_fault_io, &[e]),
    };
    i18n::fill(t.vw_fault, &[&f.offset, &unit_name, &f.number, &why, &rows])
}

/// "skipped 120: 100 ARP, 20 ICMPv6", or `None` when nothing was skipped by kind.
pub fn skipped(lang: Lang, s: &ImportSummary) -> Option<String> {
    if s.skipped_kinds.is_empty() {
        return None;
    }
    let total: u64 = s.skipped_kinds.iter().map(|(_, n)| n).sum();
    let sep = lang.tr().vw_list_sep;
    let kinds: Vec<String> = s.skipped_kinds.iter().map(|(k, n)| format!("{n} {}", i18n::skip_kind(lang, *k))).collect();
    Some(i18n::fill(lang.tr().vw_skipped, &[&total, &kinds.join(sep)]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipped_kinds_and_faults_in_words() {
        let s = ImportSummary {
            skipped: 120,
            skipped_kinds: vec![(SkipKind::Arp, 100), (SkipKind::Icmpv6, 20)],
            ..ImportSummary::default()
        };
        assert_eq!(skipped(Lang::En, &s).unwrap(), "Skipped 120: 100 ARP, 20 ICMPv6");
        assert_eq!(skipped(Lang::En, &ImportSummary::default()), None);
        let f = Fault { offset: 4096, number: 12, problem: FaultProblem::CutOff };
        let text = fault(Lang::En, &f, Unit::Block, 7);
        assert!(text.contains("byte 4096") && text.contains("block 12") && text.contains("7 rows"), "{text}");
        assert!(fault(Lang::Zh, &f, Unit::Record, 7).contains("4096"));
    }

    #[test]
    fn units_by_magic() {
        assert_eq!(unit_of_magic([0x0a, 0x0d, 0x0d, 0x0a]), Unit::Block);
        assert_eq!(unit_of_magic([0xd4, 0xc3, 0xb2, 0xa1]), Unit::Record);
        assert_eq!(unit_of_magic(*b"{\"ts"), Unit::Line);
        assert_eq!(unit_of(Path::new("/nonexistent/x")), Unit::Line);
    }
}
