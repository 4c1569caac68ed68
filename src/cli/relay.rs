//! `socklab relay`: sit between a client and its server, print what passes both ways, and give
//! the link faults (`--fault`).

use std::time::Duration;

use super::session::{Flow, Session, is_listening};
use super::{Failure, RelayArgs, deadline};
use crate::engine::relay::{self, Faults, RelayConfig};
use crate::engine::{EventKind, Proto};
use crate::i18n::{self, Lang};

pub(super) fn run_relay(a: RelayArgs) -> Result<(), Failure> {
    let until = deadline(a.limit.duration)?;
    let proto = if a.udp { Proto::Udp } else { Proto::Tcp };
    let mut faults = Faults::default();
    for spec in &a.faults {
        relay::fault::parse(spec, &mut faults)
            .map_err(|e| Failure::Usage(format!("--fault {spec}: {}", i18n::fault_spec_error(Lang::En, &e))))?;
    }
    faults.check(proto).map_err(|e| Failure::Usage(format!("--fault: {}", i18n::fault_spec_error(Lang::En, &e))))?;
    let cfg = RelayConfig {
        listen: a.listen.clone(),
        upstream: a.to.clone(),
        proto,
        faults,
        seed: a.seed,
        thread_name: format!("relay-{}", a.listen),
        buffer: usize::try_from(a.buffer).unwrap_or(relay::DEFAULT_BUFFER),
        idle_timeout: Duration::from_secs(a.idle_timeout),
        max_clients: usize::try_from(a.max_clients).unwrap_or(relay::DEFAULT_MAX_CLIENTS),
        ..RelayConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| relay::start(cfg, sink))?;
    s.printer.server = true;
    s.printer.relay = true;
    s.wait_ready(is_listening)?;
    let mut left = a.count;
    s.pump(until, move |ev| match (&ev.kind, left.as_mut()) {
        (EventKind::Relayed { .. }, Some(n)) => {
            *n -= 1;
            if *n == 0 { Flow::Done } else { Flow::Continue }
        }
        _ => Flow::Continue,
    });
    s.finish()
}
