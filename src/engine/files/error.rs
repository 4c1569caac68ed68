//! What can go wrong with a file transfer, as data. The sentences a user reads are built by
//! `i18n::file_error` in the UI's language; what a server sends after `ERR` is the fixed
//! wording of `wire::message`.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::proto::ErrCode;
use crate::engine::Problem;

/// Why a requested name is not served. Each one is a different way out of the shared folder (or
/// a name that is not a file at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Refusal {
    /// Nothing was asked for.
    Empty,
    /// Longer than [`MAX_NAME`] bytes (the length is kept).
    TooLong(usize),
    /// NUL, newline, tab or another control character.
    ControlChar,
    /// A `..` component: climbing out of the shared folder.
    ParentDir,
    /// `/etc/passwd`: a path from the top of the disk, not inside the shared folder.
    Absolute,
    /// `C:\x`, `c:x`, `\\server\share`: a Windows drive or network path.
    WindowsPath,
    /// The name is a folder.
    Directory,
    /// A device, pipe or socket, not a regular file.
    NotAFile,
    /// A symbolic link (or a folder link on the way) leads outside the shared folder.
    OutsideRoot,
    /// Client side: the name does not end in a file name to save under (`dir/`, `.`, `..`).
    NoFileName,
}

/// Why a header line (request or answer) cannot be understood.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Malformed {
    /// No newline within the first 2048 bytes.
    LineTooLong,
    /// The line is not UTF-8.
    NotUtf8,
    /// A request that does not start with `GET `.
    NotGet,
    /// An answer that starts with neither `OK ` nor `ERR `.
    NotOkOrErr,
    /// A field is missing.
    MissingField,
    /// An offset or size that is not a decimal number that fits in 64 bits.
    BadNumber,
    /// A SHA-256 that is not 64 hexadecimal digits.
    BadChecksum,
    /// An `ERR` code this program does not know.
    UnknownCode,
    /// The connection ended before the newline.
    EndedEarly,
}

/// The file operation that failed, for [`FileError::Io`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IoOp {
    Open,
    Stat,
    Read,
    Write,
    Sync,
    Rename,
    Create,
    Hash,
    Thread,
}

/// Everything a file server or a download reports.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileError {
    /// A name was refused. `name` is what was asked for (absent when only the reason is
    /// shown), `peer` who asked (server side). Without a peer it reads `"name": reason`, which
    /// is also the message after `ERR refused`.
    Refused { name: Option<String>, peer: Option<SocketAddr>, why: Refusal },
    /// The name is fine but no such file is in the shared folder.
    NotFound { name: String, peer: Option<SocketAddr> },
    /// The file is larger than the server's limit.
    TooBig { name: String, size: u64, max: u64, peer: Option<SocketAddr> },
    /// A resume offset past the end of the file.
    BadOffset { offset: u64, size: u64 },
    /// A request the server cannot parse.
    BadRequest { peer: Option<SocketAddr>, why: Malformed },
    /// No complete request within `secs` seconds of connecting.
    NoRequest { peer: Option<SocketAddr>, secs: u64 },
    /// The client stopped reading what the server sends for `secs` seconds.
    ClientStalled { peer: Option<SocketAddr>, secs: u64 },
    /// The file changed while it was being hashed or sent.
    Changed { name: String },
    /// An answer the client cannot parse.
    BadResponse(Malformed),
    /// The server answered `ERR`.
    Server { code: ErrCode, message: String },
    /// The target file exists and overwriting was not allowed.
    Exists(PathBuf),
    /// Cancelled by the user; the `.socklab-part` file stays for resuming.
    Cancelled,
    /// The downloaded bytes do not have the SHA-256 the server announced (hex strings).
    Checksum { expected: String, actual: String },
    /// The server sent fewer or more bytes than it announced.
    SizeMismatch { expected: u64, actual: u64 },
    /// Tutorial protocol: the server closed without sending anything.
    NothingReceived,
    /// No data from the server for `secs` seconds.
    Stalled { secs: u64 },
    /// The server is serving `max` clients, its limit, and turned this one away (`ERR busy`).
    Busy { max: usize },
    /// The client took only `rate` bytes/s over the last `secs` seconds, less than the server's
    /// minimum of `min` bytes/s.
    ClientTooSlow { peer: Option<SocketAddr>, rate: u64, min: u64, secs: u64 },
    /// Framed download: the server announces `size` bytes, more than the download's limit `max`.
    DownloadTooBig { size: u64, max: u64 },
    /// Tutorial download: the server sent more than the download's limit of `max` bytes.
    DownloadOverLimit { max: u64 },
    /// No shared folder was chosen.
    NoRoot,
    /// The shared folder does not exist.
    RootMissing(PathBuf),
    /// The shared folder is a file, not a folder.
    RootNotDir(PathBuf),
    /// A file operation failed; `detail` is the OS's message.
    Io { op: IoOp, path: Option<PathBuf>, detail: String },
    /// A network problem (address, connect, reset, …).
    Net(Problem),
}

impl FileError {
    /// The `ERR` code the framed protocol answers this error with.
    pub fn code(&self) -> ErrCode {
        match self {
            FileError::Refused { .. } => ErrCode::Refused,
            FileError::NotFound { .. } => ErrCode::NotFound,
            FileError::TooBig { .. } => ErrCode::TooBig,
            FileError::BadOffset { .. } => ErrCode::BadOffset,
            FileError::BadRequest { .. } | FileError::NoRequest { .. } => ErrCode::BadRequest,
            FileError::Busy { .. } => ErrCode::Busy,
            _ => ErrCode::IoError,
        }
    }

    /// The same error without the peer's address: what the server tells the client itself.
    pub fn without_peer(&self) -> FileError {
        let mut e = self.clone();
        match &mut e {
            FileError::Refused { peer, .. }
            | FileError::NotFound { peer, .. }
            | FileError::TooBig { peer, .. }
            | FileError::BadRequest { peer, .. }
            | FileError::NoRequest { peer, .. }
            | FileError::ClientStalled { peer, .. }
            | FileError::ClientTooSlow { peer, .. } => *peer = None,
            _ => {}
        }
        e
    }

    pub(crate) fn io(op: IoOp, path: Option<PathBuf>, e: &std::io::Error) -> FileError {
        FileError::Io { op, path, detail: e.to_string() }
    }
}
