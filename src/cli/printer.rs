//! What a run prints and logs: [`Printer`] turns events into lines (text or JSON) on standard
//! output, writes them to `--log-file` (JSON lines or CSV) and `--pcap`, keeps the counters and
//! prints the summary. Also the `say!` writer for standard error and the check for a reader of
//! standard output that has gone.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

use super::{Common, Failure, english};
use crate::codec::{self, Encoding};
use crate::engine::{Event, EventKind, Problem, Proto};
use crate::i18n;
use crate::log::Counters;
use crate::log::export::Format;
use crate::log::pcap::PcapWriter;
use crate::log::record::{self, Record};

/// Writes a line to standard error; a closed stderr (e.g. `2>&1 | head -c 10`) is ignored
/// instead of panicking the way `eprintln!` does.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}
pub(super) use say;

/// Whether the reader of standard output has gone (a pipe whose reader exited, like `head`
/// after its lines): `poll` reports `POLLERR` on the write end of such a pipe, so the run can
/// end even when it has nothing more to write.
pub(super) fn stdout_reader_gone() -> bool {
    #[cfg(unix)]
    {
        let mut fd = libc::pollfd { fd: libc::STDOUT_FILENO, events: 0, revents: 0 };
        // SAFETY: one valid pollfd, timeout 0 (never blocks).
        let n = unsafe { libc::poll(&mut fd, 1, 0) };
        n > 0 && fd.revents & (libc::POLLERR | libc::POLLHUP) != 0
    }
    #[cfg(not(unix))]
    {
        false
    }
}

/// `--log-file` and `--pcap` reach the disk at least this often (also when no more events come),
/// so `kill -9` loses at most the last ~100 ms.
const FLUSH_EVERY: Duration = Duration::from_millis(50);

/// Where `--log-file` writes, by its extension: `.csv` gives CSV, anything else JSONL.
enum LogFile {
    Jsonl(BufWriter<File>),
    Csv(BufWriter<File>),
}

