//! Fixed ports for the tests that need one (broadcast and multicast members share a port, a
//! restart binds the same port again): below 32768, free for both UDP and TCP, and never the same
//! twice in one test process.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};

/// The ports handed out: 20000–31999 (below the kernel's ephemeral range, 32768 and up).
const FIRST: u32 = 20_000;
const SPAN: u32 = 12_000;

/// How many ports this process has looked at so far.
static NEXT: AtomicU32 = AtomicU32::new(0);

/// A port free right now for UDP and TCP on every IPv4 address, never handed out before in this
/// process. Each test binary starts at its own place in the range (from its name), so binaries
/// run one after another rarely meet; the bind probe settles the rest.
pub fn free_port() -> u16 {
    let start = name_hash(env!("CARGO_CRATE_NAME")) % SPAN;
    for _ in 0..SPAN {
        let i = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = u16::try_from(FIRST + (start + i) % SPAN).expect("below 32768");
        if free_for_udp_and_tcp(port) {
            return port;
        }
    }
    panic!("no free port in {FIRST}..{}", FIRST + SPAN);
}

/// Binds (without SO_REUSEADDR, so a TIME_WAIT counts as taken) a UDP and a TCP socket on
/// 0.0.0.0:`port`, which conflicts with any socket on that port on an IPv4 address.
fn free_for_udp_and_tcp(port: u16) -> bool {
    use socket2::{Domain, Socket, Type};
    let addr: socket2::SockAddr = SocketAddr::from(([0, 0, 0, 0], port)).into();
    [Type::DGRAM, Type::STREAM]
        .into_iter()
        .all(|ty| Socket::new(Domain::IPV4, ty, None).is_ok_and(|s| s.bind(&addr).is_ok()))
}

/// FNV-1a of the test binary's name.
fn name_hash(name: &str) -> u32 {
    name.bytes().fold(2_166_136_261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16_777_619))
}
