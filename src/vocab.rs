//! The words every part of SockLab shares: protocols, connection ids, how a connection ended.
//!
//! A leaf module: it imports nothing from the crate, so the engine, the log store, the codecs
//! and both faces can all use it without depending on each other. The serde names are part of
//! the JSONL log format (see `log::format`) and never change with a translation.

/// Identifies one TCP connection within a worker (1, 2, 3, … in accept order).
pub type ConnId = u64;

/// The transport protocol of a worker's socket.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Proto {
    #[default]
    Udp,
    Tcp,
}

impl Proto {
    pub fn name(self) -> &'static str {
        match self {
            Proto::Udp => "udp",
            Proto::Tcp => "tcp",
        }
    }
}

/// How a TCP connection ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CloseReason {
    /// The peer closed its side: `recv` returned 0 bytes.
    PeerClosed,
    /// The peer reset the connection (RST).
    Reset,
    /// We closed it (Disconnect button, `exit` in hello mode, or shutdown).
    LocalClose,
    /// The connection failed with another error (see the preceding error event).
    Failed,
}

/// Which way bytes cross a relay: `Up` from the client to the upstream server, `Down` back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dir {
    Up,
    Down,
}

impl Dir {
    pub const BOTH: [Dir; 2] = [Dir::Up, Dir::Down];

    /// `up` or `down`, as in `--fault up:…` and the JSONL `dir` field.
    pub fn name(self) -> &'static str {
        match self {
            Dir::Up => "up",
            Dir::Down => "down",
        }
    }
}
