//! Opening files from anywhere in the window, driven headless with egui_kittest: a file dropped
//! on the window, a typed path (the fallback when no file dialog can be shown), the recent
//! files, a file that stops early, Export through the path field, and how an imported capture's
//! conversation reads (snapshots: `UPDATE_SNAPSHOTS=1 cargo test --test ui_open`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use socklab::engine::{CloseReason, Event, EventKind, Proto};
use socklab::i18n::Lang;
use socklab::ui::SockLabApp;

fn app(lang: Lang) -> Harness<'static, SockLabApp> {
    Harness::builder().with_size([1180.0, 760.0]).build_eframe(move |cc| SockLabApp::new(cc, Some(lang)))
}

fn set_field(h: &mut Harness<'_, SockLabApp>, label: &str, value: &str) {
    h.get_by_role_and_label(Role::TextInput, label).set_text_value_accesskit(value);
    h.run_steps(2);
}

fn click(h: &mut Harness<'_, SockLabApp>, label: &str) {
    h.get_by_label(label).click();
    h.run_steps(2);
}

fn open_tab(h: &mut Harness<'_, SockLabApp>, name: &str) {
    let bar = h.query_all_by_label(name).find(|n| !matches!(n.accesskit_node().role(), Role::Label | Role::ComboBox));
    bar.unwrap_or_else(|| panic!("no tab {name}")).click();
    h.run_steps(2);
}

fn labels(h: &Harness<'_, SockLabApp>) -> Vec<String> {
    h.query_all(egui_kittest::kittest::By::new())
        .filter_map(|n| n.accesskit_node().value().or_else(|| n.accesskit_node().label()))
        .filter(|s| !s.is_empty())
        .collect()
}

/// Steps frames until `f` holds (at most 10 s: files are read on a background thread).
fn run_until(h: &mut Harness<'_, SockLabApp>, what: &str, f: impl Fn(&Harness<'_, SockLabApp>) -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        h.step();
        if f(h) {
            return;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}; on screen: {:?}", labels(h));
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn has(h: &Harness<'_, SockLabApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).next().is_some()
}

/// A TCP conversation as a socket saw it, at fixed times (snapshots stay the same).
fn conversation(extra: &[EventKind]) -> Vec<Event> {
    let peer: SocketAddr = "127.0.0.1:40000".parse().unwrap();
    let local: SocketAddr = "127.0.0.1:9999".parse().unwrap();
    let mut kinds = vec![
        EventKind::Connected { local, inbound: true, tls: None },
        EventKind::Rx { data: b"hello viewer".to_vec(), lost: 0 },
        EventKind::Tx { data: b"HELLO VIEWER".to_vec() },
    ];
    kinds.extend_from_slice(extra);
    kinds.push(EventKind::Closed { reason: CloseReason::PeerClosed });
    kinds
        .into_iter()
        .enumerate()
        .map(|(i, kind)| Event {
            time: jiff::Timestamp::from_millisecond(1_700_000_000_000 + 250 * i as i64).unwrap(),
            tab: 0,
            source: 1,
            proto: Proto::Tcp,
            conn: Some(1),
            local: None,
            peer: Some(peer),
            kind,
        })
        .collect()
}

/// Writes `events` as a classic pcap with SockLab's own writer.
fn write_pcap(path: &Path, events: &[Event]) {
    let mut w = socklab::log::pcap::PcapWriter::new(std::fs::File::create(path).unwrap()).unwrap();
    for e in events {
        w.write(e).unwrap();
    }
    w.finish().unwrap();
}

/// A file dropped on the window, as the desktop hands it to egui.
#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'_, SockLabApp>, path: &Path) {
    h.input_mut().dropped_files.push(std::sync::Arc::new(Dropped(path.to_path_buf())));
}

fn capture(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    write_pcap(&path, &conversation(&[]));
    path
}

