//! The file server's side of one download: reading the request, refusing or serving it,
//! sending the file as the socket takes it, and draining until the client closes.

#![allow(
    clippy::indexing_slicing,
    reason = "slices of a chunk buffer up to the byte count the OS read or sent, which its length bounds"
)]

use super::*;

impl Server {
    /// Reads the request until it is complete, the socket is empty, or the client closes.
    pub(super) fn read_request(&mut self, c: &mut Client) -> Step {
        loop {
            let room = match &c.phase {
                Phase::Tutorial(name) => MAX_NAME - name.len(),
                Phase::Framed(_) => self.buf.len(),
                _ => return Ok(()),
            };
            match c.stream.read(&mut self.buf[..room]) {
                Ok(0) => return self.request_ended(c),
                Ok(n) => {
                    let data = self.buf[..n].to_vec();
                    self.alive &= c.emit(&self.sink, EventKind::Rx { data: data.clone(), lost: 0 });
                    match &mut c.phase {
                        Phase::Tutorial(name) => {
                            name.extend_from_slice(&data);
                            if let Some(i) = name.iter().position(|&b| b == b'\n') {
                                name.truncate(i + 1);
                                let name = std::mem::take(name);
                                return self.tutorial_request(c, name);
                            }
                            if name.len() >= MAX_NAME {
                                let name = std::mem::take(name);
                                return self.tutorial_request(c, name);
                            }
                            c.deadline = Some((Instant::now() + PAUSE).min(c.request_by));
                        }
                        Phase::Framed(p) => match p.push(&data) {
                            Ok(None) => {}
                            Ok(Some((req, _))) => return self.serve(c, &req.name, req.offset),
                            Err(why) => return self.refuse(c, FileError::BadRequest { peer: Some(c.peer), why }),
                        },
                        _ => return Ok(()),
                    }
                }
                Err(e) if engine::would_block(&e) => return Ok(()),
                Err(e) if engine::interrupted(&e) => {}
                Err(e) => return Err(socket_failed(c, &self.sink, Op::Recv, &e)),
            }
        }
    }

    /// The client half-closed before its request was complete.
    pub(super) fn request_ended(&mut self, c: &mut Client) -> Step {
        match &mut c.phase {
            // Connected and left without a word (a port check): nothing to report.
            Phase::Tutorial(name) if name.is_empty() => Err(CloseReason::PeerClosed),
            Phase::Framed(p) if p.buffered() == 0 => Err(CloseReason::PeerClosed),
            Phase::Tutorial(name) => {
                let name = std::mem::take(name);
                self.tutorial_request(c, name)
            }
            _ => self.refuse(
                c,
                FileError::BadRequest { peer: Some(c.peer), why: crate::engine::files::Malformed::EndedEarly },
            ),
        }
    }

    pub(super) fn tutorial_request(&mut self, c: &mut Client, name: Vec<u8>) -> Step {
        match String::from_utf8(name) {
            Ok(name) => self.serve(c, &name, 0),
            Err(_) => self
                .refuse(c, FileError::BadRequest { peer: Some(c.peer), why: crate::engine::files::Malformed::NotUtf8 }),
        }
    }

    /// Checks the name, opens the file and starts sending (or hashing first).
    pub(super) fn serve(&mut self, c: &mut Client, requested: &str, offset: u64) -> Step {
        let name = path::trim_name(requested).to_string();
        let peer = Some(c.peer);
        let real = match path::resolve(&self.root, requested) {
            Ok(p) => p,
            Err(PathError::Refused(why)) => return self.refuse(c, FileError::Refused { name: Some(name), peer, why }),
            Err(PathError::NotFound) => return self.refuse(c, FileError::NotFound { name, peer }),
            Err(PathError::Io(detail)) => return self.refuse(c, FileError::Io { op: IoOp::Open, path: None, detail }),
        };
        let opened = File::open(&real).and_then(|f| f.metadata().map(|m| (f, m)));
        let (file, meta) = match opened {
            Ok(v) => v,
            Err(e) => return self.refuse(c, FileError::io(IoOp::Open, None, &e)),
        };
        let size = meta.len();
        if size > self.cfg.max_file_size {
            return self.refuse(c, FileError::TooBig { name, size, max: self.cfg.max_file_size, peer });
        }
        if self.cfg.protocol == FileProtocol::Tutorial {
            return self.start_sending(c, Vec::new(), Some(file), 0, size, name);
        }
        if offset > size {
            return self.refuse(c, FileError::BadOffset { offset, size });
        }
        let key = HashKey::new(real, &meta);
        if let Some(sha256) = self.hasher.cached(&key) {
            let head = Response::Ok { size, sha256 }.encode();
            return self.start_sending(c, head, Some(file), offset, size, name);
        }
        if let Err(job) = self.hasher.submit(Msg::Job(Job { token: c.token, key: key.clone() })) {
            self.unsubmitted.push(job);
        }
        c.phase = Phase::Hashing(Box::new(Prepared { name, file, size, offset, key }));
        c.deadline = None;
        Ok(())
    }

    /// Logs why the request is not served; framed answers `ERR`, tutorial just closes (the
    /// tutorial's client then receives `b''`).
    pub(super) fn refuse(&mut self, c: &mut Client, e: FileError) -> Step {
        self.log(c, &e);
        match self.cfg.protocol {
            FileProtocol::Tutorial => self.finish(c),
            FileProtocol::Framed => {
                let head = Response::error(e.code(), &crate::engine::files::wire::message(&e.without_peer())).encode();
                self.start_sending(c, head, None, 0, 0, String::new())
            }
        }
    }

