//! The TCP server's listening socket: SO_REUSEADDR, dual stack, and a precise problem when the
//! port is held only by connections in TIME_WAIT.

use std::net::SocketAddr;

use socket2::{Domain, Protocol, Socket, Type};

use super::TcpServerConfig;
use crate::engine::Problem;
use crate::engine::problem::Op;

pub(super) fn listen(cfg: &TcpServerConfig) -> Result<std::net::TcpListener, Problem> {
    let addr = crate::engine::resolve(&cfg.bind)?;
    let opt = |e: std::io::Error| Problem::from_io(Op::Option, Some(addr), &e);
    let s = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)).map_err(opt)?;
    if cfg.reuse_addr {
        s.set_reuse_address(true).map_err(opt)?;
    }
    s.set_nonblocking(true).map_err(opt)?;
    crate::engine::dual_stack(&s, addr);
    if let Err(e) = s.bind(&addr.into()) {
        let p = Problem::from_io(Op::Bind, Some(addr), &e);
        if p == Problem::AddrInUse(addr) && !cfg.reuse_addr && only_time_wait(addr) {
            return Err(Problem::AddrInTimeWait(addr));
        }
        return Err(p);
    }
    s.listen(cfg.backlog.max(1)).map_err(|e| Problem::from_io(Op::Listen, Some(addr), &e))?;
    Ok(s.into())
}

/// After a bind without SO_REUSEADDR failed with "address in use": would it work with it? Then
/// no program listens there and the port is held only by old connections (TIME_WAIT and other
/// closing states), which is what SO_REUSEADDR is for.
fn only_time_wait(addr: SocketAddr) -> bool {
    let Ok(probe) = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP)) else { return false };
    crate::engine::dual_stack(&probe, addr);
    probe.set_reuse_address(true).is_ok() && probe.bind(&addr.into()).is_ok()
}
