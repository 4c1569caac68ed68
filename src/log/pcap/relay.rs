//! A relay's rows as packets: each relayed connection is two real flows on the wire, client ⇄
//! relay and relay ⇄ upstream, so Wireshark can follow both. A read from one side is written as
//! it arrived on its own flow and as it left on the other; a UDP datagram a fault dropped leaves
//! nothing on the second flow (one cut short or sent twice shows so), and what every fault did
//! is in the log itself.

use std::io::{self, Write};
use std::net::SocketAddr;

use super::{PcapWriter, Transport, Written, endpoints, unspecified};
use crate::engine::relay::FaultAction;
use crate::engine::{Event, EventKind, Proto};
use crate::vocab::Dir;

/// The second flow of relay connection `conn` gets this bit in its key.
const UPSTREAM_FLOW: u64 = 1 << 62;

/// A datagram on its way out of the relay, written once the next event says no fault dropped it.
pub(super) struct Pending {
    ev: Event,
    conn: u64,
    dir: Dir,
    src: SocketAddr,
    dst: SocketAddr,
    data: Vec<u8>,
    copies: u8,
    /// The comments of its row (pcapng), kept for when it is written.
    notes: Vec<String>,
}

impl<W: Write> PcapWriter<W> {
    /// `Some` when `ev` is a relay row (written here), `None` for every other event.
    pub(super) fn write_relay(&mut self, ev: &Event) -> io::Result<Option<Written>> {
        let relay = matches!(
            ev.kind,
            EventKind::Relayed { .. } | EventKind::Fault { .. } | EventKind::UpstreamConnected { .. }
        );
        let closing_relay =
            matches!(ev.kind, EventKind::Closed { .. }) && ev.conn.is_some_and(|c| self.relays.contains_key(&(ev.source, c)));
        if !relay && !closing_relay {
            self.flush_pending()?;
            return Ok(None);
        }
        let before = self.packets;
        match ev.proto {
            Proto::Tcp => self.relay_tcp(ev)?,
            Proto::Udp => self.relay_udp(ev)?,
        }
        Ok(Some(if self.packets > before { Written::Packets(self.packets - before) } else { Written::NotTraffic }))
    }

    fn relay_tcp(&mut self, ev: &Event) -> io::Result<()> {
        let (Some(conn), Some(client)) = (ev.conn, ev.peer) else { return Ok(()) };
        let upstream_side = |kind: EventKind, upstream: SocketAddr| Event {
            conn: Some(conn | UPSTREAM_FLOW),
            peer: Some(upstream),
            kind,
            ..ev.clone()
        };
        let client_side = |kind: EventKind| Event { peer: Some(client), kind, ..ev.clone() };
        match &ev.kind {
            EventKind::UpstreamConnected { local, upstream } => {
                self.relays.insert((ev.source, conn), (*local, *upstream));
                self.write_tcp(&upstream_side(EventKind::Connected { local: *local, inbound: false, tls: None }, *upstream))?;
            }
            EventKind::Relayed { dir, data, upstream } => {
                let (first, second) = match dir {
                    Dir::Up => (
                        client_side(EventKind::Rx { data: data.clone(), lost: 0 }),
                        upstream_side(EventKind::Tx { data: data.clone() }, *upstream),
                    ),
                    Dir::Down => (
                        upstream_side(EventKind::Rx { data: data.clone(), lost: 0 }, *upstream),
                        client_side(EventKind::Tx { data: data.clone() }),
                    ),
                };
                self.write_tcp(&first)?;
                if self.relays.contains_key(&(ev.source, conn)) {
                    self.write_tcp(&second)?;
                }
            }
            EventKind::Closed { reason } => {
                self.write_tcp(ev)?;
                if let Some((_, upstream)) = self.relays.remove(&(ev.source, conn)) {
                    self.write_tcp(&upstream_side(EventKind::Closed { reason: *reason }, upstream))?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn relay_udp(&mut self, ev: &Event) -> io::Result<()> {
        let Some(conn) = ev.conn else { return Ok(()) };
        match &ev.kind {
            EventKind::UpstreamConnected { local, upstream } => {
                self.flush_pending()?;
                self.relays.insert((ev.source, conn), (*local, *upstream));
            }
            EventKind::Relayed { dir, data, upstream } => {
                self.flush_pending()?;
                let Some(client) = ev.peer else { return Ok(()) };
                let listen = self.udp_local.get(&ev.source).copied().unwrap_or_else(|| unspecified(client));
                let session = self.relays.get(&(ev.source, conn)).map_or_else(|| unspecified(*upstream), |(l, _)| *l);
                let (listen, client) = endpoints(listen, client);
                let (session, upstream) = endpoints(session, *upstream);
                let (arrived, left) = match dir {
                    Dir::Up => ((client, listen), (session, upstream)),
                    Dir::Down => ((upstream, session), (listen, client)),
                };
                self.packet(ev, false, arrived.0, arrived.1, Transport::Udp, data)?;
                self.pending =
                    Some(Pending { ev: ev.clone(), conn, dir: *dir, src: left.0, dst: left.1, data: data.clone(), copies: 1, notes: self.notes.clone() });
            }
            EventKind::Fault { dir, action, .. } => {
                let same = self.pending.as_ref().is_some_and(|p| p.conn == conn && p.dir == *dir);
                match (action, same) {
                    (FaultAction::Dropped { .. }, true) => self.pending = None,
                    (FaultAction::Truncated { to, .. }, true) => {
                        if let Some(p) = &mut self.pending {
                            p.data.truncate(*to);
                        }
                    }
                    (FaultAction::Duplicated { .. }, true) => {
                        if let Some(p) = &mut self.pending {
                            p.copies = 2;
                        }
                    }
                    _ => {}
                }
            }
            EventKind::Closed { .. } => {
                self.flush_pending()?;
                self.relays.remove(&(ev.source, conn));
            }
            _ => {}
        }
        Ok(())
    }

    /// Writes the datagram waiting to leave the relay (no fault dropped it).
    pub(super) fn flush_pending(&mut self) -> io::Result<()> {
        if let Some(p) = self.pending.take() {
            let row_notes = std::mem::replace(&mut self.notes, p.notes);
            let mut written = Ok(());
            for _ in 0..p.copies {
                written = written.and_then(|()| self.packet(&p.ev, true, p.src, p.dst, Transport::Udp, &p.data));
            }
            self.notes = row_notes;
            written?;
        }
        Ok(())
    }
}
