//! Receiving several datagrams with one system call (`recvmmsg`, Linux): under a flood the UDP
//! worker spends its time on the datagrams, not on one `recvfrom` call each. The traffic
//! generator sends the same way (`sendmmsg`).
//!
//! Each datagram comes with the address it was sent to (IP_PKTINFO / IPV6_PKTINFO control
//! messages, see [`want_destination`]): a socket bound to `0.0.0.0` learns whether a datagram
//! came to 127.0.0.1, to a multicast group or to a broadcast address.

#![allow(clippy::indexing_slicing, reason = "indices below the batch size the recvmmsg/sendmmsg arrays were made with")]

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::AsRawFd;

/// Room for this many bytes of datagrams per call: 64 datagrams of the default 64 KiB buffer.
/// The memory is allocated zeroed, so pages the kernel never writes (the rest of each slot
/// after a small datagram) are never backed by RAM.
const BATCH_BYTES: usize = 4 * 1024 * 1024;
/// At most this many datagrams per call.
const MAX_BATCH: usize = 64;
/// Room for the control messages of one datagram, in 8-byte words: an `in_pktinfo` (12 bytes)
/// and an `in6_pktinfo` (20 bytes), each with its 16-byte header, fit in 80 bytes.
const CONTROL_WORDS: usize = 16;

