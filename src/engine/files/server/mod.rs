//! The file server worker: one listening socket and many downloads in one `mio` poll loop.
//!
//! Each client goes through: reading its request → (framed: waiting for the file's SHA-256 from
//! the hashing thread) → sending → draining (our side is shut; we wait briefly for the client to
//! close, so unread bytes cannot turn our FIN into a reset that loses the file's tail). File bytes
//! are read 64 KiB at a time, only when the socket can take them: at most one chunk per client is
//! in memory.
//!
//! Files: `accept.rs` (accepting, turning away, one client's readiness step), `serve.rs` (one
//! download from request to drain); the loop, the timers and the hashing replies are here.

mod accept;
mod serve;

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::net::{Shutdown, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, TryRecvError};
use mio::{Events, Interest, Poll, Token, Waker};
use socket2::{Domain, Protocol, Socket, Type};

use super::hash::{Done, HashKey, Hasher, Job, Msg};
use super::path::{self, PathError};
use super::proto::ErrCode;
use super::proto::{LineParser, MAX_LINE, Request, Response};
use super::{
    CHUNK, DEFAULT_MAX_CLIENTS, DEFAULT_MAX_FILE_SIZE, DEFAULT_MIN_SEND_RATE, FileError, FileProtocol, IoOp, MAX_NAME,
};
use crate::engine::problem::Op;
use crate::engine::{self, CloseReason, Command, ConnId, EventKind, EventSink, Problem, Proto, WAKER, WorkerHandle};

const LISTENER: Token = Token(0);
/// Tutorial protocol: the name is complete when the client pauses this long.
const PAUSE: Duration = Duration::from_millis(200);
/// A client must have sent its whole request this long after connecting: a total deadline, which
/// bytes trickling in (each one within the tutorial's [`PAUSE`]) do not extend.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// A sending client's rate is measured over windows of this length; below
/// [`FileServerConfig::min_send_rate`] it is dropped at the end of the window.
pub const RATE_WINDOW: Duration = Duration::from_secs(10);
/// Clients turned away because the server is full that are being told so (framed: `ERR busy`)
/// and closed gently at the same time; more are closed at once.
pub const MAX_TURNED_AWAY: usize = 64;
/// Accepting failed (e.g. the process ran out of file descriptors, EMFILE): the first retry comes
/// this long after, then twice as long each time, up to [`ACCEPT_RETRY_MAX`]. Edge-triggered
/// readiness does not fire again for clients already waiting, so without the retry they would
/// wait until yet another client connects.
pub const ACCEPT_RETRY_MIN: Duration = Duration::from_millis(50);
/// The longest wait between two accept retries.
pub const ACCEPT_RETRY_MAX: Duration = Duration::from_secs(1);
/// A client that takes nothing for this long is dropped.
const STALL_TIMEOUT: Duration = Duration::from_secs(30);
/// After the last byte, how long we wait for the client to close.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(2);
/// Chunks sent to one client per wake-up before the others get a turn.
const WRITE_BATCH: usize = 16;

#[derive(Clone, Debug)]
pub struct FileServerConfig {
    /// Where to listen, e.g. `127.0.0.1:7890` (the tutorial's port, on this machine only).
    pub bind: String,
    /// The shared folder: only files inside it are served.
    pub root: PathBuf,
    pub protocol: FileProtocol,
    /// Larger files are refused (`ERR too_big`).
    pub max_file_size: u64,
    /// Clients served at once; more are turned away (framed: `ERR busy`).
    pub max_clients: usize,
    /// Bytes per second a client being sent a file must take at least, measured over each
    /// [`RATE_WINDOW`]; slower ones are dropped (`ClientTooSlow`). 0: no minimum (a client that
    /// takes nothing for 30 s is still dropped).
    pub min_send_rate: u64,
    pub thread_name: String,
}

