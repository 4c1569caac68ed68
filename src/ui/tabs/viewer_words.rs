//! How the Open log tab words what an import found: where a file stopped and why, and what was
//! skipped, by kind ("skipped 120: 100 ARP, 20 ICMPv6"; the kinds' names are `i18n::skip_kind`'s).

use crate::i18n::{self, Lang};
use crate::log::import::{Fault, ImportSummary};
#[cfg(test)]
use crate::log::import::{FaultProblem, FaultUnit};
#[cfg(test)]
use crate::log::import::SkipKind;

/// "Reading stopped at byte 4096 (block 12): …. The 120 rows read before it are shown."
/// `rows`: rows read before it (held or evicted).
pub fn fault(lang: Lang, f: &Fault, rows: u64) -> String {
    let mut where_why = i18n::import_fault(lang, f);
    // The shared wording starts a clause; here it starts the sentence.
    if let Some(first) = where_why.chars().next() {
        where_why.replace_range(..first.len_utf8(), &first.to_uppercase().to_string());
    }
    i18n::fill(lang.tr().vw_fault, &[&where_why, &rows])
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
        let f = Fault { offset: 4096, number: 12, unit: FaultUnit::Block, problem: FaultProblem::CutOff };
        let text = fault(Lang::En, &f, 7);
        assert!(text.starts_with("Reading stopped at byte 4096 (block 12): "), "{text}");
        assert!(text.ends_with(". The 7 rows read before it are shown."), "{text}");
        assert!(fault(Lang::Zh, &f, 7).contains("4096"));
    }
}
