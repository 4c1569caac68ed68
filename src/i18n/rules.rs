//! Response-rule, codec and framing errors in words.

use super::{Lang, fill};
use crate::codec::framing::{FramingError, MAX_FIXED};

/// What is wrong with a rule line, in words (the English text is also `RuleError::message`).
pub fn rule_problem(lang: Lang, p: &crate::engine::rules::RuleProblem) -> String {
    use crate::codec::CodecError;
    use crate::engine::rules::{MAX_LINE_CHARS, MAX_RULES, Place, RuleProblem as R};
    let t = lang.tr();
    let place = |at: &Place| match at {
        Place::Column(n) => fill(t.rule_column, &[n]),
        Place::Position(n) => fill(t.rule_position, &[n]),
    };
    match p {
        R::NoArrow => t.rule_no_arrow.into(),
        R::NothingAfter => t.rule_nothing_after.into(),
        R::GreetingCloses => t.rule_greeting_closes.into(),
        R::NothingBefore => fill(t.rule_nothing_before, &[&t.rule_match_help]),
        R::UnknownMatch(m) => fill(t.rule_unknown_match, &[m, &t.rule_match_help]),
        R::UnknownKind(k) => fill(t.rule_unknown_kind, &[k, &t.rule_match_help]),
        R::BadRegex(e) => fill(t.rule_bad_regex, &[e]),
        R::EmptyHex => t.rule_empty_hex.into(),
        R::BadHex(CodecError::BadHexDigit { ch, pos }) => fill(t.rule_bad_hex_digit, &[ch, &(pos + 1)]),
        R::BadHex(CodecError::OddHexLength { digits }) => fill(t.rule_bad_hex_odd, &[digits]),
        R::BadHex(e) => fill(t.rule_bad_hex, &[&codec_problem(lang, e)]),
        R::BadEscape { esc, at } => fill(t.rule_bad_escape, &[esc, &place(at)]),
        R::Unclosed { at } => fill(t.rule_unclosed, &[&place(at)]),
        R::UnknownPlaceholder { name, at } => {
            let help = fill(
                t.rule_placeholder_help,
                &[
                    &"{text}, {upper}, {lower}, {ascii_upper}, {ascii_lower}, {raw}, {hex}, {len}, {peer}, {time}",
                    &"{1}",
                    &"{9}",
                    &"{{",
                    &"}}",
                ],
            );
            fill(t.rule_unknown_placeholder, &[name, &place(at), &help])
        }
        R::LineTooLong { chars } => fill(t.rule_line_too_long, &[chars, &MAX_LINE_CHARS]),
        R::SecondGreeting { first } => fill(t.rule_second_greeting, &[first]),
        R::TooManyRules => fill(t.rule_too_many, &[&MAX_RULES]),
    }
}

/// A rule error with its line, in words.
pub fn rule_error(lang: Lang, e: &crate::engine::rules::RuleError) -> String {
    fill(lang.tr().rule_line, &[&e.line, &rule_problem(lang, &e.problem)])
}

/// A codec error in words.
pub fn codec_error(lang: Lang, e: &crate::codec::CodecError) -> String {
    use crate::codec::CodecError as E;
    let t = lang.tr();
    match e {
        E::BadHexDigit { ch, pos } => fill(t.err_hex_digit, &[ch, &(pos + 1)]),
        E::OddHexLength { digits } => fill(t.err_hex_odd, &[digits]),
        E::Unencodable { ch, encoding } => fill(t.err_unencodable, &[ch, &encoding.name()]),
        E::BadEscape { pos } => fill(t.err_bad_escape, &[&(pos + 1)]),
    }
}

/// A codec error in words, as part of a longer sentence (a bad delimiter, a bad hex field of
/// an imported line); [`codec_error`] is the send box's full sentence.
pub fn codec_problem(lang: Lang, e: &crate::codec::CodecError) -> String {
    use crate::codec::CodecError as E;
    let t = lang.tr();
    match e {
        E::BadHexDigit { ch, pos } => fill(t.codec_hex_digit, &[ch, &(pos + 1)]),
        E::OddHexLength { digits } => fill(t.codec_hex_odd, &[digits]),
        E::Unencodable { ch, encoding } => fill(t.codec_unencodable, &[ch, &encoding.name()]),
        E::BadEscape { pos } => fill(t.codec_bad_escape, &[&(pos + 1)]),
    }
}

/// A framing error in words.
pub fn framing_error(lang: Lang, e: &FramingError) -> String {
    let t = lang.tr();
    match e {
        FramingError::Unknown(s) => fill(t.framing_unknown, &[s]),
        FramingError::BadNumber(s) => fill(t.framing_bad_number, &[s, &MAX_FIXED]),
        FramingError::ZeroFixed => t.framing_zero_fixed.into(),
        FramingError::FixedTooLarge { size } => fill(t.framing_fixed_too_large, &[size, &MAX_FIXED]),
        FramingError::TooLong { len, max } => fill(t.framing_too_long, &[len, max]),
        FramingError::BadDelimiter(why) => fill(t.framing_bad_delimiter, &[why]),
        FramingError::DelimiterInPayload { at } => fill(t.framing_delimiter_in_payload, &[at]),
    }
}
