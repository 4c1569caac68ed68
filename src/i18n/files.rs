//! File transfer errors ([`FileError`]) in words, from the `file_…` keys of
//! `assets/i18n/files.toml`. The framed protocol's own fixed wording (the message after `ERR`)
//! is `engine::files::wire::message`, which says the same as the English here (a test checks).

use std::net::SocketAddr;

use super::{Lang, Tr, fill};
use crate::engine::files::wire::quote;
use crate::engine::files::{FileError, IoOp, MAX_NAME, Malformed, PART_SUFFIX, Refusal};

/// ` (asked by 127.0.0.1:5555)` when the peer is known.
fn asked_by(t: &Tr, peer: &Option<SocketAddr>) -> String {
    match peer {
        Some(p) => fill(t.file_asked_by, &[p]),
        None => String::new(),
    }
}

/// Why the name is refused.
pub fn refusal(t: &Tr, why: Refusal) -> String {
    let key = match why {
        Refusal::Empty => t.file_refusal_empty,
        Refusal::TooLong(n) => return fill(t.file_refusal_too_long, &[&n, &MAX_NAME]),
        Refusal::ControlChar => t.file_refusal_control_char,
        Refusal::ParentDir => t.file_refusal_parent_dir,
        Refusal::Absolute => t.file_refusal_absolute,
        Refusal::WindowsPath => t.file_refusal_windows_path,
        Refusal::Directory => t.file_refusal_directory,
        Refusal::NotAFile => t.file_refusal_not_a_file,
        Refusal::OutsideRoot => t.file_refusal_outside_root,
        Refusal::NoFileName => t.file_refusal_no_file_name,
    };
    key.to_string()
}

/// What is wrong with a header line.
pub fn malformed(t: &Tr, why: Malformed) -> String {
    let key = match why {
        Malformed::LineTooLong => t.file_malformed_line_too_long,
        Malformed::NotUtf8 => t.file_malformed_not_utf8,
        Malformed::NotGet => t.file_malformed_not_get,
        Malformed::NotOkOrErr => t.file_malformed_not_ok_or_err,
        Malformed::MissingField => t.file_malformed_missing_field,
        Malformed::BadNumber => t.file_malformed_bad_number,
        Malformed::BadChecksum => t.file_malformed_bad_checksum,
        Malformed::UnknownCode => t.file_malformed_unknown_code,
        Malformed::EndedEarly => t.file_malformed_ended_early,
    };
    key.to_string()
}

/// "cannot open /x: <detail>" (or "cannot open the file: <detail>" without a path).
fn io(t: &Tr, op: IoOp, path: Option<&std::path::Path>, detail: &str) -> String {
    // With the path (`{0}` path, `{1}` the system's message) and without (`{0}` the message).
    let (with_path, without) = match op {
        IoOp::Open => (t.file_io_open, t.file_io_open_nopath),
        IoOp::Stat => (t.file_io_stat, t.file_io_stat_nopath),
        IoOp::Read => (t.file_io_read, t.file_io_read_nopath),
        IoOp::Write => (t.file_io_write, t.file_io_write_nopath),
        IoOp::Sync => (t.file_io_sync, t.file_io_sync_nopath),
        IoOp::Rename => (t.file_io_rename, t.file_io_rename_nopath),
        IoOp::Create => (t.file_io_create, t.file_io_create_nopath),
        IoOp::Hash => (t.file_io_hash, t.file_io_hash_nopath),
        IoOp::Thread => (t.file_io_thread, t.file_io_thread_nopath),
    };
    match path {
        Some(p) => fill(with_path, &[&p.display(), &detail]),
        None => fill(without, &[&detail]),
    }
}

