//! Everything that can go wrong, as data. The words for each case live in `crate::i18n`
//! (`i18n::problem`), so the GUI can show them in the user's language and the CLI prints them in
//! English; nothing here builds a sentence. A `Problem` is also saved in the JSONL log (serde's
//! names below are part of that format: `log::format` pins them) and read back as it was.

use std::io;
use std::net::SocketAddr;

use serde::{Deserialize, Serialize};

use super::ConnId;

/// A socket operation, to say what was being tried when an error came.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Bind,
    Listen,
    Accept,
    Connect,
    Send,
    Recv,
    /// Setting a socket option.
    Option,
    /// Registering a socket with the worker's poller.
    Register,
    /// Reading a socket's local address.
    LocalAddr,
    /// Waiting for socket events (`poll`).
    Poll,
    /// Waking a worker from another thread.
    Wake,
    /// Starting a worker thread.
    Thread,
}

/// What the traffic generator's settings break (see `generator::GenSpec::check`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GenLimit {
    /// Neither a count nor a duration: it would never stop.
    Unbounded,
    /// The count is not 1 to `max`.
    Count { max: u64 },
    /// The duration is not more than 0 and at most `max_secs`.
    Duration { max_secs: u64 },
    /// A datagram (`stream` false) or a TCP message (`stream` true) that is not 1 to `max` bytes.
    Size { max: usize, stream: bool },
    /// The rate is not a positive number.
    Rate,
}

/// A field of a form, to say which one holds a value that cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Multicast TTL / hop limit.
    Ttl,
    /// Bytes read at once (recv buffer of the worker).
    RecvBuffer,
    /// SO_RCVBUF, bytes.
    SoRcvbuf,
    /// listen() backlog.
    Backlog,
    /// Clients at once.
    MaxClients,
    /// Bytes that may wait for one client, KiB.
    SendLimit,
    /// Connect timeout, ms.
    Timeout,
    /// Repeat: time between sends, ms.
    RepeatEvery,
    /// Repeat: how many sends.
    RepeatTimes,
    /// A log view's "keep last N rows".
    KeepLast,
    /// Traffic generator: message size, bytes.
    GenSize,
    /// Traffic generator: how many messages.
    GenCount,
    /// Traffic generator: how long, seconds.
    GenSeconds,
    /// Traffic generator: the rate.
    GenRate,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// A number typed in a form is not a whole number from `min` to `max` (the field's unit).
    OutOfRange { field: Field, min: u64, max: u64, got: String },
    /// A value typed in a form is not a positive number.
    NotPositive { field: Field, got: String },
    /// The address field is empty.
    EmptyAddress,
    /// `127.0.0.1` without `:port`.
    MissingPort(String),
    /// Not an address at all.
    BadAddress(String),
    /// Not a number in 0–65535.
    BadPort(String),
    /// A host name that does not resolve.
    UnknownHost(String),
    /// `fe80::1%name`: no interface has that name.
    UnknownInterface(String),
    /// Traffic generator settings out of bounds.
    Generator(GenLimit),
    /// Bind: another socket holds this address and port.
    AddrInUse(SocketAddr),
    /// Bind: ports below 1024 need administrator rights.
    PrivilegedPort(SocketAddr),
    /// Bind: that IP address does not belong to this machine.
    AddrNotAvailable(SocketAddr),
    /// Send: to a broadcast address without SO_BROADCAST.
    BroadcastDenied(SocketAddr),
    /// Connect: nothing listens there.
    Refused(SocketAddr),
    /// Connect: no answer within the timeout (milliseconds).
    ConnectTimeout(SocketAddr, u64),
    /// No route to that network or host.
    Unreachable(SocketAddr),
    /// The peer reset the connection.
    Reset(SocketAddr),
    /// A datagram of `len` bytes, larger than UDP allows: at most `max` bytes over IPv4
    /// (65,507) or, `ipv6`, over IPv6 (65,527). `len` is 0 when unknown.
    TooBig { len: usize, max: usize, ipv6: bool },
    /// UDP send with no destination filled in.
    NoDestination,
    /// TCP send while not connected.
    NotConnected,
    /// A client id that is not (or no longer) connected.
    NoSuchConnection(ConnId),
    /// The server turned a client away because `max` clients are connected.
    TooManyClients(usize),
    /// A client does not read what we send: `pending` bytes are waiting.
    ClientNotReading(usize),
    /// Bind: the port is held only by connections of an earlier run still in TIME_WAIT, and
    /// SO_REUSEADDR is off.
    AddrInTimeWait(SocketAddr),
    /// UDP: the peer answered a datagram with ICMP "port unreachable" (a connected UDP socket
    /// sees it as ECONNREFUSED): nothing listens there.
    NobodyListening(SocketAddr),
    /// UDP: the kernel dropped this many datagrams in total (since the socket was opened)
    /// because the socket's receive buffer was full.
    KernelDrops(u64),
    /// Accept: the process ran out of file descriptors (EMFILE/ENFILE); accepting is retried.
    TooManyOpenFiles,
    /// A bug: the worker panicked with this message and stopped; other workers are unaffected.
    WorkerPanicked(String),
    /// The worker's command queue is full.
    Busy,
    /// The worker has ended.
    WorkerGone,
    /// Any other OS error.
    Io { op: Op, addr: Option<SocketAddr>, detail: String },
    /// A problem read back from a saved log: its text as it was shown then.
    Logged(String),
    /// A file transfer refused a name, failed a check or a download (see the files module).
    File(Box<super::files::FileError>),
    /// Joining a group that is not a multicast address (224.0.0.0/4, ff00::/8).
    NotMulticast(std::net::IpAddr),
    /// A message cannot be framed (too long for its length header, contains the delimiter, …),
    /// or a framing typed in a form cannot be understood.
    Framing(crate::codec::framing::FramingError),
    /// A reply (a response rule's template or its `{upper}` / `{lower}`) has a character the
    /// encoding cannot write: it was not sent.
    Unencodable(char, crate::codec::Encoding),
    /// A relay fault that cannot be used (bad `--fault` spec, or one of the other protocol).
    FaultSpec(super::relay::fault::FaultSpecError),
    /// TCP server: the unfinished framed messages of all clients together (`total` bytes) went
    /// over the server's budget; this client held the most (`held` bytes) and was disconnected.
    UnfinishedOverBudget { held: usize, total: usize, budget: usize },
    /// A message template could not be rendered for this message (a range past its end, a
    /// length that does not fit): it was not sent.
    Template(crate::codec::template::TemplateError),
    /// TLS: a handshake failed, a certificate was refused, a file could not be used.
    Tls(super::tls::TlsProblem),
}

