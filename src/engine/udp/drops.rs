//! The kernel's count of datagrams it dropped on a UDP socket, watched and reported at a bounded
//! rate.

#![allow(clippy::indexing_slicing, reason = "the index is checked against the length the kernel returned")]

use std::time::{Duration, Instant};

use super::DROPS_REPORT_INTERVAL;

/// Watches the kernel's count of datagrams it dropped for this socket because the receive
/// buffer was full. It looks at most every [`DROPS_LOOK_INTERVAL`] while datagrams arrive (one
/// system call, not one per read), and reports growth at most once per
/// [`DROPS_REPORT_INTERVAL`].
pub(super) struct Drops {
    /// The counter as last read (the kernel's is 32 bits and wraps).
    raw: u32,
    /// Drops since the socket was opened.
    total: u64,
    reported: u64,
    last_look: Option<Instant>,
    last_report: Option<Instant>,
    /// Datagrams came in since the last look, or the last look found the count growing, so it
    /// may have grown since.
    pub(super) due: bool,
}

/// How often the drop counter is read, at most, while datagrams arrive.
const DROPS_LOOK_INTERVAL: Duration = Duration::from_millis(100);

impl Drops {
    pub(super) fn new(sock: &mio::net::UdpSocket) -> Drops {
        Drops {
            raw: kernel_drops(sock).unwrap_or(0),
            total: 0,
            reported: 0,
            last_look: None,
            last_report: None,
            due: false,
        }
    }

    /// How long until something is to be done: a look at the counter or a held-back report
    /// (`None`: nothing to do).
    pub(super) fn wait(&self, now: Instant) -> Option<Duration> {
        let after = |last: Option<Instant>, every: Duration| {
            last.map_or(Duration::ZERO, |t| (t + every).saturating_duration_since(now))
        };
        let look = self.due.then(|| after(self.last_look, DROPS_LOOK_INTERVAL));
        let report = (self.total > self.reported).then(|| after(self.last_report, DROPS_REPORT_INTERVAL));
        crate::engine::sooner(look, report)
    }

    /// Lets the next check look and report at once (before the worker ends).
    pub(super) fn flush_pending(&mut self) {
        self.due = true;
        self.last_look = None;
        self.last_report = None;
    }

    /// The new total when it grew and may be reported now.
    pub(super) fn check(&mut self, sock: &mio::net::UdpSocket, now: Instant) -> Option<u64> {
        if self.due && self.last_look.is_none_or(|t| now >= t + DROPS_LOOK_INTERVAL) {
            self.due = false;
            self.last_look = Some(now);
            if let Some(raw) = kernel_drops(sock) {
                let grew = raw != self.raw;
                self.total += u64::from(raw.wrapping_sub(self.raw));
                self.raw = raw;
                // Still growing: look again, datagrams or not. A datagram dropped for a full
                // buffer wakes nobody, so the reads alone may not bring the next look.
                self.due = grew;
            }
        }
        if self.total <= self.reported || self.last_report.is_some_and(|t| now < t + DROPS_REPORT_INTERVAL) {
            return None;
        }
        self.reported = self.total;
        self.last_report = Some(now);
        Some(self.total)
    }
}

/// The kernel's count of datagrams dropped on this socket (`sk_drops`, the `drops` column of
/// /proc/net/udp), read with getsockopt(SO_MEMINFO). `None` where unavailable.
#[cfg(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
))]
fn kernel_drops(sock: &mio::net::UdpSocket) -> Option<u32> {
    use std::os::fd::AsRawFd;
    /// From <asm-generic/socket.h> (the libc crate lacks it for these targets).
    const SO_MEMINFO: libc::c_int = 55;
    let mut info = [0u32; 16];
    let mut len = std::mem::size_of_val(&info) as libc::socklen_t;
    // SAFETY: `info` is writable for `len` bytes, and the kernel writes at most `len` bytes and
    // stores the length it wrote in `len`.
    let r =
        unsafe { libc::getsockopt(sock.as_raw_fd(), libc::SOL_SOCKET, SO_MEMINFO, info.as_mut_ptr().cast(), &mut len) };
    let i = libc::SK_MEMINFO_DROPS as usize;
    (r == 0 && len as usize >= (i + 1) * 4).then(|| info[i])
}

#[cfg(not(all(
    target_os = "linux",
    not(any(
        target_arch = "mips",
        target_arch = "mips64",
        target_arch = "mips32r6",
        target_arch = "mips64r6",
        target_arch = "sparc",
        target_arch = "sparc64"
    ))
)))]
fn kernel_drops(_sock: &mio::net::UdpSocket) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_are_looked_at_every_100_ms_and_reported_every_second() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let sock = mio::net::UdpSocket::from_std(rx);
        let mut d = Drops::new(&sock);
        let t0 = Instant::now();
        assert_eq!(d.wait(t0), None, "nothing arrived: nothing to do");
        d.due = true;
        assert_eq!(d.wait(t0), Some(Duration::ZERO), "the first look is at once");
        assert_eq!(d.check(&sock, t0), None, "no drops");
        d.due = true;
        assert_eq!(d.wait(t0 + Duration::from_millis(40)), Some(Duration::from_millis(60)));
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(40)), None);
        assert!(d.due, "too early to look: still due");
        // Growth found by a look is reported, then held back for a second.
        d.total = 5;
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(100)), Some(5));
        d.total = 7;
        assert_eq!(d.wait(t0 + Duration::from_millis(600)), Some(Duration::from_millis(500)));
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(600)), None);
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(1100)), Some(7));
        assert_eq!(d.wait(t0 + Duration::from_millis(1100)), None, "reported and looked at: nothing to do");
        // At the end, what is held back is reported at once.
        d.total = 9;
        d.flush_pending();
        assert_eq!(d.check(&sock, t0 + Duration::from_millis(1200)), Some(9));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_growing_drop_count_is_looked_at_again_without_reads() {
        let rx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket2::SockRef::from(&rx).set_recv_buffer_size(1024).unwrap();
        let to = rx.local_addr().unwrap();
        let sock = mio::net::UdpSocket::from_std(rx);
        let mut d = Drops::new(&sock);
        let tx = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        for _ in 0..50 {
            tx.send_to(&[0; 64], to).unwrap();
        }
        let t0 = Instant::now();
        d.due = true;
        let first = d.check(&sock, t0).expect("a 2 KiB buffer drops most of 50 datagrams");
        assert!(first > 0);
        assert_eq!(d.wait(t0), Some(DROPS_LOOK_INTERVAL), "it grew: look again, whether datagrams come or not");
        assert_eq!(d.check(&sock, t0 + DROPS_LOOK_INTERVAL), None, "no growth since");
        assert!(!d.due);
    }
}
