//! What can go wrong with a file transfer. Every sentence a user may read is built by
//! [`FileError::text`] (refusal and parse reasons included) from the `file_…` keys of
//! `assets/i18n/files.toml`, in English or Simplified Chinese; `Display` is the English text.

use std::borrow::Cow;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;

use super::proto::ErrCode;
use super::{MAX_NAME, PART_SUFFIX};
use crate::engine::Problem;
use crate::i18n::Lang;

// Changing the translation file rebuilds the crate: the `i18n!` macro reads it at compile time,
// and this makes rustc track it.
const _FILES_FILE: &str = include_str!("../../../assets/i18n/files.toml");

/// Every translation key this module uses (all in `assets/i18n/files.toml`). A test checks that
/// both languages have each one, with the same `{0}`, `{1}`… placeholders, and that the files
/// have no `file_` key missing here.
pub const KEYS: &[&str] = &[
    "file_refusal_empty",
    "file_refusal_too_long",
    "file_refusal_control_char",
    "file_refusal_parent_dir",
    "file_refusal_absolute",
    "file_refusal_windows_path",
    "file_refusal_directory",
    "file_refusal_not_a_file",
    "file_refusal_outside_root",
    "file_refusal_no_file_name",
    "file_malformed_line_too_long",
    "file_malformed_not_utf8",
    "file_malformed_not_get",
    "file_malformed_not_ok_or_err",
    "file_malformed_missing_field",
    "file_malformed_bad_number",
    "file_malformed_bad_checksum",
    "file_malformed_unknown_code",
    "file_malformed_ended_early",
    "file_asked_by",
    "file_err_refused_from",
    "file_err_refused_name",
    "file_err_not_found",
    "file_err_too_big",
    "file_err_bad_offset",
    "file_err_bad_request",
    "file_err_no_request",
    "file_err_client_stalled",
    "file_err_changed",
    "file_err_bad_response",
    "file_err_server",
    "file_err_exists",
    "file_err_cancelled",
    "file_err_checksum",
    "file_err_size_short",
    "file_err_size_long",
    "file_err_nothing_received",
    "file_err_stalled",
    "file_err_busy",
    "file_err_client_too_slow",
    "file_err_download_too_big",
    "file_err_download_over_limit",
    "file_err_no_root",
    "file_err_root_missing",
    "file_err_root_not_dir",
    "file_io_open",
    "file_io_open_nopath",
    "file_io_stat",
    "file_io_stat_nopath",
    "file_io_read",
    "file_io_read_nopath",
    "file_io_write",
    "file_io_write_nopath",
    "file_io_sync",
    "file_io_sync_nopath",
    "file_io_rename",
    "file_io_rename_nopath",
    "file_io_create",
    "file_io_create_nopath",
    "file_io_hash",
    "file_io_hash_nopath",
    "file_io_thread",
    "file_io_thread_nopath",
];