impl Default for FileServerConfig {
    fn default() -> Self {
        FileServerConfig {
            bind: "127.0.0.1:7890".into(),
            root: PathBuf::new(),
            protocol: FileProtocol::Framed,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            max_clients: DEFAULT_MAX_CLIENTS,
            min_send_rate: DEFAULT_MIN_SEND_RATE,
            thread_name: "file-server".into(),
        }
    }
}

/// The shared folder, canonical, if it exists and is a folder.
pub fn check_root(root: &Path) -> Result<PathBuf, FileError> {
    if root.as_os_str().is_empty() {
        return Err(FileError::NoRoot);
    }
    let canon = match std::fs::canonicalize(root) {
        Ok(c) => c,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(FileError::RootMissing(root.to_path_buf())),
        Err(e) => return Err(FileError::io(IoOp::Open, Some(root.to_path_buf()), &e)),
    };
    if !canon.is_dir() {
        return Err(FileError::RootNotDir(root.to_path_buf()));
    }
    Ok(canon)
}

/// Checks the shared folder and starts the server thread. Listening (or failing to) is reported
/// through `sink` like the other servers: `Listening`, or `Error` then `Stopped`.
pub fn start(cfg: FileServerConfig, sink: EventSink) -> Result<WorkerHandle, FileError> {
    let root = check_root(&cfg.root)?;
    let sink = sink.with_proto(Proto::Tcp);
    let net = |e: io::Error| FileError::Net(Problem::io(Op::Poll, None, &e));
    let poll = Poll::new().map_err(net)?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKER).map_err(net)?);
    let (tx, rx) = crossbeam_channel::bounded(engine::COMMAND_CAPACITY);
    let name = cfg.thread_name.clone();
    let w = waker.clone();
    let thread = std::thread::Builder::new()
        .name(name.clone())
        .spawn(move || run(cfg, root, sink, poll, rx, w))
        .map_err(|e| FileError::io(IoOp::Thread, None, &e))?;
    Ok(WorkerHandle { name, commands: tx, waker, thread: Some(thread) })
}

fn listen(bind: &str) -> Result<mio::net::TcpListener, Problem> {
    let addr = engine::resolve(bind)?;
    let opt = |e: io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(opt)?;
    s.set_reuse_address(true).map_err(opt)?;
    s.set_nonblocking(true).map_err(opt)?;
    engine::dual_stack(&s, addr);
    s.bind(&addr.into()).map_err(|e| Problem::from_io(Op::Bind, Some(addr), &e))?;
    s.listen(128).map_err(|e| Problem::from_io(Op::Listen, Some(addr), &e))?;
    Ok(mio::net::TcpListener::from_std(s.into()))
}

