//! Writing a list of events to a file as pcap, pcapng, JSON lines or CSV, with progress and
//! cancel, for exports that run off the UI thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::pcap::{PcapWriter, Written};
use super::record::{Record, Words};
use crate::codec::Encoding;
use crate::engine::Event;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    /// pcapng (Wireshark's default): the same frames as pcap, with each row's tab and comment.
    Pcapng,
    Jsonl,
    Csv,
}

impl Format {
    /// From the file name: `.pcap`/`.cap` → pcap, `.pcapng`/`.ntar` → pcapng, `.csv` → CSV,
    /// anything else JSON lines.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("pcap" | "cap") => Format::Pcap,
            Some("pcapng" | "ntar") => Format::Pcapng,
            Some("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }
}

/// What an export says about its rows besides the rows themselves: the names of the tabs they
/// came from (a pcapng packet comment) and the rows' own comments (an imported capture's; in
/// pcapng as a packet comment, in JSONL as `comment`). Owned, so it moves to the writing thread.
#[derive(Clone, Debug, Default)]
pub struct Notes {
    /// Tab number → its name.
    pub tab_names: BTreeMap<u16, String>,
    /// Row (sequence number) → its comment.
    pub comments: BTreeMap<u64, String>,
}

/// How a pcapng packet names the tab its row came from.
pub fn tab_comment(name: &str) -> String {
    format!("SockLab tab: {name}")
}

impl Notes {
    /// The packet comments of row `seq` of tab `tab`: the tab's name, then the row's comment
    /// (unless it says the same, as a row read from a SockLab pcapng does).
    fn of(&self, seq: u64, tab: u16) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(name) = self.tab_names.get(&tab) {
            out.push(tab_comment(name));
        }
        if let Some(c) = self.comments.get(&seq)
            && !out.contains(c)
        {
            out.push(c.clone());
        }
        out
    }
}

/// Progress shared with the thread that writes.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub cancel: AtomicBool,
}

/// What an export wrote, and what it left out (every event is in exactly one of `written`,
/// `not_traffic` and `no_peer`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Events written: as one line (JSONL, CSV) or as one or more packets (pcap).
    pub written: u64,
    /// Events the format has no place for: in pcap, what is not traffic on the wire
    /// (listening, errors, …); in every format, a worker's internal "stopped".
    pub not_traffic: u64,
    /// Payloads left out of a pcap because their peer address is unknown (a packet needs both
    /// ends). JSONL and CSV write them.
    pub no_peer: u64,
    /// Of the written events, UDP payloads too big for one datagram (more than
    /// [`super::pcap::MAX_UDP_V4`] / [`super::pcap::MAX_UDP_V6`] bytes), written to a pcap as
    /// several datagrams.
    pub split: u64,
    /// Packets in the pcap (0 for JSONL and CSV).
    pub packets: u64,
}

/// Writes `events` (with their sequence numbers) to `path`. Returns what was written and left
/// out, or `ErrorKind::Interrupted` if cancelled; a cancelled or failed export leaves no file
/// behind. `words` puts an error's problem into the words of a JSONL/CSV record's `text`;
/// `notes` adds the tab names and comments (pcapng, JSONL).
pub fn write_file(
    events: &[(u64, Event)],
    path: &Path,
    format: Format,
    encoding: Encoding,
    progress: &Progress,
    words: Words<'_>,
    notes: &Notes,
) -> io::Result<Report> {
    let result = write_inner(events, path, format, encoding, progress, words, notes);
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

fn write_inner(
    events: &[(u64, Event)],
    path: &Path,
    format: Format,
    encoding: Encoding,
    progress: &Progress,
    words: Words<'_>,
    notes: &Notes,
) -> io::Result<Report> {
    let tz = jiff::tz::TimeZone::system();
    let out = BufWriter::new(File::create(path)?);
    let mut report = Report::default();
    // Events looked at, for the progress bar.
    let mut done = 0u64;
    let step = |done: &mut u64| -> io::Result<()> {
        *done += 1;
        if done.is_multiple_of(1024) {
            progress.done.store(*done, Ordering::Relaxed);
            if progress.cancel.load(Ordering::Relaxed) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
            }
        }
        Ok(())
    };
    match format {
        Format::Pcap | Format::Pcapng => {
            let mut w = PcapWriter::create(out, format == Format::Pcapng)?;
            for (seq, ev) in events {
                let comments = if w.is_pcapng() { notes.of(*seq, ev.tab) } else { Vec::new() };
                let comments: Vec<&str> = comments.iter().map(String::as_str).collect();
                match w.write_noted(ev, &comments)? {
                    Written::Packets(_) => report.written += 1,
                    Written::Split { .. } => {
                        report.written += 1;
                        report.split += 1;
                    }
                    Written::NotTraffic => report.not_traffic += 1,
                    Written::NoPeer => report.no_peer += 1,
                }
                step(&mut done)?;
            }
            report.packets = w.packets();
            w.finish()?;
        }
        Format::Jsonl | Format::Csv => {
            let mut out = out;
            if format == Format::Csv {
                writeln!(out, "{}", Record::CSV_HEADER)?;
            }
            for (seq, ev) in events {
                match Record::from_event(ev, encoding, &tz, Some(*seq), words) {
                    Some(mut r) => {
                        r.comment = notes.comments.get(seq).cloned();
                        let line = if format == Format::Csv { r.to_csv() } else { r.to_json() };
                        writeln!(out, "{line}")?;
                        report.written += 1;
                    }
                    None => report.not_traffic += 1,
                }
                step(&mut done)?;
            }
            out.flush()?;
        }
    }
    progress.done.store(done, Ordering::Relaxed);
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_path(Path::new("a.PCAP")), Format::Pcap);
        assert_eq!(Format::from_path(Path::new("a.pcapng")), Format::Pcapng);
        assert_eq!(Format::from_path(Path::new("a.csv")), Format::Csv);
        assert_eq!(Format::from_path(Path::new("a.jsonl")), Format::Jsonl);
        assert_eq!(Format::from_path(Path::new("a")), Format::Jsonl);
    }

    #[test]
    fn cancel_removes_the_file() {
        let dir = std::env::temp_dir().join(format!("socklab-export-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.jsonl");
        let ev = Event {
            time: jiff::Timestamp::now(),
            tab: 0,
            source: 0,
            proto: crate::engine::Proto::Udp,
            conn: None,
            local: None,
            peer: Some("127.0.0.1:1".parse().unwrap()),
            kind: crate::engine::EventKind::Rx { data: vec![1; 8], lost: 0 },
        };
        let events: Vec<(u64, Event)> = (0..5000).map(|i| (i, ev.clone())).collect();
        let p = Progress::default();
        p.cancel.store(true, Ordering::Relaxed);
        let r = write_file(&events, &path, Format::Jsonl, Encoding::Utf8, &p, &|_| String::new(), &Notes::default());
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::Interrupted);
        assert!(!path.exists());
        let p = Progress::default();
        assert_eq!(
            write_file(&events, &path, Format::Csv, Encoding::Utf8, &p, &|_| String::new(), &Notes::default()).unwrap().written,
            5000
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5001);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
