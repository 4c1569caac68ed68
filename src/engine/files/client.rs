//! Downloading a file: blocking, meant for a worker thread (or the CLI's main thread).
//!
//! The bytes go to `<name>.socklab-part`; only a complete (and, with the framed protocol,
//! verified) file is renamed to its real name, so a failed or cancelled download never leaves a
//! half file that looks whole.

#![allow(
    clippy::indexing_slicing,
    reason = "slices of a chunk buffer up to the byte count the OS read, which its length bounds"
)]

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use super::error::{FileError, IoOp, Malformed, Refusal};
use super::proto::{ErrCode, LineParser, Request, Response};
use super::{CHUNK, DEFAULT_MAX_FILE_SIZE, FileProtocol, MAX_NAME, PART_SUFFIX, hex, path};
use crate::engine::problem::Op;
use crate::engine::{self, CloseReason, EventKind, EventSink, Problem, Proto};

/// Give up connecting after this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Each read waits at most this long, so a cancel is noticed promptly.
const READ_TICK: Duration = Duration::from_millis(200);
/// Give up when the server sends nothing for this long.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone, Debug)]
pub struct DownloadConfig {
    /// The server, e.g. `127.0.0.1:7890`.
    pub connect: String,
    /// The name to ask for (it may contain folders: `docs/a.txt`); saved under its last part.
    pub name: String,
    /// Where the file is saved.
    pub out_dir: PathBuf,
    pub protocol: FileProtocol,
    /// Replace an existing file of the same name.
    pub overwrite: bool,
    /// Framed only: continue from an existing `.socklab-part` file.
    pub resume: bool,
    /// The largest file accepted, in bytes (default [`DEFAULT_MAX_FILE_SIZE`], 1 GiB, the same
    /// as the server's). Framed: a larger announced size is refused before any byte is written.
    /// Tutorial (no size announced): the download stops with an error, and the partial file is
    /// deleted, as soon as the server sends more.
    pub max_size: u64,
}

impl Default for DownloadConfig {
    fn default() -> Self {
        DownloadConfig {
            connect: "127.0.0.1:7890".into(),
            name: String::new(),
            out_dir: PathBuf::from("."),
            protocol: FileProtocol::Framed,
            overwrite: false,
            resume: true,
            max_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// Shared between a download and whoever watches it (a progress bar, the CLI).
#[derive(Debug, Default)]
pub struct Progress {
    received: AtomicU64,
    /// The file's size plus one, 0 while unknown (tutorial protocol, or before the header).
    total_plus_one: AtomicU64,
    done: AtomicBool,
    cancel: AtomicBool,
}

impl Progress {
    pub fn new() -> Progress {
        Progress::default()
    }

    /// Bytes of the file we have, resumed part included.
    pub fn received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    /// The whole file's size, once the server said it.
    pub fn total(&self) -> Option<u64> {
        self.total_plus_one.load(Ordering::Relaxed).checked_sub(1)
    }

    #[cfg(any(test, feature = "test-support"))]
    /// The download has ended (saved, failed or cancelled).
    pub fn is_done(&self) -> bool {
        self.done.load(Ordering::Acquire)
    }

    /// Asks the download to stop; it notices within about 200 ms.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn set_total(&self, total: u64) {
        self.total_plus_one.store(total.saturating_add(1), Ordering::Relaxed);
    }
}

/// A saved file. Serialises to the CLI's `--json` line.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Downloaded {
    /// The local file name (the requested name's last part).
    pub name: String,
    pub path: PathBuf,
    /// The file's size.
    pub bytes: u64,
    /// SHA-256 of the saved file, hex.
    pub sha256: String,
    /// The sum matched the server's. Always false with the tutorial protocol, which sends none.
    pub verified: bool,
    /// Bytes that were already in the `.socklab-part` file.
    pub resumed_from: u64,
    pub protocol: FileProtocol,
}

/// The name to save `requested` under: its last component, which must be a plain file name.
pub fn local_name(requested: &str) -> Result<String, Refusal> {
    let name = path::trim_name(requested);
    if name.chars().any(char::is_control) {
        return Err(Refusal::ControlChar);
    }
    if name.len() > MAX_NAME {
        return Err(Refusal::TooLong(name.len()));
    }
    let last = name.rsplit(['/', '\\']).next().unwrap_or("");
    if last.is_empty() || last == "." || last == ".." {
        return Err(Refusal::NoFileName);
    }
    if last.len() >= 2 && last.as_bytes()[1] == b':' {
        return Err(Refusal::WindowsPath);
    }
    Ok(last.to_string())
}

/// Downloads in a named thread (`file-get`). Errors are also logged to `sink`, and `Stopped` ends
/// the events, as with the other workers.
pub fn spawn_download(
    cfg: DownloadConfig,
    progress: Arc<Progress>,
    sink: EventSink,
) -> io::Result<JoinHandle<Result<Downloaded, FileError>>> {
    std::thread::Builder::new().name("file-get".into()).spawn(move || {
        let sink = sink.with_proto(Proto::Tcp);
        let r = download(&cfg, &progress, &sink);
        if let Err(e) = &r {
            sink.emit(None, None, EventKind::Error(Problem::File(Box::new(e.clone()))));
        }
        sink.emit(None, None, EventKind::Stopped);
        sink.flush();
        r
    })
}

/// Downloads `cfg.name` from `cfg.connect` into `cfg.out_dir`. Blocks until done, failed or
/// cancelled through `progress`.
pub fn download(cfg: &DownloadConfig, progress: &Progress, sink: &EventSink) -> Result<Downloaded, FileError> {
    let sink = sink.with_proto(Proto::Tcp);
    let r = Download::new(cfg, progress, &sink).and_then(|d| d.run());
    sink.flush();
    progress.done.store(true, Ordering::Release);
    r
}

struct Download<'a> {
    cfg: &'a DownloadConfig,
    progress: &'a Progress,
    sink: EventSink,
    /// The local file name.
    name: String,
    real: PathBuf,
    part: PathBuf,
    resumed_from: u64,
    /// Sum of the whole file so far (resumed part included).
    sha: Sha256,
    /// Bytes in the part file so far.
    received: u64,
    /// Framed: the size and sum the server announced.
    expected: Option<(u64, [u8; 32])>,
}

