//! Recording a log to a file as it grows (the GUI's *Record to file*, like the CLI's
//! `--log-file`/`--pcap`): events go over a bounded channel to a named thread that writes them
//! as JSON lines, CSV, pcap or pcapng and flushes at least every [`FLUSH_EVERY`], so a long run
//! keeps everything it saw even when the log's memory budget evicts old rows. A full channel
//! never blocks the caller: the events it could not take are counted, never silently lost.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender, TrySendError};

use super::export::Format;
use super::pcap::{PcapWriter, Written};
use super::record::{Record, Words};
use crate::codec::Encoding;
use crate::engine::Event;

/// The file reaches the disk at least this often while events come.
pub const FLUSH_EVERY: Duration = Duration::from_millis(100);
/// Events waiting for the writer at most; more are counted as missed.
pub const QUEUE: usize = 65_536;

/// What a recording has done so far, shared with its thread.
#[derive(Debug, Default)]
pub struct RecordStats {
    /// Events written (a line, or one or more packets).
    pub written: AtomicU64,
    /// Events the format has no place for (pcap: what is not traffic on the wire).
    pub skipped: AtomicU64,
    /// Events the writer could not keep up with (the queue was full).
    pub missed: AtomicU64,
    /// Bytes in the file.
    pub bytes: AtomicU64,
    /// The writer stopped on an error (the words are in `error`).
    pub failed: AtomicBool,
    error: std::sync::Mutex<Option<String>>,
}

impl RecordStats {
    /// The error that stopped the writer, in the system's words.
    pub fn error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|e| e.clone())
    }

    fn fail(&self, e: &io::Error) {
        if let Ok(mut slot) = self.error.lock() {
            *slot = Some(e.to_string());
        }
        self.failed.store(true, Ordering::Relaxed);
    }
}

/// A recording in progress: offer it events; [`Recorder::stop`] writes the rest and closes.
pub struct Recorder {
    pub path: PathBuf,
    /// Which tab's events it takes (`None`: every tab's).
    pub scope: Option<u16>,
    tx: Option<Sender<(u64, Event)>>,
    thread: Option<JoinHandle<()>>,
    pub stats: Arc<RecordStats>,
}

impl Recorder {
    /// Creates `path` (the format by its name, as exports choose it) and starts the writer.
    pub fn start(
        path: &Path,
        scope: Option<u16>,
        encoding: Encoding,
        words: Words<'static>,
    ) -> io::Result<Recorder> {
        let format = Format::from_path(path);
        let file = File::create(path)?;
        let stats = Arc::new(RecordStats::default());
        let (tx, rx) = crossbeam_channel::bounded(QUEUE);
        let st = Arc::clone(&stats);
        let thread = std::thread::Builder::new()
            .name("recorder".into())
            .spawn(move || {
                if let Err(e) = write_all(file, format, encoding, words, &rx, &st) {
                    st.fail(&e);
                }
            })?;
        Ok(Recorder { path: path.to_path_buf(), scope, tx: Some(tx), thread: Some(thread), stats })
    }

