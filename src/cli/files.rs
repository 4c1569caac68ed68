//! `socklab file-server` (share a folder) and `socklab file-get` (download from one): file bytes
//! are printed as one-line summaries, and `file-get` shows progress instead of events.

use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crossbeam_channel::RecvTimeoutError;

use super::printer::{Printer, say};
use super::session::{Session, is_listening};
use super::{Failure, FileGetArgs, FileServerArgs, INTERRUPTED, deadline, english};
use crate::engine::problem::Op;
use crate::engine::{self, Event, EventKind, EventSink, Problem};
use crate::i18n::{self, Lang};
use crate::log::record::Record;

/// Which Tx events of a file server carry file bytes (summarised, never printed whole): all of
/// them with the tutorial protocol; with framed, those after the header line.
struct FileData {
    protocol: engine::files::FileProtocol,
    /// Connections whose header line has been sent.
    header_sent: std::collections::HashSet<(u16, u64)>,
}

impl FileData {
    fn is_file_data(&mut self, ev: &Event) -> bool {
        let (EventKind::Tx { data }, Some(conn)) = (&ev.kind, ev.conn) else {
            if let (EventKind::Closed { .. }, Some(conn)) = (&ev.kind, ev.conn) {
                self.header_sent.remove(&(ev.source, conn));
            }
            return false;
        };
        if self.protocol == engine::files::FileProtocol::Tutorial || self.header_sent.contains(&(ev.source, conn)) {
            return true;
        }
        // The server writes its header line apart from the file bytes.
        if data.ends_with(b"\n") {
            self.header_sent.insert((ev.source, conn));
        }
        false
    }
}

/// Prints one chunk of file bytes as a one-line summary (`[file data]` and its length).
fn print_file_chunk(p: &mut Printer, ev: &Event, len: usize) {
    p.counters.apply(ev);
    p.seq += 1;
    // The record of an empty chunk: no hex or text of 64 KiB is built just to be dropped.
    let light = Event {
        time: ev.time,
        tab: ev.tab,
        source: ev.source,
        proto: ev.proto,
        conn: ev.conn,
        local: ev.local,
        peer: ev.peer,
        kind: EventKind::Tx { data: Vec::new() },
    };
    let Some(mut rec) = Record::from_event(&light, p.encoding, &p.tz, Some(p.seq), &english) else { return };
    rec.len = len;
    rec.text = "[file data]".into();
    p.write_files(ev, Some(&rec));
    let line = if p.json {
        rec.seq = None;
        rec.to_json()
    } else {
        let time = p.clock(ev.time);
        let peer = rec.peer.as_deref().unwrap_or("-");
        format!("{time} tx {peer} <<< {} ({len} bytes)", rec.text)
    };
    p.emit_line(&line);
    if p.waiting.as_ref().is_none_or(|w| w.is_empty()) {
        p.flush_out();
    }
}

/// Like [`Session::pump`], with file bytes summarised. `on_signal`: return when Ctrl+C came.
fn pump_files(s: &mut Session, until: Option<Instant>, on_signal: bool, files: &mut FileData) {
    while !s.stopped {
        if on_signal && (INTERRUPTED.load(Ordering::SeqCst) || s.printer.stdout_closed) {
            return;
        }
        let wait = match until {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) => left.min(Duration::from_millis(100)),
                None => return,
            },
            None => Duration::from_millis(100),
        };
        match s.events.recv_timeout(wait) {
            Ok(ev) if ev.kind == EventKind::Stopped => s.stopped = true,
            Ok(ev) => match &ev.kind {
                EventKind::Tx { data } if files.is_file_data(&ev) => print_file_chunk(&mut s.printer, &ev, data.len()),
                _ => {
                    files.is_file_data(&ev);
                    s.printer.print(&ev);
                }
            },
            Err(RecvTimeoutError::Timeout) => s.idle(),
            Err(RecvTimeoutError::Disconnected) => s.stopped = true,
        }
    }
}

