//! `socklab broadcast`: listen for UDP broadcasts on a port, or send some.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use super::session::{Flow, Session, is_listening, rx_counter};
use super::udp::check_destination;
use super::{BroadcastArgs, Failure, deadline, payloads, templates};
use crate::engine::{self, Command, EventKind};

pub(super) fn run_broadcast(a: BroadcastArgs) -> Result<(), Failure> {
    let until = deadline(a.limit.duration)?;
    if let Some(port) = a.listen {
        let cfg = engine::broadcast::receiver_config(port, a.common.encoding);
        let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
        s.wait_ready(is_listening)?;
        s.pump(until, rx_counter(a.count));
        return s.finish();
    }
    let Some(port) = a.port else {
        return Err(Failure::Usage("give --listen PORT or --port PORT --send TEXT".into()));
    };
    let ip: std::net::IpAddr =
        a.to.trim()
            .parse()
            .map_err(|_| Failure::Usage(format!("--to {}: not an IP address like 127.255.255.255", a.to)))?;
    let to = SocketAddr::new(ip, port).to_string();
    let msgs = payloads(&templates(&a.send, &[], a.common.encoding, None)?)?;
    check_destination(&to, &msgs)?;
    let cfg = engine::broadcast::sender_config(a.common.encoding);
    let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    let total = msgs.len();
    for data in msgs {
        s.send(Command::SendTo { to: to.clone(), data })?;
    }
    let mut done = 0;
    s.pump(Some(until.unwrap_or_else(|| Instant::now() + Duration::from_secs(2))), |ev| {
        if matches!(ev.kind, EventKind::Tx { .. } | EventKind::Error(_)) {
            done += 1;
        }
        if done >= total { Flow::Done } else { Flow::Continue }
    });
    s.finish()
}
