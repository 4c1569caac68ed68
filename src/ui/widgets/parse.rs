//! Numbers and framings typed into settings fields, checked: a problem names the field.

use crate::engine::Problem;
use crate::engine::problem::Field;

/// Parses a receive buffer size typed by the user (1 byte to 16 MiB).
pub fn parse_recv_buffer(text: &str) -> Result<usize, Problem> {
    parse_number(text, 1..=16 * 1024 * 1024, Field::RecvBuffer)
}

/// Parses a framing typed by the user (`none`, `line`, `len16`, …).
pub fn parse_framing(text: &str) -> Result<crate::codec::framing::Framing, Problem> {
    crate::codec::framing::Framing::parse(text).map_err(Problem::Framing)
}

/// A number in `range`, or a problem naming the field (translated where it is shown).
pub fn parse_number<T: std::str::FromStr + PartialOrd + Copy + TryInto<u64>>(
    text: &str,
    range: std::ops::RangeInclusive<T>,
    field: Field,
) -> Result<T, Problem> {
    match text.trim().parse::<T>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(Problem::OutOfRange {
            field,
            min: (*range.start()).try_into().unwrap_or(0),
            max: (*range.end()).try_into().unwrap_or(u64::MAX),
            got: text.trim().to_string(),
        }),
    }
}
