//! The relay: SockLab sits between a client and its real (upstream) server, passes every byte
//! in both directions, logs it, and can give the link the faults of a real network.
//!
//! `--listen L --to U`: a TCP relay accepts clients on L and opens one connection to U for
//! each (`tcp.rs`); a UDP relay gives each client address its own upstream socket, so replies
//! find their way back (`udp.rs`). Faults are data (`fault.rs`), per direction, and changeable
//! while running with [`Command::SetFaults`](super::Command::SetFaults).
//!
//! Events: a relay connection is a numbered `conn` whose `peer` is the client. Each read from
//! one side becomes `EventKind::Relayed { dir, data }` (what was read, before faults); what a
//! fault did is `EventKind::Fault { dir, action }`, so received + dropped = sent can be counted
//! from the log alone.

pub mod fault;
pub mod tcp;
mod tcp_conn;
mod tcp_faults;
pub mod udp;
mod udp_faults;
mod udp_session;

use std::time::Duration;

pub use fault::{FaultAction, Faults, Rng};

use super::{EventSink, Problem, Proto, WorkerHandle};

/// Bytes a relay holds for one direction of one connection before it stops reading the other
/// side (back-pressure): 1 MiB.
pub const DEFAULT_BUFFER: usize = 1 << 20;
/// A UDP session with no datagram either way for this long is forgotten: 60 s.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a TCP relay waits for the upstream to accept a connection: 5 s.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Default limit of relayed connections (TCP) or sessions (UDP) at once.
pub const DEFAULT_MAX_CLIENTS: usize = 1024;

/// What a relay does.
#[derive(Clone, Debug)]
pub struct RelayConfig {
    /// Where clients connect: `127.0.0.1:7000`, `[::1]:7000`, `0.0.0.0:7000`.
    pub listen: String,
    /// The real server: an address or `host:port`.
    pub upstream: String,
    pub proto: Proto,
    pub faults: Faults,
    /// Seed of the faults' random choices: the same seed makes the same choices.
    pub seed: u64,
    pub thread_name: String,
    /// See [`DEFAULT_BUFFER`].
    pub buffer: usize,
    /// UDP: see [`DEFAULT_IDLE_TIMEOUT`].
    pub idle_timeout: Duration,
    /// TCP: see [`DEFAULT_CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_MAX_CLIENTS`].
    pub max_clients: usize,
    /// Bytes read at once from a socket (and the largest datagram received whole).
    pub recv_buffer: usize,
}

impl Default for RelayConfig {
    fn default() -> Self {
        RelayConfig {
            listen: "127.0.0.1:0".into(),
            upstream: String::new(),
            proto: Proto::Tcp,
            faults: Faults::default(),
            seed: 1,
            thread_name: "relay".into(),
            buffer: DEFAULT_BUFFER,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            max_clients: DEFAULT_MAX_CLIENTS,
            recv_buffer: super::DEFAULT_RECV_BUFFER,
        }
    }
}

/// Starts a relay worker (TCP or UDP as `cfg.proto` says). Listening (or failing to) is
/// reported through `sink` like the other workers: `Listening`, or `Error` then `Stopped`.
pub fn start(cfg: RelayConfig, sink: EventSink) -> Result<WorkerHandle, Problem> {
    match cfg.proto {
        Proto::Tcp => tcp::start(cfg, sink),
        Proto::Udp => udp::start(cfg, sink),
    }
}
