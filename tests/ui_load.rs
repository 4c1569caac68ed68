//! The Load tab, driven headless: a load test against the tutorial's upper-case server (every
//! request answered, the server's count equal to the tab's), the report saved and run again
//! from the file, a bad setting refused in words with nothing sent, and the tab in Chinese.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
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
    let deadline = Instant::now() + Duration::from_secs(20);
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

/// The tutorial's upper-case server (lesson 4): every read sent back in upper case, one
/// thread per client. Counts the bytes it got.
fn upper_server() -> (SocketAddr, Arc<AtomicU64>) {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let bytes = Arc::new(AtomicU64::new(0));
    let b = bytes.clone();
    std::thread::spawn(move || {
        for s in l.incoming() {
            let Ok(mut s) = s else { return };
            let b = b.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 1024];
                while let Ok(n) = s.read(&mut buf) {
                    if n == 0 {
                        return;
                    }
                    b.fetch_add(n as u64, Ordering::SeqCst);
                    if s.write_all(&buf[..n].to_ascii_uppercase()).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (addr, bytes)
}

fn load_tab(h: &mut Harness<'_, SockLabApp>, name: &str) {
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, name).click();
    h.run_steps(3);
}

#[test]
fn a_load_test_against_the_upper_case_server_and_its_report() {
    let (addr, bytes) = upper_server();
    let mut h = app(Lang::En);
    load_tab(&mut h, "Load");
    assert!(has(&h, "No test yet"), "the empty state says what to do");
    set_field(&mut h, "Server address", &addr.to_string());
    set_field(&mut h, "Connections", "4");
    set_field(&mut h, "Rate/s", "max");
    set_field(&mut h, "Seconds", "");
    set_field(&mut h, "Count", "200");
    set_field(&mut h, "Message", "ping");
    set_field(&mut h, "Reply", "echo");
    h.get_by_label("Start load test").click();
    run_until(&mut h, "the run ends", |h| has(h, "Done in") || has(h, "The test stopped"));
    let f = h.state().load.last_figures().unwrap();
    // Echo expects the message itself: the upper-case server's PING is a wrong reply each time.
    assert_eq!((f.sent, f.received, f.failures), (200, 0, 200));
    assert!(has(&h, "wrong reply"), "the failure table names the kind");
    assert!(has(&h, "PING"), "and shows the first one");
    assert_eq!(bytes.load(Ordering::SeqCst), 200 * 4);

    // The same with the reply it really sends: sized (as long as the message).
    set_field(&mut h, "Reply", "sized");
    set_field(&mut h, "Message", "ping ${seq}\\n");
    h.get_by_label("Start load test").click();
    run_until(&mut h, "the second run ends", |h| has(h, "Done in"));
    let f = h.state().load.last_figures().unwrap();
    assert_eq!((f.sent, f.received, f.failures), (200, 200, 0));
    assert!(f.p50_us.unwrap() > 0.0 && f.p99_us.unwrap() >= f.p50_us.unwrap());
    assert!(has(&h, "No failures."));
    let before = bytes.load(Ordering::SeqCst);

    // The report, saved and run again from the file.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("load.json");
    set_field(&mut h, "Report", path.to_str().unwrap());
    h.get_by_label("Save report").click();
    h.run_steps(2);
    assert!(has(&h, "Report saved"));
    let j: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(j["summary"]["received"], 200);
    assert_eq!(j["args"][0], "bench");
    set_field(&mut h, "Count", "100");
    h.get_by_label("Repeat from report").click();
    h.run_steps(2);
    run_until(&mut h, "the repeated run ends", |h| {
        has(h, "Done in") && h.state().load.last_figures().is_some_and(|f| f.received == 200)
    });
    assert_eq!(h.state().load.count, "200", "the report's settings came back");
    assert!(bytes.load(Ordering::SeqCst) > before, "it ran again");
}

#[test]
fn a_bad_setting_is_refused_in_words_and_nothing_is_sent() {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.set_nonblocking(true).unwrap();
    let mut h = app(Lang::En);
    load_tab(&mut h, "Load");
    set_field(&mut h, "Server address", &l.local_addr().unwrap().to_string());
    set_field(&mut h, "Connections", "many");
    h.get_by_label("Start load test").click();
    h.run_steps(3);
    assert!(has(&h, "Connections: not a number."));
    set_field(&mut h, "Connections", "20000");
    h.get_by_label("Start load test").click();
    h.run_steps(3);
    assert!(has(&h, "Connections: from 1 to 10000."));
    set_field(&mut h, "Connections", "2");
    set_field(&mut h, "Message", "${crc99}");
    h.get_by_label("Start load test").click();
    h.run_steps(3);
    assert!(has(&h, "Message:"), "the template's error");
    assert!(!h.state().load.running());
    assert!(l.accept().is_err(), "nothing connected");
}

#[test]
fn the_load_tab_in_chinese() {
    let (addr, _) = upper_server();
    let mut h = app(Lang::Zh);
    load_tab(&mut h, "压测");
    assert!(has(&h, "开始压测"));
    set_field(&mut h, "服务器地址", &addr.to_string());
    set_field(&mut h, "次数", "50");
    set_field(&mut h, "秒数", "");
    h.get_by_label("开始压测").click();
    run_until(&mut h, "完成", |h| has(h, "完成"));
    assert!(has(&h, "没有失败"));
    assert!(has(&h, "已校正协调遗漏"), "a rate was set: the note says how round trips were measured");
}

#[test]
fn a_saved_packet_becomes_the_message() {
    let mut h = app(Lang::En);
    load_tab(&mut h, "Load");
    // TCP: the TCP Client tab's packets; text with escapes stays text.
    h.get_by_label("Saved…").click();
    h.run_steps(2);
    h.get_by_label("HTTP/1.0 GET /").click();
    h.run_steps(2);
    assert_eq!(h.state().load.message, "GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n");
    assert!(!h.state().load.hex);
    // UDP: the UDP tab's packets; GBK text becomes its bytes in hex, hex stays hex.
    h.get_by_role_and_label(Role::RadioButton, "UDP").click();
    h.run_steps(2);
    h.get_by_label("Saved…").click();
    h.run_steps(2);
    h.get_by_label("Hello in Chinese (GBK)").click();
    h.run_steps(2);
    assert_eq!(h.state().load.message, "c4 e3 ba c3");
    assert!(h.state().load.hex);
    h.get_by_label("Saved…").click();
    h.run_steps(2);
    h.get_by_label("DNS query: example.com A").click();
    h.run_steps(2);
    assert!(h.state().load.message.starts_with("12 34 01 00"), "{}", h.state().load.message);
}
