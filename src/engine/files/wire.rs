//! The framed file protocol's fixed wording: what a server sends after `ERR <code>`. It is part
//! of the protocol, so it never comes from a translation file.

use std::net::SocketAddr;

use super::error::{FileError, IoOp, Malformed, Refusal};
use super::{MAX_NAME, PART_SUFFIX};

/// A name as shown in messages: quoted, control characters escaped, long names cut to
/// [`QUOTE_MAX_CHARS`] characters and an ellipsis.
pub fn quote(name: &str) -> String {
    match crate::codec::short::cut(name, QUOTE_MAX_CHARS) {
        Some(head) => format!("{head:?}…"),
        None => format!("{name:?}"),
    }
}

/// How many characters of a name a message shows.
pub const QUOTE_MAX_CHARS: usize = 120;

/// The message after `ERR <code> ` in the framed protocol: fixed English, the same in every
/// language of the UI and in every version (clients may show or match it). The translated
/// sentences for people are in `i18n::files`; in English they say the same (a test checks).
pub fn message(e: &FileError) -> String {
    fn malformed(why: Malformed) -> &'static str {
        match why {
            Malformed::LineTooLong => "the header line is longer than 2048 bytes",
            Malformed::NotUtf8 => "it is not UTF-8 text",
            Malformed::NotGet => "a request looks like GET <offset> <name>",
            Malformed::NotOkOrErr => "an answer starts with OK or ERR",
            Malformed::MissingField => {
                "a field is missing (GET <offset> <name>, OK <size> <sha256>, ERR <code> <message>)"
            }
            Malformed::BadNumber => "the offset or size is not a decimal number of bytes",
            Malformed::BadChecksum => "the SHA-256 is not 64 hexadecimal digits",
            Malformed::UnknownCode => "the error code is unknown",
            Malformed::EndedEarly => "the connection ended before the end of the header line",
        }
    }
    let asked = |peer: &Option<SocketAddr>| match peer {
        Some(p) => format!(" (asked by {p})"),
        None => String::new(),
    };
    match e {
        FileError::Refused { name, peer, why } => {
            let head = match (name, peer) {
                (Some(n), Some(p)) => format!("refused {} from {p}: ", quote(n)),
                (Some(n), None) => format!("{}: ", quote(n)),
                (None, _) => String::new(),
            };
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
            head + &reason
        }
        FileError::NotFound { name, peer } => {
            format!("no file {} in the shared folder{}", quote(name), asked(peer))
        }
        FileError::TooBig { name, size, max, peer } => {
            format!("{} is {size} bytes, more than the {max} bytes this server sends{}", quote(name), asked(peer))
        }
        FileError::BadOffset { offset, size } => {
            format!("the download cannot start at byte {offset}: the file has only {size} bytes")
        }
        FileError::BadRequest { peer, why } => format!("bad request{}: {}", asked(peer), malformed(*why)),
        FileError::NoRequest { peer, secs } => format!("no complete request within {secs} s{}", asked(peer)),
        FileError::ClientStalled { peer, secs } => {
            format!("the client stopped reading for {secs} s{}; closing", asked(peer))
        }
        FileError::Changed { name } => format!("{} changed while it was being served; try again", quote(name)),
        FileError::BadResponse(why) => {
            format!("the server's answer is not SockLab's file protocol: {}", malformed(*why))
        }
        FileError::Server { code, message } => format!("the server answered {}: {message}", code.as_str()),
        FileError::Exists(p) => format!("{} already exists; allow overwriting to replace it", p.display()),
        FileError::Cancelled => {
            format!("the download was cancelled; the {PART_SUFFIX} file is kept for resuming")
        }
        FileError::Checksum { expected, actual } => format!(
            "the received file's SHA-256 is {actual} but the server announced {expected}: the data is \
             damaged, so the partial file was deleted; try again"
        ),
        FileError::SizeMismatch { expected, actual } if actual < expected => format!(
            "the connection ended after {actual} of {expected} bytes; the {PART_SUFFIX} file is kept for \
             resuming"
        ),
        FileError::SizeMismatch { expected, actual } => {
            format!("the server sent {actual} bytes, more than the {expected} it announced")
        }
        FileError::NothingReceived => "the server sent nothing and closed: the file may be missing, empty or \
                                       refused (the tutorial protocol cannot say which)"
            .to_string(),
        FileError::Stalled { secs } => format!("no data from the server for {secs} s; giving up"),
        FileError::Busy { max } => {
            format!("the server is already serving {max} clients, its limit; try again later")
        }
        FileError::ClientTooSlow { peer, rate, min, secs } => format!(
            "the client took only {rate} bytes/s over {secs} s, less than the minimum of {min} bytes/s{}; closing",
            asked(peer)
        ),
        FileError::DownloadTooBig { size, max } => {
            format!("the server announces {size} bytes, more than the download limit of {max} bytes")
        }
        FileError::DownloadOverLimit { max } => {
            format!("the server sent more than the download limit of {max} bytes; stopped and deleted the partial file")
        }
        FileError::NoRoot => "choose a shared folder first".to_string(),
        FileError::RootMissing(p) => format!("the shared folder {} does not exist", p.display()),
        FileError::RootNotDir(p) => format!("the shared folder {} is a file, not a folder", p.display()),
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
                Some(p) => format!("cannot {verb} {}: {detail}", p.display()),
                None => format!("cannot {verb} the file: {detail}"),
            }
        }
        // A server refuses with file errors only; a network problem has no fixed wording here.
        FileError::Net(_) => "a network error on the server".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_wording_is_pinned() {
        let e = FileError::Refused { name: Some("../etc/passwd".into()), peer: None, why: Refusal::ParentDir };
        assert_eq!(message(&e), "\"../etc/passwd\": the name climbs out of the shared folder with ..");
        assert_eq!(
            message(&FileError::Busy { max: 64 }),
            "the server is already serving 64 clients, its limit; try again later"
        );
        assert_eq!(
            message(&FileError::NotFound { name: "a.txt".into(), peer: None }),
            "no file \"a.txt\" in the shared folder"
        );
        assert_eq!(
            message(&FileError::BadOffset { offset: 10, size: 5 }),
            "the download cannot start at byte 10: the file has only 5 bytes"
        );
        let long = message(&FileError::NotFound { name: "x\n".repeat(200), peer: None });
        assert!(!long.contains('\n') && long.contains('…'), "{long}");
    }
}
