//! The egui front end. It never touches a socket: tabs start engine workers and show their events.
//!
//! Each folder (or file) has one job; a file imports only from the rows below its own:
//!
//! - `app/`: the window: its state and frame (`mod.rs`), lessons, menus, panes side by side,
//!   settings saved and restored.
//! - `tabs/`: one file per tab, and what the socket tabs share (wire, send box, generator,
//!   rules, saved packets).
//! - `logs/`: a log view split by part: table, filter bar, detail pane, conversation,
//!   throughput plot, export, how an event reads.
//! - `widgets/`: small reusable widgets (fields, reply choice, code window, lifecycle) and the
//!   theme's colours.
//! - `instances`, `layout`, `settings`: more instances of the socket tabs, how panes share
//!   the window, the settings file.
//! - `job`: one background job (a named thread polled per frame); `fonts`, `icon`.

pub mod app;
pub mod fonts;
mod icon;
pub mod instances;
pub mod job;
pub mod layout;
pub mod logs;
pub mod settings;
mod tabs;
mod widgets;

pub use app::SockLabApp;
/// The log view's old path (benches use `ui::log_view::LogView`).
#[cfg(any(test, feature = "test-support"))]
pub use logs as log_view;
/// The tabs' old paths (benches and tests).
#[cfg(any(test, feature = "test-support"))]
pub use tabs::{generator, saved};
/// Whether a native file dialog can be shown here (tests of the fallback skip when one can).
#[cfg(any(test, feature = "test-support"))]
pub use widgets::dialog::dialog_possible;

use crate::i18n::Lang;

/// Opens the main window.
/// Opens the window; `open`: captures or logs to open at once (`socklab FILE`, `socklab open FILE`).
pub fn run(lang: Option<Lang>, open: Vec<std::path::PathBuf>) -> eframe::Result<()> {
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
            app.open_files(&cc.egui_ctx, open);
            Ok(Box::new(app))
        }),
    )
}
