//! The report of a load test, to attach to a ticket: the settings (as the command line that
//! repeats the run), the machine, the figures, each second, the failures and the histogram. As
//! JSON (everything) or CSV (a row per second and one for the run, the rest in `#` lines); both
//! carry the arguments, so `socklab bench --repeat FILE` (or the Load tab's *Repeat…*) runs the
//! same test again.
//!
//! The field names are a format: never translated.

#![allow(clippy::indexing_slicing, reason = "indexing a serde_json::Value gives Null for a missing key: it never panics")]

use std::path::Path;

use serde_json::{Map, Value, json};

use super::stats::{FailureKind, Figures};
use super::{BenchSpec, Ended, Outcome};

/// What the `format` field of a JSON report says.
pub const FORMAT: &str = "socklab-bench-report";
/// The report format's version.
pub const VERSION: u64 = 1;
/// The first line of a CSV report.
const CSV_MAGIC: &str = "# socklab bench report 1";
/// What a corrected run's report says about its round trips.
pub const CORRECTED_NOTE: &str = "coordinated omission corrected: each round trip is measured from when its request \
                                  should have been sent at the target rate, not from when it was";
/// What a run at `max` says.
pub const UNCORRECTED_NOTE: &str = "no target rate: each round trip is measured from when its request was sent";
/// The columns of the per-second table.
pub const CSV_COLUMNS: &str = "second,sent,received,failures,qps,mbit_s,p50_us,p90_us,p99_us,p999_us,max_us";

fn ended_name(e: &Ended) -> &'static str {
    match e {
        Ended::Count => "count",
        Ended::Duration => "duration",
        Ended::Stopped => "stopped",
        Ended::Failed(_) => "failed",
    }
}

/// The failures by kind, every kind named (0 when none).
pub fn failures_json(o: &Outcome) -> Value {
    let m: Map<String, Value> = FailureKind::ALL.iter().map(|k| (k.name().to_string(), json!(o.total.failures(*k)))).collect();
    Value::Object(m)
}

/// The first failure of each kind that happened.
pub fn examples_json(o: &Outcome) -> Value {
    let m: Map<String, Value> = FailureKind::ALL
        .iter()
        .filter_map(|k| o.total.example(*k).map(|e| (k.name().to_string(), json!(e))))
        .collect();
    Value::Object(m)
}

/// The `--json` summary: `sent`, `received`, `failures` (by kind), `qps`, `mbit_s`, `p50_us`,
/// `p90_us`, `p99_us`, `p999_us`, `max_us` (null when no round trip was measured), and what the
/// run was.
pub fn summary_json(spec: &BenchSpec, o: &Outcome) -> Value {
    let f = o.figures();
    json!({
        "proto": spec.proto.name(),
        "mode": spec.mode.name(),
        "target": spec.target.to_string(),
        "connections": spec.connections,
        "threads": spec.threads.min(spec.connections),
        "ended": ended_name(&o.ended),
        "error": match &o.ended { Ended::Failed(e) => Some(e.as_str()), _ => None },
        "elapsed_s": (o.elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
        "sent": f.sent,
        "received": f.received,
        "failures": failures_json(o),
        "failure_examples": examples_json(o),
        "qps": round1(f.qps),
        "mbit_s": round3(f.mbit_s),
        "bytes_sent": o.total.bytes_sent,
        "bytes_received": o.total.bytes_received,
        "connects": o.total.connects,
        "p50_us": f.p50_us,
        "p90_us": f.p90_us,
        "p99_us": f.p99_us,
        "p999_us": f.p999_us,
        "max_us": f.max_us,
        "corrected": o.corrected,
    })
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}
fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// This machine, for the report.
pub fn machine() -> Value {
    let read = |p: &str| std::fs::read_to_string(p).ok().map(|s| s.trim().to_string());
    let cpu = read("/proc/cpuinfo").and_then(|s| {
        s.lines().find(|l| l.starts_with("model name")).and_then(|l| l.split_once(':')).map(|(_, v)| v.trim().to_string())
    });
    json!({
        "os": std::env::consts::OS,
        "arch": std::env::consts::ARCH,
        "kernel": read("/proc/sys/kernel/osrelease"),
        "cpu": cpu,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "socklab": env!("CARGO_PKG_VERSION"),
    })
}

/// The command line of `args`, quoted for a POSIX shell where needed.
pub fn command_line(args: &[String]) -> String {
    let quote = |a: &String| {
        if !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || "-_./:=,@%+".contains(c)) {
            a.clone()
        } else {
            format!("'{}'", a.replace('\'', "'\\''"))
        }
    };
    std::iter::once("socklab".to_string()).chain(args.iter().map(quote)).collect::<Vec<_>>().join(" ")
}

fn figures_json(second: Option<u64>, f: &Figures) -> Value {
    json!({
        "second": second,
        "sent": f.sent, "received": f.received, "failures": f.failures,
        "qps": round1(f.qps), "mbit_s": round3(f.mbit_s),
        "p50_us": f.p50_us, "p90_us": f.p90_us, "p99_us": f.p99_us, "p999_us": f.p999_us, "max_us": f.max_us,
    })
}

