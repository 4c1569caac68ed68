//! Every user-visible string, in English and Simplified Chinese: the one place where data
//! (events, problems, errors of the core) becomes words. Only the faces (`ui`, `cli`) use it;
//! the core (`engine`, `log`, `codec`, `basics`, `packets`, `codegen`) never does, and a test
//! (`tests/architecture.rs`) fails if it starts to.
//!
//! The texts live in translation files, `assets/i18n/en.toml`, `assets/i18n/zh-CN.toml` and
//! `assets/i18n/files.toml`, which the `rust-i18n` crate compiles into the binary. The typed list
//! in `keys.rs` names every key the program uses, as a field of [`Tr`]; a test fails when a file
//! lacks a key of the list, has one the list does not know, or disagrees on the `{0}`, `{1}`…
//! placeholders, which are filled by [`fill`] (the only filler).
//!
//! Files: `problem.rs` (network problems), `files.rs` (file transfer), `rules.rs` (rules,
//! codecs, framing), `import.rs` (log and capture imports), `packets.rs` (saved packets),
//! `addr.rs` (address inspection).
//!
//! Formats never come from here: the JSONL log's names and fixed texts are in `log::format`, the
//! file protocol's `ERR` wording in `engine::files::wire`.

mod addr;
mod files;
mod import;
mod packets;
mod problem;
mod relay;
mod rules;
mod template;
mod tls;

use std::borrow::Cow;
use std::sync::LazyLock;

pub use addr::addr_error;
pub use files::file_error;
pub use import::{import_error, import_warning};
pub use import::{import_fault, skip_kind};
pub use packets::packets_error;
pub use problem::problem;
pub use relay::{fault_action, fault_spec_error};
pub use rules::{codec_error, codec_problem, framing_error, mode_name, rule_error};
pub use template::{template_error, template_where};
pub use tls::tls_problem;
#[cfg(any(test, feature = "test-support"))]
pub use rules::rule_problem;

/// The UI language.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Lang {
    #[default]
    En,
    Zh,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Zh];

    pub fn tr(self) -> &'static Tr {
        match self {
            Lang::En => &EN,
            Lang::Zh => &ZH,
        }
    }

    /// The locale code of the language's translation file.
    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    /// The language's own name, for the menu.
    pub fn native_name(self) -> &'static str {
        match self {
            Lang::En => "English",
            Lang::Zh => "简体中文",
        }
    }

    /// `en`, `zh-CN`, `zh_CN.UTF-8`, … (as in `LANG`).
    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// From the environment (`LC_ALL`, `LC_MESSAGES`, `LANG`), English if unknown.
    pub fn from_env() -> Lang {
        ["LC_ALL", "LC_MESSAGES", "LANG"]
            .iter()
            .filter_map(|k| std::env::var(k).ok())
            .find(|v| !v.is_empty())
            .and_then(|v| Lang::parse(&v))
            .unwrap_or_default()
    }
}

// Changing a translation file rebuilds the crate: the `i18n!` macro reads the files at compile
// time, and these make rustc track them.
const _EN_FILE: &str = include_str!("../../assets/i18n/en.toml");
const _ZH_FILE: &str = include_str!("../../assets/i18n/zh-CN.toml");
const _FILES_FILE: &str = include_str!("../../assets/i18n/files.toml");