fn write_err(op: IoOp, path: &Path) -> impl Fn(io::Error) -> FileError + '_ {
    move |e| FileError::io(op, Some(path.to_path_buf()), &e)
}

impl<'a> Download<'a> {
    /// Checks names and the target before anything touches the network.
    fn new(cfg: &'a DownloadConfig, progress: &'a Progress, sink: &EventSink) -> Result<Self, FileError> {
        let refused = |why| FileError::Refused { name: Some(cfg.name.clone()), peer: None, why };
        let name = local_name(&cfg.name).map_err(refused)?;
        // A folder that does not exist yet is made (with its parents), like `mkdir -p`.
        fs::create_dir_all(&cfg.out_dir).map_err(write_err(IoOp::Create, &cfg.out_dir))?;
        let real = cfg.out_dir.join(&name);
        let part = cfg.out_dir.join(format!("{name}{PART_SUFFIX}"));
        if !cfg.overwrite && fs::symlink_metadata(&real).is_ok() {
            return Err(FileError::Exists(real));
        }
        let resumed_from = match (cfg.protocol, cfg.resume) {
            (FileProtocol::Framed, true) => fs::metadata(&part).map(|m| m.len()).unwrap_or(0),
            _ => 0,
        };
        Ok(Download {
            cfg,
            progress,
            sink: sink.clone(),
            name,
            real,
            part,
            resumed_from,
            sha: Sha256::new(),
            received: resumed_from,
            expected: None,
        })
    }

    fn cancelled(&self) -> Result<(), FileError> {
        if self.progress.is_cancelled() { Err(FileError::Cancelled) } else { Ok(()) }
    }

    fn run(mut self) -> Result<Downloaded, FileError> {
        loop {
            let result = self.attempt();
            // The part file is longer than the file (left by a download of an older or larger
            // version, or by a server that sent too much): resuming from it can never work, so
            // it is deleted and the download starts over, once (`resumed_from` is then 0).
            if self.resumed_from > 0
                && matches!(
                    result,
                    Err(FileError::Server { code: ErrCode::BadOffset, .. } | FileError::BadOffset { .. })
                )
            {
                let _ = fs::remove_file(&self.part);
                self.resumed_from = 0;
                self.received = 0;
                self.sha = Sha256::new();
                self.expected = None;
                continue;
            }
            result?;
            return self.save();
        }
    }

