//! Property tests for saved packets: reading a packets file never panics, and a library that
//! `add` accepts reads back exactly as it was written.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use proptest::prelude::*;
use socklab::codec::{Encoding, InputMode};
use socklab::packets::{PacketLibrary, PacketTab, SavedPacket};

fn tab() -> impl Strategy<Value = PacketTab> {
    prop::sample::select(PacketTab::ALL.to_vec())
}

fn encoding() -> impl Strategy<Value = Encoding> {
    prop::sample::select(Encoding::ALL.to_vec())
}

/// A small packet: text payload of any characters, or (sometimes) hex of random bytes.
fn packet() -> impl Strategy<Value = SavedPacket> {
    let payload = prop_oneof![
        4 => prop::collection::vec(any::<char>(), 0..200)
            .prop_map(|c| (String::from_iter(c), InputMode::Text)),
        1 => prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| (socklab::codec::to_hex(&b), InputMode::Hex)),
    ];
    ("[a-zA-Z0-9 你好]{1,20}", tab(), "[a-z0-9.:\\[\\]]{0,30}", payload, encoding(), any::<bool>()).prop_map(
        |(name, tab, destination, (payload, mode), encoding, escapes)| SavedPacket {
            name,
            tab,
            destination,
            payload,
            mode,
            encoding,
            escapes,
        },
    )
}

/// Pieces of JSON, some of them the packets file's own keys and values.
fn json_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            " ",
            "\n",
            "\"",
            "null",
            "true",
            "false",
            "0",
            "1",
            "-1",
            "2",
            "1e400",
            "1.5",
            "\"socklab_packets\"",
            "\"packets\"",
            "\"name\"",
            "\"tab\"",
            "\"payload\"",
            "\"mode\"",
            "\"encoding\"",
            "\"escapes\"",
            "\"destination\"",
            "\"udp\"",
            "\"tcp_client\"",
            "\"Hex\"",
            "\"Text\"",
            "\"Gbk\"",
            "\"4g\"",
            "\"\\u0000\"",
            "\"\\ud800\"",
            "\"你好\"",
            "\\",
        ])
        .prop_map(String::from),
        "\"[a-z ]{0,8}\"",
    ]
}

/// Arbitrary JSON values whose object keys are often the packets file's own.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::Bool),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>().prop_map(serde_json::Value::from),
        prop::sample::select(vec!["udp", "broadcast", "Hex", "Text", "Utf8", "Gbk", "4g", "48 65", "", " "])
            .prop_map(serde_json::Value::from),
        ".{0,10}".prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        let key = prop_oneof![
            prop::sample::select(vec![
                "socklab_packets",
                "packets",
                "name",
                "tab",
                "payload",
                "mode",
                "encoding",
                "escapes",
                "destination",
            ])
            .prop_map(String::from),
            "[a-z]{0,6}",
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(serde_json::Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|kv| serde_json::Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn from_json_never_panics_on_strings(s in any::<String>()) {
        let _ = PacketLibrary::from_json(&s);
    }

    #[test]
    fn from_json_never_panics_on_json_ish(tokens in prop::collection::vec(json_token(), 0..60)) {
        let _ = PacketLibrary::from_json(&tokens.concat());
    }

    #[test]
    fn from_json_never_panics_on_json_values(v in json_value(), wrap in any::<bool>()) {
        let v = if wrap { serde_json::json!({"socklab_packets": 1, "packets": [v]}) } else { v };
        let _ = PacketLibrary::from_json(&v.to_string());
    }

    #[test]
    fn from_json_never_panics_on_damaged_files(
        packets in prop::collection::vec(packet(), 0..6),
        cut in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        junk in any::<char>(),
    ) {
        let text = PacketLibrary { packets }.to_json();
        let chars: Vec<char> = text.chars().collect();
        // Cut short.
        let truncated: String = chars[..cut.index(chars.len() + 1)].iter().collect();
        let _ = PacketLibrary::from_json(&truncated);
        // One character replaced.
        let mut changed = chars.clone();
        let i = at.index(changed.len());
        changed[i] = junk;
        let _ = PacketLibrary::from_json(&String::from_iter(changed));
    }

    #[test]
    fn libraries_round_trip(packets in prop::collection::vec(packet(), 0..12)) {
        let mut lib = PacketLibrary::default();
        for p in packets {
            let blank = p.name.trim().is_empty();
            match lib.add(p) {
                Ok(_) => prop_assert!(!blank),
                Err(e) => prop_assert!(blank, "add refused a valid packet: {:?}", e),
            }
        }
        prop_assert_eq!(PacketLibrary::from_json(&lib.to_json()), Ok(lib));
    }

    #[test]
    fn merge_keeps_every_packet(a in prop::collection::vec(packet(), 0..8), b in prop::collection::vec(packet(), 0..8)) {
        let build = |packets: Vec<SavedPacket>| {
            let mut lib = PacketLibrary::default();
            for p in packets {
                let _ = lib.add(p);
            }
            lib
        };
        let (mut a, b) = (build(a), build(b));
        let before = a.packets.len();
        prop_assert_eq!(a.merge(b.clone()), Ok(b.packets.len()));
        prop_assert_eq!(a.packets.len(), before + b.packets.len());
        let names: std::collections::HashSet<&str> = a.packets.iter().map(|p| p.name.as_str()).collect();
        prop_assert_eq!(names.len(), a.packets.len(), "names are unique");
        for (merged, original) in a.packets[before..].iter().zip(&b.packets) {
            prop_assert_eq!(&merged.payload, &original.payload);
        }
        prop_assert_eq!(PacketLibrary::from_json(&a.to_json()), Ok(a));
    }
}
