//! SockLab: a desktop network playground. The engine, log store and codecs are usable without
//! the GUI (the CLI and the tests use them directly).

// The translation files (see `i18n`), compiled in; English fills any gap.
rust_i18n::i18n!("assets/i18n", fallback = "en");

pub mod basics;
pub mod cli;
pub mod codec;
pub mod codegen;
pub mod engine;
pub mod i18n;
pub mod log;
pub mod packets;
pub mod ui;
pub mod vocab;
