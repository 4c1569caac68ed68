//! The log's Export… menu: one item per format (pcap, pcapng, JSON lines, CSV) and "Type a
//! path". A save dialog and the writing both run off the UI thread, with a progress line and
//! Cancel. When no dialog can be shown, a path field takes its place (with a default file name
//! in the current folder or the home folder) and says why. The format is the file name's when
//! it names one (`.pcap`, `.pcapng`, `.jsonl`, `.csv`), else the menu item's.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use crate::codec::Encoding;
use crate::engine::Event;
use crate::i18n::{self, Lang};
use crate::log::export::{self, Format, Progress};
use crate::ui::job::Job;
use crate::ui::widgets::dialog::{self, Picked};
use crate::ui::widgets::path_field::{Action, PathField, Purpose, default_save_path, expand};
use crate::ui::widgets::theme::RED;

/// A format chosen in the Export… menu.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Pcap,
    Pcapng,
    Jsonl,
    Csv,
}

impl Choice {
    const ALL: [Choice; 4] = [Choice::Pcap, Choice::Pcapng, Choice::Jsonl, Choice::Csv];

    fn ext(self) -> &'static str {
        match self {
            Choice::Pcap => "pcap",
            Choice::Pcapng => "pcapng",
            Choice::Jsonl => "jsonl",
            Choice::Csv => "csv",
        }
    }

    /// The writer's format for this choice (the writer picks it by the file name).
    fn format(self) -> Format {
        Format::from_path(Path::new(&format!("socklab.{}", self.ext())))
    }

    /// False while the writer has no format of its own for this choice (it would write JSON
    /// lines under a `.pcapng` name).
    fn available(self) -> bool {
        self == Choice::Jsonl || self.format() != Format::Jsonl
    }

    fn label(self, lang: Lang) -> &'static str {
        let t = lang.tr();
        match self {
            Choice::Pcap => t.ex_pcap,
            Choice::Pcapng => t.ex_pcapng,
            Choice::Jsonl => t.ex_jsonl,
            Choice::Csv => t.ex_csv,
        }
    }

    fn default_name(self) -> String {
        format!("socklab.{}", self.ext())
    }
}

/// The format a file is written in: the file name's, when its extension names one the writer
/// has, else `chosen`'s.
pub fn format_for(path: &Path, chosen: Choice) -> Format {
    let ext = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
    let named = Choice::ALL.into_iter().find(|c| ext.as_deref() == Some(c.ext()) && c.available());
    let named = named.map(Choice::format).or(match ext.as_deref() {
        Some("cap") => Some(Format::Pcap),
        Some("json") => Some(Format::Jsonl),
        _ => None,
    });
    named.unwrap_or_else(|| chosen.format())
}

fn format_name(f: Format) -> String {
    match f {
        Format::Pcap => "pcap".into(),
        Format::Jsonl => "JSON lines".into(),
        Format::Csv => "CSV".into(),
        #[allow(unreachable_patterns, reason = "the writer gains formats (pcapng) in other branches")]
        other => format!("{other:?}").to_ascii_lowercase(),
    }
}

/// An export in progress, or its outcome.
pub enum ExportJob {
    /// The save dialog is open (on its own thread).
    Picking(Job<Picked>, Choice),
    /// The path field is shown (no dialog could be, or the user asked for it).
    Typing(PathField, Choice),
    Writing {
        path: PathBuf,
        total: u64,
        progress: Arc<Progress>,
        job: Job<std::io::Result<export::Report>>,
    },
    Done(Result<(export::Report, PathBuf), String>),
}

/// An error's words in an exported record: English, like the CLI's (the record also keeps the
/// problem as data, so the viewer shows it in the reader's language).
fn english(p: &crate::engine::Problem) -> String {
    i18n::problem(Lang::En, p)
}

/// The save dialog for `choice`, or the path field when no dialog can be shown.
fn ask(ctx: &egui::Context, choice: Choice) -> ExportJob {
    let typing = || {
        let name = default_save_path(&choice.default_name()).display().to_string();
        ExportJob::Typing(PathField::new(name, true), choice)
    };
    if !dialog::dialog_possible() {
        return typing();
    }
    let spawned = dialog::spawn("export-dialog", ctx, move || {
        let d = rfd::FileDialog::new().set_title("SockLab: export log").set_file_name(choice.default_name());
        let d = match choice {
            Choice::Pcap => d.add_filter("pcap (Wireshark)", &["pcap"]),
            Choice::Pcapng => d.add_filter("pcapng (Wireshark)", &["pcapng"]),
            Choice::Jsonl => d.add_filter("JSON lines", &["jsonl"]),
            Choice::Csv => d.add_filter("CSV", &["csv"]),
        };
        d.add_filter("All files", &["*"]).save_file()
    });
    match spawned {
        Ok(job) => ExportJob::Picking(job, choice),
        Err(_) => typing(),
    }
}

impl ExportJob {
    /// Starts writing `events` to `path` on a background thread, in `format`.
    pub fn write(
        events: Vec<(u64, Event)>,
        path: PathBuf,
        format: Format,
        encoding: Encoding,
        notes: export::Notes,
        ctx: &egui::Context,
    ) -> ExportJob {
        let total = events.len() as u64;
        let progress = Arc::new(Progress::default());
        let (p, target) = (progress.clone(), path.clone());
        let job = Job::spawn_repainting("export", ctx, move || {
            export::write_file(&events, &target, format, encoding, &p, &english, &notes)
        });
        match job {
            Ok(job) => ExportJob::Writing { path, total, progress, job },
            Err(_) => ExportJob::Done(Err("cannot start a thread".into())),
        }
    }