/// Asks the kernel to tell the destination address of every datagram (IP_PKTINFO, and for an
/// IPv6 socket IPV6_RECVPKTINFO too: a dual-stack socket gets IPv4 datagrams with IP_PKTINFO).
pub(crate) fn want_destination(sock: &impl AsRawFd, ipv6: bool) -> io::Result<()> {
    let on: libc::c_int = 1;
    let set = |level: libc::c_int, name: libc::c_int| {
        // SAFETY: setsockopt reads `size_of::<c_int>()` bytes from `&on`, which lives across the call.
        let r = unsafe {
            libc::setsockopt(
                sock.as_raw_fd(),
                level,
                name,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        if r == 0 { Ok(()) } else { Err(io::Error::last_os_error()) }
    };
    let v4 = set(libc::IPPROTO_IP, libc::IP_PKTINFO);
    if ipv6 { set(libc::IPPROTO_IPV6, libc::IPV6_RECVPKTINFO) } else { v4 }
}

/// Buffers for one `recvmmsg` call and what it received.
pub(crate) struct Batch {
    /// `slots` buffers of `size` bytes, one after the other.
    bufs: Vec<u8>,
    size: usize,
    slots: usize,
    addrs: Vec<libc::sockaddr_storage>,
    iovs: Vec<libc::iovec>,
    msgs: Vec<libc::mmsghdr>,
    /// Control-message buffers, one per slot (8-byte words, for the alignment cmsghdr needs).
    controls: Vec<[u64; CONTROL_WORDS]>,
    /// Datagrams in the buffers after the last call.
    got: usize,
}

impl Batch {
    /// Buffers for datagrams of up to `size` bytes each (longer ones are cut, and the real
    /// length reported).
    pub fn new(size: usize) -> Batch {
        let size = size.max(1);
        let slots = (BATCH_BYTES / size).clamp(1, MAX_BATCH);
        // SAFETY: these are plain C structs for which all-zero bytes are a valid value.
        let (addr, iov, msg) = unsafe {
            (
                std::mem::zeroed::<libc::sockaddr_storage>(),
                std::mem::zeroed::<libc::iovec>(),
                std::mem::zeroed::<libc::mmsghdr>(),
            )
        };
        Batch {
            bufs: vec![0; size * slots],
            size,
            slots,
            addrs: vec![addr; slots],
            iovs: vec![iov; slots],
            msgs: vec![msg; slots],
            controls: vec![[0; CONTROL_WORDS]; slots],
            got: 0,
        }
    }

    /// Receives what is waiting, up to the batch's size, without blocking. Returns how many
    /// datagrams arrived (at least one), or the error (`WouldBlock` when there were none).
    pub fn recv(&mut self, sock: &impl AsRawFd) -> io::Result<usize> {
        self.got = 0;
        // The pointers are set anew for every call, so moving the Batch never leaves one stale.
        for i in 0..self.slots {
            self.iovs[i] = libc::iovec {
                // SAFETY: `i * size` is within `bufs` (which has `slots * size` bytes).
                iov_base: unsafe { self.bufs.as_mut_ptr().add(i * self.size) }.cast(),
                iov_len: self.size,
            };
            let hdr = &mut self.msgs[i].msg_hdr;
            hdr.msg_name = (&mut self.addrs[i] as *mut libc::sockaddr_storage).cast();
            hdr.msg_namelen = std::mem::size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            hdr.msg_iov = &mut self.iovs[i];
            hdr.msg_iovlen = 1;
            hdr.msg_control = self.controls[i].as_mut_ptr().cast();
            hdr.msg_controllen = std::mem::size_of::<[u64; CONTROL_WORDS]>() as _;
            hdr.msg_flags = 0;
            self.msgs[i].msg_len = 0;
        }
        // MSG_TRUNC: each msg_len is the datagram's real length, even when it did not fit.
        // SAFETY: `msgs` holds `slots` headers, each pointing at its own iovec (into `bufs`)
        // and its own address buffer, all alive and not otherwise borrowed during the call.
        let n = unsafe {
            libc::recvmmsg(
                sock.as_raw_fd(),
                self.msgs.as_mut_ptr(),
                self.slots as _,
                (libc::MSG_TRUNC | libc::MSG_DONTWAIT) as _,
                std::ptr::null_mut(),
            )
        };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        self.got = n as usize;
        Ok(self.got)
    }

    /// Datagram `i` of the last call: its bytes (cut to the buffer), its real length, who
    /// sent it (`None` for an address that is not IP, which UDP sockets never report) and the
    /// address it was sent to (`None` unless [`want_destination`] was set on the socket).
    pub fn get(&self, i: usize) -> Option<Received<'_>> {
        if i >= self.got {
            return None;
        }
        let real = self.msgs[i].msg_len as usize;
        let start = i * self.size;
        let data = self.bufs.get(start..start + real.min(self.size))?;
        Some(Received { data, real, peer: socket_addr(&self.addrs[i]), dst: destination(&self.msgs[i].msg_hdr) })
    }
}

/// One datagram of a [`Batch`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Received<'a> {
    /// Its bytes, cut to the buffer.
    pub data: &'a [u8],
    /// Its real length.
    pub real: usize,
    /// Who sent it.
    pub peer: Option<SocketAddr>,
    /// The address it was sent to: ours, a multicast group or a broadcast address.
    pub dst: Option<IpAddr>,
}

/// The destination address in a received message's IP_PKTINFO / IPV6_PKTINFO control message.
fn destination(hdr: &libc::msghdr) -> Option<IpAddr> {
    // SAFETY: `hdr` is a header the kernel filled in: its control pointer and length describe
    // the control messages it wrote into our buffer (its length was cut to what fits).
    // CMSG_FIRSTHDR/CMSG_NXTHDR stay within that length, and each message's data is read only
    // when its length covers the struct read (unaligned reads, so alignment does not matter).
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(hdr);
        while !c.is_null() {
            let (level, kind, len) = ((*c).cmsg_level, (*c).cmsg_type, (*c).cmsg_len as usize);
            let data = libc::CMSG_DATA(c);
            if level == libc::IPPROTO_IP
                && kind == libc::IP_PKTINFO
                && len >= libc::CMSG_LEN(std::mem::size_of::<libc::in_pktinfo>() as u32) as usize
            {
                let info = std::ptr::read_unaligned(data.cast::<libc::in_pktinfo>());
                return Some(IpAddr::V4(Ipv4Addr::from(u32::from_be(info.ipi_addr.s_addr))));
            }
            if level == libc::IPPROTO_IPV6
                && kind == libc::IPV6_PKTINFO
                && len >= libc::CMSG_LEN(std::mem::size_of::<libc::in6_pktinfo>() as u32) as usize
            {
                let info = std::ptr::read_unaligned(data.cast::<libc::in6_pktinfo>());
                return Some(IpAddr::V6(Ipv6Addr::from(info.ipi6_addr.s6_addr)));
            }
            c = libc::CMSG_NXTHDR(hdr, c);
        }
    }
    None
}