/// Prints events, writes them to `--log-file`/`--pcap`, and keeps the counters for the summary.
pub(super) struct Printer {
    pub(super) json: bool,
    pub(super) encoding: Encoding,
    pub(super) counters: Counters,
    pub(super) tz: jiff::tz::TimeZone,
    pub(super) seq: u64,
    log_file: Option<LogFile>,
    pcap: Option<PcapWriter<BufWriter<File>>>,
    /// The first write error of a file (which file, what went wrong); reported once, at the end.
    file_error: Option<(&'static str, String)>,
    /// Errors that make the run a failure (exit 1), see [`Printer::is_failure`].
    pub(super) failures: u64,
    /// A server: problems of one client (it reset, it left, it does not read) are reported but
    /// do not make the run a failure; the server goes on serving others.
    pub(super) server: bool,
    /// A relay: the summary counts each direction and what the faults did.
    pub(super) relay: bool,
    /// Standard output could not be written (its reader is gone, e.g. `| head`): the run ends,
    /// and the summary goes to standard error.
    pub(super) stdout_closed: bool,
    /// Events written to the files since they were last flushed, and when that was: the files
    /// are flushed at least every [`FLUSH_EVERY`], so a killed run loses at most that much.
    unflushed: bool,
    last_flush: Instant,
    /// Standard output, buffered: written out when no more events are waiting (see `waiting`),
    /// at least every [`FLUSH_EVERY`], and at the end, instead of one write per line.
    out: BufWriter<std::io::Stdout>,
    /// The event channel, to see whether more events are waiting.
    pub(super) waiting: Option<Receiver<Event>>,
    /// TCP text is decoded as a stream per connection and direction, so a character split
    /// across two reads prints whole.
    decoders: HashMap<(u16, u64, bool), codec::StreamDecoder>,
    /// Datagrams (Rx/Tx) are counted and written to the files but not printed (`udp --rate`).
    pub(super) quiet_data: bool,
    /// The last traffic generator run: packets, bytes, microseconds.
    generated: Option<(u64, u64, u64)>,
    /// The local time's `HH:MM:SS` for one Unix second (see [`Printer::clock`]).
    clock_cache: Option<(i64, String)>,
    /// `socklab read`: the rows come from a file, not a live socket. An error row is a row
    /// like any other (printed on standard output, not a failure of this run), and standard
    /// output is written in large blocks, not flushed after each row.
    pub(super) replay: bool,
    /// The comment on the row being printed (an imported capture's): in its record and, for
    /// a pcapng `--pcap`, on its packets.
    pub(super) comment: Option<String>,
    /// Text output prints TLS records too (`--tls-records`; JSON always has them).
    pub(super) tls_records: bool,
}

fn create(path: &Path) -> Result<BufWriter<File>, Failure> {
    File::create(path).map(BufWriter::new).map_err(|e| Failure::Usage(format!("cannot write {}: {e}", path.display())))
}

impl Printer {
    pub(super) fn new(common: &Common) -> Result<Printer, Failure> {
        if let (Some(log), Some(pcap)) = (&common.log_file, &common.pcap) {
            let same = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
            if same(log) == same(pcap) {
                return Err(Failure::Usage(format!(
                    "--log-file and --pcap are the same file ({}): give each its own",
                    log.display()
                )));
            }
        }
        let log_file = match &common.log_file {
            None => None,
            Some(p) => {
                let csv = p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
                let mut w = create(p)?;
                if csv {
                    writeln!(w, "{}", Record::CSV_HEADER)
                        .map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?;
                    Some(LogFile::Csv(w))
                } else {
                    Some(LogFile::Jsonl(w))
                }
            }
        };
        let pcap = match &common.pcap {
            None => None,
            Some(p) => {
                let ng = Format::from_path(p) == Format::Pcapng;
                Some(PcapWriter::create(create(p)?, ng).map_err(|e| Failure::Usage(format!("{}: {e}", p.display())))?)
            }
        };
        Ok(Printer {
            json: common.json,
            encoding: common.encoding,
            counters: Counters::default(),
            tz: jiff::tz::TimeZone::system(),
            seq: 0,
            log_file,
            pcap,
            file_error: None,
            failures: 0,
            server: false,
            relay: false,
            stdout_closed: false,
            unflushed: false,
            last_flush: Instant::now(),
            out: BufWriter::with_capacity(64 * 1024, std::io::stdout()),
            waiting: None,
            decoders: HashMap::new(),
            quiet_data: common.quiet,
            generated: None,
            clock_cache: None,
            replay: false,
            comment: None,
            tls_records: false,
        })
    }

