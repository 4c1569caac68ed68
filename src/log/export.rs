//! Writing a list of events to a file as pcap, JSON lines or CSV, with progress and cancel,
//! for exports that run off the UI thread.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::pcap::PcapWriter;
use super::record::Record;
use crate::codec::Encoding;
use crate::engine::Event;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pcap,
    Jsonl,
    Csv,
}

impl Format {
    /// From the file name: `.pcap`/`.cap` → pcap, `.csv` → CSV, anything else JSON lines.
    pub fn from_path(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("pcap" | "cap") => Format::Pcap,
            Some("csv") => Format::Csv,
            _ => Format::Jsonl,
        }
    }
}

/// Progress shared with the thread that writes.
#[derive(Debug, Default)]
pub struct Progress {
    pub done: AtomicU64,
    pub cancel: AtomicBool,
}

/// Writes `events` (with their sequence numbers) to `path`. Returns the events written, or
/// `ErrorKind::Interrupted` if cancelled; a cancelled or failed export leaves no file behind.
pub fn write_file(
    events: &[(u64, Event)],
    path: &Path,
    format: Format,
    encoding: Encoding,
    progress: &Progress,
) -> io::Result<u64> {
    let result = write_inner(events, path, format, encoding, progress);
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
) -> io::Result<u64> {
    let tz = jiff::tz::TimeZone::system();
    let out = BufWriter::new(File::create(path)?);
    let mut written = 0u64;
    let step = |written: &mut u64| -> io::Result<()> {
        *written += 1;
        if written.is_multiple_of(1024) {
            progress.done.store(*written, Ordering::Relaxed);
            if progress.cancel.load(Ordering::Relaxed) {
                return Err(io::Error::new(io::ErrorKind::Interrupted, "cancelled"));
            }
        }
        Ok(())
    };
    match format {
        Format::Pcap => {
            let mut w = PcapWriter::new(out)?;
            for (_, ev) in events {
                w.write(ev)?;
                step(&mut written)?;
            }
            w.finish()?;
        }
        Format::Jsonl | Format::Csv => {
            let mut out = out;
            if format == Format::Csv {
                writeln!(out, "{}", Record::CSV_HEADER)?;
            }
            for (seq, ev) in events {
                if let Some(r) = Record::from_event(ev, encoding, &tz, Some(*seq)) {
                    let line = if format == Format::Csv { r.to_csv() } else { r.to_json() };
                    writeln!(out, "{line}")?;
                }
                step(&mut written)?;
            }
            out.flush()?;
        }
    }
    progress.done.store(written, Ordering::Relaxed);
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_path(Path::new("a.PCAP")), Format::Pcap);
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
        let r = write_file(&events, &path, Format::Jsonl, Encoding::Utf8, &p);
        assert_eq!(r.unwrap_err().kind(), io::ErrorKind::Interrupted);
        assert!(!path.exists());
        let p = Progress::default();
        assert_eq!(write_file(&events, &path, Format::Csv, Encoding::Utf8, &p).unwrap(), 5000);
        assert_eq!(std::fs::read_to_string(&path).unwrap().lines().count(), 5001);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
