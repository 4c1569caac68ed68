//! "All traffic" tab: the shared log of every tab in one table, with a Tab column and a filter
//! by tab, so the server's and the clients' views of the same bytes can be read side by side.

use egui::RichText;

use crate::codec::Encoding;
use crate::i18n::Lang;

use super::wire::Shared;
use crate::ui::logs::{Col, LogView};

pub struct AllTab {
    pub log: LogView,
    pub encoding: Encoding,
}

impl Default for AllTab {
    fn default() -> Self {
        let mut log = LogView::default();
        log.columns.set(Col::Tab, true);
        AllTab { log, encoding: Encoding::Utf8 }
    }
}

impl AllTab {
    pub fn ui(&mut self, ui: &mut egui::Ui, lang: Lang, shared: Shared<'_>) {
        let t = lang.tr();
        ui.horizontal(|ui| {
            ui.label(RichText::new(t.all_intro).weak());
        });
        ui.horizontal(|ui| {
            crate::ui::widgets::encoding_combo(ui, lang, "all-encoding", &mut self.encoding);
            let c = shared.store.counters();
            ui.separator();
            ui.label(
                RichText::new(crate::i18n::fill(t.counters, &[&c.rx_packets, &c.rx_bytes, &c.tx_packets, &c.tx_bytes]))
                    .monospace(),
            );
        });
        ui.separator();
        self.log.ui(ui, shared.store, shared.tabs, lang, self.encoding, "all-log");
    }
}
