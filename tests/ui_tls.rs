//! The TCP tabs with TLS, driven headless through the real app: the server makes its
//! self-signed certificate and saves it, the client trusts that file, the handshake's version,
//! cipher and certificate chain are shown, the upper-case reply comes back decrypted, and the
//! log's "+ TLS records" view shows the records that crossed the wire. In Chinese, the warning of
//! "accept any certificate".

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::SocketAddr;
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

fn open_tab(h: &mut Harness<'_, SockLabApp>, name: &str) {
    let bar = h.query_all_by_label(name).find(|n| !matches!(n.accesskit_node().role(), Role::Label | Role::ComboBox));
    bar.unwrap_or_else(|| panic!("no tab {name}")).click();
    h.run_steps(3);
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
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn addr_after(h: &Harness<'_, SockLabApp>, prefix: &str) -> SocketAddr {
    let node = h.get_by_label_contains(prefix);
    let label = node.accesskit_node().value().or_else(|| node.accesskit_node().label()).unwrap_or_default();
    label[label.find(prefix).unwrap() + prefix.len()..].trim().parse().unwrap_or_else(|e| panic!("{label}: {e}"))
}

fn choose(h: &mut Harness<'_, SockLabApp>, combo: &str, option: &str) {
    h.get_by_role_and_label(Role::ComboBox, combo).click();
    h.run_steps(2);
    h.query_all_by_label(option).last().unwrap_or_else(|| panic!("no option {option}")).click();
    h.run_steps(3);
}

#[test]
fn a_tls_server_and_client_show_the_handshake_the_chain_and_the_records() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("server.pem");
    let mut h = app(Lang::En);
    open_tab(&mut h, "TCP Server");
    set_field(&mut h, "Local address", "127.0.0.1:0");
    h.get_by_label("TLS").click();
    h.run_steps(3);
    choose(&mut h, "Auto-reply", "Upper-case");
    h.get_by_label("Start").click();
    run_until(&mut h, "listening", |h| has(h, "Listening on 127.0.0.1:"));
    let addr = addr_after(&h, "Listening on ");
    assert!(has(&h, "Self-signed certificate made for this run: CN=SockLab self-signed"));
    assert!(has(&h, "SHA-256 "));
    set_field(&mut h, "Save to", cert.to_str().unwrap());
    h.get_by_label("Save certificate").click();
    run_until(&mut h, "saved", |h| has(h, "Saved to "));
    assert!(std::fs::read_to_string(&cert).unwrap().starts_with("-----BEGIN CERTIFICATE-----"));

    open_tab(&mut h, "TCP Client");
    set_field(&mut h, "Server address", &addr.to_string());
    h.get_by_label("TLS").click();
    h.run_steps(3);
    choose(&mut h, "Trust", "a CA file");
    set_field(&mut h, "CA file", cert.to_str().unwrap());
    h.get_by_label("Connect").click();
    run_until(&mut h, "handshake", |h| has(h, "certificate checked"));
    assert!(has(&h, "TLSv1.3 · TLS_"), "version and cipher shown");
    h.get_by_label_contains("Certificate chain (1)").click();
    h.run_steps(3);
    assert!(has(&h, "localhost, 127.0.0.1, ::1"), "the names of the certificate");
    set_field(&mut h, "Message", "hello tls");
    h.get_by_label("Send").click();
    run_until(&mut h, "reply", |h| has(h, "HELLO TLS"));
    // The default view has no record rows; "+ TLS records" adds them around the same hello.
    assert!(!has(&h, "TLS sent: Handshake: ClientHello"));
    choose(&mut h, "Kind", "all + TLS records");
    // The newest rows are in view: the encrypted handshake, and "hello tls" as it left, encrypted.
    run_until(&mut h, "records", |h| has(h, "ApplicationData (encrypted handshake)"));
    assert!(has(&h, "TLS sent: ApplicationData"));
    assert!(has(&h, "17 03 03 "), "the encrypted bytes in the hex column");
    assert!(has(&h, "HELLO TLS"), "the decrypted rows stay");
}

#[test]
fn accepting_any_certificate_is_said_in_chinese_in_the_tab_and_the_log() {
    let mut h = app(Lang::Zh);
    open_tab(&mut h, "TCP 服务器");
    set_field(&mut h, "本地地址", "127.0.0.1:0");
    h.get_by_label("TLS").click();
    h.run_steps(3);
    h.get_by_label("启动").click();
    run_until(&mut h, "listening", |h| has(h, "正在监听 127.0.0.1:"));
    assert!(has(&h, "本次运行生成的自签名证书"));
    let addr = addr_after(&h, "正在监听 ");
    open_tab(&mut h, "TCP 客户端");
    set_field(&mut h, "服务器地址", &addr.to_string());
    h.get_by_label("TLS").click();
    h.run_steps(3);
    choose(&mut h, "信任", "任何证书(!)");
    assert!(has(&h, "接受任何证书:连接是加密的,但没有核实对面是谁"));
    h.get_by_label("连接").click();
    run_until(&mut h, "connected", |h| has(h, "(!) 证书未核实"));
    run_until(&mut h, "log row", |h| has(h, "使用 TLSv1.3"));
}

/// The lesson, in two clicks (the Lessons menu, the lesson) and a Send in each pane: the plain
/// "hello" and the TLS one side by side, the right one with its records around it. Run 20 times
/// in a row: a demo shows what it promises every time.
#[test]
fn the_what_tls_adds_lesson_shows_both_exchanges_every_time() {
    for run in 0..20 {
        let mut h = app(if run % 2 == 0 { Lang::En } else { Lang::Zh });
        let (menu, lesson, send, plain, tls, counted) = if run % 2 == 0 {
            (
                "Lessons",
                "What TLS adds: the same hello, in plain TCP and in TLS",
                "Send",
                "Connected to 127.0.0.1:",
                "certificate checked",
                "RX 1 pkts / 5 B",
            )
        } else {
            (
                "课程",
                "TLS 多了什么:同一个 hello,普通 TCP 与 TLS",
                "发送",
                "已连接 127.0.0.1:",
                "证书已核实",
                "收 1 包 / 5 字节",
            )
        };
        h.run_steps(2);
        h.get_by_label(menu).click();
        h.run_steps(2);
        h.get_by_label(lesson).click();
        run_until(&mut h, "both connected", |h| h.query_all_by_label_contains(plain).count() >= 2 && has(h, tls));
        // One click a frame: the plain client's Send, then the TLS client's.
        for i in 0..2 {
            h.query_all_by_label(send).nth(i).unwrap_or_else(|| panic!("Send #{i}")).click();
            h.run_steps(2);
        }
        // Each side's counters: the 5 bytes of "HELLO" came back, decrypted on the right.
        run_until(&mut h, "both replies", |h| h.query_all_by_label_contains(counted).count() >= 2);
        assert!(has(&h, "HELLO"));
        assert!(has(&h, "ClientHello"), "the records are in the right pane's log");
    }
}
