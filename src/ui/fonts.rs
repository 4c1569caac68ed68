//! The bundled CJK font, so Chinese renders on machines without CJK system fonts.

use egui::epaint::text::{FontInsert, FontPriority, InsertFontFamily};
use egui::{FontData, FontFamily};

/// Droid Sans Fallback Full (Apache-2.0, see `assets/fonts/DroidSansFallbackFull.LICENSE.txt`):
/// it covers all GBK ideographs, so any decoded Chinese text renders.
#[allow(clippy::large_include_file)] // 3.9 MiB: a subset would show tofu for rare characters.
static CJK_FONT: &[u8] = include_bytes!("../../assets/fonts/DroidSansFallbackFull.ttf");

/// Adds the CJK font as a fallback after egui's own fonts, for both families.
pub fn install(ctx: &egui::Context) {
    ctx.add_font(FontInsert::new(
        "droid-sans-fallback",
        FontData::from_static(CJK_FONT),
        vec![
            InsertFontFamily { family: FontFamily::Proportional, priority: FontPriority::Lowest },
            InsertFontFamily { family: FontFamily::Monospace, priority: FontPriority::Lowest },
        ],
    ));
}
