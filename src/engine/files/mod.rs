//! Safe file transfer: the tutorial's file downloader without its hole.
//!
//! In the tutorial the client sends a file name and the server opens exactly that name, so
//! `../../etc/passwd` downloads the password file. Here every requested name goes through
//! [`path::resolve`] first: it must name a regular file inside the shared folder, or the request
//! is refused and the refusal is logged with the reason.
//!
//! Two protocols are served ([`FileProtocol`]): the tutorial's (name in, raw bytes out, close)
//! so its own Python client works unchanged, and SockLab's `framed` one with a text header
//! (`GET <offset> <name>` / `OK <size> <sha256>` / `ERR <code> <message>`) that allows resuming
//! and verifying a download, and can be typed into `nc`.


pub mod client;
mod error;
mod hash;
pub mod path;
pub mod proto;
pub mod server;
pub mod wire;

pub use client::{DownloadConfig, Downloaded, Progress, spawn_download};
#[cfg(any(test, feature = "test-support"))]
pub use client::download;
pub use error::{FileError, IoOp, Malformed, Refusal};
#[cfg(any(test, feature = "test-support"))]
pub use path::{PathError, resolve};
#[cfg(any(test, feature = "test-support"))]
pub use proto::{ErrCode, LineParser, Request, Response};
pub use server::{FileServerConfig, start};

/// File bytes are read, sent, received and written in pieces of this size.
pub const CHUNK: usize = 64 * 1024;
/// The longest name a client may ask for, in bytes (UTF-8).
pub const MAX_NAME: usize = 1024;
/// Default for [`FileServerConfig::max_file_size`]: 1 GiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 1 << 30;
/// Default for [`FileServerConfig::max_clients`].
pub const DEFAULT_MAX_CLIENTS: usize = 64;
/// Default for [`FileServerConfig::min_send_rate`]: 16 KiB/s. A client being sent a file that
/// takes fewer bytes per second than this, over a whole [`server::RATE_WINDOW`], is dropped, so
/// slow readers cannot hold every slot for ever.
pub const DEFAULT_MIN_SEND_RATE: u64 = 16 * 1024;
/// A download in progress is written to `<name>` + this suffix and renamed when it is complete
/// and verified.
pub const PART_SUFFIX: &str = ".socklab-part";

/// Which conversation a file server and a download use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileProtocol {
    /// The tutorial's: the client sends the name, the server sends the bytes and closes. No size,
    /// no checksum, no error messages: a refused or missing file looks like an empty one.
    Tutorial,
    /// SockLab's: `GET <offset> <name>\n`, answered by `OK <size> <sha256-hex>\n` and the bytes
    /// from `offset`, or by `ERR <code> <message>\n`.
    #[default]
    Framed,
}

impl FileProtocol {
    pub fn name(self) -> &'static str {
        match self {
            FileProtocol::Tutorial => "tutorial",
            FileProtocol::Framed => "framed",
        }
    }
}

/// Lowercase hexadecimal without separators (how SHA-256 sums are written): the codec's one
/// hex encoder.
pub use crate::codec::to_hex_compact as hex;