#[test]
fn a_dropped_file_opens_in_the_viewer_and_hovering_files_says_drop_to_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path(), "classmate.pcap");
    let mut h = app(Lang::En);
    h.run_steps(2);

    // Files held over the window: the overlay says what a drop does, and goes when they leave.
    h.input_mut().hovered_files.push(egui::HoveredFile { path: Some(path.clone()), ..Default::default() });
    h.run_steps(2);
    assert!(has(&h, "Drop to open"));
    h.snapshot("drop_overlay");
    h.input_mut().hovered_files.clear();
    h.run_steps(2);
    assert!(!has(&h, "Drop to open"));

    // Dropped from the UDP tab: the Open log tab opens with the file's rows.
    drop_file(&mut h, &path);
    run_until(&mut h, "opened", |h| has(h, "classmate.pcap: 4 events, 0 packets or lines skipped"));
    assert!(has(&h, "hello viewer") && has(&h, "HELLO VIEWER"), "{:?}", labels(&h));

    // Two at once: the last one opens, and the tab says why only one.
    let second = capture(dir.path(), "second.pcap");
    for p in [path.clone(), second] {
        drop_file(&mut h, &p);
    }
    run_until(&mut h, "second opened", |h| has(h, "second.pcap: 4 events"));
    assert!(has(&h, "2 files were dropped"));

    // A file handed over with only its name (as a browser does) cannot be read: said, never
    // silent.
    open_tab(&mut h, "UDP");
    drop_file(&mut h, Path::new("from-browser.pcap"));
    h.run_steps(3);
    assert!(has(&h, "Cannot open from-browser.pcap: the desktop gave no path for it"), "{:?}", labels(&h));
}

#[test]
fn a_typed_path_opens_and_the_recent_files_are_listed_newest_first_and_remembered() {
    let dir = tempfile::tempdir().unwrap();
    let first = capture(dir.path(), "first.pcap");
    let second = capture(dir.path(), "second.pcap");
    let settings = dir.path().join("settings.json");

    let mut h = app(Lang::En);
    let ctx = h.ctx.clone();
    h.state_mut().restore(&ctx, settings.clone(), true);
    open_tab(&mut h, "Open log");
    assert!(has(&h, "No file open"));
    let open_button = h.get_by_label("Open…").rect();
    click(&mut h, "Type a path");
    assert_eq!(h.get_by_label("Open…").rect(), open_button, "the field opens under the buttons");
    set_field(&mut h, "File path", first.to_str().unwrap());
    click(&mut h, "Open");
    run_until(&mut h, "first opened", |h| has(h, "first.pcap: 4 events"));
    assert!(has(&h, "hello viewer"));
    assert_eq!(h.get_by_label("Open…").rect(), open_button, "the status line moves no button");

    // A path that does not exist says so and keeps what is shown.
    set_field(&mut h, "File path", dir.path().join("nothing.pcap").to_str().unwrap());
    click(&mut h, "Open");
    run_until(&mut h, "error", |h| has(h, "Cannot open nothing.pcap"));
    assert!(has(&h, "hello viewer"), "the rows of the file opened before stay");

    set_field(&mut h, "File path", second.to_str().unwrap());
    h.get_by_role_and_label(Role::TextInput, "File path").focus();
    h.step();
    h.key_press(egui::Key::Enter);
    run_until(&mut h, "second opened", |h| has(h, "second.pcap: 4 events"));

    // Newest first; a file that went away is marked and cannot be clicked.
    let recent: Vec<PathBuf> = h.state().viewer.recent.clone();
    assert_eq!(recent, vec![second.clone(), first.clone()]);
    std::fs::remove_file(&second).unwrap();
    h.run_steps(2);
    assert!(has(&h, &format!("{} (missing)", second.display())), "{:?}", labels(&h));
    click(&mut h, &first.display().to_string());
    run_until(&mut h, "first again", |h| has(h, "first.pcap: 4 events"));
    assert_eq!(h.state().viewer.recent.first(), Some(&first));

    // Saved with the settings, listed again at the next start.
    h.state().save_settings();
    let mut h = app(Lang::En);
    let ctx = h.ctx.clone();
    h.state_mut().restore(&ctx, settings, true);
    assert_eq!(h.state().viewer.recent, vec![first.clone(), second.clone()]);
    open_tab(&mut h, "Open log");
    click(&mut h, "Type a path");
    assert!(has(&h, &first.display().to_string()) && has(&h, "(missing)"));
}

#[test]
fn a_file_that_stops_early_keeps_its_rows_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path(), "whole.pcap");
    let whole = std::fs::read(&path).unwrap();
    let mut h = app(Lang::En);
    open_tab(&mut h, "Open log");
    let open_button = h.get_by_label("Open…").rect();

    // Cut in the middle of the last packet: the rows before it are shown, with why it ended.
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &whole[..whole.len() - 10]).unwrap();
    let ctx = h.ctx.clone();
    h.state_mut().viewer.open(cut, &ctx);
    run_until(&mut h, "opened", |h| has(h, "cut.pcap: "));
    assert!(has(&h, "hello viewer") && has(&h, "HELLO VIEWER"), "{:?}", labels(&h));
    // Where it stopped and why, in red under the buttons.
    assert!(has(&h, "Reading stopped at byte "), "{:?}", labels(&h));
    assert!(has(&h, "(record 8): the file ends in the middle of it"), "{:?}", labels(&h));
    assert_eq!(h.get_by_label("Open…").rect(), open_button, "the notes' lines were reserved");
}

