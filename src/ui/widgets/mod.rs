//! Small widgets any part of the window uses; they know nothing of tabs or logs.
//!
//! - `theme`: the shared colours.
//! - `fields`: capped, labelled text fields, address fields with a port hint, the encoding box.
//! - `parse`: numbers and framings typed into fields, checked.
//! - `reply`: the auto-reply choice (UDP and TCP Server tabs, rules presets).
//! - `code_view`: the "Code" button and window.
//! - `lifecycle`: a TCP socket's life as a row of steps, and the kernel's state.
//! - `text`: long texts shortened for display.
//! - `dialog`: the native file dialog on its thread, and whether one can be shown at all.
//! - `path_field`: a path typed by hand with the recent files (when no dialog can be shown).

pub mod code_view;
pub mod dialog;
pub mod fields;
pub mod lifecycle;
pub mod parse;
pub mod path_field;
pub mod reply;
pub mod text;
pub mod theme;

pub use code_view::CodeView;
pub use fields::{
    MAX_FIELD_CHARS, MAX_MESSAGE_CHARS, address_edit, address_edit_on, capped_edit, encoding_combo, exposure_note,
    labelled_edit, labelled_edit_on, set_ui_lang,
};
pub use parse::{parse_framing, parse_number, parse_recv_buffer};
pub use reply::{reply_combo, reply_label};
pub use theme::{AMBER, BLUE, GREEN, RED};
