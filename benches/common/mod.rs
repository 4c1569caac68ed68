//! What the benches that drive the real app headless share (`ui_flood`, `ui_generator`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use socklab::i18n::Lang;
use socklab::ui::SockLabApp;

/// One frame at 60 Hz, as eframe paces frames with vsync on.
pub const VSYNC: Duration = Duration::from_nanos(1_000_000_000 / 60);

/// The text after `prefix` in the first label containing it (labels keep their text in the
/// accessibility value).
pub fn label_after(h: &Harness<'_, SockLabApp>, prefix: &str) -> String {
    let node = h.get_by_label_contains(prefix);
    let text = node.accesskit_node().value().or_else(|| node.accesskit_node().label()).unwrap_or_default();
    text[text.find(prefix).unwrap() + prefix.len()..].trim().to_string()
}

/// Sleeps until the next multiple of `period` since `epoch`.
pub fn wait_tick(epoch: Instant, period: Duration) {
    let n = epoch.elapsed().as_nanos() / period.as_nanos() + 1;
    let next = epoch + period * n as u32;
    std::thread::sleep(next.saturating_duration_since(Instant::now()));
}

/// The app in English at 1280×800, its UDP tab started through the UI on `127.0.0.1:0`; returns
/// it with the address the tab says it is bound to.
pub fn app_with_udp_bound() -> (Harness<'static, SockLabApp>, SocketAddr) {
    let mut h = Harness::builder().with_size([1280.0, 800.0]).build_eframe(|cc| SockLabApp::new(cc, Some(Lang::En)));
    h.state_mut().udp.bind = "127.0.0.1:0".into();
    h.run_steps(3);
    h.get_by_label("Start").click();
    let deadline = Instant::now() + Duration::from_secs(10);
    while h.query_by_label_contains("Bound to 127.0.0.1:").is_none() {
        assert!(Instant::now() < deadline, "the UDP tab did not bind within 10 s");
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let bound: SocketAddr = label_after(&h, "Bound to ").parse().expect("a bound address");
    assert_ne!(bound.port(), 0);
    (h, bound)
}