#[test]
fn export_through_the_path_field_writes_the_file_in_the_format_its_name_says() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path(), "classmate.pcap");
    let mut h = app(Lang::En);
    open_tab(&mut h, "Open log");
    let ctx = h.ctx.clone();
    h.state_mut().viewer.open(path, &ctx);
    run_until(&mut h, "opened", |h| has(h, "classmate.pcap: 4 events"));

    for (name, format) in [("out.csv", "CSV"), ("out.pcap", "pcap"), ("out.jsonl", "JSON lines")] {
        click(&mut h, "Export…");
        click(&mut h, "Type a path…");
        let target = dir.path().join(name);
        set_field(&mut h, "File path", target.to_str().unwrap());
        assert!(has(&h, &format!("Format: {format} ")), "{:?}", labels(&h));
        click(&mut h, "Save");
        run_until(&mut h, "saved", |h| has(h, "Saved 4 events to "));
        let bytes = std::fs::read(&target).unwrap();
        match format {
            "CSV" => assert!(String::from_utf8(bytes).unwrap().starts_with("seq,ts,proto")),
            "pcap" => assert_eq!(&bytes[..4], &0xa1b2_c3d4u32.to_le_bytes()),
            _ => assert!(String::from_utf8(bytes).unwrap().contains("\"text\":\"hello viewer\"")),
        }
    }
    // No extension: the format of the menu item ("Type a path…" starts as pcap).
    click(&mut h, "Export…");
    click(&mut h, "Type a path…");
    let target = dir.path().join("noext");
    set_field(&mut h, "File path", target.to_str().unwrap());
    assert!(has(&h, "Format: pcap "));
    click(&mut h, "Hide");
    assert!(h.query_by_role_and_label(Role::TextInput, "File path").is_none());
}

#[test]
fn the_conversation_of_an_imported_capture_and_a_gap_in_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path(), "classmate.pcap");
    let mut h = app(Lang::En);
    open_tab(&mut h, "Open log");
    let ctx = h.ctx.clone();
    h.state_mut().viewer.open(path, &ctx);
    run_until(&mut h, "opened", |h| has(h, "classmate.pcap: 4 events"));
    h.get_by_label("hello viewer").click();
    h.run_steps(2);
    click(&mut h, "Show conversation");
    h.run_steps(2);
    assert!(has(&h, "recv #1: 12 bytes") && has(&h, "send #1: 12 bytes"));
    click(&mut h, "Close");
    h.snapshot("viewer_conversation");

    // Bytes the capture missed: a gap of its own between the bubbles, never glued to one.
    let log = dir.path().join("gap.jsonl");
    let events = conversation(&[
        EventKind::Gap { bytes: 1460, from_peer: true },
        EventKind::Rx { data: b"after the gap".to_vec(), lost: 0 },
    ]);
    let numbered: Vec<(u64, Event)> = events.into_iter().enumerate().map(|(i, e)| (i as u64, e)).collect();
    let progress = socklab::log::export::Progress::default();
    let format = socklab::log::export::Format::Jsonl;
    let notes = socklab::log::export::Notes::default();
    let utf8 = socklab::codec::Encoding::Utf8;
    socklab::log::export::write_file(&numbered, &log, format, utf8, &progress, &|_| String::new(), &notes).unwrap();
    h.state_mut().viewer.open(log, &ctx);
    run_until(&mut h, "gap log opened", |h| has(h, "gap.jsonl: 6 events"));
    h.get_by_label("after the gap").click();
    h.run_steps(2);
    click(&mut h, "Show conversation");
    click(&mut h, "Close");
    let gap = h.get_by_label_contains("… 1460 bytes not captured …");
    let next = h.get_by_label("after the gap");
    assert!(gap.rect().max.y < next.rect().min.y - 8.0, "the gap stands apart from the next bubble");
    assert!(has(&h, "recv #2: 13 bytes"), "the gap is not counted as a read");
    h.snapshot("viewer_conversation_gap");
}