/// The largest batch [`send_repeated`] sends with one call.
pub(crate) const SEND_BATCH: usize = 64;

/// Sends `data` to `to` `n` times (at most [`SEND_BATCH`]) with one `sendmmsg` call, without
/// blocking. Returns how many datagrams the kernel took (at least one), or the error of the
/// first (`WouldBlock` when the send buffer is full). An error after the first datagram ends the
/// batch early; the next call reports it.
pub(crate) fn send_repeated(sock: &impl AsRawFd, data: &[u8], to: SocketAddr, n: usize) -> io::Result<usize> {
    let n = n.clamp(1, SEND_BATCH);
    let addr = socket2::SockAddr::from(to);
    let mut iov = libc::iovec { iov_base: data.as_ptr().cast_mut().cast(), iov_len: data.len() };
    // SAFETY: a plain C struct for which all-zero bytes are a valid value.
    let mut msgs: [libc::mmsghdr; SEND_BATCH] = unsafe { std::mem::zeroed() };
    for m in &mut msgs[..n] {
        // The kernel only reads through these pointers (the address and the bytes to send).
        m.msg_hdr.msg_name = addr.as_ptr().cast_mut().cast();
        m.msg_hdr.msg_namelen = addr.len();
        m.msg_hdr.msg_iov = &mut iov;
        m.msg_hdr.msg_iovlen = 1;
    }
    // SAFETY: the first `n` headers point at `iov` (which points into `data`) and at `addr`,
    // all alive and unchanged during the call.
    let sent = unsafe { libc::sendmmsg(sock.as_raw_fd(), msgs.as_mut_ptr(), n as _, libc::MSG_DONTWAIT as _) };
    if sent < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(sent as usize)
}

