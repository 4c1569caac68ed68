//! What can go wrong with a file transfer. Every sentence a user may read is in the one
//! `Display` impl of [`FileError`] (refusal and parse reasons included), so it can be translated
//! in one place.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::proto::ErrCode;
use super::{MAX_NAME, PART_SUFFIX};
use crate::engine::Problem;

/// Why a requested name is not served. Each one is a different way out of the shared folder (or
/// a name that is not a file at all).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
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
#[derive(Clone, Debug, PartialEq, Eq)]
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
            | FileError::ClientStalled { peer, .. } => *peer = None,
            _ => {}
        }
        e
    }

    pub(crate) fn io(op: IoOp, path: Option<PathBuf>, e: &std::io::Error) -> FileError {
        FileError::Io { op, path, detail: e.to_string() }
    }
}

/// A name as shown in messages: quoted, control characters escaped, long names cut.
fn quote(name: &str) -> String {
    const MAX_CHARS: usize = 120;
    if name.chars().count() <= MAX_CHARS {
        format!("{name:?}")
    } else {
        let short: String = name.chars().take(MAX_CHARS).collect();
        format!("{short:?}…")
    }
}

/// ` (asked by 127.0.0.1:5555)` when the peer is known.
struct AskedBy(Option<SocketAddr>);

impl fmt::Display for AskedBy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(p) => write!(f, " (asked by {p})"),
            None => Ok(()),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileError::Refused { name, peer, why } => {
                match (name, peer) {
                    (Some(n), Some(p)) => write!(f, "refused {} from {p}: ", quote(n))?,
                    (Some(n), None) => write!(f, "{}: ", quote(n))?,
                    (None, _) => {}
                }
                let reason = match why {
                    Refusal::Empty => "the name is empty".to_string(),
                    Refusal::TooLong(n) => format!("the name is {n} bytes long; at most {MAX_NAME} are allowed"),
                    Refusal::ControlChar => {
                        "the name contains a control character (NUL, newline, tab, …), which no file name should"
                            .to_string()
                    }
                    Refusal::ParentDir => "the name climbs out of the shared folder with ..".to_string(),
                    Refusal::Absolute => {
                        "the name is an absolute path; names are relative to the shared folder".to_string()
                    }
                    Refusal::WindowsPath => {
                        "the name is a Windows drive or network path (C:\\…, \\\\server\\share)".to_string()
                    }
                    Refusal::Directory => "the name is a folder, not a file".to_string(),
                    Refusal::NotAFile => "the name is not a regular file (a device, pipe or socket)".to_string(),
                    Refusal::OutsideRoot => {
                        "the name leads through a link to a place outside the shared folder".to_string()
                    }
                    Refusal::NoFileName => "the name does not end in a file name to save under".to_string(),
                };
                f.write_str(&reason)
            }
            FileError::NotFound { name, peer } => {
                write!(f, "no file {} in the shared folder{}", quote(name), AskedBy(*peer))
            }
            FileError::TooBig { name, size, max, peer } => write!(
                f,
                "{} is {size} bytes, more than the {max} bytes this server sends{}",
                quote(name),
                AskedBy(*peer)
            ),
            FileError::BadOffset { offset, size } => {
                write!(f, "the download cannot start at byte {offset}: the file has only {size} bytes")
            }
            FileError::BadRequest { peer, why } => {
                write!(f, "bad request{}: {}", AskedBy(*peer), malformed(*why))
            }
            FileError::NoRequest { peer, secs } => {
                write!(f, "no complete request within {secs} s{}", AskedBy(*peer))
            }
            FileError::ClientStalled { peer, secs } => {
                write!(f, "the client stopped reading for {secs} s{}; closing", AskedBy(*peer))
            }
            FileError::Changed { name } => write!(f, "{} changed while it was being served; try again", quote(name)),
            FileError::BadResponse(why) => {
                write!(f, "the server's answer is not SockLab's file protocol: {}", malformed(*why))
            }
            FileError::Server { code, message } => write!(f, "the server answered {}: {message}", code.as_str()),
            FileError::Exists(p) => {
                write!(f, "{} already exists; allow overwriting to replace it", p.display())
            }
            FileError::Cancelled => {
                write!(f, "the download was cancelled; the {PART_SUFFIX} file is kept for resuming")
            }
            FileError::Checksum { expected, actual } => write!(
                f,
                "the received file's SHA-256 is {actual} but the server announced {expected}: the data is \
                 damaged, so the partial file was deleted; try again"
            ),
            FileError::SizeMismatch { expected, actual } if actual < expected => write!(
                f,
                "the connection ended after {actual} of {expected} bytes; the {PART_SUFFIX} file is kept for \
                 resuming"
            ),
            FileError::SizeMismatch { expected, actual } => {
                write!(f, "the server sent {actual} bytes, more than the {expected} it announced")
            }
            FileError::NothingReceived => f.write_str(
                "the server sent nothing and closed: the file may be missing, empty or refused (the tutorial \
                 protocol cannot say which)",
            ),
            FileError::Stalled { secs } => write!(f, "no data from the server for {secs} s; giving up"),
            FileError::NoRoot => f.write_str("choose a shared folder first"),
            FileError::RootMissing(p) => write!(f, "the shared folder {} does not exist", p.display()),
            FileError::RootNotDir(p) => write!(f, "the shared folder {} is a file, not a folder", p.display()),
            FileError::Io { op, path, detail } => {
                let verb = match op {
                    IoOp::Open => "open",
                    IoOp::Stat => "read the size of",
                    IoOp::Read => "read",
                    IoOp::Write => "write",
                    IoOp::Sync => "save (sync)",
                    IoOp::Rename => "rename",
                    IoOp::Create => "create",
                    IoOp::Hash => "compute the SHA-256 of",
                    IoOp::Thread => "start a thread for",
                };
                match path {
                    Some(p) => write!(f, "cannot {verb} {}: {detail}", p.display()),
                    None => write!(f, "cannot {verb} the file: {detail}"),
                }
            }
            FileError::Net(p) => write!(f, "{p}"),
        }
    }
}

