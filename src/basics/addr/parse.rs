//! Strict parsing of what a student types (addresses, prefix lengths, masks), with errors
//! precise enough to say what is wrong.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::Serialize;

use super::{Family, Notation};

/// Which part of the input an error is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum InputPart {
    Address,
    Mask,
}

/// Why [`inspect`] rejected its input (as data: `i18n::addr_error` words it).
///
/// Octet `index`es count from 0. Texts quoted from the input are cut to 40 characters.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AddrError {
    /// Nothing but whitespace.
    Empty,
    /// An IPv4 address or mask without exactly 4 dot-separated parts.
    WrongOctetCount { part: InputPart, found: usize },
    /// Two dots in a row, or a dot at an end: `1..2.3`.
    EmptyOctet { part: InputPart, index: usize },
    /// Something other than decimal digits where a number should be.
    InvalidOctet { part: InputPart, index: usize, text: String },
    /// A number with a leading zero such as `010` (ambiguous: some tools read it as octal).
    LeadingZero { part: InputPart, index: usize, text: String },
    /// A number larger than 255.
    OctetTooLarge { part: InputPart, index: usize, text: String },
    /// Not a valid IPv6 address.
    InvalidIpv6 { part: InputPart, text: String },
    /// A slash with nothing after it.
    EmptyPrefix,
    /// After the slash: neither a prefix length nor a mask.
    InvalidPrefix { text: String },
    /// A prefix length larger than the address has bits.
    PrefixTooLong { prefix: String, max: u8 },
    /// A mask whose 1-bits are not all on the left: `255.0.255.0`.
    MaskNotContiguous { mask: IpAddr },
    /// An IPv4 mask with an IPv6 address or the other way round.
    MaskFamilyMismatch { address: Family, mask: Family },
    /// More input after the address and mask.
    TrailingInput { text: String },
}

/// At most 40 characters of `s`, for quoting input in errors.
pub(super) fn clip(s: &str) -> String {
    crate::codec::short::shorten(s, 40, "…").into_owned()
}

/// Parses a dotted-decimal IPv4 address strictly, with precise errors.
pub fn parse_ipv4(text: &str, part: InputPart) -> Result<Ipv4Addr, AddrError> {
    let pieces: Vec<&str> = text.split('.').collect();
    if pieces.len() != 4 {
        return Err(AddrError::WrongOctetCount { part, found: pieces.len() });
    }
    let mut octets = [0u8; 4];
    for (index, (piece, octet)) in pieces.iter().zip(octets.iter_mut()).enumerate() {
        if piece.is_empty() {
            return Err(AddrError::EmptyOctet { part, index });
        }
        if !piece.bytes().all(|b| b.is_ascii_digit()) {
            return Err(AddrError::InvalidOctet { part, index, text: clip(piece) });
        }
        if piece.len() > 1 && piece.starts_with('0') {
            return Err(AddrError::LeadingZero { part, index, text: clip(piece) });
        }
        *octet = match piece.parse::<u8>() {
            Ok(v) => v,
            Err(_) => return Err(AddrError::OctetTooLarge { part, index, text: clip(piece) }),
        };
    }
    Ok(Ipv4Addr::from(octets))
}

/// Parses an address: IPv6 if it has a colon (optionally in `[…]`), else strict IPv4.
pub(super) fn parse_addr(text: &str, part: InputPart) -> Result<IpAddr, AddrError> {
    if text.contains(':') || text.starts_with('[') {
        let inner = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')).unwrap_or(text);
        inner.parse::<Ipv6Addr>().map(IpAddr::V6).map_err(|_| AddrError::InvalidIpv6 { part, text: clip(text) })
    } else {
        parse_ipv4(text, part).map(IpAddr::V4)
    }
}

/// Parses what follows the address (a prefix length or a mask) into a prefix length.
pub(super) fn parse_suffix(address: IpAddr, text: &str) -> Result<(u8, Notation), AddrError> {
    let family = Family::of(address);
    if text.is_empty() {
        return Err(AddrError::EmptyPrefix);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let max = family.bits();
        return match text.parse::<u8>() {
            Ok(p) if p <= max => Ok((p, Notation::Prefix)),
            _ => Err(AddrError::PrefixTooLong { prefix: clip(text.trim_start_matches('0')), max }),
        };
    }
    let looks_v6 = text.contains(':');
    if !looks_v6 && !text.contains('.') {
        return Err(AddrError::InvalidPrefix { text: clip(text) });
    }
    let mask = parse_addr(text, InputPart::Mask)?;
    let mask_family = Family::of(mask);
    if mask_family != family {
        return Err(AddrError::MaskFamilyMismatch { address: family, mask: mask_family });
    }
    ipnet::ip_mask_to_prefix(mask).map(|p| (p, Notation::Mask)).map_err(|_| AddrError::MaskNotContiguous { mask })
}
