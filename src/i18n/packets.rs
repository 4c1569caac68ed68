//! Saved-packet library errors ([`PacketsError`]) in words.

use super::{Lang, fill};
use crate::packets::{FORMAT, JsonKind, MAX_NAME, MAX_PACKETS, NotOurs, PacketProblem, PacketsError};

/// Why a packets file could not be read, or a packet could not be added, in words.
pub fn packets_error(lang: Lang, e: &PacketsError) -> String {
    let t = lang.tr();
    match e {
        PacketsError::Full => fill(t.pk_full, &[&MAX_PACKETS]),
        PacketsError::Packet { index, name, problem } => {
            let problem = packet_problem(lang, problem);
            match (index, name.trim().is_empty()) {
                (Some(i), true) => fill(t.pk_packet_at, &[&(i + 1), &problem]),
                (Some(i), false) => fill(t.pk_packet_at_named, &[&(i + 1), &format!("{name:?}"), &problem]),
                (None, true) => problem,
                (None, false) => fill(t.pk_packet_named, &[&format!("{name:?}"), &problem]),
            }
        }
        PacketsError::NotOurs(why) => fill(t.pk_not_ours, &[&not_ours(lang, why)]),
        PacketsError::NewerFormat(n) => fill(t.pk_newer, &[n, &FORMAT]),
        PacketsError::TooMany(n) => fill(t.pk_too_many, &[n, &MAX_PACKETS]),
        PacketsError::Merge { error, added, total } => fill(t.pk_merge, &[&packets_error(lang, error), added, total]),
        PacketsError::Unreadable { path, error } => fill(t.pk_unreadable, &[&path.display(), error]),
        PacketsError::InFile { path, error } => fill(t.pk_in_file, &[&path.display(), &packets_error(lang, error)]),
    }
}

fn packet_problem(lang: Lang, p: &PacketProblem) -> String {
    let t = lang.tr();
    match p {
        PacketProblem::EmptyName => t.pk_empty_name.into(),
        PacketProblem::LongName => fill(t.pk_long_name, &[&MAX_NAME]),
        PacketProblem::LongPayload => t.pk_long_payload.into(),
        PacketProblem::Hex(e) => fill(t.pk_hex, &[&super::codec_problem(lang, e)]),
        PacketProblem::Template(e) => super::template_where(lang, e),
        // serde's own message, as the file is JSON.
        PacketProblem::Invalid(e) => e.clone(),
    }
}

