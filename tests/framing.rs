//! Framing against "sticky packets": however a stream of framed messages is cut into `recv()`
//! chunks, the deframer gives the same messages back; and no input makes it panic or hoard memory.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use proptest::prelude::*;
use proptest::sample::Index;

use socklab::codec::framing::{Deframer, DelimiterBytes, Frame, Framing, MAX_FIXED};

/// A small alphabet, so delimiters (built from it too) and partial delimiters show up often.
fn byte() -> impl Strategy<Value = u8> {
    prop::sample::select(vec![b'a', b'b', b'\r', b'\n', 0, 0xff])
}

fn delimiter(bytes: impl Strategy<Value = u8>) -> impl Strategy<Value = Framing> {
    prop::collection::vec(bytes, 1..=8).prop_map(|d| Framing::Delimiter(DelimiterBytes::new(&d).unwrap()))
}

/// Framings that keep message boundaries (all but `None`), with small fixed sizes.
fn framed() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::Line),
        delimiter(byte()),
        (1u32..=12).prop_map(Framing::Fixed),
        Just(Framing::Len8),
        Just(Framing::Len16),
        Just(Framing::Len32),
    ]
}

/// Any framing at all, out-of-range fixed sizes included (as `serde` or code could make them).
fn any_framing() -> impl Strategy<Value = Framing> {
    prop_oneof![
        Just(Framing::None),
        Just(Framing::Line),
        delimiter(any::<u8>()),
        delimiter(byte()),
        (0u32..=20).prop_map(Framing::Fixed),
        any::<u32>().prop_map(Framing::Fixed),
        Just(Framing::Len8),
        Just(Framing::Len16),
        Just(Framing::Len32),
    ]
}

fn messages(max_len: usize) -> impl Strategy<Value = Vec<Vec<u8>>> {
    prop::collection::vec(prop::collection::vec(byte(), 0..max_len), 0..12)
}

/// `m` if the framing can carry it, else a version it can: truncated to a fixed size, or with the
/// delimiter's first byte replaced (then the delimiter cannot start inside the payload).
fn make_valid(framing: Framing, mut m: Vec<u8>) -> Vec<u8> {
    if framing.encode(&m).is_ok() {
        return m;
    }
    match framing {
        Framing::Fixed(n) => m.truncate(n as usize),
        Framing::Line => m.iter_mut().filter(|b| **b == b'\n').for_each(|b| *b = b'z'),
        Framing::Delimiter(d) => m.iter_mut().filter(|b| **b == d.as_bytes()[0]).for_each(|b| *b = b'z'),
        _ => {}
    }
    m
}

/// What the receiver should see for message `m`: `Line` drops a `\r` before the `\n`, `Fixed`
/// keeps the zero padding.
fn expected(framing: Framing, m: &[u8]) -> Vec<u8> {
    match framing {
        Framing::Line => m.strip_suffix(b"\r").unwrap_or(m).to_vec(),
        Framing::Fixed(n) => {
            let mut v = m.to_vec();
            v.resize(n as usize, 0);
            v
        }
        _ => m.to_vec(),
    }
}

/// `bytes` cut at the given points (like the chunks successive `recv()`s return).
fn split<'a>(bytes: &'a [u8], cuts: &[Index]) -> Vec<&'a [u8]> {
    let mut points: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
    points.push(0);
    points.push(bytes.len());
    points.sort_unstable();
    points.windows(2).map(|w| &bytes[w[0]..w[1]]).collect()
}