/// The text of `key` in `lang` (English when the language lacks it, the key itself when English
/// lacks it too; the tests make sure neither happens).
fn tr(lang: Lang, key: &'static str) -> Cow<'static, str> {
    debug_assert!(KEYS.contains(&key), "{key} is missing from error.rs's KEYS");
    crate::_rust_i18n_try_translate(lang.code(), key).unwrap_or(Cow::Borrowed(key))
}

/// Fills `{0}`…`{9}` in one pass, left to right. Unlike repeated replacing, a value that itself
/// contains `{1}` (a requested name, the server's message) is inserted as it is.
fn fill(template: &str, args: &[&dyn fmt::Display]) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.as_bytes() {
            [d @ b'0'..=b'9', b'}', ..] if usize::from(d - b'0') < args.len() => {
                out.push_str(&args[usize::from(d - b'0')].to_string());
                rest = &after[2..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

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
fn asked_by(lang: Lang, peer: &Option<SocketAddr>) -> String {
    match peer {
        Some(p) => fill(&tr(lang, "file_asked_by"), &[p]),
        None => String::new(),
    }
}

impl Refusal {
    /// Why the name is refused, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let key = match self {
            Refusal::Empty => "file_refusal_empty",
            Refusal::TooLong(n) => return fill(&tr(lang, "file_refusal_too_long"), &[n, &MAX_NAME]),
            Refusal::ControlChar => "file_refusal_control_char",
            Refusal::ParentDir => "file_refusal_parent_dir",
            Refusal::Absolute => "file_refusal_absolute",
            Refusal::WindowsPath => "file_refusal_windows_path",
            Refusal::Directory => "file_refusal_directory",
            Refusal::NotAFile => "file_refusal_not_a_file",
            Refusal::OutsideRoot => "file_refusal_outside_root",
            Refusal::NoFileName => "file_refusal_no_file_name",
        };
        tr(lang, key).into_owned()
    }
}

impl Malformed {
    /// What is wrong with the header line, in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        let key = match self {
            Malformed::LineTooLong => "file_malformed_line_too_long",
            Malformed::NotUtf8 => "file_malformed_not_utf8",
            Malformed::NotGet => "file_malformed_not_get",
            Malformed::NotOkOrErr => "file_malformed_not_ok_or_err",
            Malformed::MissingField => "file_malformed_missing_field",
            Malformed::BadNumber => "file_malformed_bad_number",
            Malformed::BadChecksum => "file_malformed_bad_checksum",
            Malformed::UnknownCode => "file_malformed_unknown_code",
            Malformed::EndedEarly => "file_malformed_ended_early",
        };
        tr(lang, key).into_owned()
    }
}

impl IoOp {
    /// The sentence's keys: with the path (`{0}` path, `{1}` the system's message) and without
    /// (`{0}` the system's message).
    fn keys(self) -> (&'static str, &'static str) {
        match self {
            IoOp::Open => ("file_io_open", "file_io_open_nopath"),
            IoOp::Stat => ("file_io_stat", "file_io_stat_nopath"),
            IoOp::Read => ("file_io_read", "file_io_read_nopath"),
            IoOp::Write => ("file_io_write", "file_io_write_nopath"),
            IoOp::Sync => ("file_io_sync", "file_io_sync_nopath"),
            IoOp::Rename => ("file_io_rename", "file_io_rename_nopath"),
            IoOp::Create => ("file_io_create", "file_io_create_nopath"),
            IoOp::Hash => ("file_io_hash", "file_io_hash_nopath"),
            IoOp::Thread => ("file_io_thread", "file_io_thread_nopath"),
        }
    }

    /// "cannot open /x: <detail>" (or "cannot open the file: <detail>" without a path), in `lang`.
    pub fn text(&self, lang: Lang, path: Option<&std::path::Path>, detail: &str) -> String {
        let (with_path, without) = self.keys();
        match path {
            Some(p) => fill(&tr(lang, with_path), &[&p.display(), &detail]),
            None => fill(&tr(lang, without), &[&detail]),
        }
    }
}

