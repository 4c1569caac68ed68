//! Networking that loopback cannot show, in a private network namespace the test creates
//! (`unshare -n`): a veth pair with link-local IPv6 addresses and a 10.99.0.0/24 subnet. Nothing
//! leaves the namespace: it has no route to any other network, and it disappears with the test.
//!
//! Needs root (or CAP_SYS_ADMIN) and `unshare` + `ip` (util-linux, iproute2): CI runs as root.
//! Elsewhere the test says why it did not run and passes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::path::Path;
use std::process::Command;

fn json_lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l}: {e}"))).collect()
}

/// Why a private namespace cannot be made here, if it cannot.
fn cannot_unshare() -> Option<String> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Some("not root".into());
    }
    // The test needs a veth pair: some kernels (minimal VMs) are built without veth.
    let probe = ["-n", "ip", "link", "add", "v0", "type", "veth", "peer", "name", "v1"];
    match Command::new("unshare").args(probe).output() {
        Ok(o) if o.status.success() => None,
        Ok(o) => Some(format!("no veth pair in a private namespace: {}", String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Some(format!("cannot run unshare/ip: {e}")),
    }
}

/// Sets up the namespace: lo, a veth pair v0/v1 with fe80::1 and fe80::2 (no duplicate
/// address detection, so they are usable at once) and 10.99.0.1/24, 10.99.0.2/24.
const SETUP: &str = r#"
set -eu
ip link set lo up
ip link add v0 type veth peer name v1
ip addr add fe80::1/64 dev v0 nodad
ip addr add fe80::2/64 dev v1 nodad
ip addr add 10.99.0.1/24 broadcast 10.99.0.255 dev v0
ip addr add 10.99.0.2/24 broadcast 10.99.0.255 dev v1
ip link set v0 up
ip link set v1 up
"#;

#[test]
fn ipv6_multicast_link_local_and_subnet_broadcast_in_a_private_namespace() {
    if let Some(why) = cannot_unshare() {
        eprintln!("skipped: no private network namespace here ({why})");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display().to_string();
    let b = env!("CARGO_BIN_EXE_socklab");
    let script = format!(
        r#"{SETUP}
B='{b}'; D='{d}'
# IPv6 multicast: a receiver joins ff02::4242 on v1; the sender sends out of v0.
"$B" udp --bind '[::]:9400' --multicast ff02::4242 --interface v1 --count 1 --duration 10 --json > "$D/mc_rx.jsonl" &
MC=$!
# A TCP server on a link-local address, named by interface.
"$B" tcp-server --bind '[fe80::2%v1]:9401' --reply upper --count 1 --duration 10 --json > "$D/ll_srv.jsonl" &
LL=$!
# A broadcast receiver for the 10.99.0.0/24 subnet.
"$B" broadcast --listen 9402 --count 1 --duration 10 --json > "$D/bc_rx.jsonl" &
BC=$!
sleep 0.7
"$B" udp --bind '[::]:0' --multicast ff02::4242 --interface v0 --to '[ff02::4242]:9400' --send 'hello group' --duration 1 --json > "$D/mc_tx.jsonl"
"$B" tcp-client --connect '[fe80::2%v1]:9401' --send 'link local' --json > "$D/ll_cli.jsonl"
"$B" broadcast --port 9402 --to 10.99.0.255 --send 'hello subnet' --json > "$D/bc_tx.jsonl"
"$B" tcp-client --connect '[fe80::2%nosuchif9]:9401' --send x --json > "$D/bad.jsonl" 2> "$D/bad.err" && exit 9
wait $MC $LL $BC
"#
    );
    let out = Command::new("unshare").args(["-n", "sh", "-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "namespace script failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let p = |name: &str| dir.path().join(name);

    // The group datagram crossed the veth pair and arrived from fe80::1 (v0's address).
    let rx = json_lines(&p("mc_rx.jsonl"));
    let got = rx.iter().find(|v| v["kind"] == "rx").expect("the group datagram arrived");
    assert_eq!(got["text"], "hello group");
    assert!(got["peer"].as_str().unwrap().starts_with("[fe80::1%"), "{got}");

    // The link-local TCP server answered in capitals; the client's addresses carry the scope.
    let cli = json_lines(&p("ll_cli.jsonl"));
    let reply = cli.iter().find(|v| v["kind"] == "rx").expect("a reply");
    assert_eq!(reply["text"], "LINK LOCAL");
    assert!(reply["peer"].as_str().unwrap().starts_with("[fe80::2%"), "{reply}");
    let srv = json_lines(&p("ll_srv.jsonl"));
    assert!(srv.iter().any(|v| v["kind"] == "rx" && v["text"] == "link local"));

    // The subnet broadcast reached the receiver bound to 0.0.0.0.
    let bc = json_lines(&p("bc_rx.jsonl"));
    let got = bc.iter().find(|v| v["kind"] == "rx").expect("the broadcast arrived");
    assert_eq!(got["text"], "hello subnet");
    assert!(got["peer"].as_str().unwrap().starts_with("10.99.0."), "{got}");

    // An interface that does not exist is named in the error.
    let err = std::fs::read_to_string(p("bad.err")).unwrap() + &std::fs::read_to_string(p("bad.jsonl")).unwrap();
    assert!(err.contains("no network interface named 'nosuchif9'"), "{err}");
}
