//! The life of a TCP socket as a row of steps, the current one highlighted, with what the kernel
//! does in between (three-way handshake, four-way close, TIME_WAIT).

use std::net::SocketAddr;

use egui::RichText;

use crate::basics::sockets;
use crate::engine::Proto;
use crate::i18n::Lang;

use crate::ui::widgets::theme::{AMBER, GREEN};

/// Steps of a TCP client's socket.
pub const CLIENT_STEPS: [&str; 5] = ["socket()", "connect()", "ESTABLISHED", "shutdown(SHUT_WR)", "close()"];
/// Steps of a TCP server's listening socket and the sockets accept() returns.
pub const SERVER_STEPS: [&str; 6] = ["socket()", "bind()", "listen()", "accept()", "ESTABLISHED", "close()"];

/// Draws the steps; `current` is the index of the step the socket is at (None: not started).
pub fn steps_ui(ui: &mut egui::Ui, lang: Lang, steps: &[&str], current: Option<usize>) {
    let t = lang.tr();
    ui.horizontal_wrapped(|ui| {
        ui.label(RichText::new(t.lifecycle).strong()).on_hover_text(t.lifecycle_tip);
        for (i, s) in steps.iter().enumerate() {
            if i > 0 {
                ui.label(RichText::new(">").weak());
            }
            let text = RichText::new(*s).monospace();
            let text = match current {
                Some(c) if i == c => text.strong().color(GREEN).background_color(GREEN.gamma_multiply(0.2)),
                Some(c) if i < c => text,
                _ => text.weak(),
            };
            ui.label(text);
        }
    });
}

/// The kernel's state for a connection's local address, e.g. TIME_WAIT after we closed first.
pub fn kernel_state(local: SocketAddr, peer: Option<SocketAddr>) -> Option<String> {
    let list = sockets::read_tables().ok()?;
    list.iter()
        .find(|s| {
            s.proto == Proto::Tcp && s.local.port() == local.port() && peer.is_none_or(|p| s.remote.port() == p.port())
        })
        .map(|s| s.state.name().to_string())
}

/// A line with the kernel state, refreshed on click (reading /proc/net/tcp takes a moment).
pub fn kernel_state_ui(
    ui: &mut egui::Ui,
    lang: Lang,
    cache: &mut Option<String>,
    local: SocketAddr,
    peer: Option<SocketAddr>,
) {
    let t = lang.tr();
    ui.horizontal(|ui| {
        if ui.small_button(t.kernel_check).on_hover_text(t.kernel_tip).clicked() {
            *cache = Some(kernel_state(local, peer).unwrap_or_else(|| t.kernel_gone.to_string()));
        }
        if let Some(s) = cache {
            ui.label(RichText::new(crate::i18n::fill(t.kernel_state, &[s])).color(AMBER));
        }
    });
}