impl FileError {
    /// The error in words, in `lang`. `Display` is the English text.
    pub fn text(&self, lang: Lang) -> String {
        let t = |key: &'static str| tr(lang, key);
        match self {
            FileError::Refused { name, peer, why } => {
                let reason = why.text(lang);
                match (name, peer) {
                    (Some(n), Some(p)) => fill(&t("file_err_refused_from"), &[&quote(n), p, &reason]),
                    (Some(n), None) => fill(&t("file_err_refused_name"), &[&quote(n), &reason]),
                    (None, _) => reason,
                }
            }
            FileError::NotFound { name, peer } => {
                fill(&t("file_err_not_found"), &[&quote(name), &asked_by(lang, peer)])
            }
            FileError::TooBig { name, size, max, peer } => {
                fill(&t("file_err_too_big"), &[&quote(name), size, max, &asked_by(lang, peer)])
            }
            FileError::BadOffset { offset, size } => fill(&t("file_err_bad_offset"), &[offset, size]),
            FileError::BadRequest { peer, why } => {
                fill(&t("file_err_bad_request"), &[&asked_by(lang, peer), &why.text(lang)])
            }
            FileError::NoRequest { peer, secs } => fill(&t("file_err_no_request"), &[secs, &asked_by(lang, peer)]),
            FileError::ClientStalled { peer, secs } => {
                fill(&t("file_err_client_stalled"), &[secs, &asked_by(lang, peer)])
            }
            FileError::Changed { name } => fill(&t("file_err_changed"), &[&quote(name)]),
            FileError::BadResponse(why) => fill(&t("file_err_bad_response"), &[&why.text(lang)]),
            FileError::Server { code, message } => fill(&t("file_err_server"), &[&code.as_str(), message]),
            FileError::Exists(p) => fill(&t("file_err_exists"), &[&p.display()]),
            FileError::Cancelled => fill(&t("file_err_cancelled"), &[&PART_SUFFIX]),
            FileError::Checksum { expected, actual } => fill(&t("file_err_checksum"), &[actual, expected]),
            FileError::SizeMismatch { expected, actual } if actual < expected => {
                fill(&t("file_err_size_short"), &[actual, expected, &PART_SUFFIX])
            }
            FileError::SizeMismatch { expected, actual } => fill(&t("file_err_size_long"), &[actual, expected]),
            FileError::NothingReceived => t("file_err_nothing_received").into_owned(),
            FileError::Stalled { secs } => fill(&t("file_err_stalled"), &[secs]),
            FileError::Busy { max } => fill(&t("file_err_busy"), &[max]),
            FileError::ClientTooSlow { peer, rate, min, secs } => {
                fill(&t("file_err_client_too_slow"), &[rate, secs, min, &asked_by(lang, peer)])
            }
            FileError::DownloadTooBig { size, max } => fill(&t("file_err_download_too_big"), &[size, max]),
            FileError::DownloadOverLimit { max } => fill(&t("file_err_download_over_limit"), &[max]),
            FileError::NoRoot => t("file_err_no_root").into_owned(),
            FileError::RootMissing(p) => fill(&t("file_err_root_missing"), &[&p.display()]),
            FileError::RootNotDir(p) => fill(&t("file_err_root_not_dir"), &[&p.display()]),
            FileError::Io { op, path, detail } => op.text(lang, path.as_deref(), detail),
            FileError::Net(p) => crate::i18n::problem(lang, p),
        }
    }
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text(Lang::En))
    }
}

