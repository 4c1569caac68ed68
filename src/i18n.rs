//! Every user-visible string, in English and Simplified Chinese.
//!
//! The texts live in translation files, `assets/i18n/en.toml` and `assets/i18n/zh-CN.toml`, which
//! the `rust-i18n` crate compiles into the binary. The `strings!` list below names every key the
//! program uses, as a field of [`Tr`], so a call site cannot name a key that does not exist; a test
//! fails when either file lacks a key of the list, has one the list does not know, or disagrees on
//! the `{0}`, `{1}`… placeholders, which are filled by [`fill`].

use std::borrow::Cow;
use std::sync::LazyLock;

use crate::engine::Problem;
use crate::engine::problem::{Field, Op};

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
const _EN_FILE: &str = include_str!("../assets/i18n/en.toml");
const _ZH_FILE: &str = include_str!("../assets/i18n/zh-CN.toml");

macro_rules! strings {
    ($($key:ident,)*) => {
        /// One language's strings.
        pub struct Tr { $(pub $key: &'static str,)* }

        /// Every key, in the order of the list.
        pub const KEYS: &[&str] = &[$(stringify!($key),)*];

        impl Tr {
            fn load(locale: &str) -> Tr {
                Tr { $($key: lookup(locale, stringify!($key)),)* }
            }
        }
    };
}

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

strings! {
    tab_udp,
    tab_tcp_server,
    tab_tcp_client,
    tab_broadcast,
    tab_viewer,
    tab_all,
    new_instance,
    new_instance_tip,
    instances,
    close_instance,
    side_by_side,
    side_by_side_tip,
    side_by_side_none,
    arrange,
    arrange_columns,
    arrange_rows,
    arrange_grid,
    hide_pane,
    hide_pane_tip,
    panes_full,
    about,
    saved,
    rules_button,
    gen_title,
    gen_size,
    gen_size_tip,
    gen_rate,
    gen_pps,
    gen_bps,
    gen_max,
    gen_count,
    gen_seconds,
    gen_start,
    gen_stop,
    gen_tip,
    gen_progress,
    gen_mps,
    gen_size_tip_tcp,
    gen_tip_tcp,
    gen_progress_tcp,
    nodelay_tip,
    rules_button_active,
    rules_tip,
    rules_title,
    rules_help,
    rules_presets,
    rules_label,
    rules_apply,
    rules_clear,
    rules_in_force,
    rules_none,
    saved_none,
    saved_name,
    saved_save_current,
    saved_manage,
    saved_manage_title,
    saved_import,
    saved_export,
    saved_restore,
    saved_restore_tip,
    saved_restored,
    saved_imported,
    saved_import_failed,
    saved_exported,
    saved_write_failed,
    saved_corrupt,
    saved_tab,
    saved_destination,
    saved_payload,
    saved_format,
    saved_delete,
    saved_not_saved,
    about_text,
    about_licenses,
    about_keys,
    all_intro,
    tab_addresses,
    ifaces_title,
    iface_name,
    iface_addr,
    iface_prefix,
    iface_bcast,
    iface_use,
    iface_use_tip,
    iface_none,
    inspector_title,
    inspector_input,
    inspector_hint,
    ins_class,
    ins_class_note,
    ins_kind,
    ins_network,
    ins_classful,
    ins_mask,
    ins_bits,
    ins_broadcast,
    ins_hosts,
    ins_count,
    ins_is_network,
    ins_is_broadcast,
    ins_no_prefix,
    sockets_title,
    sockets_refresh,
    sockets_port,
    sockets_count,
    sockets_error,
    col_proto,
    col_local,
    col_remote,
    col_state,
    col_process,
    open_file,
    open_tip,
    opening,
    open_cancelled,
    opened,
    open_failed,
    viewer_empty,
    language,
    presenting_on,
    presenting_off,
    presenting_tip,
    theme,
    view_menu,
    lessons,
    lesson_upper,
    lesson_hello,
    lesson_sticky,
    lesson_chat,
    lesson_broadcast,
    lesson_chat_text,
    lesson_broadcast_text,
    lesson_upper_text,
    lesson_hello_text,
    lesson_sticky_text,
    settings_corrupt,
    code,
    code_tip,
    code_title,
    code_explain,
    theme_system,
    theme_light,
    theme_dark,
    memory_used,
    memory_tip,
    memory_budget,
    local_address,
    remote_address,
    server_address,
    start,
    stop,
    connect,
    disconnect,
    send,
    port0_hint,
    recv_buffer,
    port_zero,
    port_well_known,
    port_registered,
    port_dynamic,
    port_service,
    port_privileged,
    port_ephemeral,
    port_held_by,
    recv_buffer_tip,
    recv_buffer_tcp_tip,
    auto_reply,
    reply_none,
    reply_echo,
    reply_upper,
    reply_timestamp,
    reply_hello,
    reply_tip,
    state_stopped,
    state_starting,
    state_bound,
    state_listening,
    state_connecting,
    state_connected,
    state_half_closed,
    state_closed_by_peer,
    state_reset,
    state_closed,
    state_failed,
    counters,
    connections_count,
    evicted,
    mode_text,
    mode_hex,
    encoding,
    message,
    send_hint_text,
    send_hint_hex,
    err_hex_digit,
    err_hex_odd,
    err_unencodable,
    err_bad_escape,
    escapes,
    escapes_tip,
    repeat,
    repeat_every,
    repeat_times,
    repeat_tip,
    repeat_left,
    repeat_stop,
    err_nothing,
    err_not_started,
    col_time,
    col_peer,
    col_dir,
    col_len,
    col_data,
    col_hex,
    col_tab,
    detail_addresses_tip,
    columns,
    time_absolute,
    time_relative,
    time_delta,
    jump_newest,
    clear,
    clear_tip,
    evicted_tip,
    follow,
    view_table,
    filter,
    filter_hint,
    filter_regex,
    filter_peer,
    filter_length,
    filter_conn,
    filter_all,
    filter_rx,
    filter_tx,
    filter_events,
    filter_tab,
    filter_kind,
    filter_connects,
    filter_closes,
    filter_resets,
    filter_errors,
    filter_info,
    filter_count,
    filter_progress,
    filter_bad_length,
    filter_bad_conn,
    filter_bad_regex,
    view_conversation,
    view_throughput,
    plot_bytes,
    plot_packets,
    plot_rx,
    plot_tx,
    plot_empty,
    plot_filtered,
    plot_hint,
    conv_tip,
    conv_hint,
    conv_title,
    conv_stats,
    conv_truncated,
    conv_explain,
    conv_recv,
    conv_send,
    detail_title,
    detail_bytes,
    copy_as,
    decoded_as,
    mojibake_tip,
    copy,
    follow_conversation,
    close_detail,
    export,
    export_tip,
    export_progress,
    export_done,
    export_failed,
    export_cancelled,
    export_no_peer,
    export_split,
    cancel,
    ev_listening,
    ev_connecting,
    ev_connected,
    ev_joined,
    ev_left,
    mcast_join,
    mcast_leave,
    mcast_join_tip,
    mcast_leave_tip,
    ev_half_closed,
    ev_closed_peer,
    ev_closed_reset,
    ev_closed_local,
    ev_closed_failed,
    ev_stopped,
    ev_truncated,
    lifecycle,
    lifecycle_tip,
    kernel_check,
    kernel_tip,
    kernel_state,
    kernel_gone,
    mcast_group,
    mcast_tip,
    mcast_iface,
    mcast_ttl_tip,
    mcast_iface_tip,
    mcast_member,
    reply_last,
    reply_last_tip,
    nobody_yet,
    backlog,
    backlog_tip,
    max_clients,
    max_clients_tip,
    send_limit,
    send_limit_tip,
    udp_connect,
    udp_connect_tip,
    so_rcvbuf_tip,
    reuse_addr,
    reuse_addr_tip,
    clients,
    no_clients,
    send_to,
    all_clients,
    clear_closed,
    client_connected,
    client_half_closed,
    client_closed_peer,
    client_reset,
    client_closed_local,
    client_failed,
    client_bytes,
    timeout_ms,
    half_close,
    framing,
    framing_tip,
    burst_count,
    sticky_demo,
    sticky_tip,
    burst_bad,
    half_close_tip,
    listen_port,
    start_receiver,
    stop_receiver,
    receiver_off,
    broadcast_address,
    dest_port,
    refresh,
    pick,
    interfaces,
    this_machine_only,
    broadcast_explain,
    sender_ready,
    p_empty_address,
    p_missing_port,
    p_bad_address,
    p_bad_port,
    p_generator,
    ev_generated,
    ev_generated_tcp,
    p_unknown_interface,
    p_unknown_host,
    p_addr_in_use,
    p_privileged,
    p_addr_not_available,
    p_broadcast_denied,
    p_refused,
    p_timeout,
    p_unreachable,
    p_reset,
    p_too_big,
    p_no_destination,
    p_not_connected,
    p_no_such_conn,
    p_too_many,
    p_not_reading,
    p_time_wait,
    p_nobody_listening,
    p_kernel_drops,
    p_too_many_open_files,
    p_panicked,
    p_not_multicast,
    p_framing,
    p_unencodable,
    p_unfinished_budget,
    p_busy,
    p_gone,
    p_io,
    op_bind,
    op_listen,
    op_accept,
    op_connect,
    op_send,
    op_recv,
    op_option,
    op_internal,
    tab_files,
    files_explain,
    files_server,
    files_client,
    files_root,
    files_root_tip,
    files_choose,
    files_choose_out,
    files_max_size,
    files_max_size_tip,
    files_max_clients,
    files_max_clients_tip,
    files_no_root,
    files_nothing_shared,
    files_sharing,
    files_bad_max_size,
    files_bad_max_clients,
    files_name,
    files_name_tip,
    files_out_dir,
    files_resume,
    files_resume_tip,
    files_download,
    files_exists,
    files_overwrite,
    files_keep,
    files_saved,
    files_verified,
    files_not_verified,
    files_resumed_from,
    files_protocol,
    files_framed,
    files_tutorial,
    files_protocol_tip,
    files_progress,
    files_progress_unknown,
    exposure_any,
    exposure_iface,
    settings_no_backup,
    settings_unusable,
    settings_why_json,
    settings_why_utf8,
    settings_why_long,
    settings_why_big,
    settings_why_not_file,
    notice_ok,
    field_full,
    p_out_of_range,
    p_out_of_range_unit,
    p_not_positive,
    field_ttl,
    field_recv_buffer,
    field_backlog,
    field_max_clients,
    field_send_limit,
    field_timeout,
    field_repeat_every,
    field_repeat_times,
    field_gen_size,
    field_gen_count,
    field_gen_seconds,
    field_gen_rate,
    unit_bytes,
    unit_ms,
    unit_s,
    reset_counters,
    reset_counters_tip,
    rule_line,
    rule_column,
    rule_position,
    rule_match_help,
    rule_no_arrow,
    rule_nothing_after,
    rule_greeting_closes,
    rule_nothing_before,
    rule_unknown_match,
    rule_unknown_kind,
    rule_bad_regex,
    rule_empty_hex,
    rule_bad_hex_digit,
    rule_bad_hex_odd,
    rule_bad_hex,
    rule_bad_escape,
    rule_unclosed,
    rule_placeholder_help,
    rule_unknown_placeholder,
    rule_line_too_long,
    rule_second_greeting,
    rule_too_many,
}

/// "generator done: N datagrams (TCP: messages), B bytes in S s (R datagrams/s)".
pub fn generated_text(t: &Tr, proto: crate::engine::Proto, packets: u64, bytes: u64, micros: u64) -> String {
    let secs = micros as f64 / 1e6;
    let rate = if secs > 0.0 { packets as f64 / secs } else { 0.0 };
    let template = if proto == crate::engine::Proto::Tcp { t.ev_generated_tcp } else { t.ev_generated };
    fill(template, &[&packets, &bytes, &format!("{secs:.3}"), &format!("{rate:.0}")])
}

/// `65507` as `65,507`.
fn thousands(n: usize) -> String {
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

/// A problem in words.
pub fn problem(lang: Lang, p: &Problem) -> String {
    let t = lang.tr();
    match p {
        Problem::OutOfRange { field, min, max, got } => match field_name(t, *field) {
            (name, Some(unit)) => fill(t.p_out_of_range_unit, &[&name, min, max, got, &unit]),
            (name, None) => fill(t.p_out_of_range, &[&name, min, max, got]),
        },
        Problem::NotPositive { field, got } => fill(t.p_not_positive, &[&field_name(t, *field).0, got]),
        Problem::EmptyAddress => t.p_empty_address.into(),
        Problem::MissingPort(s) => fill(t.p_missing_port, &[s]),
        Problem::BadAddress(s) => fill(t.p_bad_address, &[s]),
        Problem::BadPort(s) => fill(t.p_bad_port, &[s]),
        Problem::UnknownHost(s) => fill(t.p_unknown_host, &[s]),
        Problem::UnknownInterface(s) => fill(t.p_unknown_interface, &[s]),
        Problem::Generator(s) => fill(t.p_generator, &[s]),
        Problem::AddrInUse(a) => fill(t.p_addr_in_use, &[a, &a.port()]),
        Problem::PrivilegedPort(a) => fill(t.p_privileged, &[a, &a.port()]),
        Problem::AddrNotAvailable(a) => fill(t.p_addr_not_available, &[&a.ip()]),
        Problem::BroadcastDenied(a) => fill(t.p_broadcast_denied, &[a]),
        Problem::Refused(a) => fill(t.p_refused, &[a]),
        Problem::ConnectTimeout(a, ms) => fill(t.p_timeout, &[a, ms]),
        Problem::Unreachable(a) => fill(t.p_unreachable, &[a]),
        Problem::Reset(a) => fill(t.p_reset, &[a]),
        Problem::TooBig { len, max, ipv6 } => {
            fill(t.p_too_big, &[len, &thousands(*max), &if *ipv6 { "IPv6" } else { "IPv4" }])
        }
        Problem::NoDestination => t.p_no_destination.into(),
        Problem::NotConnected => t.p_not_connected.into(),
        Problem::NoSuchConnection(id) => fill(t.p_no_such_conn, &[id]),
        Problem::TooManyClients(n) => fill(t.p_too_many, &[n]),
        Problem::ClientNotReading(n) => fill(t.p_not_reading, &[n]),
        Problem::AddrInTimeWait(a) => fill(t.p_time_wait, &[a, &a.port()]),
        Problem::NobodyListening(a) => fill(t.p_nobody_listening, &[a]),
        Problem::KernelDrops(n) => fill(t.p_kernel_drops, &[n]),
        Problem::TooManyOpenFiles => t.p_too_many_open_files.into(),
        Problem::WorkerPanicked(m) => fill(t.p_panicked, &[m]),
        Problem::Busy => t.p_busy.into(),
        Problem::WorkerGone => t.p_gone.into(),
        Problem::Logged(text) => text.clone(),
        Problem::File(e) => e.text(lang),
        Problem::Framing(e) => fill(t.p_framing, &[e]),
        Problem::Unencodable(ch, encoding) => fill(t.p_unencodable, &[ch, &encoding.name()]),
        Problem::UnfinishedOverBudget { held, total, budget } => fill(t.p_unfinished_budget, &[held, total, budget]),
        Problem::NotMulticast(g) => fill(t.p_not_multicast, &[g]),
        Problem::Io { op, addr, detail } => {
            let op = match op {
                Op::Bind => t.op_bind,
                Op::Listen => t.op_listen,
                Op::Accept => t.op_accept,
                Op::Connect => t.op_connect,
                Op::Send => t.op_send,
                Op::Recv => t.op_recv,
                Op::Option => t.op_option,
                Op::Internal => t.op_internal,
            };
            let what = match addr {
                Some(a) => format!("{op} ({a})"),
                None => op.to_string(),
            };
            fill(t.p_io, &[&what, detail])
        }
    }
}

/// What is wrong with a rule line, in words (the English text is also `RuleError::message`).
pub fn rule_problem(lang: Lang, p: &crate::engine::rules::RuleProblem) -> String {
    use crate::codec::CodecError;
    use crate::engine::rules::{MAX_LINE_CHARS, MAX_RULES, Place, RuleProblem as R};
    let t = lang.tr();
    let place = |at: &Place| match at {
        Place::Column(n) => fill(t.rule_column, &[n]),
        Place::Position(n) => fill(t.rule_position, &[n]),
    };
    match p {
        R::NoArrow => t.rule_no_arrow.into(),
        R::NothingAfter => t.rule_nothing_after.into(),
        R::GreetingCloses => t.rule_greeting_closes.into(),
        R::NothingBefore => fill(t.rule_nothing_before, &[&t.rule_match_help]),
        R::UnknownMatch(m) => fill(t.rule_unknown_match, &[m, &t.rule_match_help]),
        R::UnknownKind(k) => fill(t.rule_unknown_kind, &[k, &t.rule_match_help]),
        R::BadRegex(e) => fill(t.rule_bad_regex, &[e]),
        R::EmptyHex => t.rule_empty_hex.into(),
        R::BadHex(CodecError::BadHexDigit { ch, pos }) => fill(t.rule_bad_hex_digit, &[ch, &(pos + 1)]),
        R::BadHex(CodecError::OddHexLength { digits }) => fill(t.rule_bad_hex_odd, &[digits]),
        R::BadHex(e) => fill(t.rule_bad_hex, &[e]),
        R::BadEscape { esc, at } => fill(t.rule_bad_escape, &[esc, &place(at)]),
        R::Unclosed { at } => fill(t.rule_unclosed, &[&place(at)]),
        R::UnknownPlaceholder { name, at } => {
            let help = fill(
                t.rule_placeholder_help,
                &[
                    &"{text}, {upper}, {lower}, {ascii_upper}, {ascii_lower}, {raw}, {hex}, {len}, {peer}, {time}",
                    &"{1}",
                    &"{9}",
                    &"{{",
                    &"}}",
                ],
            );
            fill(t.rule_unknown_placeholder, &[name, &place(at), &help])
        }
        R::LineTooLong { chars } => fill(t.rule_line_too_long, &[chars, &MAX_LINE_CHARS]),
        R::SecondGreeting { first } => fill(t.rule_second_greeting, &[first]),
        R::TooManyRules => fill(t.rule_too_many, &[&MAX_RULES]),
    }
}

/// A rule error with its line, in words.
pub fn rule_error(lang: Lang, e: &crate::engine::rules::RuleError) -> String {
    fill(lang.tr().rule_line, &[&e.line, &rule_problem(lang, &e.problem)])
}

/// A form field's name, and the unit of its value if it has one.
fn field_name(t: &Tr, f: Field) -> (&'static str, Option<&'static str>) {
    match f {
        Field::Ttl => (t.field_ttl, None),
        Field::RecvBuffer => (t.field_recv_buffer, Some(t.unit_bytes)),
        Field::SoRcvbuf => ("SO_RCVBUF", Some(t.unit_bytes)),
        Field::Backlog => (t.field_backlog, None),
        Field::MaxClients => (t.field_max_clients, None),
        Field::SendLimit => (t.field_send_limit, Some("KiB")),
        Field::Timeout => (t.field_timeout, Some(t.unit_ms)),
        Field::RepeatEvery => (t.field_repeat_every, Some(t.unit_ms)),
        Field::RepeatTimes => (t.field_repeat_times, None),
        Field::GenSize => (t.field_gen_size, Some(t.unit_bytes)),
        Field::GenCount => (t.field_gen_count, None),
        Field::GenSeconds => (t.field_gen_seconds, Some(t.unit_s)),
        Field::GenRate => (t.field_gen_rate, None),
    }
}

/// A codec error in words.
pub fn codec_error(lang: Lang, e: &crate::codec::CodecError) -> String {
    use crate::codec::CodecError as E;
    let t = lang.tr();
    match e {
        E::BadHexDigit { ch, pos } => fill(t.err_hex_digit, &[ch, &(pos + 1)]),
        E::OddHexLength { digits } => fill(t.err_hex_odd, &[digits]),
        E::Unencodable { ch, encoding } => fill(t.err_unencodable, &[ch, &encoding.name()]),
        E::BadEscape { pos } => fill(t.err_bad_escape, &[&(pos + 1)]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            // The file-transfer errors' keys (file_…, in files.toml) are checked by their module.
            let file: std::collections::BTreeSet<String> =
                file_keys(lang.code()).into_iter().filter(|k| !k.starts_with("file_")).collect();
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