pub(super) fn run_file_server(a: FileServerArgs) -> Result<(), Failure> {
    use engine::files::{self, FileServerConfig};
    let until = deadline(a.limit.duration)?;
    if a.max_clients == 0 {
        return Err(Failure::Usage("--max-clients must be at least 1".into()));
    }
    files::server::check_root(&a.root)
        .map_err(|e| Failure::Usage(format!("--root: {}", i18n::file_error(Lang::En, &e))))?;
    let protocol = a.protocol.into();
    let cfg = FileServerConfig {
        bind: a.bind.clone(),
        root: a.root.clone(),
        protocol,
        max_file_size: a.max_size,
        min_send_rate: a.min_rate,
        max_clients: a.max_clients,
        ..FileServerConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| {
        files::start(cfg, sink).map_err(|e| match e {
            files::FileError::Net(p) => p,
            other => Problem::Logged(i18n::file_error(Lang::En, &other)),
        })
    })?;
    s.printer.server = true;
    s.wait_ready(is_listening)?;
    let mut data = FileData { protocol, header_sent: Default::default() };
    pump_files(&mut s, until, true, &mut data);
    // Print what the server still reports while it closes its clients, then the summary.
    s.handle.request_stop();
    pump_files(&mut s, Some(Instant::now() + Duration::from_secs(5)), false, &mut data);
    s.finish()
}

pub(super) fn run_file_get(a: FileGetArgs) -> Result<(), Failure> {
    use engine::files::{self, DownloadConfig, FileProtocol, Progress};
    use std::io::IsTerminal;
    let protocol: FileProtocol = a.protocol.into();
    let cfg = DownloadConfig {
        connect: a.connect.clone(),
        name: a.name.clone(),
        out_dir: a.out.clone(),
        protocol,
        overwrite: a.overwrite,
        resume: !a.no_resume,
        max_size: a.max_size,
    };
    let progress = std::sync::Arc::new(Progress::new());
    let (sink, events) = EventSink::channel(None);
    // The transfer is logged to the sink like any worker; this command prints only progress
    // and the result, so the events are just drained.
    let drain = std::thread::Builder::new()
        .name("file-get-log".into())
        .spawn(move || for _ in events {})
        .map_err(|e| Failure::Net(Problem::io(Op::Thread, None, &e)))?;
    let worker = files::spawn_download(cfg, progress.clone(), sink)
        .map_err(|e| Failure::Net(Problem::io(Op::Thread, None, &e)))?;
    let tty = std::io::stderr().is_terminal();
    let show_progress = !a.output.quiet;
    let (mut printed, mut shown): (Option<Instant>, u64) = (None, 0);
    while !worker.is_finished() {
        if INTERRUPTED.load(Ordering::SeqCst) {
            progress.cancel();
        }
        std::thread::sleep(Duration::from_millis(50));
        let got = progress.received();
        // At most 4 lines a second, and only when something changed.
        if !show_progress || got == shown || printed.is_some_and(|t| t.elapsed() < Duration::from_millis(250)) {
            continue;
        }
        let line = match progress.total() {
            Some(t) if t > 0 => format!("{}: {got} / {t} bytes ({}%)", a.name, got.saturating_mul(100) / t),
            _ => format!("{}: {got} bytes", a.name),
        };
        if tty {
            let _ = write!(std::io::stderr(), "\r{line:<70}");
        } else {
            say!("{line}");
        }
        (printed, shown) = (Some(Instant::now()), got);
    }
    if tty && printed.is_some() {
        say!();
    }
    // A panic in the download thread was already printed; say the worker is gone.
    let result = worker.join().map_err(|_| Failure::Net(Problem::WorkerGone));
    let _ = drain.join();
    let d = result?.map_err(|e| {
        let text = match &e {
            // The CLI's own wording names the flag.
            files::FileError::Exists(p) => format!("{} already exists: --overwrite replaces it", p.display()),
            _ => i18n::file_error(Lang::En, &e),
        };
        Failure::Net(Problem::Logged(text))
    })?;
    let line = if a.json {
        serde_json::to_string(&d).unwrap_or_default()
    } else {
        let check = if d.verified {
            "verified".to_string()
        } else {
            format!("not verified: the {} protocol sends no checksum", d.protocol.name())
        };
        format!("saved {} ({} bytes, sha256 {}, {check})", d.name, d.bytes, d.sha256)
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
    Ok(())
}
