//! The colours every part of the window shares: received green, sent blue, errors red,
//! notices amber.

use egui::Color32;

pub const GREEN: Color32 = Color32::from_rgb(0x2e, 0x9d, 0x4f);
pub const BLUE: Color32 = Color32::from_rgb(0x3a, 0x7b, 0xd5);
pub const RED: Color32 = Color32::from_rgb(0xd0, 0x3b, 0x3b);
pub const AMBER: Color32 = Color32::from_rgb(0xc8, 0x8a, 0x12);
