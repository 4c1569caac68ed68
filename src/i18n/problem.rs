//! Network problems ([`Problem`]) in words.

use super::{Lang, Tr, fill, thousands};
use crate::engine::Problem;
use crate::engine::problem::{Field, GenLimit, Op};

/// A problem in words.
pub fn problem(lang: Lang, p: &Problem) -> String {
    let t = lang.tr();
    match p {
        Problem::OutOfRange { field, min, max, got } => match field_name(t, *field) {
            (name, Some(unit)) => fill(t.p_out_of_range_unit, &[&name, min, max, got, &unit]),
            (name, None) => fill(t.p_out_of_range, &[&name, min, max, got]),
        },
        Problem::NotPositive { field, got } => fill(t.p_not_positive, &[&field_name(t, *field).0, got]),
        Problem::Tls(p) => super::tls_problem(lang, p),
        Problem::EmptyAddress => t.p_empty_address.into(),
        Problem::MissingPort(s) => fill(t.p_missing_port, &[s]),
        Problem::BadAddress(s) => fill(t.p_bad_address, &[s]),
        Problem::BadPort(s) => fill(t.p_bad_port, &[s]),
        Problem::UnknownHost(s) => fill(t.p_unknown_host, &[s]),
        Problem::UnknownInterface(s) => fill(t.p_unknown_interface, &[s]),
        Problem::Generator(limit) => fill(t.p_generator, &[&gen_limit(t, *limit)]),
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
        Problem::File(e) => super::file_error(lang, e),
        Problem::Framing(e) => fill(t.p_framing, &[&super::framing_error(lang, e)]),
        Problem::Unencodable(ch, encoding) => fill(t.p_unencodable, &[ch, &encoding.name()]),
        Problem::UnfinishedOverBudget { held, total, budget } => fill(t.p_unfinished_budget, &[held, total, budget]),
        Problem::Template(e) => super::template_error(lang, e),
        Problem::FaultSpec(e) => super::fault_spec_error(lang, e),
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
                Op::Register => t.op_register,
                Op::LocalAddr => t.op_local_addr,
                Op::Poll => t.op_poll,
                Op::Wake => t.op_wake,
                Op::Thread => t.op_thread,
            };
            let what = match addr {
                Some(a) => format!("{op} ({a})"),
                None => op.to_string(),
            };
            fill(t.p_io, &[&what, detail])
        }
    }
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
        Field::KeepLast => (t.field_keep_last, None),
        Field::GenSize => (t.field_gen_size, Some(t.unit_bytes)),
        Field::GenCount => (t.field_gen_count, None),
        Field::GenSeconds => (t.field_gen_seconds, Some(t.unit_s)),
        Field::GenRate => (t.field_gen_rate, None),
    }
}

/// What the generator's settings break, in words.
fn gen_limit(t: &Tr, limit: GenLimit) -> String {
    match limit {
        GenLimit::Unbounded => t.gen_limit_unbounded.into(),
        GenLimit::Count { max } => fill(t.gen_limit_count, &[&max]),
        GenLimit::Duration { max_secs } => fill(t.gen_limit_duration, &[&max_secs]),
        GenLimit::Size { max, stream: false } => fill(t.gen_limit_size_datagram, &[&max]),
        GenLimit::Size { max, stream: true } => fill(t.gen_limit_size_message, &[&max]),
        GenLimit::Rate => t.gen_limit_rate.into(),
    }
}
