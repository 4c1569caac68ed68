//! `socklab tcp-server` and `socklab tcp-client`: listen for clients or connect to a server,
//! send messages, print what arrives.

use std::time::{Duration, Instant};

use clap::ArgMatches;

use super::session::{Flow, Pace, Sent, Session, is_listening, rx_counter};
use super::{Failure, TcpClientArgs, TcpServerArgs, deadline, render, rules_of, templates};
use crate::engine::tcp_client::TcpClientConfig;
use crate::engine::tcp_server::TcpServerConfig;
use crate::engine::{self, Command, EventKind};

pub(super) fn run_tcp_server(a: TcpServerArgs) -> Result<(), Failure> {
    let until = deadline(a.limit.duration)?;
    let cfg = TcpServerConfig {
        bind: a.bind.clone(),
        backlog: a.backlog,
        reply: a.reply.into(),
        rules: rules_of(&a.rules)?,
        encoding: a.common.encoding,
        accept_limit: a.max_clients,
        framing: a.stream.framing,
        nodelay: a.stream.nodelay,
        recv_buffer: a.stream.recv_buffer,
        max_unfinished: a.max_unfinished,
        tls: super::tls::server(&a.tls)?,
        ..TcpServerConfig::default()
    };
    if a.max_clients == Some(0) {
        return Err(Failure::Usage("--max-clients must be at least 1".into()));
    }
    let mut s = Session::start(&a.common, |sink| engine::tcp_server::spawn(cfg, sink))?;
    s.printer.server = true;
    s.printer.tls_records = a.tls.tls_records;
    s.wait_ready(is_listening)?;
    s.pump(until, rx_counter(a.count));
    s.finish()
}

pub(super) fn run_tcp_client(a: TcpClientArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let ts = templates(&a.send, &a.hex, a.common.encoding, m)?;
    // Checked before connecting: a message that cannot be made stops the run with nothing sent.
    super::payloads(&ts)?;
    let cfg = TcpClientConfig {
        connect: a.connect.clone(),
        timeout: Duration::from_millis(a.timeout.max(1)),
        framing: a.stream.framing,
        nodelay: a.stream.nodelay,
        recv_buffer: a.stream.recv_buffer,
        tls: super::tls::client(&a.tls)?,
        ..TcpClientConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::tcp_client::spawn(cfg, sink))?;
    s.printer.tls_records = a.tls.tls_records;
    s.wait_ready(|k| matches!(k, EventKind::Connected { .. }))?;
    let cmd = |i| render(&ts, i).map(|data| Command::Send { conn: None, data });
    let pace = Pace::new(a.pace, a.wait);
    if s.send_paced(ts.len(), cmd, pace)? == Sent::Stopped {
        return s.finish();
    }
    let until = Some(Instant::now() + Duration::from_millis(a.wait));
    s.pump(until, |ev| match ev.kind {
        EventKind::Closed { .. } => Flow::Done,
        _ => Flow::Continue,
    });
    s.finish()
}