    /// One connection: sends the request and receives the file into the part file.
    fn attempt(&mut self) -> Result<(), FileError> {
        // The resumed part counts towards the sum of the whole file.
        if self.resumed_from > 0 {
            let mut f = File::open(&self.part).map_err(write_err(IoOp::Read, &self.part))?;
            let mut buf = vec![0u8; CHUNK];
            let mut left = self.resumed_from;
            while left > 0 {
                self.cancelled()?;
                let n =
                    f.read(&mut buf[..left.min(CHUNK as u64) as usize]).map_err(write_err(IoOp::Read, &self.part))?;
                if n == 0 {
                    break;
                }
                self.sha.update(&buf[..n]);
                left -= n as u64;
            }
        }
        self.progress.received.store(self.resumed_from, Ordering::Relaxed);
        self.cancelled()?;
        let (stream, peer) = self.connect()?;
        let result = self.transfer(&stream, peer);
        let reason = match &result {
            Ok(()) => CloseReason::PeerClosed,
            Err(FileError::Net(Problem::Reset(_))) => CloseReason::Reset,
            Err(FileError::Net(_)) => CloseReason::Failed,
            Err(_) => CloseReason::LocalClose,
        };
        if matches!(result, Err(FileError::Cancelled)) {
            // Abort with a reset: a server still hashing the file for us cannot tell a polite
            // close from a half-close, but it sees a reset, and stops working for us at once.
            let _ = socket2::SockRef::from(&stream).set_linger(Some(Duration::ZERO));
        } else {
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.emit(peer, EventKind::Closed { reason });
        result
    }

    fn emit(&self, peer: SocketAddr, kind: EventKind) {
        self.sink.emit(Some(1), Some(peer), kind);
    }

    fn connect(&mut self) -> Result<(TcpStream, SocketAddr), FileError> {
        let peer = engine::resolve(&self.cfg.connect).map_err(FileError::Net)?;
        self.sink.emit(None, Some(peer), EventKind::Connecting { peer });
        let stream = TcpStream::connect_timeout(&peer, CONNECT_TIMEOUT).map_err(|e| {
            FileError::Net(if e.kind() == io::ErrorKind::TimedOut {
                Problem::ConnectTimeout(peer, CONNECT_TIMEOUT.as_millis() as u64)
            } else {
                Problem::from_io(Op::Connect, Some(peer), &e)
            })
        })?;
        let opt = |e: io::Error| FileError::Net(Problem::from_io(Op::Option, Some(peer), &e));
        stream.set_read_timeout(Some(READ_TICK)).map_err(opt)?;
        stream.set_write_timeout(Some(CONNECT_TIMEOUT)).map_err(opt)?;
        if let Ok(local) = stream.local_addr() {
            self.sink = self.sink.with_local(local);
            self.emit(peer, EventKind::Connected { local, inbound: false, tls: None });
        }
        Ok((stream, peer))
    }

    fn transfer(&mut self, stream: &TcpStream, peer: SocketAddr) -> Result<(), FileError> {
        let net = |op: Op, e: &io::Error| FileError::Net(Problem::from_io(op, Some(peer), e));
        let name = path::trim_name(&self.cfg.name).to_string();
        let request = match self.cfg.protocol {
            FileProtocol::Tutorial => name.into_bytes(),
            FileProtocol::Framed => Request { offset: self.resumed_from, name: name.clone() }
                .encode()
                .map_err(|_| FileError::Refused { name: Some(name), peer: None, why: Refusal::ControlChar })?,
        };
        let mut w = stream;
        w.write_all(&request).map_err(|e| net(Op::Send, &e))?;
        self.emit(peer, EventKind::Tx { data: request });
        // Half-close: "that was the whole name" (the tutorial server needs no pause then).
        if stream.shutdown(Shutdown::Write).is_ok() {
            self.emit(peer, EventKind::HalfClosed);
        }

        let mut header = LineParser::<Response>::new();
        let mut file: Option<File> = None;
        let mut buf = vec![0u8; CHUNK];
        let mut last_data = Instant::now();
        let mut r = stream;
        loop {
            self.cancelled()?;
            let n = match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    if last_data.elapsed() > STALL_TIMEOUT {
                        return Err(FileError::Stalled { secs: STALL_TIMEOUT.as_secs() });
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(net(Op::Recv, &e)),
            };
            last_data = Instant::now();
            let mut data = &buf[..n];
            if self.cfg.protocol == FileProtocol::Framed && self.expected.is_none() {
                match header.push(data).map_err(FileError::BadResponse)? {
                    None => {
                        self.emit(peer, EventKind::Rx { data: data.to_vec(), lost: 0 });
                        continue;
                    }
                    Some((resp, used)) => {
                        self.emit(peer, EventKind::Rx { data: data[..used].to_vec(), lost: 0 });
                        data = &data[used..];
                        match resp {
                            Response::Err { code, message } => return Err(FileError::Server { code, message }),
                            Response::Ok { size, .. } if size < self.resumed_from => {
                                return Err(FileError::BadOffset { offset: self.resumed_from, size });
                            }
                            Response::Ok { size, .. } if size > self.cfg.max_size => {
                                return Err(FileError::DownloadTooBig { size, max: self.cfg.max_size });
                            }
                            Response::Ok { size, sha256 } => {
                                self.progress.set_total(size);
                                self.expected = Some((size, sha256));
                                file = Some(self.open_part()?);
                            }
                        }
                    }
                }
            }
            if data.is_empty() {
                continue;
            }
            self.emit(peer, EventKind::Rx { data: data.to_vec(), lost: 0 });
            // Never more than the announced size (framed) or the limit (tutorial) goes to disk.
            let room = match self.expected {
                Some((size, _)) => size,
                None => self.cfg.max_size,
            }
            .saturating_sub(self.received);
            let over = data.len() as u64 > room;
            if over && self.expected.is_none() {
                drop(file.take());
                let _ = fs::remove_file(&self.part);
                return Err(FileError::DownloadOverLimit { max: self.cfg.max_size });
            }
            let arrived = data.len() as u64;
            let data = &data[..data.len().min(usize::try_from(room).unwrap_or(usize::MAX))];
            if file.is_none() {
                file = Some(self.open_part()?);
            }
            let Some(f) = file.as_mut() else { unreachable!("just opened") };
            f.write_all(data).map_err(write_err(IoOp::Write, &self.part))?;
            self.sha.update(data);
            self.received += data.len() as u64;
            self.progress.received.store(self.received, Ordering::Relaxed);
            if over && let Some((size, _)) = self.expected {
                let actual = self.received - data.len() as u64 + arrived;
                return Err(FileError::SizeMismatch { expected: size, actual });
            }
        }
        match (self.cfg.protocol, self.expected) {
            (FileProtocol::Framed, None) => return Err(FileError::BadResponse(Malformed::EndedEarly)),
            (FileProtocol::Framed, Some((size, _))) if self.received != size => {
                return Err(FileError::SizeMismatch { expected: size, actual: self.received });
            }
            _ => {}
        }
        match file {
            Some(f) => f.sync_all().map_err(write_err(IoOp::Sync, &self.part)),
            None => Err(FileError::NothingReceived),
        }
    }

    /// Verifies the part file and gives it its real name.
    fn save(self) -> Result<Downloaded, FileError> {
        let sum: [u8; 32] = self.sha.clone().finalize().into();
        let on_disk = fs::metadata(&self.part).map_err(write_err(IoOp::Stat, &self.part))?.len();
        if on_disk != self.received {
            return Err(FileError::SizeMismatch { expected: self.received, actual: on_disk });
        }
        let verified = match self.expected {
            Some((_, announced)) if announced != sum => {
                // Resuming from these bytes would fail again: start over next time.
                let _ = fs::remove_file(&self.part);
                return Err(FileError::Checksum { expected: hex(&announced), actual: hex(&sum) });
            }
            Some(_) => true,
            None => false,
        };
        self.place()?;
        Ok(Downloaded {
            name: self.name,
            path: self.real,
            bytes: on_disk,
            sha256: hex(&sum),
            verified,
            resumed_from: self.resumed_from,
            protocol: self.cfg.protocol,
        })
    }

    /// Renames the part file to the real name; without `overwrite`, never replaces a file that
    /// appeared meanwhile (a hard link fails if the name exists, a rename would not).
    fn place(&self) -> Result<(), FileError> {
        let renamed = if self.cfg.overwrite {
            fs::rename(&self.part, &self.real)
        } else {
            match fs::hard_link(&self.part, &self.real) {
                Ok(()) => fs::remove_file(&self.part),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(FileError::Exists(self.real.clone())),
                // A file system without hard links.
                Err(_) if fs::symlink_metadata(&self.real).is_ok() => return Err(FileError::Exists(self.real.clone())),
                Err(_) => fs::rename(&self.part, &self.real),
            }
        };
        renamed.map_err(write_err(IoOp::Rename, &self.part))?;
        // The new name is durable once the folder is synced too.
        if let Ok(dir) = File::open(&self.cfg.out_dir) {
            let _ = dir.sync_all();
        }
        Ok(())
    }

    /// The `.socklab-part` file, positioned after the resumed bytes (or emptied).
    fn open_part(&self) -> Result<File, FileError> {
        let err = write_err(IoOp::Create, &self.part);
        let mut f = OpenOptions::new().create(true).write(true).truncate(false).open(&self.part).map_err(&err)?;
        f.set_len(self.resumed_from).map_err(&err)?;
        f.seek(SeekFrom::Start(self.resumed_from)).map_err(&err)?;
        Ok(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_local_name_is_the_last_plain_component() {
        assert_eq!(local_name("a.txt").unwrap(), "a.txt");
        assert_eq!(local_name("a.txt\n").unwrap(), "a.txt");
        assert_eq!(local_name("docs/sub/a.txt").unwrap(), "a.txt");
        assert_eq!(local_name("../../etc/passwd").unwrap(), "passwd", "the server decides about the path");
        assert_eq!(local_name("..\\..\\win.ini").unwrap(), "win.ini");
        for bad in ["", "dir/", ".", "..", "x/..", "x\\."] {
            assert_eq!(local_name(bad), Err(Refusal::NoFileName), "{bad:?}");
        }
        assert_eq!(local_name("a\0b"), Err(Refusal::ControlChar));
        assert_eq!(local_name("a\nb"), Err(Refusal::ControlChar));
        assert_eq!(local_name("C:x"), Err(Refusal::WindowsPath));
        assert_eq!(local_name(&"a".repeat(MAX_NAME + 1)), Err(Refusal::TooLong(MAX_NAME + 1)));
    }

    #[test]
    fn progress_starts_unknown() {
        let p = Progress::new();
        assert_eq!((p.received(), p.total(), p.is_done(), p.is_cancelled()), (0, None, false, false));
        p.set_total(0);
        assert_eq!(p.total(), Some(0));
        p.set_total(u64::MAX);
        assert_eq!(p.total(), Some(u64::MAX - 1), "saturates rather than wrapping to unknown");
        p.cancel();
        assert!(p.is_cancelled());
    }

    #[test]
    fn an_existing_target_fails_before_connecting() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "mine").unwrap();
        // Port 1 on loopback: connecting would fail differently.
        let cfg = DownloadConfig {
            connect: "127.0.0.1:1".into(),
            name: "sub/a.txt".into(),
            out_dir: dir.path().to_path_buf(),
            ..DownloadConfig::default()
        };
        let (sink, events) = EventSink::channel(None);
        let r = download(&cfg, &Progress::new(), &sink);
        assert_eq!(r, Err(FileError::Exists(dir.path().join("a.txt"))));
        assert!(events.try_recv().is_err(), "nothing was logged: no connection was tried");
        // An output "folder" that is a file cannot be made.
        let not_dir = DownloadConfig { out_dir: dir.path().join("a.txt"), name: "b".into(), ..cfg };
        let r = download(&not_dir, &Progress::new(), &sink);
        assert!(matches!(r, Err(FileError::Io { op: IoOp::Create, .. })), "{r:?}");
        assert!(events.try_recv().is_err(), "no connection was tried");
    }
}
