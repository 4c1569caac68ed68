//! The relay's fault actions and fault specs in words.

use super::{Lang, fill};
use crate::engine::relay::FaultAction;
use crate::engine::relay::fault::FaultSpecError;

/// What a fault did, in words.
pub fn fault_action(lang: Lang, a: &FaultAction) -> String {
    let t = lang.tr();
    match a {
        FaultAction::Dropped { len } => fill(t.fault_dropped, &[len]),
        FaultAction::Duplicated { len } => fill(t.fault_duplicated, &[len]),
        FaultAction::Delayed { ms } => fill(t.fault_delayed, &[ms]),
        FaultAction::Reordered { ms } => fill(t.fault_reordered, &[ms]),
        FaultAction::Truncated { from, to } => fill(t.fault_truncated, &[from, to]),
        FaultAction::Sliced { len, pieces } => fill(t.fault_sliced, &[len, pieces]),
        FaultAction::Coalesced { reads, len } => fill(t.fault_coalesced, &[reads, len]),
        FaultAction::Throttled { ms } => fill(t.fault_throttled, &[ms]),
        FaultAction::LimitReached { bytes } => fill(t.fault_limit, &[bytes]),
        FaultAction::TimedOut { closing: false } => t.fault_timeout_stop.into(),
        FaultAction::TimedOut { closing: true } => t.fault_timeout_close.into(),
        FaultAction::Reset => t.fault_reset.into(),
        FaultAction::SlowClose { ms } => fill(t.fault_slow_close, &[ms]),
    }
}

/// Why a fault spec cannot be used, in words.
pub fn fault_spec_error(lang: Lang, e: &FaultSpecError) -> String {
    let t = lang.tr();
    match e {
        FaultSpecError::BadDir(d) => fill(t.fspec_bad_dir, &[d]),
        FaultSpecError::UnknownKind(k) => fill(t.fspec_unknown_kind, &[k]),
        FaultSpecError::BadValue { kind, value } => fill(t.fspec_bad_value, &[kind, value]),
        FaultSpecError::UnknownKey { kind, key } => fill(t.fspec_unknown_key, &[kind, key]),
        FaultSpecError::WrongProto { kind, proto } => fill(t.fspec_wrong_proto, &[kind, &proto.name().to_uppercase()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_english_matches_the_log_format_and_chinese_is_there() {
        let actions = [
            FaultAction::Dropped { len: 5 },
            FaultAction::Duplicated { len: 5 },
            FaultAction::Delayed { ms: 50 },
            FaultAction::Reordered { ms: 30 },
            FaultAction::Truncated { from: 100, to: 10 },
            FaultAction::Sliced { len: 80, pieces: 10 },
            FaultAction::Coalesced { reads: 3, len: 9 },
            FaultAction::Throttled { ms: 7 },
            FaultAction::LimitReached { bytes: 1000 },
            FaultAction::TimedOut { closing: false },
            FaultAction::TimedOut { closing: true },
            FaultAction::Reset,
            FaultAction::SlowClose { ms: 200 },
        ];
        for a in &actions {
            assert_eq!(fault_action(Lang::En, a), crate::log::format::fault_text(a), "{a:?}");
            let zh = fault_action(Lang::Zh, a);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{a:?}: {zh}");
        }
        let e = FaultSpecError::WrongProto { kind: "slice".into(), proto: crate::vocab::Proto::Udp };
        assert_eq!(fault_spec_error(Lang::En, &e), "slice is a fault of the other protocol; this relay is UDP");
        assert!(fault_spec_error(Lang::Zh, &FaultSpecError::BadDir("x".into())).contains("不是方向"));
    }
}
