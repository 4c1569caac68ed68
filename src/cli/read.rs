//! `socklab read FILE`: a capture (pcap, pcapng) or a SockLab JSONL log, gzip-compressed or not,
//! printed as the live subcommands print their rows (text or `--json`), filtered like the log
//! view (`--filter`), cut short (`--count`), added up (`--summary`) or converted (`--log-file`,
//! `--pcap`). The file streams through: it is never held in memory.

mod summary;

use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;

use clap::Args;

use super::printer::{Printer, say};
use super::{Common, Failure, INTERRUPTED};
use crate::engine::{Event, EventKind};
use crate::i18n::{self, Lang};
use crate::log::export::Progress;
use crate::log::import::{self, ImportError};
use crate::log::search::TextMatch;

#[derive(Args, Debug)]
#[command(after_help = READ_HELP)]
pub struct ReadArgs {
    /// The capture or log: pcap, pcapng or SockLab JSON lines (--log-file, --json output), each
    /// also gzip-compressed (.gz).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Only rows whose data holds TEXT, as the log view's filter: a case-insensitive substring
    /// of the decoded text, or of the bytes when TEXT is hex ("48 65 6c").
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// --filter is a regular expression, matched against the decoded text.
    #[arg(long, requires = "filter")]
    pub regex: bool,
    /// Stop after this many rows (printed, converted or, with --summary, added up).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub count: Option<u64>,
    /// Print only the totals: packets and bytes read, rows, flows, what was skipped, the time
    /// span (text, or one JSON object with --json).
    #[arg(long, conflicts_with_all = ["log_file", "pcap", "quiet"])]
    pub summary: bool,
    #[command(flatten)]
    pub common: Common,
}

/// Exit codes and limits of `read`, shown by `read --help`.
const READ_HELP: &str = "\
Exit codes:
  0  the whole file was read (also after --count, Ctrl-C, or when the reader of standard output goes
     away, e.g. `| head`)
  1  the file is missing, unreadable, not a capture or log, or damaged: the rows before the
     damage are printed, then the byte offset and block (pcapng), record (pcap) or line (JSONL)
     where reading stopped; or --log-file/--pcap could not be written
  2  bad flags (e.g. a --regex that does not compile)

Limits:
  a pcap record or pcapng block   16 MiB (a longer one means a damaged file: reading stops)
  one row's data                  16 MiB (bigger rows of a log are skipped with a warning)
  a JSONL line                    144 MiB + 64 KiB
  memory                          the file streams through; --summary keeps one entry per flow
Warnings (skipped lines, gaps in a TCP stream, ...) go to standard error, at most 20 and a count.
--pcap writes pcapng if its name ends in .pcapng, else classic pcap.
";

/// Runs `socklab read`.
pub(super) fn run_read(a: ReadArgs) -> Result<(), Failure> {
    let text = TextMatch::new(a.filter.as_deref().unwrap_or_default(), a.regex)
        .map_err(|e| Failure::Usage(format!("--filter: {e}")))?;
    let file = a.file.display().to_string();
    // A missing or unreadable file is said before anything is created.
    if let Err(e) = std::fs::File::open(&a.file) {
        say!("socklab: cannot read {file}: {e}");
        return Err(Failure::Reported);
    }
    for out in [&a.common.log_file, &a.common.pcap].into_iter().flatten() {
        if same_file(out, &a.file) {
            return Err(Failure::Usage(format!("{} is the file being read: write to another file", out.display())));
        }
    }
    let mut printer = Printer::new(&a.common)?;
    printer.replay = true;
    let encoding = a.common.encoding;
    let limit = a.count.unwrap_or(u64::MAX);
    let progress = Progress::default();
    let mut totals = summary::Totals::default();
    let mut taken = 0u64;
    // Set when this run stopped reading on purpose (--count, `| head`, Ctrl-C).
    let mut stopped = false;
    let mut take = |ev: &Event, comment: Option<&str>| {
        if stopped {
            return;
        }
        // Ctrl-C ends the read (also while a --filter matches nothing for a long time).
        if INTERRUPTED.load(Ordering::Relaxed) {
            stopped = true;
            progress.cancel.store(true, Ordering::Relaxed);
            return;
        }
        if !text.is_any() && !text.matches_event(&ev.kind, encoding) {
            return;
        }
        if a.summary {
            totals.add(ev);
        } else {
            printer.comment = comment.map(str::to_string);
            printer.print(ev);
        }
        taken += 1;
        if taken >= limit || printer.stdout_closed {
            stopped = true;
            progress.cancel.store(true, Ordering::Relaxed);
        }
    };
    // Every event is done with once printed or counted: its buffer goes back to the importer.
    let result = import::read_file_into(&a.file, &progress, &mut |ev, comment| {
        take(&ev, comment);
        match ev.kind {
            EventKind::Rx { data, .. } | EventKind::Tx { data } => Some(data),
            _ => None,
        }
    });
    let summary = match result {
        Ok(s) => Some(s),
        Err(ImportError::Cancelled) if stopped => None,
        Err(e) => {
            printer.close_files();
            say!("socklab: cannot read {file}: {}", i18n::import_error(Lang::En, &e));
            return Err(Failure::Reported);
        }
    };
    if let Some(s) = &summary {
        for w in &s.warnings {
            say!("socklab: {file}: {}", i18n::import_warning(Lang::En, w));
        }
        if a.summary {
            let line = if a.common.json { totals.json(&file, s, &printer.tz) } else { totals.text(&file, s, &printer.tz) };
            printer.emit_line(&line);
        }
    }
    printer.close_files();
    let fault = summary.as_ref().and_then(|s| s.fault.as_ref());
    if let Some(f) = fault {
        say!("socklab: {file}: {}; the rows before it were read", i18n::import_fault(Lang::En, f));
    }
    if fault.is_some() || printer.failures > 0 { Err(Failure::Reported) } else { Ok(()) }
}

/// Whether two paths name the same file (one of them may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

