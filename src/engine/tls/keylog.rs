//! The session keys, written for Wireshark: the NSS key log format that `SSLKEYLOGFILE` names
//! (`LABEL <client_random hex> <secret hex>`, one line each), appended to a file the user chose.
//! Opt-in only: whoever has this file can read the traffic.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use super::TlsProblem;

#[derive(Debug)]
pub(super) struct KeyLogFile(Mutex<std::fs::File>);

impl KeyLogFile {
    pub(super) fn create(path: &Path) -> Result<KeyLogFile, TlsProblem> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .map_err(|e| TlsProblem::File { path: path.display().to_string(), why: e.to_string() })?;
        Ok(KeyLogFile(Mutex::new(file)))
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

impl rustls::KeyLog for KeyLogFile {
    fn log(&self, label: &str, client_random: &[u8], secret: &[u8]) {
        let line = format!("{label} {} {}\n", hex(client_random), hex(secret));
        // A poisoned lock only means another thread panicked mid-write; the file is still usable.
        let mut f = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // One write per line, flushed at once, so a capture opened meanwhile finds the keys.
        let _ = f.write_all(line.as_bytes()).and_then(|()| f.flush());
    }
}
