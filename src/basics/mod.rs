//! Networking basics from the classroom tutorial, as data a GUI tab or the CLI can show:
//!
//! - [`addr`]: an IP address inspector (classes A–E, private/loopback/… ranges, subnet masks,
//!   network and broadcast addresses, usable hosts = 2^n − 2, bits in binary).
//! - [`ports`]: port numbers (well-known / registered / dynamic, common services, the ephemeral
//!   range and the privileged-port limit of this machine).
//! - [`sockets`]: a `netstat -an` / `ss -tuan` style listing of this machine's TCP and UDP
//!   sockets, with the owning process when it is visible.
//!
//! Everything here returns structured, `serde::Serialize` data (enums, numbers, addresses) and
//! leaves the wording to the caller; the only strings are short English `name()` helpers (and the
//! English `Display` of errors), so the UI can translate by matching on the enums.

pub mod addr;
pub mod ports;
pub mod sockets;
