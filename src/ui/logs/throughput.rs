//! The log's throughput plot: packets or bytes per second, received and sent.

use egui::RichText;

use crate::ui::logs::{LogView, LogViewCtx};
use crate::ui::widgets::theme::{BLUE, GREEN};

impl LogView {
    /// Packets or bytes per second, received and sent, from the store's per-second totals.
    pub(super) fn throughput_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, store, id) = (cx.tr, cx.store, cx.id);
        // With a filter on (e.g. one peer), plot only the matching rows; else the exact totals
        // of the tab (or of all tabs), which outlive evicted rows.
        let filtered = self.filter_index.as_ref().filter(|_| self.filter.narrows());
        let totals = match self.filter.tab {
            Some(tab) => store.tab(tab).map(|t| &t.rates),
            None => Some(store.rates()),
        };
        let empty = std::collections::VecDeque::new();
        let buckets = match (filtered, totals) {
            (Some(i), _) => i.rates.buckets(),
            (None, Some(r)) => r.buckets(),
            (None, None) => &empty,
        };
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.plot_packets, false, t.plot_bytes);
            ui.selectable_value(&mut self.plot_packets, true, t.plot_packets);
            if filtered.is_some() {
                ui.label(RichText::new(t.plot_filtered).strong());
            }
            ui.label(RichText::new(t.plot_hint).weak());
        });
        if buckets.is_empty() {
            ui.label(RichText::new(t.plot_empty).weak());
            return;
        }
        let packets = self.plot_packets;
        let series = |rx: bool| -> Vec<[f64; 2]> {
            buckets
                .iter()
                .map(|b| {
                    let y = match (rx, packets) {
                        (true, true) => b.rx_packets,
                        (true, false) => b.rx_bytes,
                        (false, true) => b.tx_packets,
                        (false, false) => b.tx_bytes,
                    };
                    [b.second as f64, y as f64]
                })
                .collect()
        };
        let tz = self.tz.clone();
        let unit = if packets { t.plot_packets } else { t.plot_bytes };
        egui_plot::Plot::new((id, "throughput"))
            .legend(egui_plot::Legend::default())
            .y_axis_label(unit)
            .x_axis_formatter(move |mark, _| {
                jiff::Timestamp::from_second(mark.value as i64)
                    .map(|ts| ts.to_zoned(tz.clone()).strftime("%H:%M:%S").to_string())
                    .unwrap_or_default()
            })
            .show(ui, |plot| {
                plot.line(egui_plot::Line::new(t.plot_rx, series(true)).color(GREEN));
                plot.line(egui_plot::Line::new(t.plot_tx, series(false)).color(BLUE));
            });
    }
}
