//! What an import of a log or capture says ([`ImportWarning`]) and why one failed, in words.

use super::{Lang, Tr, fill};
use crate::log::import::{
    AddrField, Fault, FaultProblem, FaultUnit, FormatProblem, FrameProblem, Header, ImportError, ImportWarning, LineProblem,
    MAX_LINE, MAX_PAYLOAD, MAX_RECORD, PacketProblem, SkipKind,
};

/// A note about a line or packet of an imported file, in words.
pub fn import_warning(lang: Lang, w: &ImportWarning) -> String {
    let t = lang.tr();
    match w {
        ImportWarning::Line { line, problem } => fill(t.imp_line, &[line, &line_problem(lang, problem)]),
        ImportWarning::Packet { packet, problem } => fill(t.imp_packet, &[packet, &packet_problem(t, problem)]),
        ImportWarning::LeftOut(n) => fill(t.imp_left_out, &[n]),
    }
}

/// Where and why reading a file stopped early, in words.
pub fn import_fault(lang: Lang, f: &Fault) -> String {
    let t = lang.tr();
    let problem = match &f.problem {
        FaultProblem::CutOff => t.imp_cut_off.to_string(),
        FaultProblem::Damaged(why) => fill(t.imp_fault_damaged, &[why]),
        FaultProblem::TooBig(len) => fill(t.imp_record_too_big, &[len, &MAX_RECORD]),
        FaultProblem::Io(why) => fill(t.imp_fault_io, &[why]),
    };
    let at = match f.unit {
        FaultUnit::Block => fill(t.imp_fault_block, &[&f.number]),
        FaultUnit::Record => fill(t.imp_fault_record, &[&f.number]),
    };
    fill(t.imp_fault, &[&f.offset, &at, &problem])
}

/// What an import skipped, by kind, in words (protocol names are the same in every language).
pub fn skip_kind(lang: Lang, k: SkipKind) -> String {
    let t = lang.tr();
    match k {
        SkipKind::Arp => t.imp_skip_arp.into(),
        SkipKind::Icmp => t.imp_skip_icmp.into(),
        SkipKind::Icmpv6 => t.imp_skip_icmpv6.into(),
        SkipKind::Igmp => t.imp_skip_igmp.into(),
        SkipKind::EtherType(ty) => fill(t.imp_skip_ethertype, &[&format!("{ty:04x}")]),
        SkipKind::IpProtocol(n) => fill(t.imp_skip_ip_protocol, &[&n]),
        SkipKind::LinkType(n) => fill(t.imp_skip_link_type, &[&n]),
        SkipKind::Fragment => t.imp_skip_fragment.into(),
        SkipKind::Family(n) => fill(t.imp_skip_family, &[&n]),
        SkipKind::Malformed => t.imp_skip_malformed.into(),
        SkipKind::Block(ty) => fill(t.imp_skip_block, &[&format!("{ty:08x}")]),
        SkipKind::Line => t.imp_skip_line.into(),
    }
}

/// Why an import failed, in words.
pub fn import_error(lang: Lang, e: &ImportError) -> String {
    let t = lang.tr();
    match e {
        ImportError::Io(e) => fill(t.imp_err_io, &[e]),
        ImportError::Format(p) => format_problem(lang, p),
        ImportError::Cancelled => t.imp_err_cancelled.into(),
    }
}

/// Why a file is not something we can import.
fn format_problem(lang: Lang, p: &FormatProblem) -> String {
    let t = lang.tr();
    match p {
        FormatProblem::EmptyFile => t.imp_err_empty_file.into(),
        FormatProblem::DamagedGzip(e) => fill(t.imp_err_damaged_gzip, &[e]),
        FormatProblem::GzipInGzip => t.imp_err_gzip_in_gzip.into(),
        FormatProblem::UnknownMagic => t.imp_err_magic.into(),
        FormatProblem::HeaderCut => t.imp_err_header_cut.into(),
        FormatProblem::NoRecord(Some(w)) => fill(t.imp_err_no_record, &[&import_warning(lang, w)]),
        FormatProblem::NoRecord(None) => t.imp_err_log_empty.into(),
        FormatProblem::NotPcapOrLog(p) => fill(t.imp_err_not_pcap_or_log, &[&format_problem(lang, p)]),
    }
}

