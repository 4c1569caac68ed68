//! Message template errors in words: what is wrong, and at which character.

use super::{Lang, fill};
use crate::codec::template::{Expected, TemplateError, TemplateProblem as P};

/// A template error as the send box and the CLI say it: "character 4: …".
pub fn template_error(lang: Lang, e: &TemplateError) -> String {
    match &e.problem {
        // The codec's own sentence names the character.
        P::Codec(c) if placed(c) => super::codec_error(lang, c),
        p => fill(lang.tr().tpl_at, &[&(e.pos + 1), &template_problem(lang, p)]),
    }
}

/// Whether a codec error names its character itself.
fn placed(e: &crate::codec::CodecError) -> bool {
    use crate::codec::CodecError as C;
    matches!(e, C::BadHexDigit { .. } | C::BadEscape { .. } | C::BadBase64 { .. } | C::BadBinaryDigit { .. })
}

/// The same, while it is being typed: "character 4: …" without "nothing was sent".
pub fn template_where(lang: Lang, e: &TemplateError) -> String {
    match &e.problem {
        P::Codec(c) if placed(c) => super::codec_problem(lang, c),
        p => fill(lang.tr().tpl_where, &[&(e.pos + 1), &template_problem(lang, p)]),
    }
}

/// The problem alone, for a longer sentence (a rule's reply).
pub(super) fn template_problem(lang: Lang, p: &P) -> String {
    let t = lang.tr();
    match p {
        P::Unclosed => t.tpl_unclosed.into(),
        P::UnknownField { name } => fill(t.tpl_unknown, &[name]),
        P::BadArgument { field, arg, expected } => fill(t.tpl_bad_arg, &[field, arg, &expected_words(lang, *expected)]),
        P::Codec(e) => super::codec_problem(lang, e),
        P::File { path, error } => fill(t.tpl_file, &[path, error]),
        P::FileTooBig { path, max } => fill(t.tpl_file_big, &[path, &(max >> 20)]),
        P::TooBig { max } => fill(t.tpl_too_big, &[&(max >> 20)]),
        P::RangeOutside { from, to, len } => fill(t.tpl_range, &[from, to, len]),
        P::CoversItself => t.tpl_covers_itself.into(),
        P::Circular => t.tpl_circular.into(),
        P::LengthTooBig { len, max } => fill(t.tpl_len_big, &[len, max]),
    }
}

fn expected_words(lang: Lang, e: Expected) -> String {
    let t = lang.tr();
    match e {
        Expected::Nothing => t.tpl_x_nothing.into(),
        Expected::Range => t.tpl_x_range.into(),
        Expected::RandRange => t.tpl_x_rand.into(),
        Expected::TimeFormat => t.tpl_x_time.into(),
        Expected::SeqOptions => fill(t.tpl_x_seq, &[&crate::codec::template::MAX_WIDTH]),
        Expected::HexOrRandom => fill(t.tpl_x_hex, &[&crate::codec::template::MAX_RANDOM]),
        Expected::Path => t.tpl_x_path.into(),
        Expected::LenOptions => t.tpl_x_len.into(),
        Expected::SumOptions => t.tpl_x_sum.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Encoding, InputMode, template};

    #[test]
    fn errors_in_both_languages() {
        let e = template::compile("01 ${crc99}", InputMode::Hex, Encoding::Utf8, false).unwrap_err();
        assert_eq!(
            template_error(Lang::En, &e),
            "character 4: ${crc99} is not a field (seq, time, unix_ms, uuid, rand, hex, file, rx, len, sum8, xor8, \
             crc8, crc16-modbus, crc16-ccitt-false, crc32). Nothing was sent."
        );
        assert!(template_error(Lang::Zh, &e).starts_with("第 4 个字符"));
        let e = template::compile("${rand:x}", InputMode::Text, Encoding::Utf8, false).unwrap_err();
        assert!(template_error(Lang::En, &e).contains("A-B"), "{}", template_error(Lang::En, &e));
    }
}
