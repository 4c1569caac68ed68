//! The frozen vocabulary of socklab's log records (JSONL and CSV export, the CLI's `--json`):
//! the `kind` and `event` names, the close `reason` names and the English `text` written for
//! events that are not rx/tx or errors.
//!
//! This is a file format, not UI wording: the texts were copied from the English UI strings
//! once and are kept here so that editing `assets/i18n/en.toml` never changes what an export
//! writes or what an import recognises in an old log. The tests below pin every value.

use std::fmt::Display;

use crate::engine::{CloseReason, Proto};

/// The record's `kind`: the coarse class of an event.
pub mod kind {
    pub const RX: &str = "rx";
    pub const TX: &str = "tx";
    pub const CONNECT: &str = "connect";
    pub const DISCONNECT: &str = "disconnect";
    pub const ERROR: &str = "error";
    pub const INFO: &str = "info";
    /// Bytes a relay passed on (`dir` says which way).
    pub const RELAY: &str = "relay";
    /// What a relay's fault did (`fault` names it).
    pub const FAULT: &str = "fault";
    /// TLS records as they crossed the wire (`hex` holds the raw, encrypted bytes).
    pub const TLS: &str = "tls";
    /// The CLI's closing summary line (not an event; an import skips it).
    pub const SUMMARY: &str = "summary";
}

/// The record's `event`: the precise event.
pub mod event {
    pub const RX: &str = "rx";
    pub const TX: &str = "tx";
    pub const LISTENING: &str = "listening";
    pub const CONNECTING: &str = "connecting";
    pub const CONNECTED: &str = "connected";
    pub const HALF_CLOSED: &str = "half_closed";
    pub const GENERATED: &str = "generated";
    pub const JOINED: &str = "joined";
    pub const LEFT: &str = "left";
    pub const CLOSED: &str = "closed";
    pub const ERROR: &str = "error";
    pub const RELAYED: &str = "relayed";
    pub const FAULT: &str = "fault";
    pub const UPSTREAM_CONNECTED: &str = "upstream_connected";
    /// Bytes of a TCP stream missing from a capture (`len` says how many, `from` who sent them).
    pub const GAP: &str = "gap";
    /// TLS records of a connection (`from` says who sent them, `records` what they are).
    pub const TLS_RECORDS: &str = "tls_records";
}

/// The record's `from` on a `gap` row: which side sent the bytes the capture lacks.
pub mod side {
    pub const PEER: &str = "peer";
    pub const LOCAL: &str = "local";
}

/// The `text` of a `gap` row.
pub fn gap_text(bytes: u64) -> String {
    format!("[{bytes} bytes not captured]")
}

/// Every close reason, in a fixed order.
pub const CLOSE_REASONS: [CloseReason; 4] =
    [CloseReason::PeerClosed, CloseReason::Reset, CloseReason::LocalClose, CloseReason::Failed];

#[cfg(any(test, feature = "test-support"))]
/// The record's `reason` value for a close reason (as serde writes it).
pub fn reason_name(r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => "peer_closed",
        CloseReason::Reset => "reset",
        CloseReason::LocalClose => "local_close",
        CloseReason::Failed => "failed",
    }
}

/// Start of a `listening` event's text, followed by the local address.
pub const LISTENING_PREFIX: &str = "listening on ";
/// Start of a `connecting` event's text, followed by the peer address.
pub const CONNECTING_PREFIX: &str = "connecting to ";
/// Start of a `connected` event's text: `connected (local ADDR)`.
pub const CONNECTED_PREFIX: &str = "connected (local ";
/// The text of a `half_closed` event.
pub const HALF_CLOSED_TEXT: &str = "we shut down sending (FIN sent; still receiving)";

/// The text of a `closed` event.
pub fn close_text(r: CloseReason) -> &'static str {
    match r {
        CloseReason::PeerClosed => "closed by peer (recv returned 0 bytes)",
        CloseReason::Reset => "connection reset (RST)",
        CloseReason::LocalClose => "closed by us",
        CloseReason::Failed => "connection ended after an error",
    }
}

/// The close reason whose text this is, if any (old logs carry no `reason` field).
pub fn reason_of_text(text: &str) -> Option<CloseReason> {
    CLOSE_REASONS.into_iter().find(|&r| close_text(r) == text)
}

pub fn listening_text(local: impl Display) -> String {
    format!("{LISTENING_PREFIX}{local}")
}

pub fn connecting_text(peer: impl Display) -> String {
    format!("{CONNECTING_PREFIX}{peer}")
}

pub fn connected_text(local: impl Display) -> String {
    format!("{CONNECTED_PREFIX}{local})")
}

/// A TLS connection's `connected` text: `connected (local ADDR) over TLSv1.3, CIPHER`.
pub fn tls_connected_text(local: impl Display, version: &str, cipher: &str, insecure: bool) -> String {
    let warning = if insecure { TLS_INSECURE_TEXT } else { "" };
    format!("{} over {version}, {cipher}{warning}", connected_text(local))
}

/// Ends the `connected` text of a TLS connection whose certificate was not checked.
pub const TLS_INSECURE_TEXT: &str = " (certificate NOT checked: --insecure)";

/// The text of a `tls_records` row whose bytes begin no record (the rest of a longer one).
pub const TLS_CONTINUED_TEXT: &str = "(the rest of a record)";

/// Appended to an rx event's text when `lost` bytes did not fit the receive buffer.
pub fn truncated_text(lost: usize) -> String {
    format!(" [cut off: {lost} more bytes did not fit the receive buffer]")
}

