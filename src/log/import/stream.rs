//! One direction of a TCP connection, put back in sequence order as the receiver saw it:
//! retransmitted, duplicate and overlapping bytes are delivered once; a segment that comes
//! early waits (at most [`MAX_HELD_BYTES`] bytes in [`MAX_HELD_SEGMENTS`] segments) for the
//! bytes before it; a hole that is never filled becomes a [`Chunk::Gap`] when it must be given
//! up (see [`Stream::ack_to`], [`Stream::flush`]). Sequence numbers wrap around; positions in
//! the stream are counted in 64 bits.

use std::collections::BTreeMap;

/// Bytes held back at most per direction.
pub(super) const MAX_HELD_BYTES: usize = 4 * 1024 * 1024;
/// Segments held back at most per direction.
pub(super) const MAX_HELD_SEGMENTS: usize = 1024;
/// How far past the expected sequence number a segment may start and still be believed
/// (further is taken as garbage rather than as that many bytes missing from the capture).
pub(super) const MAX_GAP: u32 = 16 * 1024 * 1024;

/// What the receiver gets next.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Chunk<'a> {
    /// Bytes in order: `data` as captured, then `lost` bytes the snap length cut off.
    Data { data: &'a [u8], lost: usize },
    /// This many bytes the capture does not have.
    Gap(u64),
}

/// A segment that came before the bytes preceding it.
#[derive(Debug)]
struct Held {
    data: Vec<u8>,
    missing: usize,
}

impl Held {
    fn len(&self) -> u64 {
        (self.data.len() + self.missing) as u64
    }
}

/// Something odd about a segment, worth a warning.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Anomaly {
    /// It starts implausibly far ahead: ignored.
    OutOfWindow,
}

/// One direction of a connection.
#[derive(Debug, Default)]
pub(super) struct Stream {
    /// The sequence number of the next byte to deliver, once known.
    next: Option<u32>,
    /// The position of `next` in the stream (from the first byte seen; does not wrap).
    pos: u64,
    /// Early segments by position.
    ahead: BTreeMap<u64, Held>,
    held: usize,
    /// The position of the FIN, once seen.
    fin_at: Option<u64>,
    /// The FIN was reached and reported.
    pub(super) fin_reported: bool,
}

/// The bytes of a segment after its first `skip` (captured ones first, then cut-off ones).
fn trim(data: &[u8], missing: usize, skip: u64) -> (&[u8], usize) {
    let skip = usize::try_from(skip).unwrap_or(usize::MAX);
    match data.get(skip..) {
        Some(rest) => (rest, missing),
        None => (&[], missing.saturating_sub(skip - data.len())),
    }
}

impl Stream {
    /// Sets where the stream starts (the byte after a SYN), unless known already.
    pub(super) fn start(&mut self, seq: u32) {
        self.next.get_or_insert(seq);
    }

    /// The signed distance from `next` to `seq`.
    fn delta(&self, seq: u32) -> Option<i64> {
        let next = self.next?;
        Some(i64::from(i32::from_ne_bytes(seq.wrapping_sub(next).to_ne_bytes())))
    }

    /// The position of `seq` if it is at most [`MAX_GAP`] ahead of `next` (or anywhere behind).
    fn position(&self, seq: u32) -> Option<u64> {
        let delta = self.delta(seq)?;
        if delta > i64::from(MAX_GAP) {
            return None;
        }
        Some(self.pos.saturating_add_signed(delta))
    }

    /// Whether the FIN was reached (all bytes before it delivered) and not reported yet.
    pub(super) fn fin_due(&self) -> bool {
        !self.fin_reported && self.fin_at.is_some_and(|f| self.pos >= f)
    }