fn run(
    cfg: FileServerConfig,
    root: PathBuf,
    sink: EventSink,
    mut poll: Poll,
    cmds: Receiver<Command>,
    waker: Arc<Waker>,
) {
    let started = listen(&cfg.bind).and_then(|mut l| {
        poll.registry()
            .register(&mut l, LISTENER, Interest::READABLE)
            .map_err(|e| Problem::io(Op::Register, None, &e))?;
        let local = l.local_addr().map_err(|e| Problem::io(Op::LocalAddr, None, &e))?;
        Ok((l, local))
    });
    let (listener, local) = match started {
        Ok(v) => v,
        Err(p) => return sink.failed_start(None, p),
    };
    // Each client has at most one job queued, plus some room for jobs of clients that left.
    let hasher = match Hasher::spawn(format!("{}-sha256", cfg.thread_name), waker, cfg.max_clients.max(1) * 2) {
        Ok(h) => h,
        Err(e) => return sink.failed_start(None, Problem::io(Op::Thread, None, &e)),
    };
    let sink = sink.with_local(local);
    sink.emit(None, None, EventKind::Listening { local });
    sink.flush();

    let mut s = Server {
        cfg,
        root,
        sink,
        listener,
        local,
        clients: HashMap::new(),
        turned_away: HashMap::new(),
        accept_retry: None,
        accept_backoff: ACCEPT_RETRY_MIN,
        accept_failing: false,
        next_id: 1,
        hasher,
        unsubmitted: Vec::new(),
        more: Vec::new(),
        buf: vec![0u8; MAX_LINE],
        alive: true,
    };
    let mut events = Events::with_capacity(256);
    while s.alive {
        if let Err(e) = poll.poll(&mut events, s.timeout()) {
            if engine::interrupted(&e) {
                continue;
            }
            s.sink.emit(None, None, EventKind::Error(Problem::io(Op::Poll, None, &e)));
            break;
        }
        for ev in events.iter() {
            match ev.token() {
                WAKER => {}
                LISTENER => s.accept_all(&poll),
                t if s.turned_away.contains_key(&t) => s.drain_turned_away(&poll, t),
                t => {
                    let readable = ev.is_readable() || ev.is_read_closed();
                    let writable = ev.is_writable() || ev.is_write_closed() || ev.is_error();
                    s.on_ready(&poll, t, readable, writable);
                }
            }
        }
        loop {
            match cmds.try_recv() {
                Ok(Command::Stop) | Err(TryRecvError::Disconnected) => {
                    s.alive = false;
                    break;
                }
                Ok(Command::Disconnect { conn }) => {
                    let all: Vec<Token> = s.clients.keys().copied().collect();
                    for t in all {
                        if conn.is_none_or(|id| Token(id as usize) == t) {
                            s.step(&poll, t, |_, _| Err(CloseReason::LocalClose));
                        }
                    }
                }
                Ok(_) => {}
                Err(TryRecvError::Empty) => break,
            }
        }
        while let Some(done) = s.hasher.finished() {
            s.on_hashed(&poll, done);
        }
        s.retry_jobs();
        for t in std::mem::take(&mut s.more) {
            s.step(&poll, t, |s, c| s.send_some(c));
        }
        s.timers(&poll);
        if s.accept_retry.is_some_and(|t| t <= Instant::now()) {
            s.accept_all(&poll);
        }
        s.sink.flush();
    }
    let all: Vec<Token> = s.clients.keys().copied().collect();
    for t in all {
        if let Some(c) = s.clients.remove(&t) {
            s.close(&poll, c, CloseReason::LocalClose);
        }
    }
    for (_, mut a) in s.turned_away.drain() {
        let _ = poll.registry().deregister(&mut a.stream);
    }
    s.hasher.stop();
    let _ = poll.registry().deregister(&mut s.listener);
    s.sink.emit(None, None, EventKind::Stopped);
    s.sink.flush();
}

/// What a step on one client decided: keep going, or close with this reason.
type Step = Result<(), CloseReason>;

struct Client {
    id: ConnId,
    token: Token,
    peer: SocketAddr,
    local: SocketAddr,
    stream: mio::net::TcpStream,
    interest: Interest,
    phase: Phase,
    /// When [`Server::timers`] must look at this client again.
    deadline: Option<Instant>,
    /// The request must be complete by then ([`REQUEST_TIMEOUT`] after connecting).
    request_by: Instant,
}

/// A client turned away because the server is full: told so, our side shut, its request read
/// and dropped until it closes (closing with its request unread would reset the connection, and
/// the reset could destroy the `ERR busy` line before it is read).
struct TurnedAway {
    stream: mio::net::TcpStream,
    until: Instant,
}

enum Phase {
    /// Reading the file name, up to [`MAX_NAME`] bytes.
    Tutorial(Vec<u8>),
    /// Reading the `GET` line.
    Framed(LineParser<Request>),
    /// Waiting for the file's SHA-256.
    Hashing(Box<Prepared>),
    Sending(Box<Sending>),
    /// Everything sent and our side shut; waiting for the client to close.
    Draining,
}

/// An opened file waiting for its sum.
struct Prepared {
    name: String,
    file: File,
    size: u64,
    offset: u64,
    key: HashKey,
}

