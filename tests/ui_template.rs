//! Messages that compute themselves, in the GUI (and the log view's keep-last cap): the live preview of a template's bytes, the
//! bytes sent equal to the bytes shown, `${seq}` counting the tab's sends, a bad template
//! refused with its position, and the detail pane's checksum check and JSON view.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use socklab::i18n::Lang;
use socklab::ui::SockLabApp;

fn app(lang: Lang) -> Harness<'static, SockLabApp> {
    Harness::builder().with_size([1180.0, 760.0]).build_eframe(move |cc| SockLabApp::new(cc, Some(lang)))
}

fn set_field(h: &mut Harness<'_, SockLabApp>, label: &str, value: &str) {
    h.get_by_role_and_label(Role::TextInput, label).set_text_value_accesskit(value);
    h.run_steps(2);
}

fn has(h: &Harness<'_, SockLabApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

fn run_until(h: &mut Harness<'_, SockLabApp>, what: &str, f: impl Fn(&Harness<'_, SockLabApp>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        h.step();
        if f(h) {
            return;
        }
        if Instant::now() > deadline {
            let texts: Vec<String> = h
                .query_all(egui_kittest::kittest::By::new().role(Role::Label))
                .filter_map(|n| n.accesskit_node().value())
                .collect();
            panic!("timed out waiting for: {what}; labels on screen: {texts:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The UDP tab started, aimed at a new peer socket; the peer and the tab's address.
fn udp_with_peer(h: &mut Harness<'_, SockLabApp>) -> (UdpSocket, String) {
    h.run_steps(2);
    h.get_by_label("Start").click();
    run_until(h, "bound", |h| has(h, "Bound to 127.0.0.1:"));
    let node = h.get_by_label_contains("Bound to ");
    let label = node.accesskit_node().value().or_else(|| node.accesskit_node().label()).unwrap_or_default();
    let tab = label[label.find("Bound to ").unwrap() + 9..].trim().to_string();
    let peer = UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    set_field(h, "Remote address", &peer.local_addr().unwrap().to_string());
    (peer, tab)
}

fn recv(peer: &UdpSocket) -> Vec<u8> {
    let mut buf = [0u8; 2048];
    let (n, _) = peer.recv_from(&mut buf).unwrap();
    buf[..n].to_vec()
}

#[test]
fn the_preview_shows_the_bytes_send_puts_on_the_wire() {
    let mut h = app(Lang::En);
    let (peer, _) = udp_with_peer(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "Hex").click();
    h.run_steps(2);
    set_field(&mut h, "Message", "01 03 00 00 00 0A ${crc16-modbus}");
    assert!(has(&h, "Next (#1):"));
    assert!(has(&h, "01 03 00 00 00 0a c5 cd"), "the preview shows the CRC");
    h.get_by_label("Send").click();
    h.run_steps(2);
    assert_eq!(recv(&peer), [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]);

    // `${seq}` counts this tab's sends: one went, so a repeat of three sends 2, 3, 4.
    h.get_by_role_and_label(Role::RadioButton, "Text").click();
    h.run_steps(2);
    set_field(&mut h, "Message", "A${seq}");
    assert!(has(&h, "Next (#2):"));
    set_field(&mut h, "every (ms)", "30");
    set_field(&mut h, "times", "3");
    h.get_by_label("Repeat").click();
    let mut got = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    peer.set_read_timeout(Some(Duration::from_millis(20))).unwrap();
    let mut buf = [0u8; 64];
    while got.len() < 3 && Instant::now() < deadline {
        h.step();
        if let Ok((n, _)) = peer.recv_from(&mut buf) {
            got.push(buf[..n].to_vec());
        }
    }
    assert_eq!(got, [b"A2".to_vec(), b"A3".to_vec(), b"A4".to_vec()]);

    // A bad template says where while it is typed, and Send sends nothing.
    set_field(&mut h, "Message", "x ${nope}");
    assert!(has(&h, "character 3: ${nope} is not a field"));
    h.get_by_label("Send").click();
    h.run_steps(2);
    assert!(has(&h, "Nothing was sent"));
    peer.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    assert!(peer.recv_from(&mut buf).is_err(), "a bad template sent something");
}

#[test]
fn the_detail_pane_checks_a_checksum_and_shows_json() {
    let mut h = app(Lang::En);
    let (peer, tab) = udp_with_peer(&mut h);
    // "123456789" with its CRC-16/MODBUS (0x4B37) low byte first: '7' 'K'.
    peer.send_to(b"1234567897K", &tab).unwrap();
    peer.send_to(br#"{"reading":[1,2],"ok":true}"#, &tab).unwrap();
    peer.send_to(br#"{"reading":"#, &tab).unwrap();
    run_until(&mut h, "three rows", |h| has(h, r#"{"reading":"#) && has(h, "1234567897K"));

    h.get_by_label("1234567897K").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::ComboBox, "Check:").click();
    h.run_steps(2);
    h.get_by_label("CRC-16/MODBUS").click();
    h.run_steps(2);
    // Modbus sends its CRC low byte first, and so the check reads it by default.
    assert!(has(&h, "CRC-16/MODBUS OK"));
    h.get_by_role_and_label(Role::CheckBox, "low byte first").click();
    h.run_steps(2);
    assert!(has(&h, "CRC-16/MODBUS: expected 0x4B37, got 0x374B"));

    h.get_by_label(r#"{"reading":[1,2],"ok":true}"#).click();
    h.run_steps(2);
    // Pretty-printed, the keys in the order they came.
    assert!(has(&h, "{\n  \"reading\": [\n    1,\n    2\n  ],\n  \"ok\": true\n}"), "pretty-printed");
    h.get_by_label(r#"{"reading":"#).click();
    h.run_steps(2);
    assert!(has(&h, "Not valid JSON: line 1, column 11: it ends too early"));
}

#[test]
fn base64_and_bits_as_input_and_as_columns() {
    let mut h = app(Lang::En);
    let (peer, _) = udp_with_peer(&mut h);
    h.get_by_role_and_label(Role::RadioButton, "Base64").click();
    h.run_steps(2);
    set_field(&mut h, "Message", "SGVsbG8=");
    h.get_by_label("Send").click();
    h.run_steps(2);
    assert_eq!(recv(&peer), b"Hello");
    h.get_by_role_and_label(Role::RadioButton, "Bits").click();
    h.run_steps(2);
    set_field(&mut h, "Message", "01001000 01101001 ${xor8}");
    assert!(has(&h, "48 69 21"), "the preview shows the XOR");
    h.get_by_label("Send").click();
    h.run_steps(2);
    assert_eq!(recv(&peer), [0x48, 0x69, 0x48 ^ 0x69]);
    set_field(&mut h, "Message", "0102");
    h.get_by_label("Send").click();
    h.run_steps(2);
    assert!(has(&h, "'2' (character 4) is not a bit 0 or 1"));

    // The log shows the sent bytes as Base64 and as bits when those columns are on.
    h.get_by_label("Columns").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::CheckBox, "Base64").click();
    h.run_steps(2);
    if h.query_by_role_and_label(Role::CheckBox, "Bits").is_none() {
        h.get_by_label("Columns").click();
        h.run_steps(2);
    }
    h.get_by_role_and_label(Role::CheckBox, "Bits").click();
    h.run_steps(2);
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    assert!(has(&h, "SGVsbG8="));
    assert!(has(&h, "01001000 01101001 00100001"));
}

#[test]
fn keep_last_shows_the_newest_rows_and_keeps_the_counters() {
    let mut h = app(Lang::En);
    let (peer, tab) = udp_with_peer(&mut h);
    for i in 0..5 {
        peer.send_to(format!("row-{i}").as_bytes(), &tab).unwrap();
    }
    run_until(&mut h, "five rows", |h| has(h, "row-4"));
    set_field(&mut h, "Keep last", "2");
    h.run_steps(2);
    assert!(!has(&h, "row-2") && has(&h, "row-3") && has(&h, "row-4"), "only the newest two");
    assert!(has(&h, "last 2 of 6 rows"));
    assert!(has(&h, "RX 5 pkts"), "the counters count every datagram");
    // A value out of range is marked and shows every row.
    set_field(&mut h, "Keep last", "0");
    h.run_steps(2);
    assert!(has(&h, "row-0"));
}

#[test]
fn record_to_file_writes_rows_as_they_come_and_stops() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("run.jsonl");
    let mut h = app(Lang::En);
    let (peer, tab) = udp_with_peer(&mut h);
    h.get_by_label("Record…").click();
    h.run_steps(2);
    set_field(&mut h, "Record to", &path.display().to_string());
    h.get_by_label("Start recording").click();
    h.run_steps(2);
    assert!(has(&h, "Recording to"));
    for i in 0..3 {
        peer.send_to(format!("rec-{i}").as_bytes(), &tab).unwrap();
    }
    // On disk while still recording: the writer flushes within 100 ms.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut lines = 0;
    while lines < 3 && Instant::now() < deadline {
        h.step();
        std::thread::sleep(Duration::from_millis(20));
        lines = std::fs::read_to_string(&path).unwrap_or_default().lines().filter(|l| l.contains("rec-")).count();
    }
    assert_eq!(lines, 3, "three rows on disk before Stop");
    h.get_by_label("Stop recording").click();
    h.run_steps(2);
    assert!(has(&h, "Recorded 3 events to"));
    // What SockLab writes, it reads back.
    let mut got = Vec::new();
    let mut sink = |ev: socklab::engine::Event, _: Option<&str>| {
        got.push(ev);
        None
    };
    socklab::log::import::read_file_into(&path, &Default::default(), &mut sink).unwrap();
    assert_eq!(got.len(), 3);
    // A file that cannot be made says so where the user looks.
    h.get_by_label("Record…").click();
    h.run_steps(2);
    if !has(&h, "Record to") {
        h.get_by_label("Record…").click();
        h.run_steps(2);
    }
    set_field(&mut h, "Record to", "/no/such/dir/x.pcap");
    h.get_by_label("Start recording").click();
    h.run_steps(2);
    assert!(has(&h, "Cannot create /no/such/dir/x.pcap"));
}

#[test]
fn the_generator_renders_each_datagram_of_a_template() {
    let mut h = app(Lang::En);
    let (peer, _) = udp_with_peer(&mut h);
    set_field(&mut h, "Message", "G${seq}:${crc8}");
    h.get_by_label("Traffic generator").click();
    h.run_steps(2);
    set_field(&mut h, "Rate", "5000");
    set_field(&mut h, "Count", "5");
    h.get_by_label("Generate").click();
    run_until(&mut h, "run done", |h| has(h, "generator done: 5 datagrams"));
    let got: Vec<Vec<u8>> = (0..5).map(|_| recv(&peer)).collect();
    let want: Vec<Vec<u8>> = (1..=5)
        .map(|n| {
            let mut m = format!("G{n}:").into_bytes();
            m.push(socklab::codec::template::Checksum::Crc8.compute(&m) as u8);
            m
        })
        .collect();
    assert_eq!(got, want);
}
