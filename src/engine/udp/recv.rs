//! Receiving: reading what waits on the socket in batches, logging each datagram and answering
//! it by the rules or the auto-reply.

use std::io;
use std::net::{IpAddr, SocketAddr};

use super::{EventKind, Op, READ_BATCH, Received, Worker};

impl Worker {
    /// Reads up to `READ_BATCH` datagrams; true if there may be more.
    pub(super) fn read_batch(&mut self) -> bool {
        let mut read = 0;
        while read < READ_BATCH {
            match self.recv_some() {
                Ok(got) => {
                    read += got.len().max(1);
                    for (data, lost, peer, dst) in got {
                        self.received(data, lost, peer, dst);
                        if !self.alive {
                            return false;
                        }
                    }
                }
                Err(e) if crate::engine::would_block(&e) => return false,
                Err(e) if crate::engine::interrupted(&e) => {}
                Err(e) => {
                    // E.g. an ICMP error reported on a connected socket; report it and keep going.
                    let p = self.io_problem(Op::Recv, None, &e);
                    self.problem(p);
                    return false;
                }
            }
        }
        true
    }

    /// Receives what is waiting: several datagrams with one `recvmmsg` on Linux, one elsewhere.
    /// Each comes with the bytes that did not fit the buffer and its sender. The caller reads
    /// until `WouldBlock`: epoll is edge-triggered, so the socket is reported readable again only
    /// after its queue was read empty.
    #[cfg(target_os = "linux")]
    fn recv_some(&mut self) -> io::Result<Received> {
        let n = self.batch.recv(&self.sock)?;
        Ok((0..n)
            .filter_map(|i| self.batch.get(i))
            .filter_map(|g| Some((g.data.to_vec(), g.real.saturating_sub(g.data.len()), g.peer?, g.dst)))
            .collect())
    }

    #[cfg(not(target_os = "linux"))]
    fn recv_some(&mut self) -> io::Result<Received> {
        let (n, real_len, peer) = recv_from(&self.sock, &mut self.buf)?;
        Ok(vec![(self.buf[..n].to_vec(), real_len.saturating_sub(n), peer, None)])
    }

    /// One datagram: logged (its event's `local` is the address it was sent to: the group, the
    /// broadcast address or ours, with our port), answered by the rules or the auto-reply.
    pub(super) fn received(&mut self, data: Vec<u8>, lost: usize, peer: SocketAddr, dst: Option<IpAddr>) {
        let action = self.reply.respond(&data, self.encoding, Some(peer));
        let local = match dst {
            // A dual-stack socket sees IPv4 peers as ::ffff:a.b.c.d: the destination too.
            Some(IpAddr::V4(ip)) if self.local.is_ipv6() => {
                SocketAddr::new(ip.to_ipv6_mapped().into(), self.local.port())
            }
            Some(ip) => SocketAddr::new(ip, self.local.port()),
            None => self.local,
        };
        self.alive &= self.sink.emit_local(Some(local), None, Some(peer), EventKind::Rx { data, lost });
        if let Some(p) = action.problem {
            self.problem(p);
        }
        if let Some(r) = action.reply {
            self.send(peer, r);
        }
    }
}

/// Receives one datagram: (bytes copied, the datagram's real length, sender).
#[cfg(not(target_os = "linux"))]
fn recv_from(sock: &mio::net::UdpSocket, buf: &mut [u8]) -> io::Result<(usize, usize, SocketAddr)> {
    let (n, peer) = sock.recv_from(buf)?;
    Ok((n, n, peer))
}