impl std::error::Error for FileError {}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

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

    /// The English sentences as they were written before the translation file: `Display` must
    /// still produce exactly these (the CLI prints them, the server sends them after `ERR`).
    fn legacy(e: &FileError) -> String {
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
            FileError::DownloadOverLimit { max } => format!(
                "the server sent more than the download limit of {max} bytes; stopped and deleted the partial file"
            ),
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
            FileError::Net(p) => format!("{p}"),
        }
    }

    const REFUSALS: [Refusal; 10] = [
        Refusal::Empty,
        Refusal::TooLong(5000),
        Refusal::ControlChar,
        Refusal::ParentDir,
        Refusal::Absolute,
        Refusal::WindowsPath,
        Refusal::Directory,
        Refusal::NotAFile,
        Refusal::OutsideRoot,
        Refusal::NoFileName,
    ];
    const MALFORMED: [Malformed; 9] = [
        Malformed::LineTooLong,
        Malformed::NotUtf8,
        Malformed::NotGet,
        Malformed::NotOkOrErr,
        Malformed::MissingField,
        Malformed::BadNumber,
        Malformed::BadChecksum,
        Malformed::UnknownCode,
        Malformed::EndedEarly,
    ];
    const IO_OPS: [IoOp; 9] = [
        IoOp::Open,
        IoOp::Stat,
        IoOp::Read,
        IoOp::Write,
        IoOp::Sync,
        IoOp::Rename,
        IoOp::Create,
        IoOp::Hash,
        IoOp::Thread,
    ];

    /// Every variant, every reason, with and without a peer or a path.
    fn samples() -> Vec<FileError> {
        let peers = [None, Some("127.0.0.1:5555".parse::<SocketAddr>().unwrap()), Some("[::1]:80".parse().unwrap())];
        let names = ["notes.txt", "a \"b\"\n{1}.txt", "目录/文件.txt"];
        let mut v = Vec::new();
        for why in REFUSALS {
            for peer in peers {
                v.push(FileError::Refused { name: Some(names[1].into()), peer, why });
                v.push(FileError::Refused { name: None, peer, why });
            }
        }
        for peer in peers {
            for name in names {
                v.push(FileError::NotFound { name: name.into(), peer });
                v.push(FileError::TooBig { name: name.into(), size: 11, max: 10, peer });
            }
            v.push(FileError::NotFound { name: "y".repeat(500), peer });
            for why in MALFORMED {
                v.push(FileError::BadRequest { peer, why });
            }
            v.push(FileError::NoRequest { peer, secs: 10 });
            v.push(FileError::ClientStalled { peer, secs: 30 });
            v.push(FileError::ClientTooSlow { peer, rate: 2048, min: 16384, secs: 10 });
        }
        for why in MALFORMED {
            v.push(FileError::BadResponse(why));
        }
        for op in IO_OPS {
            let detail = "No such file or directory (os error 2)".to_string();
            v.push(FileError::Io { op, path: Some("/tmp/out/a b.txt".into()), detail: detail.clone() });
            v.push(FileError::Io { op, path: None, detail });
        }
        for code in ErrCode::ALL {
            v.push(FileError::Server { code, message: "\"x\": the name is empty {0}".into() });
        }
        let a: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        v.extend([
            FileError::BadOffset { offset: 2_097_152, size: 1000 },
            FileError::Changed { name: "big.bin".into() },
            FileError::Exists("/tmp/out/a.txt".into()),
            FileError::Cancelled,
            FileError::Checksum { expected: "ab".repeat(32), actual: "cd".repeat(32) },
            FileError::SizeMismatch { expected: 100, actual: 40 },
            FileError::SizeMismatch { expected: 100, actual: 140 },
            FileError::NothingReceived,
            FileError::Stalled { secs: 15 },
            FileError::Busy { max: 64 },
            FileError::DownloadTooBig { size: 2_147_483_648, max: 1_073_741_824 },
            FileError::DownloadOverLimit { max: 1_073_741_824 },
            FileError::NoRoot,
            FileError::RootMissing("/no/such/dir".into()),
            FileError::RootNotDir("/etc/hostname".into()),
            FileError::Net(Problem::Refused(a)),
            FileError::Net(Problem::Reset(a)),
            FileError::Net(Problem::UnknownHost("nowhere.invalid".into())),
        ]);
        v
    }

    #[test]
    fn english_text_is_the_sentence_it_always_was() {
        let samples = samples();
        for e in &samples {
            assert_eq!(e.to_string(), legacy(e), "{e:?}");
            assert_eq!(e.text(Lang::En), legacy(e), "{e:?}");
            assert_eq!(e.without_peer().to_string(), legacy(&e.without_peer()), "{e:?}");
        }
        for why in REFUSALS {
            assert_eq!(why.to_string(), legacy(&FileError::Refused { name: None, peer: None, why }));
        }
        // A few written out in full.
        let peer = Some("127.0.0.1:5555".parse().unwrap());
        assert_eq!(
            FileError::TooBig { name: "eleven.txt".into(), size: 11, max: 10, peer }.to_string(),
            "\"eleven.txt\" is 11 bytes, more than the 10 bytes this server sends (asked by 127.0.0.1:5555)"
        );
        assert_eq!(
            FileError::Refused { name: None, peer: None, why: Refusal::TooLong(2000) }.to_string(),
            "the name is 2000 bytes long; at most 1024 are allowed"
        );
        assert_eq!(
            Refusal::WindowsPath.to_string(),
            r"the name is a Windows drive or network path (C:\…, \\server\share)"
        );
        assert_eq!(
            FileError::SizeMismatch { expected: 100, actual: 40 }.to_string(),
            "the connection ended after 40 of 100 bytes; the .socklab-part file is kept for resuming"
        );
        assert_eq!(
            FileError::Io { op: IoOp::Stat, path: Some("/x".into()), detail: "boom".into() }.to_string(),
            "cannot read the size of /x: boom"
        );
        assert_eq!(
            FileError::BadRequest { peer: None, why: Malformed::NotGet }.to_string(),
            "bad request: a request looks like GET <offset> <name>"
        );
        assert_eq!(Malformed::BadChecksum.to_string(), "the SHA-256 is not 64 hexadecimal digits");
    }

    #[test]
    fn chinese_text_is_translated_and_keeps_the_values() {
        let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for e in samples() {
            let zh = e.text(Lang::Zh);
            assert!(has_han(&zh), "{e:?} has no Chinese text: {zh}");
            assert_ne!(zh, e.text(Lang::En), "{e:?}");
            assert!(!zh.contains("file_"), "{e:?}: a key instead of a text: {zh}");
        }
        let e = FileError::NotFound { name: "a.txt".into(), peer: Some("127.0.0.1:5555".parse().unwrap()) };
        assert_eq!(e.text(Lang::Zh), "共享文件夹中没有文件 \"a.txt\"（请求方 127.0.0.1:5555）");
        let e = FileError::Checksum { expected: "aa".into(), actual: "bb".into() };
        let zh = e.text(Lang::Zh);
        assert!(zh.find("bb").unwrap() < zh.find("aa").unwrap() && zh.contains("校验和 SHA-256"), "{zh}");
        let e = FileError::Io { op: IoOp::Hash, path: Some("/srv/big.bin".into()), detail: "boom".into() };
        assert_eq!(e.text(Lang::Zh), "无法计算 /srv/big.bin 的校验和 SHA-256：boom");
        let a: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            FileError::Net(Problem::Refused(a)).text(Lang::Zh),
            crate::i18n::problem(Lang::Zh, &Problem::Refused(a))
        );
        assert_eq!(Refusal::ParentDir.text(Lang::Zh), "名称用 .. 跳出了共享文件夹");
        assert_eq!(Malformed::NotUtf8.text(Lang::Zh), "内容不是 UTF-8 文本");
    }

    #[test]
    fn braces_in_names_and_messages_are_not_filled_again() {
        let peer = Some("127.0.0.1:5555".parse().unwrap());
        let e = FileError::NotFound { name: "{1}{0}".into(), peer };
        assert_eq!(e.to_string(), "no file \"{1}{0}\" in the shared folder (asked by 127.0.0.1:5555)");
        let e = FileError::Server { code: ErrCode::Refused, message: "{1} {0} {".into() };
        assert_eq!(e.text(Lang::Zh), "服务器回答 refused：{1} {0} {");
        assert_eq!(fill("{0}{1}{2}{x}{", &[&"{1}", &"b"]), "{1}b{2}{x}{");
    }

    /// The `{0}`…`{9}` of a template, sorted.
    fn placeholders(text: &str) -> Vec<String> {
        (0..10).map(|i| format!("{{{i}}}")).filter(|p| text.contains(p)).collect()
    }

    #[test]
    fn every_key_is_in_both_languages_with_the_same_placeholders() {
        let listed: BTreeSet<&str> = KEYS.iter().copied().collect();
        assert_eq!(listed.len(), KEYS.len(), "a key is listed twice in KEYS");
        let backend = crate::_rust_i18n_backend();
        for key in KEYS {
            assert!(key.starts_with("file_"), "{key}");
            // The backend itself, not `_rust_i18n_try_translate`, which would fall back to English.
            let en = backend.translate(Lang::En.code(), key);
            let zh = backend.translate(Lang::Zh.code(), key);
            let (Some(en), Some(zh)) = (en, zh) else { panic!("{key} is missing in a language of files.toml") };
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key} is empty");
            assert_eq!(placeholders(&en), placeholders(&zh), "{key}: the languages' placeholders differ");
        }
    }

    #[test]
    fn every_file_key_of_the_translations_is_listed() {
        let listed: BTreeSet<&str> = KEYS.iter().copied().collect();
        for lang in Lang::ALL {
            let messages = crate::_rust_i18n_backend().messages_for_locale(lang.code()).unwrap_or_default();
            let unknown: Vec<String> = messages
                .into_iter()
                .map(|(k, _)| k.into_owned())
                .filter(|k| k.starts_with("file_") && !listed.contains(k.as_str()))
                .collect();
            assert!(unknown.is_empty(), "{} has file_ keys missing from error.rs's KEYS: {unknown:?}", lang.code());
        }
    }
}