/// Defines [`Tr`] and [`KEYS`] from the list in `keys.rs`.
macro_rules! strings {
    ($($key:ident,)*) => {
        /// One language's strings.
        pub struct Tr { $(pub $key: &'static str,)* }

        /// Every key, in the order of the list.
        #[cfg(any(test, feature = "test-support"))]
        pub const KEYS: &[&str] = &[$(stringify!($key),)*];

        impl Tr {
            pub(super) fn load(locale: &str) -> Tr {
                Tr { $($key: lookup(locale, stringify!($key)),)* }
            }
        }
    };
}

mod keys;
#[cfg(any(test, feature = "test-support"))]
pub use keys::KEYS;
pub use keys::Tr;

/// English strings.
pub static EN: LazyLock<Tr> = LazyLock::new(|| Tr::load(Lang::En.code()));
/// Simplified Chinese strings.
pub static ZH: LazyLock<Tr> = LazyLock::new(|| Tr::load(Lang::Zh.code()));

/// The text of `key` in `locale`, English when the locale lacks it (a test makes sure none does),
/// the key itself when English lacks it too.
fn lookup(locale: &str, key: &'static str) -> &'static str {
    match crate::_rust_i18n_try_translate(locale, key).or_else(|| crate::_rust_i18n_try_translate("en", key)) {
        Some(Cow::Borrowed(text)) => text,
        // The compiled-in backend hands out borrowed 'static texts; should a future version copy
        // them, keep one copy per key and language for the life of the program (bounded: loaded once).
        Some(Cow::Owned(text)) => Box::leak(text.into_boxed_str()),
        None => key,
    }
}

/// "generator done: N datagrams (TCP: messages), B bytes in S s (R datagrams/s)".
pub fn generated_text(t: &Tr, proto: crate::engine::Proto, packets: u64, bytes: u64, micros: u64) -> String {
    let secs = micros as f64 / 1e6;
    let rate = if secs > 0.0 { packets as f64 / secs } else { 0.0 };
    let template = if proto == crate::engine::Proto::Tcp { t.ev_generated_tcp } else { t.ev_generated };
    fill(template, &[&packets, &bytes, &format!("{secs:.3}"), &format!("{rate:.0}")])
}

/// `65507` as `65,507`.
pub(crate) fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Fills `{0}`, `{1}`, … in a template.
pub fn fill(template: &str, args: &[&dyn std::fmt::Display]) -> String {
    // One pass: a value that itself contains "{1}" (a host name, a received file name) is
    // copied as it is, never filled again.
    let mut out = String::with_capacity(template.len() + 16 * args.len());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let digits = after.bytes().take_while(u8::is_ascii_digit).count();
        let arg = after[..digits].parse::<usize>().ok().and_then(|i| args.get(i));
        match (arg, after[digits..].starts_with('}')) {
            (Some(a), true) => {
                out.push_str(&a.to_string());
                rest = &after[digits + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::framing::{DelimiterProblem, FramingError};
    use crate::engine::Problem;
    use crate::engine::problem::{Field, GenLimit, Op};

    /// Wording that used to be built in the core, in English, also in the Chinese window.
    #[test]
    fn core_data_is_worded_in_both_languages() {
        let v6: std::net::SocketAddr = "[::1]:9".parse().unwrap();
        let big = Problem::too_big(65_528, Some(v6));
        assert!(problem(Lang::En, &big).contains("at most 65,527 bytes over IPv6"), "{}", problem(Lang::En, &big));
        let big = Problem::too_big(65_508, None);
        assert!(problem(Lang::En, &big).contains("at most 65,507 bytes over IPv4"));
        let a80: std::net::SocketAddr = "0.0.0.0:80".parse().unwrap();
        assert!(problem(Lang::En, &Problem::PrivilegedPort(a80)).contains("Port 80 is below 1024"));
        let cases = [
            (GenLimit::Unbounded, "Traffic generator: give a count or a duration: the generator never runs unbounded."),
            (GenLimit::Count { max: 100_000_000 }, "Traffic generator: the count must be 1 to 100000000."),
            (
                GenLimit::Duration { max_secs: 3600 },
                "Traffic generator: the duration must be more than 0 and at most 3600 s.",
            ),
            (
                GenLimit::Size { max: 65_507, stream: false },
                "Traffic generator: the datagram must be 1 to 65507 bytes.",
            ),
            (
                GenLimit::Size { max: 1_048_576, stream: true },
                "Traffic generator: the message must be 1 to 1048576 bytes.",
            ),
            (GenLimit::Rate, "Traffic generator: the rate must be a positive number."),
        ];
        for (limit, english) in cases {
            assert_eq!(problem(Lang::En, &Problem::Generator(limit)), english);
            let zh = problem(Lang::Zh, &Problem::Generator(limit));
            assert!(zh.starts_with("流量发生器") && !zh.contains("must"), "{zh}");
        }
        let framing = [
            FramingError::Unknown("xml".into()),
            FramingError::BadNumber("x".into()),
            FramingError::ZeroFixed,
            FramingError::FixedTooLarge { size: 2 << 20 },
            FramingError::TooLong { len: 300, max: 255 },
            FramingError::BadDelimiter(DelimiterProblem::Empty),
            FramingError::BadDelimiter(DelimiterProblem::TooLong { len: 9 }),
            FramingError::BadDelimiter(DelimiterProblem::Hex(crate::codec::CodecError::OddHexLength { digits: 3 })),
            FramingError::DelimiterInPayload { at: 3 },
        ];
        for e in &framing {
            let (en, zh) = (framing_error(Lang::En, e), framing_error(Lang::Zh, e));
            assert_ne!(en, zh, "{e:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e:?}: {zh}");
        }
        assert_eq!(
            framing_error(Lang::En, &FramingError::TooLong { len: 300, max: 255 }),
            "the message is 300 bytes, longer than the 255 bytes this framing allows"
        );
        assert_eq!(
            problem(Lang::En, &Problem::Framing(FramingError::DelimiterInPayload { at: 3 })),
            "Not sent: the message contains its end marker at byte 3, so the receiver would end the message there"
        );
        let e = std::io::Error::from_raw_os_error(libc::EBADF);
        let p = Problem::io(Op::Poll, None, &e);
        assert!(problem(Lang::En, &p).starts_with("poll failed: Bad file descriptor"), "{}", problem(Lang::En, &p));
        assert!(problem(Lang::Zh, &Problem::io(Op::Thread, None, &e)).starts_with("启动线程失败"));
    }

    #[test]
    fn fill_and_problem_texts() {
        assert_eq!(fill("{0} and {1}", &[&1, &"b"]), "1 and b");
        assert_eq!(fill("{0} and {1}", &[&"{1}", &"b"]), "{1} and b", "a value is not filled again");
        assert_eq!(fill("{0}{0} {2} {x} {", &[&7]), "77 {2} {x} {", "unknown placeholders stay");
        let a: std::net::SocketAddr = "127.0.0.1:9000".parse().unwrap();
        assert_eq!(
            problem(Lang::En, &Problem::Refused(a)),
            "Connection refused: nothing is listening on 127.0.0.1:9000."
        );
        assert!(
            problem(Lang::En, &Problem::AddrInUse("0.0.0.0:8080".parse().unwrap()))
                .starts_with("Port 8080 is already in use by another program")
        );
        assert!(problem(Lang::Zh, &Problem::Refused(a)).contains("拒绝"));
    }

    /// The `{0}`, `{1}`… of a template, sorted.
    fn placeholders(text: &str) -> Vec<String> {
        let mut found: Vec<String> = (0..10).map(|i| format!("{{{i}}}")).filter(|p| text.contains(p)).collect();
        found.sort();
        found
    }

    /// The keys a translation file defines, read through the compiled-in backend.
    fn file_keys(locale: &str) -> std::collections::BTreeSet<String> {
        crate::_rust_i18n_backend()
            .messages_for_locale(locale)
            .unwrap_or_default()
            .into_iter()
            .map(|(k, _)| k.into_owned())
            .collect()
    }

    #[test]
    fn both_languages_have_every_key_and_nothing_else() {
        let listed: std::collections::BTreeSet<String> = KEYS.iter().map(|k| k.to_string()).collect();
        assert_eq!(listed.len(), KEYS.len(), "a key is listed twice in strings!");
        for lang in Lang::ALL {
            let file = file_keys(lang.code());
            let missing: Vec<_> = listed.difference(&file).collect();
            let unknown: Vec<_> = file.difference(&listed).collect();
            assert!(missing.is_empty(), "assets/i18n/{}.toml lacks {missing:?}", lang.code());
            assert!(unknown.is_empty(), "assets/i18n/{}.toml has keys no code uses: {unknown:?}", lang.code());
        }
    }

    #[test]
    fn translations_are_not_empty_and_agree_on_placeholders() {
        for key in KEYS {
            let en = crate::_rust_i18n_try_translate("en", key).unwrap_or_default();
            let zh = crate::_rust_i18n_try_translate("zh-CN", key).unwrap_or_default();
            assert!(!en.trim().is_empty() && !zh.trim().is_empty(), "{key} is empty");
            assert_eq!(placeholders(&en), placeholders(&zh), "{key}: placeholders differ");
        }
    }

    #[test]
    fn the_tables_read_the_files() {
        assert_eq!(EN.tab_tcp_server, "TCP Server");
        assert_eq!(ZH.tab_tcp_server, "TCP 服务器");
        assert!(std::ptr::eq(Lang::Zh.tr(), &*ZH));
    }

    /// Form errors were English sentences reported as I/O errors ("set socket option failed:
    /// TTL: use 0 to 255, not '300'"), also in the Chinese window.
    #[test]
    fn form_errors_name_the_field_in_the_users_language() {
        let p = Problem::OutOfRange { field: Field::Ttl, min: 0, max: 255, got: "300".into() };
        assert_eq!(problem(Lang::En, &p), "TTL: use 0 to 255, not '300'.");
        let zh = problem(Lang::Zh, &p);
        assert!(zh.contains("0 到 255") && zh.contains("'300'") && !zh.contains("use"), "{zh}");
        let p = Problem::OutOfRange { field: Field::SoRcvbuf, min: 1024, max: 1 << 30, got: "12".into() };
        assert_eq!(problem(Lang::En, &p), "SO_RCVBUF: use 1024 to 1073741824 bytes, not '12'.");
        assert!(problem(Lang::Zh, &p).contains("字节"));
        let p = Problem::NotPositive { field: Field::GenRate, got: "x".into() };
        assert_eq!(problem(Lang::En, &p), "rate: 'x' is not a positive number.");
        assert!(problem(Lang::Zh, &p).contains("速率"));
        // No field's Chinese words fall back to English.
        for f in [
            Field::Ttl,
            Field::RecvBuffer,
            Field::Backlog,
            Field::MaxClients,
            Field::SendLimit,
            Field::Timeout,
            Field::RepeatEvery,
            Field::RepeatTimes,
            Field::GenSize,
            Field::GenCount,
            Field::GenSeconds,
            Field::GenRate,
        ] {
            let zh = problem(Lang::Zh, &Problem::OutOfRange { field: f, min: 1, max: 2, got: "abc".into() });
            let en = problem(Lang::En, &Problem::OutOfRange { field: f, min: 1, max: 2, got: "abc".into() });
            assert_ne!(zh, en);
            assert!(!zh.contains(" use ") && !zh.contains("failed"), "{f:?}: {zh}");
        }
    }

    /// Rule errors were English sentences in the Chinese window too.
    #[test]
    fn rule_errors_in_both_languages() {
        use crate::engine::rules::Rules;
        let cases = [
            "ping -> pong",
            "ping => pong",
            "x:1 => y",
            " => y",
            "regex:a( => b",
            "hex: => x",
            "hex:0g => x",
            "hex:012 => x",
            "* => \\q",
            "* => {text",
            "* => {name}",
            "* => ",
            "greeting => hi ; close",
            "greeting => a\ngreeting => b",
        ];
        for text in cases {
            let Err(e) = Rules::parse(text) else { panic!("{text:?} parsed") };
            assert!(rule_error(Lang::En, &e).starts_with(&format!("line {}: ", e.line)), "{text:?}");
            let zh = rule_error(Lang::Zh, &e);
            assert!(zh.starts_with(&format!("第 {} 行:", e.line)), "{zh}");
            for english in ["unknown", "nothing", "bad ", "use ", "needs", "greeting cannot", "second"] {
                assert!(!zh.contains(english), "{text:?}: {zh}");
            }
        }
    }

    #[test]
    fn lang_parse() {
        assert_eq!(Lang::parse("zh_CN.UTF-8"), Some(Lang::Zh));
        assert_eq!(Lang::parse("en_US"), Some(Lang::En));
        assert_eq!(Lang::parse("C"), None);
    }
}