/// The whole report as JSON. `args` are the arguments after `socklab` that repeat the run.
pub fn report_json(args: &[String], spec: &BenchSpec, o: &Outcome, started: &str) -> Value {
    json!({
        "format": FORMAT,
        "version": VERSION,
        "args": args,
        "command": command_line(args),
        "started": started,
        "machine": machine(),
        "settings": {
            "proto": spec.proto.name(),
            "mode": spec.mode.name(),
            "target": spec.target.to_string(),
            "connections": spec.connections,
            "rate": spec.rate.cli_name(),
            "duration_s": spec.duration.map(|d| d.as_secs_f64()),
            "count": spec.count,
            "expect": spec.expect.cli_name(),
            "threads": spec.threads.min(spec.connections),
            "timeout_ms": spec.timeout.as_millis() as u64,
            "ramp_up_s": spec.ramp_up.as_secs_f64(),
        },
        "latency": if o.corrected { CORRECTED_NOTE } else { UNCORRECTED_NOTE },
        "summary": summary_json(spec, o),
        "seconds": o.seconds.iter().enumerate().map(|(i, f)| figures_json(Some(i as u64), f)).collect::<Vec<_>>(),
        "histogram": o.total.histogram().iter().map(|(us, n)| json!([us, n])).collect::<Vec<_>>(),
    })
}

fn cell(x: Option<f64>) -> String {
    x.map_or(String::new(), |v| format!("{v}"))
}

fn csv_row(label: &str, f: &Figures) -> String {
    format!(
        "{label},{},{},{},{},{},{},{},{},{},{}",
        f.sent,
        f.received,
        f.failures,
        round1(f.qps),
        round3(f.mbit_s),
        cell(f.p50_us),
        cell(f.p90_us),
        cell(f.p99_us),
        cell(f.p999_us),
        cell(f.max_us)
    )
}

/// The report as CSV: `#` lines (the command, its arguments as JSON, the machine, the failures,
/// how round trips were measured), then a row per second and a last row `all`.
pub fn report_csv(args: &[String], spec: &BenchSpec, o: &Outcome, started: &str) -> String {
    let mut out = vec![
        CSV_MAGIC.to_string(),
        format!("# command: {}", command_line(args)),
        format!("# args: {}", Value::from(args.to_vec())),
        format!("# started: {started}"),
        format!("# machine: {}", machine()),
        format!("# settings: {}", report_json(args, spec, o, started)["settings"]),
        format!("# latency: {}", if o.corrected { CORRECTED_NOTE } else { UNCORRECTED_NOTE }),
        format!("# failures: {}", failures_json(o)),
        format!("# first failures: {}", examples_json(o)),
        CSV_COLUMNS.to_string(),
    ];
    out.extend(o.seconds.iter().enumerate().map(|(i, f)| csv_row(&i.to_string(), f)));
    out.push(csv_row("all", &o.figures()));
    out.join("\n") + "\n"
}

/// Writes the report: CSV when the name ends in `.csv`, JSON otherwise.
pub fn write(path: &Path, args: &[String], spec: &BenchSpec, o: &Outcome, started: &str) -> std::io::Result<()> {
    let csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let text = if csv {
        report_csv(args, spec, o, started)
    } else {
        serde_json::to_string_pretty(&report_json(args, spec, o, started)).unwrap_or_default() + "\n"
    };
    std::fs::write(path, text)
}

/// Why a report could not be read back.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReadError {
    Io(String),
    /// Neither a JSON report nor a CSV one (no `# args:` line).
    NotAReport,
    /// The report is newer than this SockLab.
    Version(u64),
}

/// The arguments that repeat the run of a report (JSON or CSV).
pub fn read_args(path: &Path) -> Result<Vec<String>, ReadError> {
    let text = std::fs::read_to_string(path).map_err(|e| ReadError::Io(e.to_string()))?;
    args_of(&text)
}

pub fn args_of(text: &str) -> Result<Vec<String>, ReadError> {
    let list = |v: &Value| -> Option<Vec<String>> {
        v.as_array()?.iter().map(|a| a.as_str().map(str::to_string)).collect()
    };
    if text.trim_start().starts_with('{') {
        let v: Value = serde_json::from_str(text).map_err(|_| ReadError::NotAReport)?;
        if v["format"] != FORMAT {
            return Err(ReadError::NotAReport);
        }
        match v["version"].as_u64() {
            Some(n) if n > VERSION => return Err(ReadError::Version(n)),
            _ => {}
        }
        return list(&v["args"]).ok_or(ReadError::NotAReport);
    }
    if !text.starts_with(CSV_MAGIC) {
        return Err(ReadError::NotAReport);
    }
    let line = text.lines().find_map(|l| l.strip_prefix("# args: ")).ok_or(ReadError::NotAReport)?;
    serde_json::from_str::<Value>(line).ok().as_ref().and_then(list).ok_or(ReadError::NotAReport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_lines_quote_what_a_shell_would_split() {
        let a: Vec<String> = ["bench", "tcp", "--send", "hello ${seq}", "--expect", "regex:it's"].map(String::from).into();
        assert_eq!(command_line(&a), "socklab bench tcp --send 'hello ${seq}' --expect 'regex:it'\\''s'");
        let csv = format!("{CSV_MAGIC}\n# args: {}\nsecond,sent\n", Value::from(a.clone()));
        assert_eq!(args_of(&csv).unwrap(), a);
        let js = json!({"format": FORMAT, "version": 1, "args": a}).to_string();
        assert_eq!(args_of(&js).unwrap(), a);
        assert_eq!(args_of("{\"format\":\"x\"}"), Err(ReadError::NotAReport));
        assert_eq!(args_of(&json!({"format": FORMAT, "version": 9, "args": []}).to_string()), Err(ReadError::Version(9)));
        assert_eq!(args_of("second,sent\n"), Err(ReadError::NotAReport));
    }
}
