//! Property tests for response rules: parsing never panics on any text, and answering never
//! panics on any bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::SocketAddr;

use proptest::prelude::*;
use socklab::codec::Encoding;
use socklab::engine::reply::ReplyMode;
use socklab::engine::rules::{Match, Rules};

/// Rule sets covering every matcher, placeholder and escape.
const RULE_SETS: [&str; 4] = [
    "greeting => hi {peer} {time} {text}\n\
     exact:ping => pong\n\
     exact:bye => see you {peer} ; close\n\
     exact:exit => close\n\
     contains:你好 => 再见 {text}\n\
     regex:^GET (\\S+)(?: (\\S+))? => HTTP/1.0 200 OK\\r\\n\\r\\n{1} {2} {9}\n\
     hex:01 02 => \\x06\\x00\\xff\n\
     * => {text}|{upper}|{lower}|{raw}|{hex}|{len}|{peer}|{time}|{1}|{{}}",
    "regex:(.)(.)?(.)? => {3}{2}{1}\n* => {raw}",
    "* => \\r\\n\\t\\0\\\\ {upper}",
    "regex:^(?i)(\\p{Han}+)$ => {1}{lower}",
];

fn all_rule_sets() -> Vec<Rules> {
    let mut sets: Vec<Rules> = RULE_SETS.iter().map(|t| Rules::parse(t).expect("fixed rules parse")).collect();
    sets.extend(ReplyMode::ALL.iter().map(|m| Rules::preset(*m)));
    sets
}

/// Lines that look like rules, to reach deep into the parser.
fn rule_like_line() -> impl Strategy<Value = String> {
    let left = prop_oneof![
        Just(String::from("*")),
        Just(String::from("greeting")),
        "(exact|contains|regex|hex|EXACT|bogus)?:?[ -~]{0,12}".prop_map(|s| s),
        "\\PC{0,8}".prop_map(|s| s),
    ];
    let sep = prop_oneof![Just(" => "), Just("=>"), Just(" =>"), Just("")];
    let right = prop_oneof![
        Just(String::from("close")),
        "[ -~]{0,20}( ; close|;close)?".prop_map(|s| s),
        "([a-z ]|\\{[a-z0-9]{0,5}\\}?|\\\\[rnt0\\\\x]?[0-9a-fz]{0,2}|\\{\\{|\\}\\}|\\}|你){0,10}".prop_map(|s| s),
    ];
    (left, sep, right).prop_map(|(l, s, r)| format!("{l}{s}{r}"))
}

fn peer() -> impl Strategy<Value = Option<SocketAddr>> {
    prop_oneof![Just(None), any::<SocketAddr>().prop_map(Some)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn parse_never_panics_on_any_string(s in any::<String>()) {
        let _ = Rules::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_rule_like_text(lines in proptest::collection::vec(rule_like_line(), 0..8)) {
        let text = lines.join("\n");
        match Rules::parse(&text) {
            // Whatever parses also answers.
            Ok(rules) => {
                for enc in Encoding::ALL {
                    let _ = rules.greeting(enc, None);
                    let _ = rules.respond(text.as_bytes(), enc, None);
                }
            }
            Err(e) => {
                prop_assert!(e.line >= 1 && e.line <= lines.len().max(1), "{e:?}");
                prop_assert!(!socklab::i18n::rule_error(socklab::i18n::Lang::En, &e).is_empty());
            }
        }
    }

    #[test]
    fn respond_never_panics_on_any_bytes(
        data in proptest::collection::vec(any::<u8>(), 0..300),
        peer in peer(),
    ) {
        for rules in all_rule_sets() {
            for enc in Encoding::ALL {
                let action = rules.respond(&data, enc, peer);
                // Every set with a catch-all rule answers (or closes, or says why it cannot:
                // only GBK lacks characters, e.g. the upper case of one it has).
                let has_catch_all = rules.rules.iter().any(|r| matches!(r.when, Match::Any));
                prop_assert!(action.reply.is_some() || action.close || action.problem.is_some() || !has_catch_all);
                prop_assert!(action.problem.is_none() || enc == Encoding::Gbk, "{:?}", action.problem);
                prop_assert!(action.reply.is_none() || action.problem.is_none());
                let _ = rules.greeting(enc, peer);
            }
        }
    }

    #[test]
    fn respond_never_panics_on_text(s in "\\PC{0,60}\n?", peer in peer()) {
        for rules in all_rule_sets() {
            for enc in Encoding::ALL {
                let bytes = enc.encode(&s).unwrap_or_else(|_| s.as_bytes().to_vec());
                let _ = rules.respond(&bytes, enc, peer);
            }
        }
    }
}
