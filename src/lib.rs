//! SockLab: a desktop network playground. See `docs/architecture.md` for the map.
//!
//! Rooms, and what each may import (checked by `tests/architecture.rs`):
//! - the core speaks data and knows no face: `vocab` (shared words, a leaf), `codec` (text, hex,
//!   encodings, framing), `basics` (addresses, ports, sockets), `engine` (one worker thread per
//!   socket job), `log` (the store, its formats, import and export), `packets`, `codegen`;
//! - `i18n` turns the core's data into words, in English and Chinese;
//! - the faces: `ui` (egui/eframe) and `cli` (clap), which alone use `i18n`.
//!
//! A build for users exports only what `main.rs` needs ([`Cli`], [`run_cli`], [`run_gui`]), so
//! code nothing uses is reported as dead. The tests and benchmarks turn on the `test-support`
//! feature (through the dev-dependency on this package), which makes every room public.

// The translation files (see `i18n`), compiled in; English fills any gap.
rust_i18n::i18n!("assets/i18n", fallback = "en");

/// Declares the rooms: public with `test-support`, private otherwise.
macro_rules! rooms {
    ($($name:ident),* $(,)?) => {$(
        #[cfg(feature = "test-support")]
        pub mod $name;
        #[cfg(not(feature = "test-support"))]
        mod $name;
    )*};
}

rooms!(vocab, codec, basics, engine, log, packets, codegen, i18n, ui, cli);

pub use cli::{Cli, run as run_cli};
pub use ui::run as run_gui;
