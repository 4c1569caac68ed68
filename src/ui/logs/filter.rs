//! Log filters: direction, peer, and text/hex substring or regex. The matching rows are kept in
//! an index that grows as rows arrive; a changed filter rescans in slices, a few per frame. The
//! rows of one conversation are kept the same way.

use crate::codec::Encoding;
use crate::engine::{Event, EventKind};
use crate::log::rates::Rates;
use crate::log::search::{TextMatch, payload};
use crate::log::{FlowKey, LogStore};

/// At most this many rows are examined per frame while a new filter catches up with the store…
const SCAN_PER_FRAME: u64 = 200_000;
/// …and for at most this long, so the UI keeps its frame rate while it scans.
const SCAN_BUDGET: std::time::Duration = std::time::Duration::from_millis(8);

/// Which kind of event a row is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Direction {
    #[default]
    All,
    Rx,
    Tx,
    /// Everything but data: connects, closes, errors, …
    Events,
    /// Connecting and connected (accepted, for a server).
    Connects,
    /// Half-close and close (not reset).
    Closes,
    /// A connection reset (RST).
    Resets,
    Errors,
    /// Listening, stopped.
    Info,
    /// Everything, and the TLS records as they crossed the wire (which the others leave out).
    Tls,
}

impl Direction {
    pub const ALL: [Direction; 10] = [
        Direction::All,
        Direction::Tls,
        Direction::Rx,
        Direction::Tx,
        Direction::Events,
        Direction::Connects,
        Direction::Closes,
        Direction::Resets,
        Direction::Errors,
        Direction::Info,
    ];

    pub fn matches(self, kind: &EventKind) -> bool {
        use crate::engine::CloseReason;
        if matches!(kind, EventKind::TlsRecords { .. }) {
            return self == Direction::Tls;
        }
        match self {
            Direction::All | Direction::Tls => true,
            Direction::Rx => matches!(kind, EventKind::Rx { .. }),
            Direction::Tx => matches!(kind, EventKind::Tx { .. }),
            Direction::Events => {
                !matches!(kind, EventKind::Rx { .. } | EventKind::Tx { .. } | EventKind::Relayed { .. })
            }
            Direction::Connects => matches!(kind, EventKind::Connecting { .. } | EventKind::Connected { .. }),
            Direction::Closes => {
                matches!(kind, EventKind::HalfClosed)
                    || matches!(kind, EventKind::Closed { reason } if *reason != CloseReason::Reset)
            }
            Direction::Resets => matches!(kind, EventKind::Closed { reason: CloseReason::Reset }),
            Direction::Errors => matches!(kind, EventKind::Error(_)),
            Direction::Info => {
                matches!(
                    kind,
                    EventKind::Listening { .. }
                        | EventKind::Stopped
                        | EventKind::Membership { .. }
                        | EventKind::GeneratorDone { .. }
                )
            }
        }
    }
}

/// What the user typed in the filter bar.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter {
    pub text: String,
    pub regex: bool,
    pub direction: Direction,
    pub peer: String,
    /// Payload length: `64`, `10-100`, `1000-` or `-20`.
    pub length: String,
    /// Connection number, as in the TCP server's client list.
    pub conn: String,
    /// Only the rows of this tab.
    pub tab: Option<u16>,
    /// Only rows from this sequence number on (Clear hides older rows; the store is append-only).
    pub from_seq: u64,
}

impl Filter {
    /// True if some rows may be left out.
    pub fn is_active(&self) -> bool {
        self.narrows() || self.tab.is_some() || self.from_seq > 0
    }

    /// True if the user asked for some rows only (beyond the tab and Clear).
    pub fn narrows(&self) -> bool {
        !self.text.trim().is_empty()
            || self.direction != Direction::All
            || !self.peer.trim().is_empty()
            || !self.length.trim().is_empty()
            || !self.conn.trim().is_empty()
    }
}

/// Why a filter cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FilterError {
    Regex(String),
    Length(String),
    Conn(String),
}

/// A compiled filter and the sequence numbers of the rows it matches.
pub struct FilterIndex {
    filter: Filter,
    encoding: Encoding,
    text: TextMatch,
    peer: String,
    length: Option<(usize, usize)>,
    conn: Option<u64>,
    pub seqs: Vec<u64>,
    /// Traffic per second of the matching rows (for the throughput plot of a filtered view).
    pub rates: Rates,
    /// The next sequence number to examine.
    scanned: u64,
}

