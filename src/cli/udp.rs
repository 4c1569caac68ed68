//! `socklab udp`: bind a UDP socket, send datagrams (paced, or as a traffic generator with
//! `--rate`), join a multicast group, print what arrives. The checks of a destination and of
//! datagram sizes live here; `broadcast` uses them too.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use clap::ArgMatches;

use super::session::{Flow, Pace, Session, is_listening, rx_counter};
use super::{Failure, UdpArgs, deadline, english, payloads, render, rules_of, templates};
use crate::codec::template::Template;
use crate::engine::generator::{GenSpec, Rate};
use crate::engine::udp::UdpConfig;
use crate::engine::{self, Command, EventKind, Problem};
use crate::i18n::{self, Lang};

/// The multicast settings of `udp`: `--interface` is an IPv4 address or an interface name/index.
fn multicast_of(a: &UdpArgs) -> Result<Option<engine::udp::Multicast>, Failure> {
    if a.multicast.is_none() && a.interface.is_none() {
        return Ok(None);
    }
    let mut m = engine::udp::Multicast { join: a.multicast, ttl: a.ttl, ..Default::default() };
    if let Some(i) = a.interface.as_deref().map(str::trim) {
        if let Ok(v4) = i.parse::<std::net::Ipv4Addr>() {
            m.interface = Some(v4);
        } else {
            m.interface_index =
                i.parse::<u32>().ok().or_else(|| engine::udp::interface_index(i)).ok_or_else(|| {
                    Failure::Usage(format!("--interface {i}: not an IPv4 address or an interface name"))
                })?;
        }
    }
    Ok(Some(m))
}

/// The generator run `udp --rate` asks for, checked before anything is sent: one datagram,
/// a destination, and a count or a duration (never unbounded).
fn gen_spec(a: &UdpArgs, rate: Rate, msgs: &[Vec<u8>], ts: &[Template]) -> Result<GenSpec, Failure> {
    let usage = |s: &str| Err(Failure::Usage(s.into()));
    let Some(to) = &a.to else { return usage("--rate needs --to ADDR:PORT (where to send)") };
    if a.pace.gap > 0 || a.pace.await_reply {
        return usage("--rate paces the datagrams itself: --gap and --await-reply do not apply to it");
    }
    let data = match msgs {
        [one] => one.clone(),
        [] => return usage("--rate needs the datagram to repeat: give one --send TEXT or --hex HEX"),
        _ => return usage("--rate repeats one datagram: give one --send or --hex"),
    };
    if a.count.is_none() && a.duration.is_none() {
        return usage("--rate needs --count N (datagrams to send) or --duration SECS: it never runs unbounded");
    }
    deadline(a.duration)?;
    // A datagram with fields is rendered anew for each one the generator sends.
    let template = ts.first().filter(|t| t.fixed_bytes().is_none()).map(|t| std::sync::Arc::new(t.clone()));
    let duration = a.duration.map(Duration::from_secs_f64);
    let spec = GenSpec { to: to.clone(), data, template, rate, count: a.count, duration };
    spec.check().map_err(|p| Failure::Usage(format!("--rate: {}", i18n::problem(Lang::En, &p))))?;
    Ok(spec)
}

/// The largest UDP payload to `to`: 65,535 minus the IP header (20 bytes for IPv4; none counts
/// for IPv6, whose payload length excludes its header) and the UDP header (8). Jumbograms are
/// not supported.
pub(super) fn max_datagram(to: SocketAddr) -> usize {
    use engine::generator::{MAX_DATAGRAM, MAX_DATAGRAM_V6};
    let v4 = match to.ip() {
        std::net::IpAddr::V4(_) => true,
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
    };
    if v4 { MAX_DATAGRAM } else { MAX_DATAGRAM_V6 }
}