/// Why a JSONL line was skipped.
fn line_problem(lang: Lang, p: &LineProblem) -> String {
    let t = lang.tr();
    // Values from the file are shown quoted, as Rust debug strings.
    let quoted = |s: &String| format!("{s:?}");
    match p {
        LineProblem::NotUtf8(e) => fill(t.imp_not_utf8, &[e]),
        LineProblem::NotJson(e) => fill(t.imp_not_json, &[e]),
        LineProblem::NotRecord(e) => fill(t.imp_not_record, &[e]),
        LineProblem::TooLong => fill(t.imp_line_too_long, &[&MAX_LINE]),
        LineProblem::NoTimestamp => t.imp_no_ts.into(),
        LineProblem::BadTimestamp { ts, error } => fill(t.imp_bad_ts, &[&quoted(ts), error]),
        LineProblem::BadAddress { field: AddrField::Peer, value } => fill(t.imp_bad_peer, &[&quoted(value)]),
        LineProblem::BadAddress { field: AddrField::Local, value } => fill(t.imp_bad_local, &[&quoted(value)]),
        LineProblem::UnknownInfo(text) => fill(t.imp_unknown_info, &[&quoted(text)]),
        LineProblem::UnknownKind(kind) => fill(t.imp_unknown_kind, &[&quoted(kind)]),
        LineProblem::NoEventOrKind => t.imp_no_event.into(),
        LineProblem::ConnectingWithoutPeer => t.imp_connecting_no_peer.into(),
        LineProblem::NoLocal => t.imp_no_local.into(),
        LineProblem::NoRelayFields => t.imp_no_relay_fields.into(),
        LineProblem::NoGroup { joined: true } => t.imp_joined_no_group.into(),
        LineProblem::NoGroup { joined: false } => t.imp_left_no_group.into(),
        LineProblem::UnknownEvent(event) => fill(t.imp_unknown_event, &[&quoted(event)]),
        LineProblem::BadHex(e) => fill(t.imp_bad_hex, &[&super::codec_problem(lang, e)]),
        LineProblem::PayloadTooBig(len) => fill(t.imp_payload_too_big, &[len, &MAX_PAYLOAD]),
        LineProblem::NoHex => t.imp_no_hex.into(),
    }
}

/// Why a packet of a capture was skipped, or what is odd about it.
fn packet_problem(t: &Tr, p: &PacketProblem) -> String {
    match p {
        PacketProblem::Snapped { kept, missing } => fill(t.imp_snapped, &[kept, missing]),
        PacketProblem::Frame(f) => frame_problem(t, *f),
        PacketProblem::OutOfWindow { conn, from } => fill(t.imp_out_of_window, &[conn, from]),
        PacketProblem::NoInterface(n) => fill(t.imp_no_interface, &[n]),
    }
}

/// What is wrong with a captured frame.
fn frame_problem(t: &Tr, f: FrameProblem) -> String {
    match f {
        FrameProblem::HeaderCut(h) => fill(t.imp_header_cut, &[&header(t, h)]),
        FrameProblem::HeaderSnapped(h) => fill(t.imp_header_snapped, &[&header(t, h)]),
        FrameProblem::IpVersion(v) => fill(t.imp_ip_version, &[&v]),
        FrameProblem::EmptyIp => t.imp_empty_ip.into(),
        FrameProblem::Ipv4HeaderLength(n) => fill(t.imp_ipv4_header_length, &[&n]),
        FrameProblem::Ipv4TotalLength(n) => fill(t.imp_ipv4_total_length, &[&n]),
        FrameProblem::BadFragment => t.imp_bad_fragment.into(),
        FrameProblem::TcpDataOffset(n) => fill(t.imp_tcp_data_offset, &[&n]),
    }
}