struct Sending {
    /// The header line (framed), sent before any file byte.
    head: Vec<u8>,
    head_sent: usize,
    file: Option<File>,
    /// File bytes not read yet.
    remaining: u64,
    name: String,
    /// One chunk read from the file; `chunk[pos..len]` is still to be sent.
    chunk: Vec<u8>,
    pos: usize,
    len: usize,
    /// The client is dropped if it takes nothing until then ([`STALL_TIMEOUT`]).
    stall_by: Instant,
    /// The current [`RATE_WINDOW`] ends then; `window_sent` bytes were taken in it so far.
    window_end: Instant,
    window_sent: u64,
}

impl Sending {
    /// When the timers must look at this client next.
    fn deadline(&self, min_rate: u64) -> Instant {
        if min_rate > 0 { self.stall_by.min(self.window_end) } else { self.stall_by }
    }
}

impl Client {
    fn emit(&self, sink: &EventSink, kind: EventKind) -> bool {
        sink.emit_local(Some(self.local), Some(self.id), Some(self.peer), kind)
    }

    fn wanted_interest(&self) -> Interest {
        match self.phase {
            Phase::Sending(_) => Interest::WRITABLE,
            _ => Interest::READABLE,
        }
    }
}

struct Server {
    cfg: FileServerConfig,
    /// Canonical shared folder.
    root: PathBuf,
    sink: EventSink,
    listener: mio::net::TcpListener,
    local: SocketAddr,
    clients: HashMap<Token, Client>,
    turned_away: HashMap<Token, TurnedAway>,
    /// Accepting failed: try again then ([`ACCEPT_RETRY_MIN`]…[`ACCEPT_RETRY_MAX`]).
    accept_retry: Option<Instant>,
    accept_backoff: Duration,
    /// The accept failure was reported; not again until an accept succeeds.
    accept_failing: bool,
    next_id: ConnId,
    hasher: Hasher,
    /// Hash jobs and cancellations the full queue did not take yet.
    unsubmitted: Vec<Msg>,
    /// Clients that used up their write batch and can take more.
    more: Vec<Token>,
    buf: Vec<u8>,
    alive: bool,
}

/// How an I/O error on a client's socket ends it (resets are normal, others are reported).
fn socket_failed(c: &Client, sink: &EventSink, op: Op, e: &io::Error) -> CloseReason {
    use io::ErrorKind as K;
    match e.kind() {
        K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe => CloseReason::Reset,
        _ => {
            c.emit(sink, EventKind::Error(Problem::from_io(op, Some(c.peer), e)));
            CloseReason::Failed
        }
    }
}

impl Server {
    /// How long poll may sleep: until the next client deadline.
    fn timeout(&self) -> Option<Duration> {
        if !self.more.is_empty() {
            return Some(Duration::ZERO);
        }
        let retry = (!self.unsubmitted.is_empty()).then_some(Duration::from_millis(20));
        let now = Instant::now();
        let next = self
            .clients
            .values()
            .filter_map(|c| c.deadline)
            .chain(self.turned_away.values().map(|a| a.until))
            .chain(self.accept_retry)
            .min()
            .map(|d| d.saturating_duration_since(now));
        crate::engine::sooner(retry, next)
    }

    fn log(&mut self, c: &Client, e: &FileError) {
        self.alive &= c.emit(&self.sink, EventKind::Error(Problem::File(Box::new(e.clone()))));
    }

    fn on_hashed(&mut self, poll: &Poll, done: Done) {
        self.step(poll, done.token, |s, c| {
            let Phase::Hashing(p) = std::mem::replace(&mut c.phase, Phase::Draining) else {
                return Err(CloseReason::LocalClose); // cannot happen: only hashing clients have jobs
            };
            if p.key != done.key {
                c.phase = Phase::Hashing(p);
                return Ok(());
            }
            let p = *p;
            match done.result {
                Ok(sha256) => {
                    let head = Response::Ok { size: p.size, sha256 }.encode();
                    s.start_sending(c, head, Some(p.file), p.offset, p.size, p.name)
                }
                Err(None) => s.refuse(c, FileError::Changed { name: p.name }),
                Err(Some(detail)) => s.refuse(c, FileError::Io { op: IoOp::Hash, path: None, detail }),
            }
        });
    }