/// A file transfer's error in words.
pub fn file_error(lang: Lang, e: &FileError) -> String {
    let t = lang.tr();
    match e {
        FileError::Refused { name, peer, why } => {
            let reason = refusal(t, *why);
            match (name, peer) {
                (Some(n), Some(p)) => fill(t.file_err_refused_from, &[&quote(n), p, &reason]),
                (Some(n), None) => fill(t.file_err_refused_name, &[&quote(n), &reason]),
                (None, _) => reason,
            }
        }
        FileError::NotFound { name, peer } => fill(t.file_err_not_found, &[&quote(name), &asked_by(t, peer)]),
        FileError::TooBig { name, size, max, peer } => {
            fill(t.file_err_too_big, &[&quote(name), size, max, &asked_by(t, peer)])
        }
        FileError::BadOffset { offset, size } => fill(t.file_err_bad_offset, &[offset, size]),
        FileError::BadRequest { peer, why } => fill(t.file_err_bad_request, &[&asked_by(t, peer), &malformed(t, *why)]),
        FileError::NoRequest { peer, secs } => fill(t.file_err_no_request, &[secs, &asked_by(t, peer)]),
        FileError::ClientStalled { peer, secs } => fill(t.file_err_client_stalled, &[secs, &asked_by(t, peer)]),
        FileError::Changed { name } => fill(t.file_err_changed, &[&quote(name)]),
        FileError::BadResponse(why) => fill(t.file_err_bad_response, &[&malformed(t, *why)]),
        FileError::Server { code, message } => fill(t.file_err_server, &[&code.as_str(), message]),
        FileError::Exists(p) => fill(t.file_err_exists, &[&p.display()]),
        FileError::Cancelled => fill(t.file_err_cancelled, &[&PART_SUFFIX]),
        FileError::Checksum { expected, actual } => fill(t.file_err_checksum, &[actual, expected]),
        FileError::SizeMismatch { expected, actual } if actual < expected => {
            fill(t.file_err_size_short, &[actual, expected, &PART_SUFFIX])
        }
        FileError::SizeMismatch { expected, actual } => fill(t.file_err_size_long, &[actual, expected]),
        FileError::NothingReceived => t.file_err_nothing_received.to_string(),
        FileError::Stalled { secs } => fill(t.file_err_stalled, &[secs]),
        FileError::Busy { max } => fill(t.file_err_busy, &[max]),
        FileError::ClientTooSlow { peer, rate, min, secs } => {
            fill(t.file_err_client_too_slow, &[rate, secs, min, &asked_by(t, peer)])
        }
        FileError::DownloadTooBig { size, max } => fill(t.file_err_download_too_big, &[size, max]),
        FileError::DownloadOverLimit { max } => fill(t.file_err_download_over_limit, &[max]),
        FileError::NoRoot => t.file_err_no_root.to_string(),
        FileError::RootMissing(p) => fill(t.file_err_root_missing, &[&p.display()]),
        FileError::RootNotDir(p) => fill(t.file_err_root_not_dir, &[&p.display()]),
        FileError::Io { op, path, detail } => io(t, *op, path.as_deref(), detail),
        FileError::Net(p) => super::problem(lang, p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Problem;
    use crate::engine::files::proto::ErrCode;
    use crate::engine::files::wire;
    use crate::i18n::{EN, ZH};

    fn en(e: &FileError) -> String {
        file_error(Lang::En, e)
    }

    #[test]
    fn the_refusal_sentence_names_who_asked_and_why() {
        let e = FileError::Refused {
            name: Some("../etc/passwd".into()),
            peer: Some("127.0.0.1:5555".parse().unwrap()),
            why: Refusal::ParentDir,
        };
        assert_eq!(
            en(&e),
            "refused \"../etc/passwd\" from 127.0.0.1:5555: the name climbs out of the shared folder with .."
        );
        // What the client is told after `ERR refused`.
        assert_eq!(en(&e.without_peer()), "\"../etc/passwd\": the name climbs out of the shared folder with ..");
        assert_eq!(
            refusal(&EN, Refusal::Absolute),
            "the name is an absolute path; names are relative to the shared folder"
        );
        let long = en(&FileError::NotFound { name: "x\n".repeat(200), peer: None });
        assert!(!long.contains('\n') && long.contains('…'), "{long}");
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
        // The translation's English says what the protocol's fixed wording says.
        for e in &samples {
            let legacy = match e {
                FileError::Net(p) => crate::i18n::problem(Lang::En, p),
                _ => wire::message(e),
            };
            assert_eq!(en(e), legacy, "{e:?}");
            if !matches!(e, FileError::Net(_)) {
                assert_eq!(en(&e.without_peer()), wire::message(&e.without_peer()), "{e:?}");
            }
        }
        for why in REFUSALS {
            assert_eq!(refusal(&EN, why), wire::message(&FileError::Refused { name: None, peer: None, why }));
        }
        // A few written out in full.
        let peer = Some("127.0.0.1:5555".parse().unwrap());
        assert_eq!(
            en(&FileError::TooBig { name: "eleven.txt".into(), size: 11, max: 10, peer }),
            "\"eleven.txt\" is 11 bytes, more than the 10 bytes this server sends (asked by 127.0.0.1:5555)"
        );
        assert_eq!(
            en(&FileError::Refused { name: None, peer: None, why: Refusal::TooLong(2000) }),
            "the name is 2000 bytes long; at most 1024 are allowed"
        );
        assert_eq!(
            refusal(&EN, Refusal::WindowsPath),
            r"the name is a Windows drive or network path (C:\…, \\server\share)"
        );
        assert_eq!(
            en(&FileError::SizeMismatch { expected: 100, actual: 40 }),
            "the connection ended after 40 of 100 bytes; the .socklab-part file is kept for resuming"
        );
        assert_eq!(
            en(&FileError::Io { op: IoOp::Stat, path: Some("/x".into()), detail: "boom".into() }),
            "cannot read the size of /x: boom"
        );
        assert_eq!(
            en(&FileError::BadRequest { peer: None, why: Malformed::NotGet }),
            "bad request: a request looks like GET <offset> <name>"
        );
        assert_eq!(malformed(&EN, Malformed::BadChecksum), "the SHA-256 is not 64 hexadecimal digits");
    }

    #[test]
    fn chinese_text_is_translated_and_keeps_the_values() {
        let has_han = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for e in samples() {
            let zh = file_error(Lang::Zh, &e);
            assert!(has_han(&zh), "{e:?} has no Chinese text: {zh}");
            assert_ne!(zh, en(&e), "{e:?}");
            assert!(!zh.contains("file_"), "{e:?}: a key instead of a text: {zh}");
        }
        let e = FileError::NotFound { name: "a.txt".into(), peer: Some("127.0.0.1:5555".parse().unwrap()) };
        assert_eq!(file_error(Lang::Zh, &e), "共享文件夹中没有文件 \"a.txt\"（请求方 127.0.0.1:5555）");
        let e = FileError::Checksum { expected: "aa".into(), actual: "bb".into() };
        let zh = file_error(Lang::Zh, &e);
        assert!(zh.find("bb").unwrap() < zh.find("aa").unwrap() && zh.contains("校验和 SHA-256"), "{zh}");
        let e = FileError::Io { op: IoOp::Hash, path: Some("/srv/big.bin".into()), detail: "boom".into() };
        assert_eq!(file_error(Lang::Zh, &e), "无法计算 /srv/big.bin 的校验和 SHA-256：boom");
        let a: SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            file_error(Lang::Zh, &FileError::Net(Problem::Refused(a))),
            crate::i18n::problem(Lang::Zh, &Problem::Refused(a))
        );
        assert_eq!(refusal(&ZH, Refusal::ParentDir), "名称用 .. 跳出了共享文件夹");
        assert_eq!(malformed(&ZH, Malformed::NotUtf8), "内容不是 UTF-8 文本");
    }

    #[test]
    fn braces_in_names_and_messages_are_not_filled_again() {
        let peer = Some("127.0.0.1:5555".parse().unwrap());
        let e = FileError::NotFound { name: "{1}{0}".into(), peer };
        assert_eq!(en(&e), "no file \"{1}{0}\" in the shared folder (asked by 127.0.0.1:5555)");
        let e = FileError::Server { code: ErrCode::Refused, message: "{1} {0} {".into() };
        assert_eq!(file_error(Lang::Zh, &e), "服务器回答 refused：{1} {0} {");
        assert_eq!(fill("{0}{1}{2}{x}{", &[&"{1}", &"b"]), "{1}b{2}{x}{");
    }
}