/// A header's name: protocol names are the same in every language.
fn header(t: &Tr, h: Header) -> &'static str {
    match h {
        Header::LinuxCooked => "Linux cooked",
        Header::LinuxCookedV2 => "Linux cooked v2",
        Header::Loopback => t.imp_hdr_loopback,
        Header::Ethernet => "Ethernet",
        Header::Ipv4 => "IPv4",
        Header::Ipv6 => "IPv6",
        Header::Ipv6Fragment => t.imp_hdr_ipv6_fragment,
        Header::Ipv6Extension => t.imp_hdr_ipv6_extension,
        Header::Udp => "UDP",
        Header::Tcp => "TCP",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    fn has_chinese(s: &str) -> bool {
        s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
    }

    /// The English the log viewer showed when the words were built in the core.
    #[test]
    fn english_warnings() {
        let from: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let cases = [
            (ImportWarning::LeftOut(30), "… and 30 more warnings".to_string()),
            (
                ImportWarning::Line { line: 7, problem: LineProblem::TooLong },
                format!("line 7: longer than {MAX_LINE} bytes"),
            ),
            (
                ImportWarning::Line {
                    line: 2,
                    problem: LineProblem::BadAddress { field: AddrField::Peer, value: "nowhere".into() },
                },
                "line 2: bad peer address \"nowhere\"".into(),
            ),
            (
                ImportWarning::Line { line: 3, problem: LineProblem::NoEventOrKind },
                "line 3: no \"event\" or \"kind\"".into(),
            ),
            (
                ImportWarning::Line {
                    line: 5,
                    problem: LineProblem::BadHex(crate::codec::CodecError::BadHexDigit { ch: 'g', pos: 1 }),
                },
                "line 5: bad hex: 'g' at position 2 is not a hex digit (0-9, a-f)".into(),
            ),
            (
                ImportWarning::Packet { packet: 4, problem: PacketProblem::Snapped { kept: 3, missing: 5 } },
                "packet 4: truncated by the capture's snap length: 3 payload bytes kept, 5 missing".into(),
            ),
            (
                ImportWarning::Packet { packet: 9, problem: PacketProblem::OutOfWindow { conn: 2, from } },
                "packet 9: conn 2: ignored a segment from 10.0.0.1:80 far outside the stream".into(),
            ),
            (
                ImportWarning::Packet {
                    packet: 1,
                    problem: PacketProblem::Frame(FrameProblem::HeaderSnapped(Header::Tcp)),
                },
                "packet 1: TCP header truncated by the capture's snap length".into(),
            ),
            (
                ImportWarning::Packet {
                    packet: 3,
                    problem: PacketProblem::Frame(FrameProblem::HeaderCut(Header::Ipv6Fragment)),
                },
                "packet 3: IPv6 fragment header cut off".into(),
            ),
        ];
        for (warning, text) in cases {
            assert_eq!(import_warning(Lang::En, &warning), text);
        }
    }

    #[test]
    fn import_errors_in_both_languages() {
        let no_json = ImportWarning::Line { line: 1, problem: LineProblem::NotJson("expected value".into()) };
        let problems = [
            FormatProblem::EmptyFile,
            FormatProblem::DamagedGzip("corrupt deflate stream".into()),
            FormatProblem::GzipInGzip,
            FormatProblem::UnknownMagic,
            FormatProblem::HeaderCut,
            FormatProblem::NoRecord(Some(Box::new(no_json.clone()))),
            FormatProblem::NoRecord(None),
            FormatProblem::NotPcapOrLog(Box::new(FormatProblem::NoRecord(None))),
        ];
        let io = ImportError::Io(std::io::Error::from_raw_os_error(libc::ENOENT));
        let mut errors: Vec<ImportError> = problems.into_iter().map(ImportError::Format).collect();
        errors.extend([io, ImportError::Cancelled]);
        let mut seen = std::collections::HashSet::new();
        for e in &errors {
            let (en, zh) = (import_error(Lang::En, e), import_error(Lang::Zh, e));
            assert_ne!(en, zh, "{e:?}");
            assert!(has_chinese(&zh), "{e:?}: {zh}");
            assert!(seen.insert(zh.clone()), "{e:?}: {zh}");
        }
        let nested = ImportError::Format(FormatProblem::NotPcapOrLog(Box::new(FormatProblem::NoRecord(Some(
            Box::new(no_json),
        )))));
        assert_eq!(
            import_error(Lang::En, &nested),
            "not a pcap capture or a socklab log: no line is a log record (line 1: not JSON: expected value)"
        );
        assert_eq!(import_error(Lang::En, &errors[9]), "cancelled");
        assert!(import_error(Lang::En, &errors[8]).starts_with("cannot read the file: No such file"));
    }

    /// Every warning has Chinese words of its own.
    #[test]
    fn chinese_warnings() {
        let from: SocketAddr = "[::1]:9".parse().unwrap();
        let bad = vec![0xff_u8];
        let utf8 = std::str::from_utf8(&bad).unwrap_err();
        let lines = [
            LineProblem::NotUtf8(utf8),
            LineProblem::NotJson("x".into()),
            LineProblem::NotRecord("x".into()),
            LineProblem::TooLong,
            LineProblem::NoTimestamp,
            LineProblem::BadTimestamp { ts: "x".into(), error: "y".into() },
            LineProblem::BadAddress { field: AddrField::Peer, value: "x".into() },
            LineProblem::BadAddress { field: AddrField::Local, value: "x".into() },
            LineProblem::UnknownInfo("x".into()),
            LineProblem::UnknownKind("x".into()),
            LineProblem::NoEventOrKind,
            LineProblem::ConnectingWithoutPeer,
            LineProblem::NoLocal,
            LineProblem::NoRelayFields,
            LineProblem::NoGroup { joined: true },
            LineProblem::NoGroup { joined: false },
            LineProblem::UnknownEvent("x".into()),
            LineProblem::BadHex(crate::codec::CodecError::OddHexLength { digits: 3 }),
            LineProblem::PayloadTooBig(1),
            LineProblem::NoHex,
        ];
        let headers = [
            Header::LinuxCooked,
            Header::LinuxCookedV2,
            Header::Loopback,
            Header::Ethernet,
            Header::Ipv4,
            Header::Ipv6,
            Header::Ipv6Fragment,
            Header::Ipv6Extension,
            Header::Udp,
            Header::Tcp,
        ];
        let mut frames = vec![
            FrameProblem::IpVersion(5),
            FrameProblem::EmptyIp,
            FrameProblem::Ipv4HeaderLength(3),
            FrameProblem::Ipv4TotalLength(3),
            FrameProblem::BadFragment,
            FrameProblem::TcpDataOffset(2),
        ];
        frames.extend(headers.iter().flat_map(|h| [FrameProblem::HeaderCut(*h), FrameProblem::HeaderSnapped(*h)]));
        let mut packets = vec![
            PacketProblem::Snapped { kept: 1, missing: 2 },
            PacketProblem::OutOfWindow { conn: 1, from },
            PacketProblem::NoInterface(3),
        ];
        packets.extend(frames.into_iter().map(PacketProblem::Frame));
        let mut warnings: Vec<ImportWarning> =
            lines.into_iter().map(|problem| ImportWarning::Line { line: 1, problem }).collect();
        warnings.extend(packets.into_iter().map(|problem| ImportWarning::Packet { packet: 1, problem }));
        warnings.push(ImportWarning::LeftOut(3));
        let mut seen = std::collections::HashSet::new();
        for w in &warnings {
            let (en, zh) = (import_warning(Lang::En, w), import_warning(Lang::Zh, w));
            assert_ne!(en, zh, "{w:?}");
            assert!(has_chinese(&zh), "{w:?}: {zh}");
            assert!(seen.insert(zh.clone()), "{w:?}: {zh} is said of another warning too");
        }
    }

    #[test]
    fn faults_and_skipped_kinds_in_both_languages() {
        let faults = [
            FaultProblem::CutOff,
            FaultProblem::Damaged("Verify".into()),
            FaultProblem::TooBig(1 << 30),
            FaultProblem::Io("Input/output error".into()),
        ];
        let mut seen = std::collections::HashSet::new();
        for problem in faults {
            let f = Fault { offset: 1234, number: 7, unit: FaultUnit::Block, problem };
            let (en, zh) = (import_fault(Lang::En, &f), import_fault(Lang::Zh, &f));
            assert!(en.starts_with("reading stopped at byte 1234 (block 7): "), "{en}");
            assert!(has_chinese(&zh) && zh.contains("1234") && zh.contains('7'), "{zh}");
            assert!(seen.insert(zh), "{f:?}");
        }
        let f = Fault { offset: 40, number: 3, unit: FaultUnit::Record, problem: FaultProblem::CutOff };
        assert_eq!(import_fault(Lang::En, &f), "reading stopped at byte 40 (record 3): the file ends in the middle of it (the capture was cut short)");
        let kinds = [
            SkipKind::Arp,
            SkipKind::Icmp,
            SkipKind::Icmpv6,
            SkipKind::Igmp,
            SkipKind::EtherType(0x88cc),
            SkipKind::IpProtocol(132),
            SkipKind::LinkType(147),
            SkipKind::Fragment,
            SkipKind::Family(7),
            SkipKind::Malformed,
            SkipKind::Block(4),
            SkipKind::Line,
        ];
        let mut seen = std::collections::HashSet::new();
        for k in kinds {
            assert!(seen.insert(skip_kind(Lang::Zh, k)), "{k:?}");
        }
        assert_eq!(skip_kind(Lang::En, SkipKind::EtherType(0x88cc)), "EtherType 0x88cc");
        assert_eq!(skip_kind(Lang::En, SkipKind::Block(4)), "pcapng blocks of type 0x00000004");
    }
}