fn not_ours(lang: Lang, why: &NotOurs) -> String {
    let t = lang.tr();
    match why {
        NotOurs::NotJson(e) => fill(t.pk_not_json, &[e]),
        NotOurs::NotUtf8 => t.pk_not_utf8.into(),
        NotOurs::NoVersion => t.pk_no_version.into(),
        NotOurs::BadVersion(v) => fill(t.pk_bad_version, &[v, &FORMAT]),
        NotOurs::NoPackets => t.pk_no_packets.into(),
        NotOurs::PacketsNotList => t.pk_packets_not_list.into(),
        NotOurs::Found(kind) => fill(
            t.pk_found,
            &[&match kind {
                JsonKind::Null => t.pk_kind_null,
                JsonKind::Bool => t.pk_kind_bool,
                JsonKind::Number => t.pk_kind_number,
                JsonKind::String => t.pk_kind_string,
                JsonKind::List => t.pk_kind_list,
                JsonKind::Object => t.pk_kind_object,
            }],
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::{Encoding, InputMode};
    use crate::packets::{MAX_PAYLOAD, PacketLibrary, PacketTab, SavedPacket};

    fn text(name: &str, tab: PacketTab, payload: &str) -> SavedPacket {
        SavedPacket {
            name: name.into(),
            tab,
            destination: String::new(),
            payload: payload.into(),
            mode: InputMode::Text,
            encoding: Encoding::Utf8,
            escapes: false,
        }
    }

    fn en(e: &PacketsError) -> String {
        packets_error(Lang::En, e)
    }

    fn err(text: &str) -> String {
        PacketLibrary::from_json(text).map_err(|e| en(&e)).unwrap_err()
    }

    #[test]
    fn add_refuses_what_would_not_load() {
        let mut lib = PacketLibrary::default();
        assert_eq!(lib.add(text("  ", PacketTab::Udp, "")).map_err(|e| en(&e)).unwrap_err(), "the name is empty");
        let mut hex = text("h", PacketTab::Udp, "4g");
        hex.mode = InputMode::Hex;
        assert_eq!(
            lib.add(hex).map_err(|e| en(&e)).unwrap_err(),
            "\"h\": hex payload: 'g' at position 2 is not a hex digit (0-9, a-f)"
        );
        assert!(lib.packets.is_empty());
    }

    #[test]
    fn from_json_errors() {
        assert!(err("").starts_with("not a SockLab packets file: not valid JSON (EOF while parsing"), "{}", err(""));
        assert!(err("{\"socklab_packets\": 1,").starts_with("not a SockLab packets file: not valid JSON ("));
        assert_eq!(
            err("\"hello\""),
            "not a SockLab packets file: expected an object or a list of packets, found a string"
        );
        assert_eq!(err("{\"packets\": []}"), "not a SockLab packets file: no \"socklab_packets\" field");
        assert_eq!(
            err("{\"socklab_packets\": \"1\", \"packets\": []}"),
            "not a SockLab packets file: \"socklab_packets\" is \"1\", not 1"
        );
        assert_eq!(
            err("{\"socklab_packets\": 2, \"packets\": []}"),
            "this packets file has format 2, newer than this SockLab reads (1)"
        );
        assert_eq!(err("{\"socklab_packets\": 1}"), "not a SockLab packets file: no \"packets\" list");
        assert_eq!(
            err("{\"socklab_packets\": 1, \"packets\": {}}"),
            "not a SockLab packets file: \"packets\" is not a list"
        );
        assert_eq!(err("[1]"), "packet 1: invalid type: integer `1`, expected struct SavedPacket");
        assert_eq!(err("[{\"name\": \"x\", \"tab\": \"udp\"}]"), "packet 1 (\"x\"): missing field `payload`");
        assert_eq!(
            err("[{\"name\": \"x\", \"tab\": \"tcp\", \"payload\": \"\"}]"),
            "packet 1 (\"x\"): unknown variant `tcp`, expected one of `udp`, `tcp_client`, `tcp_server`, `broadcast`"
        );

        let one =
            |p: &SavedPacket| PacketLibrary { packets: vec![text("ok", PacketTab::Udp, ""), p.clone()] }.to_json();

        let mut many = PacketLibrary { packets: vec![text("p", PacketTab::Udp, ""); MAX_PACKETS + 1] };
        assert_eq!(err(&many.to_json()), "too many packets: 10001 (at most 10000)");
        many.packets.pop();
        assert_eq!(PacketLibrary::from_json(&many.to_json()).unwrap().packets.len(), MAX_PACKETS);

        let mut big = text("x", PacketTab::Udp, &"a".repeat(MAX_PAYLOAD + 1));
        assert_eq!(err(&one(&big)), "packet 2 (\"x\"): payload is larger than 1 MiB");
        // Characters count, not bytes.
        big.payload = "你".repeat(MAX_PAYLOAD);
        assert!(PacketLibrary::from_json(&one(&big)).is_ok());

        assert_eq!(err(&one(&text(" \t", PacketTab::Udp, ""))), "packet 2: the name is empty");
        assert_eq!(
            err(&one(&text(&"n".repeat(201), PacketTab::Udp, ""))),
            format!("packet 2 (\"{}…\"): the name is longer than 200 characters", "n".repeat(40))
        );
        assert!(PacketLibrary::from_json(&one(&text(&"n".repeat(200), PacketTab::Udp, ""))).is_ok());

        let mut hex = text("h", PacketTab::Udp, "48 6");
        hex.mode = InputMode::Hex;
        assert_eq!(
            err(&one(&hex)),
            "packet 2 (\"h\"): hex payload: 3 hex digits is an odd number: every byte needs two digits"
        );
    }

    #[test]
    fn merge_and_load_errors() {
        let merge = PacketsError::Merge { error: Box::new(PacketsError::Full), added: 2, total: 3 };
        assert_eq!(en(&merge), "the library is full: at most 10000 packets; added 2 of 3");
        let refused = PacketsError::Packet { index: Some(1), name: " ".into(), problem: PacketProblem::EmptyName };
        let merge = PacketsError::Merge { error: Box::new(refused), added: 1, total: 2 };
        assert_eq!(en(&merge), "packet 2: the name is empty; added 1 of 2");
        let path = std::path::PathBuf::from("/x/packets.json");
        let e = PacketsError::InFile { path: path.clone(), error: Box::new(PacketsError::NotOurs(NotOurs::NotUtf8)) };
        assert_eq!(en(&e), "/x/packets.json: not a SockLab packets file: not UTF-8 text");
        let e = PacketsError::Unreadable { path, error: "Permission denied (os error 13)".into() };
        assert_eq!(en(&e), "cannot read /x/packets.json: Permission denied (os error 13)");
    }

    /// Every error has Chinese words of its own.
    #[test]
    fn chinese_packets_errors() {
        let packet = |problem| PacketsError::Packet { index: None, name: "p".into(), problem };
        let mut errors = vec![
            PacketsError::Full,
            PacketsError::NewerFormat(2),
            PacketsError::TooMany(10_001),
            PacketsError::Merge { error: Box::new(PacketsError::Full), added: 1, total: 2 },
            PacketsError::Unreadable { path: "/a".into(), error: "x".into() },
            PacketsError::InFile { path: "/a".into(), error: Box::new(PacketsError::Full) },
            packet(PacketProblem::EmptyName),
            packet(PacketProblem::LongName),
            packet(PacketProblem::LongPayload),
            packet(PacketProblem::Hex(crate::codec::CodecError::OddHexLength { digits: 3 })),
            PacketsError::Packet { index: Some(0), name: "p".into(), problem: PacketProblem::EmptyName },
            PacketsError::Packet { index: Some(0), name: "".into(), problem: PacketProblem::EmptyName },
        ];
        let kinds =
            [JsonKind::Null, JsonKind::Bool, JsonKind::Number, JsonKind::String, JsonKind::List, JsonKind::Object];
        let why = [
            NotOurs::NotJson("x".into()),
            NotOurs::NotUtf8,
            NotOurs::NoVersion,
            NotOurs::BadVersion("\"1\"".into()),
            NotOurs::NoPackets,
            NotOurs::PacketsNotList,
        ];
        errors.extend(why.into_iter().chain(kinds.map(NotOurs::Found)).map(PacketsError::NotOurs));
        let mut seen = std::collections::HashSet::new();
        for e in &errors {
            let zh = packets_error(Lang::Zh, e);
            assert_ne!(en(e), zh, "{e:?}");
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e:?}: {zh}");
            assert!(seen.insert(zh.clone()), "{e:?}: {zh}");
        }
    }
}
