//! The egui front end. It never touches a socket: tabs start engine workers and show their events.

mod addresses;
mod all;
pub mod app;
mod broadcast;
mod export;
mod files;
mod filter;
pub mod fonts;
pub mod generator;
mod icon;
pub mod instances;
pub mod layout;
mod lifecycle;
pub mod log_view;
mod rules;
pub mod saved;
pub mod settings;
mod tcp_client;
mod tcp_server;
mod udp;
mod viewer;
mod widgets;

pub use app::SockLabApp;

use crate::i18n::Lang;

/// Opens the main window.
pub fn run(lang: Option<Lang>) -> eframe::Result<()> {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("SockLab")
            .with_app_id("socklab")
            .with_inner_size([1180.0, 760.0])
            .with_min_inner_size([640.0, 420.0]),
        ..Default::default()
    };
    let mut options = options;
    if let Some(icon) = icon::icon() {
        options.viewport = options.viewport.with_icon(icon);
    }
    eframe::run_native(
        "SockLab",
        options,
        Box::new(move |cc| {
            let mut app = SockLabApp::new(cc, lang);
            // Only the real window remembers settings (tests build the app without this).
            if let Some(path) = settings::default_path() {
                app.restore(&cc.egui_ctx, path, lang.is_some());
            }
            Ok(Box::new(app))
        }),
    )
}