    fn retry_jobs(&mut self) {
        for msg in std::mem::take(&mut self.unsubmitted) {
            if let Msg::Job(job) = &msg
                && !self.clients.contains_key(&job.token)
            {
                continue;
            }
            if let Err(msg) = self.hasher.submit(msg) {
                self.unsubmitted.push(msg);
            }
        }
    }

    /// The client waiting for a sum has gone: its job is withdrawn, or cancelled (the hashing
    /// thread closes the file, unless other clients wait for the same one).
    fn cancel_hashing(&mut self, token: Token) {
        let queued = self.unsubmitted.len();
        self.unsubmitted.retain(|m| !matches!(m, Msg::Job(j) if j.token == token));
        if self.unsubmitted.len() < queued {
            return;
        }
        if let Err(msg) = self.hasher.submit(Msg::Cancel(token)) {
            self.unsubmitted.push(msg);
        }
    }

    /// Acts on clients whose deadline has passed.
    fn timers(&mut self, poll: &Poll) {
        let now = Instant::now();
        let due: Vec<Token> =
            self.clients.iter().filter(|(_, c)| c.deadline.is_some_and(|d| d <= now)).map(|(t, _)| *t).collect();
        for t in due {
            self.step(poll, t, |s, c| {
                c.deadline = None;
                let peer = Some(c.peer);
                let secs = REQUEST_TIMEOUT.as_secs();
                let min = s.cfg.min_send_rate;
                match &mut c.phase {
                    // The client paused: the name is complete (the tutorial's client sends it
                    // without a newline and waits).
                    Phase::Tutorial(name) if !name.is_empty() && now < c.request_by => {
                        let name = std::mem::take(name);
                        s.tutorial_request(c, name)
                    }
                    Phase::Tutorial(_) | Phase::Framed(_) => s.refuse(c, FileError::NoRequest { peer, secs }),
                    Phase::Sending(x) if min > 0 && now >= x.window_end => {
                        let window = RATE_WINDOW.as_secs().max(1);
                        let rate = x.window_sent / window;
                        if rate < min {
                            let e = FileError::ClientTooSlow { peer, rate, min, secs: window };
                            s.log(c, &e);
                            return Err(reset(c));
                        }
                        (x.window_end, x.window_sent) = (now + RATE_WINDOW, 0);
                        c.deadline = Some(x.deadline(min));
                        Ok(())
                    }
                    Phase::Sending(x) if now < x.stall_by => {
                        c.deadline = Some(x.deadline(min));
                        Ok(())
                    }
                    Phase::Sending(_) => {
                        s.log(c, &FileError::ClientStalled { peer, secs: STALL_TIMEOUT.as_secs() });
                        Err(reset(c))
                    }
                    Phase::Draining => Err(CloseReason::LocalClose),
                    Phase::Hashing(_) => Ok(()),
                }
            });
        }
        let gone: Vec<Token> = self.turned_away.iter().filter(|(_, a)| a.until <= now).map(|(t, _)| *t).collect();
        for t in gone {
            if let Some(mut a) = self.turned_away.remove(&t) {
                let _ = poll.registry().deregister(&mut a.stream);
            }
        }
    }
}

/// Makes the coming close a reset (SO_LINGER 0): a client that does not read would otherwise
/// still be sent the bytes waiting in the kernel, for minutes, after we closed.
fn reset(c: &Client) -> CloseReason {
    let _ = socket2::SockRef::from(&c.stream).set_linger(Some(Duration::ZERO));
    CloseReason::LocalClose
}

/// Reads and drops what a turned-away client sends. False when it is done: closed, reset, or
/// more than a request's worth (it is then simply closed).
fn drain_quietly(stream: &mut mio::net::TcpStream, buf: &mut [u8]) -> bool {
    for _ in 0..4 {
        match stream.read(buf) {
            Ok(0) => return false,
            Ok(_) => {}
            Err(e) if engine::would_block(&e) => return true,
            Err(e) if engine::interrupted(&e) => {}
            Err(_) => return false,
        }
    }
    false
}