    /// True while the dialog is open or the file is being written.
    pub fn busy(&self) -> bool {
        matches!(self, ExportJob::Picking(..) | ExportJob::Writing { .. })
    }
}

/// Moves an export along. Returns the path picked in the dialog and its format: the caller
/// starts writing to it (with [`ExportJob::write`]).
pub fn poll(export: &mut Option<ExportJob>) -> Option<(PathBuf, Format)> {
    match export {
        Some(ExportJob::Picking(job, choice)) => {
            let choice = *choice;
            match dialog::poll(job)? {
                Picked::Path(path) => {
                    let format = format_for(&path, choice);
                    Some((path, format))
                }
                Picked::Cancelled => {
                    *export = None;
                    None
                }
                Picked::NoDialog => {
                    let name = default_save_path(&choice.default_name()).display().to_string();
                    *export = Some(ExportJob::Typing(PathField::new(name, true), choice));
                    None
                }
            }
        }
        Some(ExportJob::Writing { path, job, .. }) => {
            let outcome = match job.poll()? {
                Ok(Ok(n)) => Ok((n, path.clone())),
                Ok(Err(e)) if e.kind() == std::io::ErrorKind::Interrupted => Err("cancelled".into()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err("the export thread failed".into()),
            };
            *export = Some(ExportJob::Done(outcome));
            None
        }
        _ => None,
    }
}

/// The Export… menu; `rows`: how many rows the view shows (none: nothing to export).
pub fn export_button(ui: &mut egui::Ui, lang: Lang, export: &mut Option<ExportJob>, rows: usize) {
    let t = lang.tr();
    let busy = export.as_ref().is_some_and(ExportJob::busy);
    ui.add_enabled_ui(!busy && rows > 0, |ui| {
        ui.menu_button(t.export, |ui| {
            for c in Choice::ALL.into_iter().filter(|c| c.available()) {
                if ui.button(c.label(lang)).clicked() {
                    *export = Some(ask(ui.ctx(), c));
                    ui.close();
                }
            }
            ui.separator();
            if ui.button(t.ex_type_path).on_hover_text(t.ex_type_path_tip).clicked() {
                let name = default_save_path(&Choice::Pcap.default_name()).display().to_string();
                *export = Some(ExportJob::Typing(PathField::new(name, false), Choice::Pcap));
                ui.close();
            }
        })
        .response
        .on_hover_text(t.export_tip);
    });
}

/// The path field (Typing), the export's progress (with Cancel) or its outcome. Returns a
/// path typed and its format: the caller starts writing to it.
pub fn export_status(ui: &mut egui::Ui, lang: Lang, export: &mut Option<ExportJob>) -> Option<(PathBuf, Format)> {
    let t = lang.tr();
    match export {
        Some(ExportJob::Typing(field, choice)) => {
            let choice = *choice;
            let action = field.ui(ui, lang, Purpose::Save, &[], "export");
            let format = format_for(&expand(field.text.trim()), choice);
            ui.label(egui::RichText::new(i18n::fill(t.ex_writes, &[&format_name(format)])).weak());
            match action {
                Action::Go(path) => {
                    let format = format_for(&path, choice);
                    return Some((path, format));
                }
                Action::Close => *export = None,
                Action::None => {}
            }
        }
        Some(ExportJob::Writing { total, progress, .. }) => {
            let done = progress.done.load(Ordering::Relaxed);
            let progress = progress.clone();
            ui.horizontal(|ui| {
                let frac = if *total == 0 { 1.0 } else { done as f32 / *total as f32 };
                ui.add(egui::ProgressBar::new(frac).desired_width(200.0));
                if ui.button(t.cancel).clicked() {
                    progress.cancel.store(true, Ordering::Relaxed);
                }
                ui.label(i18n::fill(t.export_progress, &[&done, total]));
            });
        }
        Some(ExportJob::Done(Ok((report, path)))) => {
            let msg = i18n::fill(t.export_done, &[&report.written, &path.display()]);
            ui.label(msg);
            // What a capture could not hold as it was: said, never silently dropped.
            if report.no_peer > 0 {
                ui.colored_label(RED, i18n::fill(t.export_no_peer, &[&report.no_peer]));
            }
            if report.split > 0 {
                ui.label(i18n::fill(t.export_split, &[&report.split]));
            }
        }
        Some(ExportJob::Done(Err(e))) => {
            let msg = if e == "cancelled" { t.export_cancelled.to_string() } else { i18n::fill(t.export_failed, &[e]) };
            ui.colored_label(RED, msg);
        }
        _ => {}
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_picks_the_format_else_the_menu_item() {
        assert_eq!(format_for(Path::new("a.csv"), Choice::Pcap), Format::Csv);
        assert_eq!(format_for(Path::new("a.PCAP"), Choice::Csv), Format::Pcap);
        assert_eq!(format_for(Path::new("a.cap"), Choice::Csv), Format::Pcap);
        assert_eq!(format_for(Path::new("a.json"), Choice::Csv), Format::Jsonl);
        assert_eq!(format_for(Path::new("capture"), Choice::Csv), Format::Csv);
        assert_eq!(format_for(Path::new("capture.txt"), Choice::Pcap), Format::Pcap);
        assert!(Choice::Pcap.available() && Choice::Jsonl.available() && Choice::Csv.available());
    }
}