fn encode_all(framing: Framing, msgs: &[Vec<u8>]) -> Vec<u8> {
    msgs.iter().flat_map(|m| framing.encode(m).unwrap()).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn messages_survive_any_chunking(
        framing in framed(),
        raw in messages(24),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let msgs: Vec<Vec<u8>> = raw.into_iter().map(|m| make_valid(framing, m)).collect();
        for m in &msgs {
            prop_assert!(framing.encode(m).is_ok(), "{framing} cannot carry {m:?}");
        }
        let wire = encode_all(framing, &msgs);
        let mut d = Deframer::new(framing);
        let mut got = Vec::new();
        for chunk in split(&wire, &cuts) {
            got.extend(d.push(chunk));
            prop_assert!(d.pending() <= d.max_message() + 8);
        }
        let want: Vec<Vec<u8>> = msgs.iter().map(|m| expected(framing, m)).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(d.pending(), 0);
        prop_assert_eq!(d.finish(), None);
        prop_assert_eq!(d.oversized(), 0);
    }

    #[test]
    fn none_gives_the_chunks_back(
        bytes in prop::collection::vec(any::<u8>(), 0..200),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let mut d = Deframer::new(Framing::None);
        let mut got = Vec::new();
        for chunk in split(&bytes, &cuts) {
            let out = d.push(chunk);
            if chunk.is_empty() {
                prop_assert!(out.is_empty());
            } else {
                prop_assert_eq!(&out, &vec![chunk.to_vec()]);
            }
            got.extend(out.concat());
            prop_assert_eq!(d.pending(), 0);
        }
        prop_assert_eq!(got, bytes);
        prop_assert_eq!(d.finish(), None);
    }

    /// With a small limit, long messages come in partial pieces of at most the limit, and the
    /// messages after them still come out whole: the deframer stays in step with the stream.
    #[test]
    fn oversized_messages_come_in_pieces_and_keep_sync(
        framing in framed().prop_filter("fixed sizes are never cut", |f| !matches!(f, Framing::Fixed(_))),
        raw in messages(40),
        limit in 1usize..16,
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let msgs: Vec<Vec<u8>> = raw.into_iter().map(|m| make_valid(framing, m)).collect();
        let wire = encode_all(framing, &msgs);
        let mut d = Deframer::with_limit(framing, limit);
        prop_assert_eq!(d.max_message(), limit);
        let mut frames: Vec<Frame> = Vec::new();
        for chunk in split(&wire, &cuts) {
            frames.extend(d.push_frames(chunk));
            prop_assert!(d.pending() <= limit + 8, "{} pending, limit {}", d.pending(), limit);
        }
        prop_assert_eq!(d.finish(), None);

        // Where the stream was cut does not matter, even one byte per recv().
        let mut one_by_one = Deframer::with_limit(framing, limit);
        let bytewise: Vec<Frame> = wire.iter().flat_map(|b| one_by_one.push_frames(&[*b])).collect();
        prop_assert_eq!(&bytewise, &frames);

        let mut frames = frames.into_iter();
        let mut oversized = 0;
        for m in &msgs {
            let want = expected(framing, m);
            if want.len() <= limit {
                prop_assert_eq!(frames.next(), Some(Frame { payload: want, partial: false }));
                continue;
            }
            oversized += 1;
            let mut joined = Vec::new();
            while joined.len() < want.len() {
                let piece = frames.next();
                prop_assert!(piece.is_some(), "missing pieces of {:?}", want);
                let piece = piece.unwrap();
                prop_assert!(piece.partial);
                prop_assert!(!piece.payload.is_empty() && piece.payload.len() <= limit);
                joined.extend(piece.payload);
            }
            prop_assert_eq!(joined, want);
        }
        prop_assert_eq!(frames.next(), None);
        prop_assert_eq!(d.oversized(), oversized);
    }

    #[test]
    fn push_never_panics_and_memory_stays_bounded(
        framing in any_framing(),
        limit in prop::option::of(0usize..64),
        bytes in prop::collection::vec(any::<u8>(), 0..600),
        cuts in prop::collection::vec(any::<Index>(), 0..16),
    ) {
        let mut d = match limit {
            Some(limit) => Deframer::with_limit(framing, limit),
            None => Deframer::new(framing),
        };
        prop_assert!(d.max_message() >= 1 && d.max_message() <= framing.max_message());
        let mut delivered = 0;
        let mut fed = 0;
        for chunk in split(&bytes, &cuts) {
            fed += chunk.len();
            delivered += d.push_frames(chunk).iter().map(|f| f.payload.len()).sum::<usize>();
            prop_assert!(d.pending() <= d.max_message() + 8);
            // Nothing is made up: headers and delimiters are dropped, nothing added.
            prop_assert!(delivered + d.pending() <= fed);
        }
        let rest = d.finish().map_or(0, |r| r.len());
        prop_assert!(delivered + rest <= bytes.len());
        prop_assert_eq!(d.pending(), 0);
    }

    #[test]
    fn parse_takes_back_every_cli_name(framing in any_framing()) {
        let valid = !matches!(framing, Framing::Fixed(n) if n == 0 || n > MAX_FIXED);
        let parsed = Framing::parse(&framing.cli_name());
        if valid {
            prop_assert_eq!(parsed, Ok(framing));
        } else {
            prop_assert!(parsed.is_err());
        }
    }

    #[test]
    fn parse_never_panics(s in ".{0,40}") {
        if let Ok(f) = Framing::parse(&s) {
            prop_assert_eq!(Framing::parse(&f.cli_name()), Ok(f));
        }
    }

    #[test]
    fn encode_matches_the_deframer(framing in any_framing(), m in prop::collection::vec(byte(), 0..300)) {
        // Whatever encode accepts, a deframer returns as exactly one message, nothing left over.
        if let Ok(wire) = framing.encode(&m) {
            let mut d = Deframer::new(framing);
            let got = d.push(&wire);
            if framing == Framing::None {
                prop_assert_eq!(got.concat(), m);
            } else {
                prop_assert_eq!(got, vec![expected(framing, &m)]);
            }
            prop_assert_eq!(d.finish(), None);
        }
    }
}
