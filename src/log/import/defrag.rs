//! Putting IP fragments back together, with etherparse's [`IpDefragBuf`], bounded: at most
//! [`MAX_DATAGRAMS`] datagrams and [`MAX_BYTES`] bytes wait for their missing fragments; past
//! that the oldest is given up. Fragments of datagrams that never become whole are counted
//! as [`SkipKind::Fragment`](super::SkipKind::Fragment).

use std::collections::HashMap;
use std::net::IpAddr;

use etherparse::defrag::IpDefragBuf;
use etherparse::{IpFragOffset, IpNumber};

use super::decode::Fragment;

/// Datagrams waiting for fragments at most.
pub(super) const MAX_DATAGRAMS: usize = 64;
/// Bytes of fragments held at most.
pub(super) const MAX_BYTES: usize = 4 * 1024 * 1024;

/// What tells the fragments of one datagram from others'.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
struct Key {
    src: IpAddr,
    dst: IpAddr,
    id: u32,
    protocol: u8,
}

struct Pending {
    buf: IpDefragBuf,
    /// When it started, to find the oldest.
    started: u64,
    /// Fragments and their bytes held.
    fragments: u64,
    bytes: usize,
}

/// What became of a fragment.
pub(super) enum Added {
    /// Its datagram is whole: the transport header and payload, and how many fragments it
    /// took.
    Whole(Vec<u8>, u64),
    /// Held until the rest comes.
    Held,
    /// It does not fit its datagram: the datagram (this many fragments, this one included) is
    /// dropped.
    Bad(u64),
}

/// The datagrams being put together.
#[derive(Default)]
pub(super) struct Defrag {
    pending: HashMap<Key, Pending>,
    started: u64,
    bytes: usize,
}

impl Defrag {
    /// Adds a fragment. The second value counts the fragments of older datagrams given up to
    /// make room.
    pub(super) fn add(&mut self, f: &Fragment<'_>) -> (Added, u64) {
        let key = Key { src: f.src, dst: f.dst, id: f.id, protocol: f.protocol };
        let mut given_up = 0;
        if !self.pending.contains_key(&key) {
            while self.pending.len() >= MAX_DATAGRAMS || self.bytes.saturating_add(f.payload.len()) > MAX_BYTES {
                let Some(n) = self.drop_oldest() else { break };
                given_up += n;
            }
            self.started += 1;
            let buf = IpDefragBuf::new(IpNumber(f.protocol), Vec::new(), Vec::new());
            self.pending.insert(key, Pending { buf, started: self.started, fragments: 0, bytes: 0 });
        }
        let Some(p) = self.pending.get_mut(&key) else { return (Added::Held, given_up) };
        p.fragments += 1;
        p.bytes += f.payload.len();
        self.bytes += f.payload.len();
        let added = IpFragOffset::try_new(f.offset).ok().map(|offset| p.buf.add(offset, f.more, f.payload));
        let (fragments, bytes) = (p.fragments, p.bytes);
        match added {
            Some(Ok(())) if p.buf.is_complete() => {
                self.bytes = self.bytes.saturating_sub(bytes);
                let Some(done) = self.pending.remove(&key) else { return (Added::Held, given_up) };
                let (data, _) = done.buf.take_bufs();
                (Added::Whole(data, fragments), given_up)
            }
            Some(Ok(())) => (Added::Held, given_up),
            _ => {
                self.bytes = self.bytes.saturating_sub(bytes);
                self.pending.remove(&key);
                (Added::Bad(fragments), given_up)
            }
        }
    }

    /// Gives up the oldest datagram: its fragment count.
    fn drop_oldest(&mut self) -> Option<u64> {
        let key = *self.pending.iter().min_by_key(|(_, p)| p.started)?.0;
        let p = self.pending.remove(&key)?;
        self.bytes = self.bytes.saturating_sub(p.bytes);
        Some(p.fragments)
    }

    /// The fragments of datagrams still incomplete at the end of the capture.
    pub(super) fn finish(self) -> u64 {
        self.pending.values().map(|p| p.fragments).sum()
    }
}