/// The text of a `joined` or `left` event.
pub fn membership_text(group: impl Display, joined: bool) -> String {
    if joined { format!("joined multicast group {group}") } else { format!("left multicast group {group}") }
}

/// The text of an `upstream_connected` event.
pub fn upstream_connected_text(upstream: impl Display, local: impl Display) -> String {
    format!("connected to upstream {upstream} (local {local})")
}

/// The text of a `fault` event: what the fault did.
pub fn fault_text(action: &crate::engine::relay::FaultAction) -> String {
    use crate::engine::relay::FaultAction as A;
    match action {
        A::Dropped { len } => format!("dropped {len} bytes"),
        A::Duplicated { len } => format!("duplicated {len} bytes"),
        A::Delayed { ms } => format!("delayed {ms} ms"),
        A::Reordered { ms } => format!("held back {ms} ms (reordered)"),
        A::Truncated { from, to } => format!("truncated from {from} to {to} bytes"),
        A::Sliced { len, pieces } => format!("{len} bytes sliced into {pieces} writes"),
        A::Coalesced { reads, len } => format!("{reads} reads ({len} bytes) coalesced into one write"),
        A::Throttled { ms } => format!("throttled {ms} ms by the bandwidth limit"),
        A::LimitReached { bytes } => format!("data limit reached after {bytes} bytes: closing"),
        A::TimedOut { closing: false } => "timeout: no more data passed".to_string(),
        A::TimedOut { closing: true } => "timeout: closing".to_string(),
        A::Reset => "reset injected".to_string(),
        A::SlowClose { ms } => format!("close held {ms} ms"),
    }
}

/// The text of a `generated` event: what a generator run sent, and how fast.
pub fn generated_text(proto: Proto, packets: u64, bytes: u64, micros: u64) -> String {
    let secs = micros as f64 / 1e6;
    let rate = if secs > 0.0 { packets as f64 / secs } else { 0.0 };
    let unit = if proto == Proto::Tcp { "messages" } else { "datagrams" };
    format!("generator done: {packets} {unit}, {bytes} bytes in {secs:.3} s ({rate:.0} {unit}/s)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_frozen() {
        assert_eq!([kind::RELAY, kind::FAULT], ["relay", "fault"]);
        assert_eq!(
            [event::RELAYED, event::FAULT, event::UPSTREAM_CONNECTED],
            ["relayed", "fault", "upstream_connected"]
        );
        assert_eq!(
            upstream_connected_text("127.0.0.1:9999", "127.0.0.1:40000"),
            "connected to upstream 127.0.0.1:9999 (local 127.0.0.1:40000)"
        );
        assert_eq!(
            fault_text(&crate::engine::relay::FaultAction::Sliced { len: 80, pieces: 10 }),
            "80 bytes sliced into 10 writes"
        );
        assert_eq!(
            [kind::RX, kind::TX, kind::CONNECT, kind::DISCONNECT, kind::ERROR, kind::INFO, kind::SUMMARY],
            ["rx", "tx", "connect", "disconnect", "error", "info", "summary"]
        );
        assert_eq!(
            [
                event::RX,
                event::TX,
                event::LISTENING,
                event::CONNECTING,
                event::CONNECTED,
                event::HALF_CLOSED,
                event::GENERATED,
                event::JOINED,
                event::LEFT,
                event::CLOSED,
                event::ERROR
            ],
            [
                "rx",
                "tx",
                "listening",
                "connecting",
                "connected",
                "half_closed",
                "generated",
                "joined",
                "left",
                "closed",
                "error"
            ]
        );
        assert_eq!(CLOSE_REASONS.map(reason_name), ["peer_closed", "reset", "local_close", "failed"]);
        for r in CLOSE_REASONS {
            // The name is what serde writes in the `reason` field.
            assert_eq!(serde_json::to_string(&r).unwrap(), format!("\"{}\"", reason_name(r)));
        }
    }

    #[test]
    fn texts_are_frozen() {
        assert_eq!(
            CLOSE_REASONS.map(close_text),
            [
                "closed by peer (recv returned 0 bytes)",
                "connection reset (RST)",
                "closed by us",
                "connection ended after an error"
            ]
        );
        for r in CLOSE_REASONS {
            assert_eq!(reason_of_text(close_text(r)), Some(r));
        }
        assert_eq!(reason_of_text("closed"), None);
        assert_eq!(HALF_CLOSED_TEXT, "we shut down sending (FIN sent; still receiving)");
        let addr: std::net::SocketAddr = "127.0.0.1:5000".parse().unwrap();
        assert_eq!(listening_text(addr), "listening on 127.0.0.1:5000");
        assert_eq!(connecting_text(addr), "connecting to 127.0.0.1:5000");
        assert_eq!(connected_text(addr), "connected (local 127.0.0.1:5000)");
        assert_eq!(truncated_text(12), " [cut off: 12 more bytes did not fit the receive buffer]");
        let group: std::net::IpAddr = "239.1.2.3".parse().unwrap();
        assert_eq!(membership_text(group, true), "joined multicast group 239.1.2.3");
        assert_eq!(membership_text(group, false), "left multicast group 239.1.2.3");
        assert_eq!(
            generated_text(Proto::Udp, 1000, 64000, 2_000_000),
            "generator done: 1000 datagrams, 64000 bytes in 2.000 s (500 datagrams/s)"
        );
        assert_eq!(
            generated_text(Proto::Tcp, 3, 30, 0),
            "generator done: 3 messages, 30 bytes in 0.000 s (0 messages/s)"
        );
    }
}