    pub(super) fn start_sending(
        &mut self,
        c: &mut Client,
        head: Vec<u8>,
        mut file: Option<File>,
        offset: u64,
        size: u64,
        name: String,
    ) -> Step {
        if offset > 0
            && let Some(f) = &mut file
            && let Err(e) = f.seek(SeekFrom::Start(offset))
        {
            return self.refuse(c, FileError::io(IoOp::Read, None, &e));
        }
        let remaining = if file.is_some() { size - offset } else { 0 };
        let now = Instant::now();
        c.phase = Phase::Sending(Box::new(Sending {
            head,
            head_sent: 0,
            file,
            remaining,
            name,
            chunk: Vec::new(),
            pos: 0,
            len: 0,
            stall_by: now + STALL_TIMEOUT,
            window_end: now + RATE_WINDOW,
            window_sent: 0,
        }));
        c.deadline = Some(now + STALL_TIMEOUT);
        self.send_some(c)
    }

    /// Writes the header, then file chunks, until the socket is full or a batch is done.
    pub(super) fn send_some(&mut self, c: &mut Client) -> Step {
        let Client { phase, stream, .. } = c;
        let Phase::Sending(s) = phase else { return Ok(()) };
        let mut chunks = 0;
        let mut progressed = false;
        let result = loop {
            let (data, is_head) = if s.head_sent < s.head.len() {
                (&s.head[s.head_sent..], true)
            } else if s.pos < s.len {
                (&s.chunk[s.pos..s.len], false)
            } else if s.remaining == 0 {
                break Ok(true);
            } else if chunks == WRITE_BATCH {
                self.more.push(c.token);
                break Ok(false);
            } else {
                let Some(f) = s.file.as_mut() else { break Ok(true) };
                if s.chunk.is_empty() {
                    s.chunk = vec![0; CHUNK];
                }
                let want = s.remaining.min(CHUNK as u64) as usize;
                match f.read(&mut s.chunk[..want]) {
                    Ok(0) => break Err(Some(FileError::Changed { name: s.name.clone() })),
                    Ok(n) => {
                        (s.pos, s.len) = (0, n);
                        s.remaining -= n as u64;
                        chunks += 1;
                        continue;
                    }
                    Err(e) if engine::interrupted(&e) => continue,
                    Err(e) => break Err(Some(FileError::io(IoOp::Read, None, &e))),
                }
            };
            match stream.write(data) {
                Ok(0) => break Err(None),
                Ok(n) => {
                    let sent = data[..n].to_vec();
                    if is_head {
                        s.head_sent += n;
                    } else {
                        s.pos += n;
                    }
                    progressed = true;
                    s.window_sent += n as u64;
                    let ev = EventKind::Tx { data: sent };
                    self.alive &= self.sink.emit_local(Some(c.local), Some(c.id), Some(c.peer), ev);
                }
                Err(e) if engine::would_block(&e) => break Ok(false),
                Err(e) if engine::interrupted(&e) => {}
                Err(e) => return Err(socket_failed(c, &self.sink, Op::Send, &e)),
            }
        };
        if progressed && let Phase::Sending(s) = &mut c.phase {
            s.stall_by = Instant::now() + STALL_TIMEOUT;
            c.deadline = Some(s.deadline(self.cfg.min_send_rate));
        }
        match result {
            Ok(true) => self.finish(c),
            Ok(false) => Ok(()),
            Err(Some(e)) => {
                self.log(c, &e);
                Err(CloseReason::LocalClose)
            }
            Err(None) => Err(CloseReason::Failed),
        }
    }

    /// While its file is hashed: notices a client that resets (it has gone: its job is
    /// cancelled as it is closed) and logs anything it sends after its request. A client that
    /// only closes its sending side (SockLab's own, `nc -N`) may still be waiting for the file.
    pub(super) fn watch(&mut self, c: &mut Client) -> Step {
        self.read_logged(c, |c| match c.stream.take_error() {
            // After its FIN, a reset is no longer returned by reads, only left as the socket's
            // error (EPIPE).
            Ok(None) => Ok(()),
            Ok(Some(_)) | Err(_) => Err(CloseReason::Reset),
        })
    }

    /// Reads and logs what the client sends until the socket would block; at its end of stream,
    /// `eof` says how to go on.
    pub(super) fn read_logged(&mut self, c: &mut Client, eof: impl Fn(&mut Client) -> Step) -> Step {
        loop {
            match c.stream.read(&mut self.buf) {
                Ok(0) => return eof(c),
                Ok(n) => {
                    let data = self.buf[..n].to_vec();
                    self.alive &= c.emit(&self.sink, EventKind::Rx { data, lost: 0 });
                }
                Err(e) if engine::would_block(&e) => return Ok(()),
                Err(e) if engine::interrupted(&e) => {}
                Err(e) => return Err(socket_failed(c, &self.sink, Op::Recv, &e)),
            }
        }
    }

    /// Everything is sent: shut our side (the client's recv returns b'') and wait for its close.
    pub(super) fn finish(&mut self, c: &mut Client) -> Step {
        match c.stream.shutdown(Shutdown::Write) {
            Ok(()) => self.alive &= c.emit(&self.sink, EventKind::HalfClosed),
            Err(_) => return Err(CloseReason::Reset),
        }
        c.phase = Phase::Draining;
        c.deadline = Some(Instant::now() + DRAIN_TIMEOUT);
        self.drain(c)
    }

    /// Reads (and logs) whatever the client still sends, until it closes.
    pub(super) fn drain(&mut self, c: &mut Client) -> Step {
        self.read_logged(c, |_| Err(CloseReason::PeerClosed))
    }
}