/// `--to` checked before anything is sent: a malformed address is a usage error (exit 2), a
/// host name that does not resolve a network one (exit 1); and no datagram may be larger than
/// UDP allows to that address.
pub(super) fn check_destination(to: &str, msgs: &[Vec<u8>]) -> Result<(), Failure> {
    let addr = engine::resolve(to).map_err(|p| match p {
        Problem::UnknownHost(_) | Problem::UnknownInterface(_) => Failure::Net(p),
        p => Failure::Usage(format!("--to: {}", english(&p))),
    })?;
    let max = max_datagram(addr);
    if let Some((i, m)) = msgs.iter().enumerate().find(|(_, m)| m.len() > max) {
        let family = if addr.is_ipv4() { "IPv4" } else { "IPv6" };
        return Err(Failure::Usage(format!(
            "message {} is {} bytes: a UDP datagram over {family} holds at most {max} bytes (nothing was sent)",
            i + 1,
            m.len()
        )));
    }
    Ok(())
}

pub(super) fn run_udp(a: UdpArgs, m: Option<&ArgMatches>) -> Result<(), Failure> {
    let ts = templates(&a.send, &a.hex, a.common.encoding, m)?;
    let msgs = payloads(&ts)?;
    if !msgs.is_empty() && a.to.is_none() {
        return Err(Failure::Usage("--send/--hex need --to ADDR:PORT (where to send)".into()));
    }
    if let Some(to) = &a.to {
        check_destination(to, &msgs)?;
    }
    let spec = match a.rate {
        Some(rate) => Some(gen_spec(&a, rate, &msgs, &ts)?),
        None => None,
    };
    let mut until = deadline(a.duration)?;
    let multicast = multicast_of(&a)?;
    let cfg = UdpConfig {
        bind: a.bind.clone(),
        reply: a.reply.into(),
        rules: rules_of(&a.rules)?,
        encoding: a.common.encoding,
        recv_buffer: a.recv_buffer,
        so_rcvbuf: a.so_rcvbuf.0,
        // Several receivers of one group on one machine share the port.
        reuse_addr: a.multicast.is_some(),
        multicast,
        thread_name: "udp".into(),
        ..UdpConfig::default()
    };
    let mut s = Session::start(&a.common, |sink| engine::udp::spawn(cfg, sink))?;
    s.wait_ready(is_listening)?;
    if let Some(spec) = spec {
        return run_generator(s, spec);
    }
    if let Some(to) = &a.to {
        // Rendered when each is sent: `${time}` is the time of sending.
        let cmd = |i| render(&ts, i).map(|data| Command::SendTo { to: to.clone(), data });
        let pace = Pace::new(a.pace, a.wait);
        s.send_paced(ts.len(), cmd, pace)?;
    }
    if !msgs.is_empty() && a.count.is_none() && until.is_none() {
        // Sent and asked for nothing else: wait briefly for replies, then exit.
        until = Some(Instant::now() + Duration::from_millis(a.wait));
    }
    s.pump(until, rx_counter(a.count));
    s.finish()
}

/// `udp --rate`: the engine's traffic generator sends, the CLI counts without printing each
/// datagram, and the run ends when the generator reports it is done.
fn run_generator(mut s: Session, spec: GenSpec) -> Result<(), Failure> {
    s.printer.quiet_data = true;
    // The generator ends itself at its duration; allow that much and some more for its report.
    let until = spec.duration.map(|d| Instant::now() + d + Duration::from_secs(5));
    s.send(Command::Generate(Box::new(spec)))?;
    let (mut sent_any, mut failed) = (false, false);
    s.pump(until, |ev| match ev.kind {
        EventKind::GeneratorDone { packets, .. } => {
            failed |= packets == 0;
            Flow::Done
        }
        EventKind::Tx { .. } => {
            sent_any = true;
            Flow::Continue
        }
        // An error before the first datagram: the run did not start (e.g. an unknown host), and
        // no GeneratorDone follows. (An error during a run is followed by GeneratorDone.)
        EventKind::Error(_) if !sent_any => {
            failed = true;
            Flow::Done
        }
        _ => Flow::Continue,
    });
    let finished = s.finish();
    // The summary is printed either way; a run that sent nothing is a failure (exit 1).
    if failed { Err(Failure::Reported) } else { finished }
}