/// A C socket address as a Rust one.
fn socket_addr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
    match s.ss_family as libc::c_int {
        libc::AF_INET => {
            // SAFETY: the family says the storage holds a sockaddr_in, which it is large enough for.
            let a = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in>() };
            let ip = Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr));
            Some(SocketAddr::V4(SocketAddrV4::new(ip, u16::from_be(a.sin_port))))
        }
        libc::AF_INET6 => {
            // SAFETY: as above, for sockaddr_in6.
            let a = unsafe { &*(s as *const libc::sockaddr_storage).cast::<libc::sockaddr_in6>() };
            let ip = Ipv6Addr::from(a.sin6_addr.s6_addr);
            Some(SocketAddr::V6(SocketAddrV6::new(ip, u16::from_be(a.sin6_port), a.sin6_flowinfo, a.sin6_scope_id)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receives_a_batch_with_peers_lengths_and_truncation() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        let mut b = Batch::new(8);
        assert_eq!(b.recv(&rx).unwrap_err().kind(), io::ErrorKind::WouldBlock);
        for i in 0..10u8 {
            tx.send_to(&[i; 3], to).unwrap();
        }
        tx.send_to(b"longer than eight", to).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut seen = Vec::new();
        while let Ok(n) = b.recv(&rx) {
            for i in 0..n {
                let got = b.get(i).unwrap();
                assert_eq!(got.peer, Some(tx.local_addr().unwrap()));
                assert_eq!(got.dst, None, "not asked for");
                seen.push((got.data.to_vec(), got.real));
            }
        }
        assert_eq!(seen.len(), 11, "every datagram, in order");
        assert_eq!(seen[4], (vec![4, 4, 4], 3));
        assert_eq!(seen[10], (b"longer t".to_vec(), 17), "cut to the buffer, real length kept");
        assert!(b.get(11).is_none());
    }

    #[test]
    fn sends_a_batch_of_the_same_datagram() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let to = rx.local_addr().unwrap();
        assert_eq!(send_repeated(&tx, b"again", to, 10).unwrap(), 10);
        assert_eq!(send_repeated(&tx, b"capped", to, 1000).unwrap(), SEND_BATCH);
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut b = Batch::new(16);
        let mut seen = Vec::new();
        while let Ok(n) = b.recv(&rx) {
            seen.extend((0..n).map(|i| b.get(i).unwrap().data.to_vec()));
        }
        assert_eq!(seen.len(), 10 + SEND_BATCH);
        assert!(seen[..10].iter().all(|d| d == b"again"));
        assert!(seen[10..].iter().all(|d| d == b"capped"));
        // An IPv4 socket cannot send to an IPv6 address: the error of the first datagram.
        assert!(send_repeated(&tx, b"x", "[::1]:9".parse().unwrap(), 3).is_err());
    }

    #[test]
    fn ipv6_peers_keep_their_address() {
        let Ok(rx) = std::net::UdpSocket::bind("[::1]:0") else { return };
        rx.set_nonblocking(true).unwrap();
        let tx = std::net::UdpSocket::bind("[::1]:0").unwrap();
        tx.send_to(b"six", rx.local_addr().unwrap()).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let mut b = Batch::new(65_536);
        assert_eq!(b.recv(&rx).unwrap(), 1);
        let got = b.get(0).unwrap();
        assert_eq!((got.data, got.real, got.peer), (&b"six"[..], 3, Some(tx.local_addr().unwrap())));
    }

    #[test]
    fn each_datagram_says_where_it_was_sent() {
        // Bound to the wildcard address: unicast and broadcast datagrams both reach it.
        let rx = std::net::UdpSocket::bind("0.0.0.0:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        want_destination(&rx, false).unwrap();
        let port = rx.local_addr().unwrap().port();
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        tx.set_broadcast(true).unwrap();
        tx.send_to(b"unicast", ("127.0.0.1", port)).unwrap();
        tx.send_to(b"to all", ("127.255.255.255", port)).unwrap();
        tx.send_to(b"other", ("127.0.0.2", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut b = Batch::new(64);
        let mut seen = Vec::new();
        while let Ok(n) = b.recv(&rx) {
            seen.extend((0..n).map(|i| b.get(i).map(|g| (g.data.to_vec(), g.dst)).unwrap()));
        }
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        assert_eq!(
            seen,
            vec![
                (b"unicast".to_vec(), ip("127.0.0.1")),
                (b"to all".to_vec(), ip("127.255.255.255")),
                (b"other".to_vec(), ip("127.0.0.2")),
            ]
        );
        // IPv6, and IPv4 on a dual-stack socket.
        let Ok(rx6) = std::net::UdpSocket::bind("[::]:0") else { return };
        rx6.set_nonblocking(true).unwrap();
        want_destination(&rx6, true).unwrap();
        let port = rx6.local_addr().unwrap().port();
        if let Ok(tx6) = std::net::UdpSocket::bind("[::1]:0") {
            tx6.send_to(b"six", ("::1", port)).unwrap();
        }
        tx.send_to(b"four", ("127.0.0.1", port)).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(50));
        let mut seen = Vec::new();
        while let Ok(n) = b.recv(&rx6) {
            seen.extend((0..n).map(|i| b.get(i).map(|g| (g.data.to_vec(), g.dst)).unwrap()));
        }
        // The kernel gives it as the IPv4-mapped address, like the peer's.
        assert!(seen.contains(&(b"four".to_vec(), ip("::ffff:127.0.0.1"))), "{seen:?}");
        assert!(seen.iter().all(|(d, dst)| d != b"six" || *dst == ip("::1")), "{seen:?}");
    }
}
