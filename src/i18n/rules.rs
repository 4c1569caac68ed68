//! Response-rule, codec and framing errors in words.

use super::{Lang, fill};
use crate::codec::framing::{DelimiterProblem, FramingError, MAX_DELIMITER, MAX_FIXED};

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
        R::Template { problem, at } => fill(t.rule_template, &[&place(at), &super::template::template_problem(lang, problem)]),
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

/// The name of an input mode, for its radio button.
pub fn mode_name(lang: Lang, mode: crate::codec::InputMode) -> &'static str {
    use crate::codec::InputMode as M;
    let t = lang.tr();
    match mode {
        M::Text => t.mode_text,
        M::Hex => t.mode_hex,
        M::Base64 => t.mode_base64,
        M::Binary => t.mode_binary,
    }
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
        E::BadBase64 { pos } => fill(t.err_base64, &[&(pos + 1)]),
        E::BadBinaryDigit { ch, pos } => fill(t.err_binary_digit, &[ch, &(pos + 1)]),
        E::BinaryLength { bits } => fill(t.err_binary_length, &[bits]),
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
        E::BadBase64 { pos } => fill(t.codec_base64, &[&(pos + 1)]),
        E::BadBinaryDigit { ch, pos } => fill(t.codec_binary_digit, &[ch, &(pos + 1)]),
        E::BinaryLength { bits } => fill(t.codec_binary_length, &[bits]),
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
        FramingError::BadDelimiter(why) => {
            let why = match why {
                DelimiterProblem::Empty => t.framing_delim_empty.to_string(),
                DelimiterProblem::TooLong { len } => fill(t.framing_delim_too_long, &[len, &MAX_DELIMITER]),
                DelimiterProblem::Hex(e) => codec_problem(lang, e),
            };
            fill(t.framing_bad_delimiter, &[&why])
        }
        FramingError::DelimiterInPayload { at } => fill(t.framing_delimiter_in_payload, &[at]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::framing::Framing;

    #[test]
    fn error_messages() {
        let text = |e: FramingError| framing_error(Lang::En, &e);
        assert_eq!(
            text(FramingError::Unknown("x".into())),
            "unknown framing \"x\": use none, line, fixed:N, len8, len16, len32 or delim:HEX"
        );
        assert!(text(FramingError::BadNumber("abc".into())).contains("\"abc\" is not a size"));
        assert_eq!(text(FramingError::ZeroFixed), "a fixed message size must be at least 1 byte");
        assert!(text(FramingError::FixedTooLarge { size: 2000000 }).contains("2000000"));
        assert_eq!(
            text(FramingError::TooLong { len: 256, max: 255 }),
            "the message is 256 bytes, longer than the 255 bytes this framing allows"
        );
        assert_eq!(
            text(Framing::parse("delim:0g").unwrap_err()),
            "bad delimiter: 'g' at position 2 is not a hex digit (0-9, a-f)"
        );
        assert!(text(Framing::parse("delim:").unwrap_err()).contains("empty"));
        assert!(text(Framing::parse("delim:000102030405060708").unwrap_err()).contains("9 bytes is too long"));
        assert!(text(FramingError::DelimiterInPayload { at: 3 }).contains("at byte 3"));
    }

    /// The wording of a bad delimiter in both languages.
    #[test]
    fn delimiter_problems() {
        let cases = [
            DelimiterProblem::Empty,
            DelimiterProblem::TooLong { len: 9 },
            DelimiterProblem::Hex(crate::codec::CodecError::BadHexDigit { ch: 'g', pos: 1 }),
        ];
        for p in cases {
            let e = FramingError::BadDelimiter(p);
            let zh = framing_error(Lang::Zh, &e);
            assert!(zh.starts_with("分隔符有误:") && zh != framing_error(Lang::En, &e), "{zh}");
        }
        assert_eq!(
            framing_error(Lang::En, &Framing::parse("delim:").unwrap_err()),
            "bad delimiter: it is empty: give 1 to 8 bytes in hex, e.g. delim:0d0a"
        );
        assert_eq!(
            framing_error(Lang::En, &Framing::parse("delim:000102030405060708").unwrap_err()),
            "bad delimiter: 9 bytes is too long: at most 8"
        );
    }

    /// Codec errors inside a sentence, in both languages.
    #[test]
    fn codec_problems() {
        use crate::codec::{CodecError as E, Encoding};
        let cases = [
            E::BadHexDigit { ch: 'g', pos: 1 },
            E::OddHexLength { digits: 3 },
            E::Unencodable { ch: '€', encoding: Encoding::Gbk },
            E::BadEscape { pos: 0 },
        ];
        for e in &cases {
            let (en, zh) = (codec_problem(Lang::En, e), codec_problem(Lang::Zh, e));
            assert_ne!(en, zh);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{zh}");
        }
        assert_eq!(codec_problem(Lang::En, &cases[2]), "'€' cannot be written in GBK");
        assert_eq!(
            codec_problem(Lang::En, &cases[3]),
            "the escape at position 1 is not one of \\r \\n \\t \\0 \\\\ \\xHH"
        );
    }
}
