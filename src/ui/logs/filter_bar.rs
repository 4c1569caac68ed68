//! The log's filter bar: tab, text or regex, kind, peer, length and connection, and keeping
//! the filter's index up to date as rows arrive.

use egui::RichText;

use crate::i18n::{self, Tr};
use crate::ui::logs::filter::{Direction, FilterError, FilterIndex};
use crate::ui::logs::{LogView, LogViewCtx};
use crate::ui::widgets::fields::{MAX_FIELD_CHARS, capped_edit};
use crate::ui::widgets::theme::RED;

impl LogView {
    /// The filter bar, and keeping the filter's index up to date.
    pub(super) fn filter_ui(&mut self, ui: &mut egui::Ui, cx: &LogViewCtx<'_>) {
        let (t, store, tabs, encoding, id) = (cx.tr, cx.store, cx.tabs, cx.encoding, cx.id);
        ui.horizontal_wrapped(|ui| {
            if self.scope.is_none() && !tabs.is_empty() {
                let l = ui.label(t.filter_tab);
                let name = |tab: Option<u16>| match tab {
                    None => t.filter_all.to_string(),
                    Some(id) => tabs.iter().find(|i| i.id == id).map_or_else(|| format!("#{id}"), |i| i.name.clone()),
                };
                egui::ComboBox::from_id_salt((id, "tab"))
                    .selected_text(name(self.filter.tab))
                    .show_ui(ui, |ui| {
                        ui.selectable_value(&mut self.filter.tab, None, t.filter_all);
                        for info in tabs {
                            ui.selectable_value(
                                &mut self.filter.tab,
                                Some(info.id),
                                RichText::new(&info.name).color(info.color),
                            );
                        }
                    })
                    .response
                    .labelled_by(l.id);
            }
            let l = ui.label(t.filter);
            let field = capped_edit(ui, true, &mut self.filter.text, MAX_FIELD_CHARS, |e| {
                e.hint_text(t.filter_hint).desired_width(200.0).id_salt((id, "filter"))
            })
            .labelled_by(l.id);
            if std::mem::take(&mut self.focus_filter) {
                field.request_focus();
            }
            ui.checkbox(&mut self.filter.regex, t.filter_regex);
            let l = ui.label(t.filter_kind);
            egui::ComboBox::from_id_salt((id, "kind"))
                .selected_text(kind_name(t, self.filter.direction))
                .show_ui(ui, |ui| {
                    for d in Direction::ALL {
                        ui.selectable_value(&mut self.filter.direction, d, kind_name(t, d));
                    }
                })
                .response
                .labelled_by(l.id);
            for (label, value, width, salt) in [
                (t.filter_peer, &mut self.filter.peer, 120.0, "peer"),
                (t.filter_length, &mut self.filter.length, 60.0, "length"),
                (t.filter_conn, &mut self.filter.conn, 30.0, "conn"),
            ] {
                let l = ui.label(label);
                capped_edit(ui, true, value, MAX_FIELD_CHARS, |e| e.desired_width(width).id_salt((id, salt)))
                    .labelled_by(l.id);
            }
            if !self.filter.is_active() {
                self.filter_index = None;
                self.filter_error = None;
                return;
            }
            if !self.filter_index.as_ref().is_some_and(|i| i.is_for(&self.filter, encoding)) {
                match FilterIndex::new(&self.filter, encoding, store) {
                    Ok(i) => {
                        self.filter_index = Some(i);
                        self.filter_error = None;
                    }
                    Err(e) => {
                        self.filter_index = None;
                        self.filter_error = Some(e);
                    }
                }
            }
            let in_view = self.rows_in_view(store);
            if let Some(e) = &self.filter_error {
                let msg = match e {
                    FilterError::Regex(e) => i18n::fill(t.filter_bad_regex, &[e]),
                    FilterError::Length(v) => i18n::fill(t.filter_bad_length, &[v]),
                    FilterError::Conn(v) => i18n::fill(t.filter_bad_conn, &[v]),
                };
                ui.colored_label(RED, msg);
            } else if let Some(i) = self.filter_index.as_mut() {
                let done = i.update(store);
                if !i.caught_up(store) {
                    ui.add(egui::ProgressBar::new(done).desired_width(120.0));
                    ui.label(i18n::fill(t.filter_progress, &[&((done * 100.0) as u32)]));
                    ui.ctx().request_repaint();
                } else if self.filter.narrows() {
                    ui.label(i18n::fill(t.filter_count, &[&i.seqs.len(), &in_view]));
                }
            }
        });
    }
}

fn kind_name(t: &Tr, d: Direction) -> &'static str {
    match d {
        Direction::All => t.filter_all,
        Direction::Rx => t.filter_rx,
        Direction::Tx => t.filter_tx,
        Direction::Events => t.filter_events,
        Direction::Connects => t.filter_connects,
        Direction::Closes => t.filter_closes,
        Direction::Resets => t.filter_resets,
        Direction::Errors => t.filter_errors,
        Direction::Info => t.filter_info,
        Direction::Tls => t.filter_tls,
    }
}
