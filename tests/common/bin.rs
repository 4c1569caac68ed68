//! Running programs from the tests: the built `socklab` binary, its `--json` output, the peers in
//! tests/peers/, and whether an outside tool (python3, tshark, socat, nc) is installed.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ChildStdout, Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

/// The `socklab` binary cargo built for these tests.
pub fn socklab() -> Command {
    Command::new(env!("CARGO_BIN_EXE_socklab"))
}

/// The path of a peer program in tests/peers/.
pub fn peer(name: &str) -> String {
    format!("{}/tests/peers/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// The lines of `--json` output, each parsed.
pub fn json_lines(out: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}")))
        .collect()
}

/// Starts `cmd` (a `--json` run) with its stdout piped and reads its first line: returns the
/// child, that line parsed, and the rest of its stdout. Its stderr goes where `cmd` says.
pub fn spawn_json(cmd: &mut Command) -> (Child, serde_json::Value, BufReader<ChildStdout>) {
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let v = serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON: {line:?}: {e}"));
    (child, v, out)
}

/// Whether `tool` is on the PATH; if not, says on stderr that `part` is skipped and why.
pub fn have(tool: &str, part: &str) -> bool {
    let ok = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        super::skip(format!("{part}: {tool} is not installed"));
    }
    ok
}

/// Runs a command to its end, with no stdin, collecting its output; kills it (and fails) after
/// `limit`.
pub fn output_within(cmd: &mut Command, limit: Duration) -> Output {
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let t_err = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let status = exits_within(&mut child, limit, &format!("{cmd:?}"));
    Output { status, stdout: t_out.join().unwrap(), stderr: t_err.join().unwrap() }
}

/// Waits up to `limit` for the child to exit by itself; kills it (and fails) otherwise.
pub fn exits_within(child: &mut Child, limit: Duration, what: &str) -> ExitStatus {
    let until = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > until {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The `--json` lines of a running program, read on a thread of their own so that a test can wait
/// for one with a deadline.
pub struct JsonReader {
    lines: std::sync::mpsc::Receiver<serde_json::Value>,
    thread: std::thread::JoinHandle<()>,
    /// Every line received so far, in order.
    pub seen: Vec<serde_json::Value>,
}

impl JsonReader {
    pub fn new(out: impl BufRead + Send + 'static) -> JsonReader {
        let (tx, lines) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            for l in out.lines() {
                let Ok(l) = l else { break };
                let v = serde_json::from_str(&l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        JsonReader { lines, thread, seen: Vec::new() }
    }

    /// Waits (at most `limit`) for a line matching `f`, keeping every line seen.
    pub fn wait_for(
        &mut self,
        what: &str,
        limit: Duration,
        f: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let deadline = Instant::now() + limit;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(v) => {
                    self.seen.push(v.clone());
                    if f(&v) {
                        return v;
                    }
                }
                Err(e) => panic!("{e} waiting for {what}; lines so far: {:?}", self.seen),
            }
        }
    }

    /// Every line, once the program has closed its stdout (call it after the program ended).
    pub fn all(mut self) -> Vec<serde_json::Value> {
        self.thread.join().expect("the reader thread");
        self.seen.extend(self.lines.try_iter());
        self.seen
    }
}