fn malformed(why: Malformed) -> &'static str {
    match why {
        Malformed::LineTooLong => "the header line is longer than 2048 bytes",
        Malformed::NotUtf8 => "it is not UTF-8 text",
        Malformed::NotGet => "a request looks like GET <offset> <name>",
        Malformed::NotOkOrErr => "an answer starts with OK or ERR",
        Malformed::MissingField => "a field is missing (GET <offset> <name>, OK <size> <sha256>, ERR <code> <message>)",
        Malformed::BadNumber => "the offset or size is not a decimal number of bytes",
        Malformed::BadChecksum => "the SHA-256 is not 64 hexadecimal digits",
        Malformed::UnknownCode => "the error code is unknown",
        Malformed::EndedEarly => "the connection ended before the end of the header line",
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        FileError::Refused { name: None, peer: None, why: *self }.fmt(f)
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(malformed(*self))
    }
}

impl std::error::Error for FileError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_sentence_names_who_asked_and_why() {
        let e = FileError::Refused {
            name: Some("../etc/passwd".into()),
            peer: Some("127.0.0.1:5555".parse().unwrap()),
            why: Refusal::ParentDir,
        };
        assert_eq!(
            e.to_string(),
            "refused \"../etc/passwd\" from 127.0.0.1:5555: the name climbs out of the shared folder with .."
        );
        // What the client is told after `ERR refused`.
        assert_eq!(e.without_peer().to_string(), "\"../etc/passwd\": the name climbs out of the shared folder with ..");
        assert_eq!(
            Refusal::Absolute.to_string(),
            "the name is an absolute path; names are relative to the shared folder"
        );
        let long = FileError::NotFound { name: "x\n".repeat(200), peer: None }.to_string();
        assert!(!long.contains('\n') && long.contains('…'), "{long}");
    }
}
