//! SHA-256 of whole files for the framed `OK` header, computed in a named background thread so
//! a 1 GiB file does not stall the other clients, and cached by (path, length, modified time).

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::SystemTime;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use mio::{Token, Waker};
use sha2::{Digest, Sha256};

use super::CHUNK;

/// Sums kept; the cache is emptied when it is full (a classroom server shares a few files).
const CACHE_ENTRIES: usize = 1024;

/// Which version of which file a sum belongs to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) struct HashKey {
    /// Canonical path.
    pub path: PathBuf,
    pub len: u64,
    pub mtime: Option<SystemTime>,
}

impl HashKey {
    pub fn new(path: PathBuf, meta: &std::fs::Metadata) -> HashKey {
        HashKey { path, len: meta.len(), mtime: meta.modified().ok() }
    }
}

/// A file to hash for the client on `token`.
pub(super) struct Job {
    pub token: Token,
    pub key: HashKey,
}

/// A finished job: the sum, or the OS's message (`None`: the file changed while it was read).
pub(super) struct Done {
    pub token: Token,
    pub key: HashKey,
    pub result: Result<[u8; 32], Option<String>>,
}

type Cache = Arc<Mutex<HashMap<HashKey, [u8; 32]>>>;

/// The server's handle on the hashing thread.
pub(super) struct Hasher {
    jobs: Option<Sender<Job>>,
    done: Option<Receiver<Done>>,
    cache: Cache,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Hasher {
    /// Starts the thread; it wakes the server's poll through `waker` after each job.
    pub fn spawn(name: String, waker: Arc<Waker>, capacity: usize) -> io::Result<Hasher> {
        let (jobs_tx, jobs_rx) = crossbeam_channel::bounded::<Job>(capacity.max(1));
        let (done_tx, done_rx) = crossbeam_channel::bounded::<Done>(capacity.max(1));
        let cache: Cache = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s) = (cache.clone(), stop.clone());
        let thread = std::thread::Builder::new().name(name).spawn(move || {
            for job in jobs_rx {
                if s.load(Ordering::Relaxed) {
                    return;
                }
                let known = c.lock().ok().and_then(|m| m.get(&job.key).copied());
                let result = match known {
                    Some(sum) => Ok(sum),
                    None => hash_file(&job.key, &s).inspect(|sum| {
                        if let Ok(mut m) = c.lock() {
                            if m.len() >= CACHE_ENTRIES {
                                m.clear();
                            }
                            m.insert(job.key.clone(), *sum);
                        }
                    }),
                };
                if s.load(Ordering::Relaxed) {
                    return;
                }
                // The server has gone: nobody waits for sums any more.
                if done_tx.send(Done { token: job.token, key: job.key, result }).is_err() {
                    return;
                }
                let _ = waker.wake();
            }
        })?;
        Ok(Hasher { jobs: Some(jobs_tx), done: Some(done_rx), cache, stop, thread: Some(thread) })
    }

    pub fn cached(&self, key: &HashKey) -> Option<[u8; 32]> {
        self.cache.lock().ok().and_then(|m| m.get(key).copied())
    }

    /// Queues a job; gives it back when the queue is full (try again later).
    pub fn submit(&self, job: Job) -> Result<(), Job> {
        match &self.jobs {
            Some(tx) => match tx.try_send(job) {
                Ok(()) => Ok(()),
                Err(TrySendError::Full(j) | TrySendError::Disconnected(j)) => Err(j),
            },
            None => Err(job),
        }
    }

    /// A finished job, if one is waiting.
    pub fn finished(&self) -> Option<Done> {
        self.done.as_ref().and_then(|r| r.try_recv().ok())
    }

    /// Stops the thread (between chunks) and waits for it.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.jobs = None;
        self.done = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Hasher {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The sum of the file; `Err(None)` if it changed while being read (or the server is stopping),
/// `Err(Some(message))` if reading failed.
fn hash_file(key: &HashKey, stop: &AtomicBool) -> Result<[u8; 32], Option<String>> {
    let mut f = File::open(&key.path).map_err(|e| Some(e.to_string()))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; CHUNK];
    let mut total = 0u64;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(None);
        }
        match f.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                h.update(&buf[..n]);
                total += n as u64;
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(Some(e.to_string())),
        }
    }
    let now = f.metadata().map_err(|e| Some(e.to_string()))?;
    if total != key.len || HashKey::new(key.path.clone(), &now) != *key {
        return Err(None);
    }
    Ok(h.finalize().into())
}