impl FilterIndex {
    /// Compiles a filter; a bad regex is reported.
    pub fn new(filter: &Filter, encoding: Encoding, store: &LogStore) -> Result<FilterIndex, FilterError> {
        let text = TextMatch::new(&filter.text, filter.regex).map_err(FilterError::Regex)?;
        let length = parse_range(&filter.length).ok_or_else(|| FilterError::Length(filter.length.trim().into()))?;
        let conn = match filter.conn.trim().trim_start_matches('#') {
            "" => None,
            c => Some(c.parse::<u64>().map_err(|_| FilterError::Conn(c.into()))?),
        };
        Ok(FilterIndex {
            filter: filter.clone(),
            encoding,
            text,
            peer: filter.peer.trim().to_string(),
            length,
            conn,
            seqs: Vec::new(),
            rates: Rates::default(),
            scanned: store.iter().next().map_or(store.next_seq(), |r| r.seq).max(filter.from_seq),
        })
    }

    /// True if this index was built for `filter` and `encoding`.
    pub fn is_for(&self, filter: &Filter, encoding: Encoding) -> bool {
        self.filter == *filter && self.encoding == encoding
    }

    fn matches(&self, ev: &Event) -> bool {
        let data = payload(&ev.kind);
        if self.filter.tab.is_some_and(|t| t != ev.tab) || !self.filter.direction.matches(&ev.kind) {
            return false;
        }
        if !self.peer.is_empty() && !ev.peer.is_some_and(|p| p.to_string().contains(&self.peer)) {
            return false;
        }
        if self.conn.is_some() && ev.conn != self.conn {
            return false;
        }
        if let Some((lo, hi)) = self.length
            && !data.is_some_and(|d| (lo..=hi).contains(&d.len()))
        {
            return false;
        }
        self.text.matches(data, self.encoding)
    }

    /// Examines new rows (at most a slice per call); returns the share done, 0.0–1.0.
    pub fn update(&mut self, store: &LogStore) -> f32 {
        let first = store.iter().next().map_or(store.next_seq(), |r| r.seq).max(self.filter.from_seq);
        self.scanned = self.scanned.max(first);
        let end = store.next_seq().min(self.scanned + SCAN_PER_FRAME);
        let deadline = std::time::Instant::now() + SCAN_BUDGET;
        let mut seq = self.scanned;
        while seq < end {
            if let Some(r) = store.get_seq(seq)
                && self.matches(&r.event)
            {
                self.seqs.push(seq);
                self.rates.apply(&r.event);
            }
            seq += 1;
            if seq.is_multiple_of(4096) && std::time::Instant::now() >= deadline {
                break;
            }
        }
        self.scanned = seq;
        let drop = self.seqs.partition_point(|s| *s < first);
        self.seqs.drain(..drop);
        let total = store.next_seq().saturating_sub(first);
        if total == 0 { 1.0 } else { self.scanned.saturating_sub(first) as f32 / total as f32 }
    }

    /// All rows examined.
    pub fn caught_up(&self, store: &LogStore) -> bool {
        self.scanned >= store.next_seq()
    }
}

/// `64`, `10-100`, `1000-`, `-20` → `Some(Some(range))`; empty → `Some(None)`; else `None`.
fn parse_range(s: &str) -> Option<Option<(usize, usize)>> {
    let s = s.trim();
    if s.is_empty() {
        return Some(None);
    }
    let num = |x: &str, default: usize| -> Option<usize> {
        let x = x.trim();
        if x.is_empty() { Some(default) } else { x.parse().ok() }
    };
    let range = match s.split_once('-') {
        Some((a, b)) => (num(a, 0)?, num(b, usize::MAX)?),
        None => {
            let n = num(s, 0)?;
            (n, n)
        }
    };
    Some(Some(range))
}

/// The rows of one conversation, kept up to date as rows arrive (never a rescan per frame).
pub struct ConvIndex {
    pub key: FlowKey,
    pub seqs: Vec<u64>,
    /// The next sequence number to look at.
    pub scanned: u64,
}