    /// Hands an event (row `seq` of the log) to the writer if it is in scope; never blocks.
    pub fn offer(&self, seq: u64, ev: &Event) {
        if self.scope.is_some_and(|t| t != ev.tab) {
            return;
        }
        let Some(tx) = &self.tx else { return };
        match tx.try_send((seq, ev.clone())) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.stats.missed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes what is queued, flushes, closes the file and joins the writer.
    pub fn stop(mut self) -> Arc<RecordStats> {
        self.finish();
        Arc::clone(&self.stats)
    }

    fn finish(&mut self) {
        self.tx = None;
        if let Some(t) = self.thread.take() {
            // A writer that panicked has written what it could; its stats say how much.
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").field("path", &self.path).field("scope", &self.scope).finish_non_exhaustive()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        self.finish();
    }
}

/// A file that counts the bytes written to it.
struct Counted<W> {
    inner: W,
    stats: Arc<RecordStats>,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.stats.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

enum Sink {
    Lines(BufWriter<Counted<File>>, bool),
    Capture(Box<PcapWriter<BufWriter<Counted<File>>>>),
}

impl Sink {
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Sink::Lines(w, _) => w.flush(),
            Sink::Capture(w) => w.flush(),
        }
    }
}

fn write_all(
    file: File,
    format: Format,
    encoding: Encoding,
    words: Words<'static>,
    rx: &Receiver<(u64, Event)>,
    stats: &Arc<RecordStats>,
) -> io::Result<()> {
    let out = BufWriter::new(Counted { inner: file, stats: Arc::clone(stats) });
    let mut sink = match format {
        Format::Pcap | Format::Pcapng => Sink::Capture(Box::new(PcapWriter::create(out, format == Format::Pcapng)?)),
        Format::Csv => {
            let mut out = out;
            writeln!(out, "{}", Record::CSV_HEADER)?;
            Sink::Lines(out, true)
        }
        Format::Jsonl => Sink::Lines(out, false),
    };
    sink.flush()?;
    let tz = jiff::tz::TimeZone::system();
    let mut last_flush = Instant::now();
    let mut unflushed = false;
    loop {
        let wait = FLUSH_EVERY.saturating_sub(last_flush.elapsed());
        match rx.recv_timeout(if unflushed { wait } else { FLUSH_EVERY }) {
            Ok((seq, ev)) => {
                let kept = match &mut sink {
                    Sink::Capture(w) => !matches!(w.write_noted(&ev, &[])?, Written::NotTraffic | Written::NoPeer),
                    Sink::Lines(w, csv) => match Record::from_event(&ev, encoding, &tz, Some(seq), words) {
                        Some(r) => {
                            writeln!(w, "{}", if *csv { r.to_csv() } else { r.to_json() })?;
                            true
                        }
                        None => false,
                    },
                };
                let counter = if kept { &stats.written } else { &stats.skipped };
                counter.fetch_add(1, Ordering::Relaxed);
                unflushed = true;
            }
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        if unflushed && last_flush.elapsed() >= FLUSH_EVERY {
            sink.flush()?;
            last_flush = Instant::now();
            unflushed = false;
        }
    }
    match sink {
        Sink::Lines(mut w, _) => w.flush(),
        Sink::Capture(w) => w.finish().map(|_| ()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EventKind;
    use crate::vocab::Proto;

    fn words(p: &crate::engine::Problem) -> String {
        format!("{p:?}")
    }

    fn rx(tab: u16, data: &[u8]) -> Event {
        let mut ev = Event::now(Proto::Udp, EventKind::Rx { data: data.to_vec(), lost: 0 });
        ev.tab = tab;
        ev.local = Some("127.0.0.1:9000".parse().unwrap());
        ev.peer = Some("127.0.0.1:40000".parse().unwrap());
        ev
    }

    /// Each event reaches the file within the flush interval (read while recording), only the
    /// recorder's tab, and every format reads back.
    #[test]
    fn records_flush_soon_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        for name in ["r.jsonl", "r.csv", "r.pcap", "r.pcapng"] {
            let path = dir.path().join(name);
            let rec = Recorder::start(&path, Some(1), Encoding::Utf8, &words).unwrap();
            rec.offer(1, &rx(1, b"first"));
            rec.offer(2, &rx(2, b"other tab"));
            let deadline = Instant::now() + Duration::from_secs(5);
            while rec.stats.written.load(Ordering::Relaxed) < 1 && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            std::thread::sleep(FLUSH_EVERY * 2);
            let on_disk = std::fs::read(&path).unwrap();
            assert!(on_disk.windows(5).any(|w| w == b"first"), "{name}: flushed while recording");
            rec.offer(3, &rx(1, b"second"));
            let stats = rec.stop();
            assert_eq!(stats.written.load(Ordering::Relaxed), 2, "{name}");
            assert_eq!(stats.missed.load(Ordering::Relaxed), 0);
            assert_eq!(stats.bytes.load(Ordering::Relaxed), std::fs::metadata(&path).unwrap().len());
            if name != "r.csv" {
                let mut got = Vec::new();
                let mut sink = |ev: Event, _: Option<&str>| {
                    got.push(ev);
                    None
                };
                crate::log::import::read_file_into(&path, &Default::default(), &mut sink).unwrap();
                let data: Vec<Vec<u8>> = got
                    .iter()
                    .filter_map(|e| match &e.kind {
                        EventKind::Rx { data, .. } => Some(data.clone()),
                        _ => None,
                    })
                    .collect();
                assert_eq!(data, [b"first".to_vec(), b"second".to_vec()], "{name}");
            }
        }
    }
}