    /// A segment's bytes: `data` as captured and `missing` more the snap length cut off, the
    /// first at `seq`.
    pub(super) fn segment(
        &mut self,
        seq: u32,
        data: &[u8],
        missing: usize,
        emit: &mut dyn FnMut(Chunk<'_>),
    ) -> Option<Anomaly> {
        let len = (data.len() + missing) as u64;
        if len == 0 {
            return None;
        }
        self.start(seq);
        let delta = self.delta(seq)?;
        if delta > i64::from(MAX_GAP) {
            return Some(Anomaly::OutOfWindow);
        }
        if delta > 0 {
            self.hold(self.pos + delta.unsigned_abs(), data, missing, emit);
            return None;
        }
        let seen = delta.unsigned_abs();
        if seen >= len {
            return None; // a retransmission of delivered bytes
        }
        let (data, missing) = trim(data, missing, seen);
        self.deliver(data, missing, emit);
        self.drain(emit);
        None
    }

    /// Notes the FIN of a segment whose bytes end before `end`.
    pub(super) fn fin(&mut self, end: u32) {
        if self.fin_at.is_none() {
            self.start(end);
            self.fin_at = self.position(end).or(Some(self.pos));
        }
    }

    /// The receiver acknowledged every byte before `ack`: holes before it were lost by the
    /// capture only. Given up (as gaps) only when bytes after a hole are waiting, or the FIN is.
    pub(super) fn ack_to(&mut self, ack: u32, emit: &mut dyn FnMut(Chunk<'_>)) {
        let waiting = !self.ahead.is_empty() || self.fin_at.is_some_and(|f| f > self.pos);
        if !waiting {
            return;
        }
        let Some(mut target) = self.position(ack) else { return };
        if let Some(fin) = self.fin_at {
            target = target.min(fin); // the FIN takes a sequence number, not a byte
        }
        self.advance_to(target, emit);
    }

    /// Gives up every hole: the rest of the held bytes, up to the FIN if one was seen.
    pub(super) fn flush(&mut self, emit: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(&first) = self.ahead.keys().next() {
            self.advance_to(first, emit);
        }
        if let Some(fin) = self.fin_at {
            self.advance_to(fin, emit);
        }
    }

    /// Delivers up to position `target`, with gaps for what is missing.
    fn advance_to(&mut self, target: u64, emit: &mut dyn FnMut(Chunk<'_>)) {
        while self.pos < target {
            let hole_end = self.ahead.keys().next().map_or(target, |&k| k.min(target));
            if hole_end > self.pos {
                let n = hole_end - self.pos;
                self.skip(n);
                emit(Chunk::Gap(n));
            }
            self.drain(emit);
        }
    }

    /// Moves `next` on by `n` bytes.
    fn skip(&mut self, n: u64) {
        self.pos += n;
        // Wrapping: only the low 32 bits of a count matter for a sequence number.
        let low = u32::try_from(n & u64::from(u32::MAX)).unwrap_or(0);
        self.next = self.next.map(|s| s.wrapping_add(low));
    }

    fn deliver(&mut self, data: &[u8], missing: usize, emit: &mut dyn FnMut(Chunk<'_>)) {
        self.skip((data.len() + missing) as u64);
        if !data.is_empty() {
            emit(Chunk::Data { data, lost: missing });
        }
    }

    /// Delivers the held segments that are now in order.
    fn drain(&mut self, emit: &mut dyn FnMut(Chunk<'_>)) {
        while let Some(entry) = self.ahead.first_entry() {
            if *entry.key() > self.pos {
                break;
            }
            let (at, held) = entry.remove_entry();
            self.held -= held.data.len();
            let seen = self.pos - at;
            if seen < held.len() {
                let (data, missing) = trim(&held.data, held.missing, seen);
                self.deliver(data, missing, emit);
            }
        }
    }

    /// Keeps an early segment; gives up the first hole while too much is held.
    fn hold(&mut self, at: u64, data: &[u8], missing: usize, emit: &mut dyn FnMut(Chunk<'_>)) {
        let len = (data.len() + missing) as u64;
        if self.ahead.get(&at).is_some_and(|h| h.len() >= len) {
            return; // the same early segment again
        }
        if let Some(old) = self.ahead.insert(at, Held { data: data.to_vec(), missing }) {
            self.held -= old.data.len();
        }
        self.held += data.len();
        while self.held > MAX_HELD_BYTES || self.ahead.len() > MAX_HELD_SEGMENTS {
            let Some(&first) = self.ahead.keys().next() else { break };
            self.advance_to(first, emit);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(s: &mut Stream, seq: u32, data: &[u8]) -> Vec<String> {
        let mut got = Vec::new();
        s.segment(seq, data, 0, &mut |c| got.push(show(&c)));
        got
    }

    fn show(c: &Chunk<'_>) -> String {
        match c {
            Chunk::Data { data, .. } => String::from_utf8_lossy(data).into_owned(),
            Chunk::Gap(n) => format!("<gap {n}>"),
        }
    }

    #[test]
    fn reorders_trims_and_wraps() {
        let mut s = Stream::default();
        s.start(u32::MAX - 1);
        assert_eq!(run(&mut s, u32::MAX - 1, b"ab"), ["ab"]);
        assert_eq!(run(&mut s, 2, b"ef"), Vec::<String>::new()); // early: held
        assert_eq!(run(&mut s, u32::MAX - 1, b"ab"), Vec::<String>::new()); // duplicate
        assert_eq!(run(&mut s, 0, b"cde"), ["cde", "f"]); // fills the hole; overlap trimmed
        assert_eq!(run(&mut s, 1 << 30, b"x"), Vec::<String>::new());
        let mut got = Vec::new();
        assert_eq!(s.segment(1 << 30, b"x", 0, &mut |c| got.push(show(&c))), Some(Anomaly::OutOfWindow));
    }

    #[test]
    fn holes_become_gaps_on_ack_and_flush() {
        let mut s = Stream::default();
        s.start(100);
        assert_eq!(run(&mut s, 100, b"aa"), ["aa"]);
        assert_eq!(run(&mut s, 105, b"bb"), Vec::<String>::new());
        let mut got = Vec::new();
        s.ack_to(110, &mut |c| got.push(show(&c)));
        assert_eq!(got, ["<gap 3>", "bb", "<gap 3>"]);
        assert_eq!(run(&mut s, 102, b"zzz"), Vec::<String>::new()); // too late: never twice
        assert_eq!(run(&mut s, 112, b"cc"), Vec::<String>::new());
        s.fin(114);
        let mut got = Vec::new();
        s.flush(&mut |c| got.push(show(&c)));
        assert_eq!(got, ["<gap 2>", "cc"]);
        assert!(s.fin_due());
    }
}