impl ConvIndex {
    pub fn update(&mut self, store: &LogStore) {
        let start = store.iter().next().map_or(self.scanned, |r| r.seq.max(self.scanned));
        for seq in start..store.next_seq() {
            if let Some(r) = store.get_seq(seq)
                && FlowKey::of(&r.event) == Some(self.key)
            {
                self.seqs.push(seq);
            }
        }
        self.scanned = store.next_seq();
        // Forget rows the store evicted.
        if let Some(first) = store.iter().next().map(|r| r.seq) {
            let keep_from = self.seqs.partition_point(|s| *s < first);
            self.seqs.drain(..keep_from);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Proto;

    fn ev(kind: EventKind, peer: &str) -> Event {
        Event {
            time: jiff::Timestamp::now(),
            tab: 0,
            source: 0,
            proto: Proto::Udp,
            conn: None,
            local: None,
            peer: peer.parse().ok(),
            kind,
        }
    }

    #[test]
    fn filters_by_direction_peer_text_hex_and_regex() {
        let mut store = LogStore::default();
        store.push(ev(EventKind::Rx { data: b"Hello World".to_vec(), lost: 0 }, "127.0.0.1:1000"));
        store.push(ev(EventKind::Tx { data: b"bye".to_vec() }, "127.0.0.1:2000"));
        store.push(ev(EventKind::HalfClosed, "127.0.0.1:2000"));
        store.push(ev(EventKind::Rx { data: "你好".as_bytes().to_vec(), lost: 0 }, "127.0.0.1:1000"));
        let seqs = |f: Filter| {
            let mut i = FilterIndex::new(&f, Encoding::Utf8, &store).unwrap();
            i.update(&store);
            i.seqs
        };
        assert_eq!(seqs(Filter { text: "world".into(), ..Filter::default() }), vec![1]);
        assert_eq!(seqs(Filter { text: "62 79 65".into(), ..Filter::default() }), vec![2], "hex bytes of 'bye'");
        assert_eq!(seqs(Filter { text: "^H.*d$".into(), regex: true, ..Filter::default() }), vec![1]);
        assert_eq!(seqs(Filter { direction: Direction::Rx, ..Filter::default() }), vec![1, 4]);
        assert_eq!(seqs(Filter { direction: Direction::Events, ..Filter::default() }), vec![3]);
        assert_eq!(seqs(Filter { peer: ":2000".into(), ..Filter::default() }), vec![2, 3]);
        assert_eq!(seqs(Filter { text: "你".into(), ..Filter::default() }), vec![4]);
        assert!(
            FilterIndex::new(&Filter { text: "(".into(), regex: true, ..Filter::default() }, Encoding::Utf8, &store)
                .is_err()
        );
    }

    #[test]
    fn filters_by_tab_kind_and_clear_point() {
        use crate::engine::CloseReason;
        let mut store = LogStore::default();
        let local = "127.0.0.1:9".parse().unwrap();
        let mut push = |tab: u16, kind: EventKind| {
            let mut e = ev(kind, "127.0.0.1:1000");
            e.tab = tab;
            store.push(e);
        };
        push(1, EventKind::Listening { local });
        push(2, EventKind::Connected { local, inbound: true, tls: None });
        push(2, EventKind::Rx { data: b"x".to_vec(), lost: 0 });
        push(2, EventKind::Closed { reason: CloseReason::Reset });
        push(3, EventKind::Closed { reason: CloseReason::PeerClosed });
        push(3, EventKind::Error(crate::engine::Problem::NotConnected));
        let seqs = |f: Filter| {
            let mut i = FilterIndex::new(&f, Encoding::Utf8, &store).unwrap();
            i.update(&store);
            i.seqs
        };
        assert_eq!(seqs(Filter { tab: Some(2), ..Filter::default() }), vec![2, 3, 4]);
        assert_eq!(seqs(Filter { direction: Direction::Connects, ..Filter::default() }), vec![2]);
        assert_eq!(seqs(Filter { direction: Direction::Resets, ..Filter::default() }), vec![4]);
        assert_eq!(seqs(Filter { direction: Direction::Closes, ..Filter::default() }), vec![5]);
        assert_eq!(seqs(Filter { direction: Direction::Errors, ..Filter::default() }), vec![6]);
        assert_eq!(seqs(Filter { direction: Direction::Info, ..Filter::default() }), vec![1]);
        assert_eq!(seqs(Filter { direction: Direction::Events, ..Filter::default() }), vec![1, 2, 4, 5, 6]);
        // Clear hides what came before; the tab scope still applies.
        assert_eq!(seqs(Filter { tab: Some(2), from_seq: 3, ..Filter::default() }), vec![3, 4]);
        assert!(Filter { from_seq: 3, ..Filter::default() }.is_active());
        assert!(!Filter { tab: Some(1), ..Filter::default() }.narrows());
    }

    #[test]
    fn index_grows_incrementally_and_scans_in_slices() {
        let mut store = LogStore::with_budget(usize::MAX);
        for i in 0..(SCAN_PER_FRAME * 2 + 10) {
            let data = if i % 2 == 0 { b"even".to_vec() } else { b"odd".to_vec() };
            store.push(ev(EventKind::Rx { data, lost: 0 }, "127.0.0.1:1"));
        }
        let f = Filter { text: "even".into(), ..Filter::default() };
        let mut idx = FilterIndex::new(&f, Encoding::Utf8, &store).unwrap();
        assert!(idx.update(&store) < 0.6);
        assert!(!idx.caught_up(&store));
        // Each call does a slice (rows or time, whichever ends first) until caught up.
        let mut calls = 1;
        while !idx.caught_up(&store) {
            idx.update(&store);
            calls += 1;
            assert!(calls < 10_000);
        }
        assert!(calls >= 3);
        assert_eq!(idx.update(&store), 1.0);
        assert!(idx.caught_up(&store));
        assert_eq!(idx.seqs.len() as u64, SCAN_PER_FRAME + 5);
        store.push(ev(EventKind::Rx { data: b"even again".to_vec(), lost: 0 }, "127.0.0.1:1"));
        idx.update(&store);
        assert_eq!(idx.seqs.last().copied(), Some(store.next_seq() - 1));
    }
}