#[test]
fn without_a_file_dialog_open_and_export_say_so_and_take_a_typed_path() {
    if socklab::ui::dialog_possible() {
        eprintln!("skipped: this machine can show a file dialog (a session bus or zenity), which a test cannot drive");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = capture(dir.path(), "classmate.pcap");
    let mut h = app(Lang::En);
    open_tab(&mut h, "Open log");
    click(&mut h, "Open…");
    assert!(has(&h, "No file dialog can be shown here"), "{:?}", labels(&h));
    set_field(&mut h, "File path", path.to_str().unwrap());
    click(&mut h, "Open");
    run_until(&mut h, "opened", |h| has(h, "classmate.pcap: 4 events"));
    click(&mut h, "Hide");

    // Export as CSV: the field starts with a default name in the current or home folder.
    click(&mut h, "Export…");
    click(&mut h, "CSV…");
    assert!(has(&h, "No file dialog can be shown here"));
    let field = h.get_by_role_and_label(Role::TextInput, "File path").value().unwrap_or_default();
    assert!(Path::new(&field).is_absolute() && field.ends_with("socklab.csv"), "{field}");
    let target = dir.path().join("socklab.csv");
    set_field(&mut h, "File path", target.to_str().unwrap());
    click(&mut h, "Save");
    run_until(&mut h, "saved", |h| has(h, "Saved 4 events to "));
    assert!(std::fs::read_to_string(&target).unwrap().starts_with("seq,ts,proto"));
}

/// A pcapng comment shown in the viewer goes with its row into a pcapng exported from there,
/// and a pcapng exported from the All traffic log names each packet's tab.
#[test]
fn pcapng_export_keeps_comments_and_names_tabs() {
    let dir = tempfile::tempdir().unwrap();
    // A JSONL log whose rx row carries a comment (as an exported pcapng import writes it).
    let log = dir.path().join("commented.jsonl");
    let events = conversation(&[]);
    let mut lines = Vec::new();
    for (i, ev) in events.iter().enumerate() {
        let mut r = socklab::log::record::Record::from_event(
            ev,
            socklab::codec::Encoding::Utf8,
            &jiff::tz::TimeZone::UTC,
            None,
            &|_| String::new(),
        )
        .unwrap();
        if i == 1 {
            r.comment = Some("the first request".into());
        }
        lines.push(r.to_json());
    }
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let mut h = app(Lang::En);
    open_tab(&mut h, "Open log");
    let ctx = h.ctx.clone();
    h.state_mut().viewer.open(log, &ctx);
    run_until(&mut h, "opened", |h| has(h, "commented.jsonl: 4 events"));
    let out = dir.path().join("again.pcapng");
    click(&mut h, "Export…");
    click(&mut h, "Type a path…");
    set_field(&mut h, "File path", out.to_str().unwrap());
    click(&mut h, "Save");
    run_until(&mut h, "saved", |h| has(h, "Saved 4 events to "));
    let back = socklab::log::import::read_file(&out).unwrap();
    // (A capture has no "local": the side that received the SYN is, so the directions may
    // turn; the comment stays on the row of the bytes it was on.)
    let row = back
        .events
        .iter()
        .position(|e| matches!(&e.kind, EventKind::Rx { data, .. } | EventKind::Tx { data } if data == b"hello viewer"))
        .unwrap();
    assert_eq!(back.comments, [(row, "the first request".to_string())], "{back:#?}");

    // Live traffic in the All traffic log: each packet's comment names its tab.
    let mut h = app(Lang::En);
    h.state_mut().udp.bind = "127.0.0.1:0".into();
    h.run_steps(3);
    click(&mut h, "Start");
    run_until(&mut h, "bound", |h| h.query_by_label_contains("Bound to 127.0.0.1:").is_some());
    let label = labels(&h).into_iter().find(|l| l.contains("Bound to 127.0.0.1:")).unwrap();
    let bound: SocketAddr = label[label.find("127.0.0.1:").unwrap()..].trim().parse().unwrap();
    let peer = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    peer.send_to(b"tab names", bound).unwrap();
    run_until(&mut h, "received", |h| has(h, "tab names"));
    open_tab(&mut h, "All traffic");
    let all = dir.path().join("all.pcapng");
    click(&mut h, "Export…");
    click(&mut h, "Type a path…");
    set_field(&mut h, "File path", all.to_str().unwrap());
    click(&mut h, "Save");
    run_until(&mut h, "saved", |h| has(h, "Saved "));
    let back = socklab::log::import::read_file(&all).unwrap();
    assert!(back.comments.iter().any(|(_, c)| c == &socklab::log::export::tab_comment("UDP")), "{:?}", back.comments);
}