    pub(super) fn print(&mut self, ev: &Event) {
        let data = matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. } | EventKind::Relayed { .. });
        let records = matches!(ev.kind, EventKind::TlsRecords { .. });
        if self.quiet_data && (data || records) || records && !self.json && !self.tls_records {
            return self.count_quietly(ev);
        }
        self.counters.apply(ev);
        match &ev.kind {
            EventKind::Error(_) if self.replay => {}
            EventKind::Error(p) => {
                say!("socklab: {}", english(p));
                if self.is_failure(ev, p) {
                    self.failures += 1;
                }
            }
            EventKind::GeneratorDone { packets, bytes, micros } => self.generated = Some((*packets, *bytes, *micros)),
            _ => {}
        }
        self.seq += 1;
        let line = match (&ev.kind, self.json || self.log_file.is_some()) {
            // Data printed as text only: no record (its RFC 3339 time and hex are not needed).
            (EventKind::Rx { data, lost }, false) => self.data_line(ev, data, *lost, true),
            (EventKind::Tx { data }, false) => self.data_line(ev, data, 0, false),
            _ => match self.record_line(ev) {
                Some(line) => line,
                None => return,
            },
        };
        self.emit_line(&line);
        let idle = !self.replay && self.waiting.as_ref().is_none_or(|w| w.is_empty());
        if idle || self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush_out();
            if !idle {
                self.flush_files();
            }
        }
    }

    /// Whether an error makes the run fail (exit 1): everything but kernel drops (counted and
    /// reported, the socket goes on) and, on a server, the problems of one client.
    fn is_failure(&self, ev: &Event, p: &Problem) -> bool {
        let benign = matches!(p, Problem::KernelDrops(_) | Problem::TooManyClients(_) | Problem::ClientNotReading(_));
        let one_client = self.server && ev.conn.is_some();
        !(benign || one_client)
    }

    /// One line to standard output (buffered). A closed stdout (e.g. piped to `head`) ends the
    /// run instead of crashing it or running on unseen.
    pub(super) fn emit_line(&mut self, line: &str) {
        if !self.stdout_closed && writeln!(self.out, "{line}").is_err() {
            self.stdout_closed = true;
        }
    }

    pub(super) fn flush_out(&mut self) {
        if !self.stdout_closed && self.out.flush().is_err() {
            self.stdout_closed = true;
        }
    }

    /// The text of received or sent bytes: TCP decoded as a stream per connection and
    /// direction (a character split across two reads prints whole), a datagram on its own.
    fn data_text(&mut self, ev: &Event, data: &[u8], lost: usize, rx: bool) -> String {
        if let (Proto::Tcp, Some(conn)) = (ev.proto, ev.conn) {
            let encoding = self.encoding;
            let d = self.decoders.entry((ev.source, conn, rx)).or_insert_with(|| codec::StreamDecoder::new(encoding));
            return d.decode(data, false);
        }
        let mut text = self.encoding.decode_lossy(data);
        if lost > 0 {
            text.push_str(&i18n::fill(i18n::EN.ev_truncated, &[&lost]));
        }
        text
    }

    /// `HH:MM:SS.mmm` in the local time zone; the part up to the second is formatted once a
    /// second, not for every event.
    pub(super) fn clock(&mut self, t: jiff::Timestamp) -> String {
        let second = t.as_second();
        if self.clock_cache.as_ref().is_none_or(|(s, _)| *s != second) {
            let hms = t.to_zoned(self.tz.clone()).strftime("%H:%M:%S").to_string();
            self.clock_cache = Some((second, hms));
        }
        let hms = self.clock_cache.as_ref().map_or("", |(_, h)| h.as_str());
        format!("{hms}.{:03}", t.subsec_millisecond().unsigned_abs())
    }

    /// One received or sent message as a text line; the capture still gets it.
    fn data_line(&mut self, ev: &Event, data: &[u8], lost: usize, rx: bool) -> String {
        let text = self.data_text(ev, data, lost, rx);
        if self.pcap.is_some() {
            self.write_files(ev, None);
        }
        let peer = ev.peer.map(|p| p.to_string());
        self.text_line(ev.time, rx, peer.as_deref(), &text, data.len())
    }

    /// `12:00:00.123 rx 127.0.0.1:5000 >>> text (N bytes)`.
    fn text_line(&mut self, time: jiff::Timestamp, rx: bool, peer: Option<&str>, text: &str, len: usize) -> String {
        let (kind, arrow) = if rx { ("rx", ">>>") } else { ("tx", "<<<") };
        let time = self.clock(time);
        format!("{time} {kind} {} {arrow} {} ({len} bytes)", peer.unwrap_or("-"), codec::printable(text))
    }

    /// Any event as a record: written to the log file and capture, printed as JSON or text.
    fn record_line(&mut self, ev: &Event) -> Option<String> {
        let mut rec = Record::from_event(ev, self.encoding, &self.tz, Some(self.seq), &english)?;
        rec.comment.clone_from(&self.comment);
        let tcp = ev.proto == Proto::Tcp && ev.conn.is_some();
        match &ev.kind {
            EventKind::Rx { data, lost } if tcp => rec.text = self.data_text(ev, data, *lost, true),
            EventKind::Tx { data } if tcp => rec.text = self.data_text(ev, data, 0, false),
            EventKind::Relayed { dir, data, .. } if tcp => {
                rec.text = self.data_text(ev, data, 0, *dir == crate::vocab::Dir::Up);
            }
            EventKind::Closed { .. } => {
                if let Some(conn) = ev.conn {
                    self.decoders.retain(|k, _| (k.0, k.1) != (ev.source, conn));
                }
            }
            _ => {}
        }
        self.write_files(ev, Some(&rec));
        Some(if self.json {
            rec.seq = None;
            rec.to_json()
        } else if matches!(ev.kind, EventKind::Rx { .. } | EventKind::Tx { .. }) {
            self.text_line(ev.time, rec.kind == "rx", rec.peer.as_deref(), &rec.text, rec.len)
        } else if let EventKind::Relayed { dir, upstream, .. } = &ev.kind {
            // `12:00:00.123 up 127.0.0.1:51000 => 127.0.0.1:9999 text (N bytes)`.
            let client = rec.peer.as_deref().unwrap_or("-");
            let (from, arrow, to) = match dir {
                crate::vocab::Dir::Up => (client.to_string(), "=>", upstream.to_string()),
                crate::vocab::Dir::Down => (upstream.to_string(), "=>", client.to_string()),
            };
            let text = codec::printable(&rec.text);
            format!("{} {} {from} {arrow} {to} {text} ({} bytes)", self.clock(ev.time), dir.name(), rec.len)
        } else if let EventKind::Connected { tls: Some(info), .. } = &ev.kind {
            let head = format!("{} {} {} {}", self.clock(ev.time), rec.kind, rec.peer.as_deref().unwrap_or("-"), rec.text);
            std::iter::once(head).chain(super::tls::describe(info)).collect::<Vec<_>>().join("\n")
        } else {
            format!("{} {} {} {}", self.clock(ev.time), rec.kind, rec.peer.as_deref().unwrap_or("-"), rec.text)
        })
    }

    /// Counts a datagram without printing it: the generator's hot path. Only when a log file or
    /// a capture is being written is its record built.
    fn count_quietly(&mut self, ev: &Event) {
        self.counters.apply(ev);
        self.seq += 1;
        if self.log_file.is_some() {
            if let Some(mut rec) = Record::from_event(ev, self.encoding, &self.tz, Some(self.seq), &english) {
                rec.comment.clone_from(&self.comment);
                self.write_files(ev, Some(&rec));
            }
        } else if self.pcap.is_some() {
            self.write_files(ev, None);
        }
    }

    /// Writes an event to the capture and its record to the log file (`rec` is needed only when
    /// there is a log file).
    pub(super) fn write_files(&mut self, ev: &Event, rec: Option<&Record>) {
        let logged = match (&mut self.log_file, rec) {
            (Some(LogFile::Jsonl(w)), Some(rec)) => writeln!(w, "{}", rec.to_json()),
            (Some(LogFile::Csv(w)), Some(rec)) => writeln!(w, "{}", rec.to_csv()),
            _ => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = &mut self.pcap {
            let captured = match self.comment.as_deref() {
                None => p.write(ev),
                Some(c) => p.write_noted(ev, &[c]).map(|_| ()),
            };
            self.file_failed(PCAP, captured);
        }
        self.unflushed = true;
        if self.last_flush.elapsed() >= FLUSH_EVERY {
            self.flush_files();
        }
    }

    /// Writes buffered log and capture lines to disk (called as events come and when idle).
    pub(super) fn flush_files(&mut self) {
        self.flush_out();
        if !self.unflushed {
            self.last_flush = Instant::now();
            return;
        }
        let logged = match &mut self.log_file {
            Some(LogFile::Jsonl(w)) | Some(LogFile::Csv(w)) => w.flush(),
            None => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = &mut self.pcap {
            let captured = p.flush();
            self.file_failed(PCAP, captured);
        }
        self.unflushed = false;
        self.last_flush = Instant::now();
    }

    /// Keeps the first write error of a file, to report it (once) at the end.
    fn file_failed(&mut self, which: &'static str, result: std::io::Result<()>) {
        if let Err(e) = result {
            self.file_error.get_or_insert_with(|| (which, e.to_string()));
        }
    }

    /// Flushes standard output, writes the files out and closes them; a file that could not be
    /// written is reported (once) and makes the run a failure.
    pub(super) fn close_files(&mut self) {
        self.flush_out();
        let logged = match self.log_file.take() {
            Some(LogFile::Jsonl(mut w)) | Some(LogFile::Csv(mut w)) => w.flush(),
            None => Ok(()),
        };
        self.file_failed(LOG_FILE, logged);
        if let Some(p) = self.pcap.take() {
            let captured = p.finish().map(|_| ());
            self.file_failed(PCAP, captured);
        }
        if let Some((which, e)) = self.file_error.take() {
            say!("socklab: writing the {which} failed: {e}");
            self.failures += 1;
        }
    }

    /// Flushes the files and prints the summary (to standard error when standard output is
    /// closed). A file that could not be written makes the run a failure.
    pub(super) fn summary(&mut self) {
        self.close_files();
        let c = &self.counters;
        // The generator's run and the rate it reached: datagrams/s and Mbit/s of payload.
        let generated = self.generated.map(|(packets, bytes, micros)| {
            let secs = micros as f64 / 1e6;
            let per_sec = |n: f64| if secs > 0.0 { n / secs } else { 0.0 };
            (packets, bytes, micros, per_sec(packets as f64), per_sec(bytes as f64 * 8.0) / 1e6)
        });
        let line = if self.json {
            let mut v = serde_json::json!({
                "ts": record::rfc3339(jiff::Timestamp::now(), &self.tz),
                "kind": "summary",
                "rx_packets": c.rx_packets, "rx_bytes": c.rx_bytes,
                "tx_packets": c.tx_packets, "tx_bytes": c.tx_bytes,
                "connections": c.connections,
            });
            if let (true, Some(o)) = (self.relay, v.as_object_mut()) {
                for (k, n) in [
                    ("up_bytes", c.up_bytes),
                    ("down_bytes", c.down_bytes),
                    ("up_datagrams", c.up_datagrams),
                    ("down_datagrams", c.down_datagrams),
                    ("dropped", c.dropped),
                    ("duplicated", c.duplicated),
                    ("reordered", c.reordered),
                ] {
                    o.insert(k.into(), n.into());
                }
            }
            if let (Some((packets, bytes, micros, rate, mbit)), Some(o)) = (generated, v.as_object_mut()) {
                o.insert("gen_packets".into(), packets.into());
                o.insert("gen_bytes".into(), bytes.into());
                o.insert("gen_micros".into(), micros.into());
                o.insert("gen_rate".into(), ((rate * 10.0).round() / 10.0).into());
                o.insert("gen_mbit_s".into(), ((mbit * 1000.0).round() / 1000.0).into());
            }
            v.to_string()
        } else {
            let mut line = format!(
                "summary: rx {} packets / {} bytes, tx {} packets / {} bytes, {} connections",
                c.rx_packets, c.rx_bytes, c.tx_packets, c.tx_bytes, c.connections
            );
            if self.relay {
                line.push_str(&format!(
                    "; relayed up {} reads / {} bytes, down {} reads / {} bytes; faults dropped {}, duplicated {}, reordered {}",
                    c.up_datagrams, c.up_bytes, c.down_datagrams, c.down_bytes, c.dropped, c.duplicated, c.reordered
                ));
            }
            if let Some((packets, bytes, micros, rate, mbit)) = generated {
                line.push_str(&format!(
                    "; generated {packets} datagrams / {bytes} bytes in {:.3} s: {rate:.0} datagrams/s, {mbit:.2} Mbit/s",
                    micros as f64 / 1e6
                ));
            }
            line
        };
        self.emit_line(&line);
        self.flush_out();
        if self.stdout_closed {
            say!("{line}");
        }
    }
}

/// Names of the files, for a write error.
const LOG_FILE: &str = "log file (--log-file)";
const PCAP: &str = "capture (--pcap)";