impl Problem {
    /// Turns an OS error during `op` on `addr` into the most specific problem.
    pub fn from_io(op: Op, addr: Option<SocketAddr>, e: &io::Error) -> Problem {
        use io::ErrorKind as K;
        let raw = e.raw_os_error();
        match (op, e.kind(), addr) {
            _ if op == Op::Accept && matches!(raw, Some(libc::EMFILE) | Some(libc::ENFILE)) => {
                Problem::TooManyOpenFiles
            }
            (Op::Bind, K::AddrInUse, Some(a)) => Problem::AddrInUse(a),
            (Op::Bind, K::PermissionDenied, Some(a)) if a.port() < 1024 => Problem::PrivilegedPort(a),
            (Op::Bind, K::AddrNotAvailable, Some(a)) => Problem::AddrNotAvailable(a),
            (Op::Send, K::PermissionDenied, Some(a)) => Problem::BroadcastDenied(a),
            (_, K::ConnectionRefused, Some(a)) if op != Op::Send => Problem::Refused(a),
            (_, K::ConnectionReset, Some(a)) => Problem::Reset(a),
            (_, K::HostUnreachable | K::NetworkUnreachable, Some(a)) => Problem::Unreachable(a),
            _ if is_emsgsize(raw) => Problem::too_big(0, addr),
            _ => Problem::Io { op, addr, detail: e.to_string() },
        }
    }

    /// A datagram of `len` bytes too big for UDP towards `to` (IPv4 when unknown; an
    /// IPv4-mapped IPv6 address travels as IPv4).
    pub fn too_big(len: usize, to: Option<SocketAddr>) -> Problem {
        let ipv6 = matches!(to, Some(SocketAddr::V6(a)) if a.ip().to_ipv4_mapped().is_none());
        let max = if ipv6 { super::generator::MAX_DATAGRAM_V6 } else { super::generator::MAX_DATAGRAM };
        Problem::TooBig { len, max, ipv6 }
    }

    /// An OS error during `op` reported as it is (for steps no user input can cause: poll,
    /// waker, thread spawn, registering a socket).
    pub fn io(op: Op, addr: Option<SocketAddr>, e: &io::Error) -> Problem {
        Problem::Io { op, addr, detail: e.to_string() }
    }
}

fn is_emsgsize(raw: Option<i32>) -> bool {
    #[cfg(unix)]
    {
        raw == Some(libc::EMSGSIZE)
    }
    #[cfg(not(unix))]
    {
        raw == Some(10040) // WSAEMSGSIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: io::ErrorKind) -> io::Error {
        io::Error::from(kind)
    }

    #[test]
    fn os_errors_become_specific_problems() {
        let a80: SocketAddr = "0.0.0.0:80".parse().unwrap();
        let a8080: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(
            Problem::from_io(Op::Bind, Some(a80), &err(io::ErrorKind::PermissionDenied)),
            Problem::PrivilegedPort(a80)
        );
        assert!(matches!(
            Problem::from_io(Op::Bind, Some(a8080), &err(io::ErrorKind::PermissionDenied)),
            Problem::Io { op: Op::Bind, .. }
        ));
        assert_eq!(Problem::from_io(Op::Bind, Some(a8080), &err(io::ErrorKind::AddrInUse)), Problem::AddrInUse(a8080));
        assert_eq!(
            Problem::from_io(Op::Connect, Some(a8080), &err(io::ErrorKind::ConnectionRefused)),
            Problem::Refused(a8080)
        );
        assert_eq!(
            Problem::from_io(Op::Send, Some(a8080), &err(io::ErrorKind::PermissionDenied)),
            Problem::BroadcastDenied(a8080)
        );
        #[cfg(unix)]
        assert_eq!(
            Problem::from_io(Op::Send, None, &io::Error::from_raw_os_error(libc::EMSGSIZE)),
            Problem::TooBig { len: 0, max: 65_507, ipv6: false }
        );
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        let mapped: SocketAddr = "[::ffff:127.0.0.1]:9".parse().unwrap();
        assert_eq!(Problem::too_big(65_528, Some(v6)), Problem::TooBig { len: 65_528, max: 65_527, ipv6: true });
        assert_eq!(Problem::too_big(65_508, Some(mapped)), Problem::TooBig { len: 65_508, max: 65_507, ipv6: false });
        assert_eq!(Problem::too_big(65_508, None), Problem::TooBig { len: 65_508, max: 65_507, ipv6: false });
    }
}
