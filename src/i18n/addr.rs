//! Address inspection errors ([`AddrError`]) in words.

use super::{Lang, fill};
use crate::basics::addr::{AddrError, InputPart};

/// Why an address (with its prefix or mask) was rejected, in words.
pub fn addr_error(lang: Lang, e: &AddrError) -> String {
    let t = lang.tr();
    // Texts from the input are shown quoted, as Rust debug strings.
    let quoted = |s: &String| format!("{s:?}");
    let in_part = |part: &InputPart, text: String| match part {
        InputPart::Address => text,
        InputPart::Mask => fill(t.addr_in_mask, &[&text]),
    };
    match e {
        AddrError::Empty => t.addr_empty.into(),
        AddrError::WrongOctetCount { part, found } => in_part(part, fill(t.addr_octet_count, &[found])),
        AddrError::EmptyOctet { part, index } => in_part(part, fill(t.addr_empty_octet, &[&(index + 1)])),
        AddrError::InvalidOctet { part, text, .. } => in_part(part, fill(t.addr_invalid_octet, &[&quoted(text)])),
        AddrError::LeadingZero { part, text, .. } => in_part(part, fill(t.addr_leading_zero, &[text])),
        AddrError::OctetTooLarge { part, text, .. } => in_part(part, fill(t.addr_octet_too_large, &[text])),
        AddrError::InvalidIpv6 { part: InputPart::Address, text } => fill(t.addr_invalid_ipv6, &[&quoted(text)]),
        AddrError::InvalidIpv6 { part: InputPart::Mask, text } => fill(t.addr_invalid_ipv6_mask, &[&quoted(text)]),
        AddrError::EmptyPrefix => t.addr_empty_prefix.into(),
        AddrError::InvalidPrefix { text } => fill(t.addr_invalid_prefix, &[&quoted(text)]),
        AddrError::PrefixTooLong { prefix, max } => fill(t.addr_prefix_too_long, &[prefix, max]),
        AddrError::MaskNotContiguous { mask } => fill(t.addr_mask_not_contiguous, &[mask]),
        AddrError::MaskFamilyMismatch { address, mask } => {
            fill(t.addr_family_mismatch, &[&mask.name(), &address.name()])
        }
        AddrError::TrailingInput { text } => fill(t.addr_trailing, &[&quoted(text)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basics::addr::{Family, inspect};

    fn en(input: &str) -> String {
        addr_error(Lang::En, &inspect(input).unwrap_err())
    }

    /// The English of the CLI's `socklab addr`, as it was when the core worded it.
    #[test]
    fn english_addr_errors() {
        assert_eq!(en(""), "empty input");
        assert_eq!(en("300.1.1.1"), "octet 300 is larger than 255");
        assert_eq!(en("1.2.3"), "expected 4 numbers separated by dots, found 3");
        assert_eq!(en("1..3.4"), "octet 2 is empty");
        assert_eq!(en("1.2.x.4"), "octet \"x\" is not a number");
        assert_eq!(en("010.0.0.1"), "octet 010 has a leading zero");
        assert_eq!(en("1.2.3.4 255.256.0.0"), "mask octet 256 is larger than 255");
        assert_eq!(en("fe80::1::2"), "\"fe80::1::2\" is not a valid IPv6 address");
        assert_eq!(en("1.2.3.4/"), "missing prefix length or mask after '/'");
        assert_eq!(en("1.2.3.4/abc"), "\"abc\" is neither a prefix length nor a mask");
        assert_eq!(en("1.2.3.4/33"), "prefix 33 is longer than 32");
        assert_eq!(en("::1/129"), "prefix 129 is longer than 128");
        assert_eq!(en("10.0.0.1/99999999999999"), "prefix 99999999999999 is longer than 32");
        assert_eq!(en("10.0.0.1 255.0.255.0"), "255.0.255.0 is not a valid mask: the 1-bits must be contiguous");
        assert_eq!(en("1.2.3.4/255.0.255.0"), "255.0.255.0 is not a valid mask: the 1-bits must be contiguous");
        assert_eq!(en("1.2.3.4/ffff::"), "an IPv6 mask does not fit an IPv4 address");
        assert_eq!(en("1.2.3.4/24 extra"), "unexpected \"extra\" after the address and mask");
    }

    /// Every error has Chinese words of its own.
    #[test]
    fn chinese_addr_errors() {
        let mut errors = vec![
            AddrError::Empty,
            AddrError::EmptyPrefix,
            AddrError::InvalidPrefix { text: "x".into() },
            AddrError::PrefixTooLong { prefix: "33".into(), max: 32 },
            AddrError::MaskNotContiguous { mask: "255.0.255.0".parse().unwrap() },
            AddrError::MaskFamilyMismatch { address: Family::V4, mask: Family::V6 },
            AddrError::TrailingInput { text: "x".into() },
        ];
        for part in [InputPart::Address, InputPart::Mask] {
            errors.extend([
                AddrError::WrongOctetCount { part, found: 3 },
                AddrError::EmptyOctet { part, index: 1 },
                AddrError::InvalidOctet { part, index: 1, text: "x".into() },
                AddrError::LeadingZero { part, index: 1, text: "01".into() },
                AddrError::OctetTooLarge { part, index: 1, text: "300".into() },
                AddrError::InvalidIpv6 { part, text: "x".into() },
            ]);
        }
        let mut seen = std::collections::HashSet::new();
        for e in &errors {
            let zh = addr_error(Lang::Zh, e);
            assert_ne!(addr_error(Lang::En, e), zh, "{e:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e:?}: {zh}");
            assert!(seen.insert(zh.clone()), "{e:?}: {zh}");
        }
    }
}
