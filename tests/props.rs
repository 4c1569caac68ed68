//! Property tests: parsers and codecs never panic on any input, and round trips hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::too_many_lines,
    reason = "test code: a failed step should stop the test with its message"
)]

use proptest::prelude::*;
use socklab::codec::{self, Encoding, StreamDecoder};
use socklab::engine;

proptest! {
    #[test]
    fn hex_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        prop_assert_eq!(codec::parse_hex(&codec::to_hex(&bytes)).unwrap(), bytes);
    }

    #[test]
    fn hex_parser_never_panics(s in ".{0,200}") {
        let _ = codec::parse_hex(&s);
    }

    #[test]
    fn address_parsers_never_panic(s in ".{0,80}") {
        let _ = engine::split_host_port(&s);
        let _ = engine::parse_port(&s);
        let _ = socklab::basics::addr::inspect(&s);
    }

    #[test]
    fn literal_addresses_resolve_to_themselves(a in any::<[u8; 4]>(), port in any::<u16>()) {
        let addr = std::net::SocketAddr::from((a, port));
        prop_assert_eq!(engine::resolve(&addr.to_string()).unwrap(), addr);
    }

    #[test]
    fn decoding_never_panics_and_text_round_trips(bytes in proptest::collection::vec(any::<u8>(), 0..256), s in "\\PC{0,40}") {
        for enc in Encoding::ALL {
            let _ = enc.decode_lossy(&bytes);
            if let Ok(encoded) = enc.encode(&s) {
                prop_assert_eq!(enc.decode_lossy(&encoded), s.clone());
            }
        }
    }

    #[test]
    fn stream_decoding_equals_whole_decoding(s in "\\PC{0,40}", cuts in proptest::collection::vec(any::<u16>(), 0..6)) {
        for enc in Encoding::ALL {
            let Ok(bytes) = enc.encode(&s) else { continue };
            let mut points: Vec<usize> = cuts.iter().map(|c| *c as usize % (bytes.len() + 1)).collect();
            points.sort();
            let mut d = StreamDecoder::new(enc);
            let mut text = String::new();
            let mut at = 0;
            for p in points {
                text.push_str(&d.decode(&bytes[at..p], false));
                at = p;
            }
            text.push_str(&d.decode(&bytes[at..], true));
            prop_assert_eq!(text, s.clone());
        }
    }

    /// Any input compiles to a template or to an error placed inside it, and any template
    /// renders or says why: never a panic. The input is drawn from the template's own alphabet
    /// (fields, ranges, hex digits) as well as from anything at all.
    #[test]
    fn templates_compile_or_say_where(
        s in prop_oneof![
            ".{0,60}",
            proptest::collection::vec(
                prop_oneof![
                    Just("${".to_string()), Just("}".to_string()), Just("$${".to_string()), Just(":".to_string()),
                    Just("..".to_string()), Just(",".to_string()), Just("seq".to_string()), Just("len".to_string()),
                    Just("u16be".to_string()), Just("crc16-modbus".to_string()), Just("crc32".to_string()),
                    Just("sum8".to_string()), Just("rx".to_string()), Just("rx[".to_string()), Just("]".to_string()),
                    Just("hex".to_string()), Just("RANDOM 3".to_string()), Just("rand".to_string()),
                    Just("time".to_string()), Just("%".to_string()), Just("\\".to_string()), Just("x".to_string()),
                    "[0-9a-f ]{1,4}", "[0-9]{1,3}",
                ],
                0..16,
            ).prop_map(|v| v.concat()),
        ],
        n in any::<u64>(),
    ) {
        use socklab::codec::template::{self, Received};
        for mode in [codec::InputMode::Text, codec::InputMode::Hex] {
            match template::compile(&s, mode, Encoding::Gbk, true) {
                Ok(t) => {
                    let rx = Received { data: s.as_bytes(), captures: &[Some("a"), None] };
                    if let Ok(r) = t.render(n, Some(rx)) {
                        for span in &r.spans {
                            prop_assert!(span.bytes.end <= r.bytes.len());
                        }
                    }
                }
                Err(e) => prop_assert!(e.pos <= s.chars().count(), "{:?} at {} of {:?}", e.problem, e.pos, s),
            }
        }
    }

    /// Any bytes are pretty-printed JSON or a place where they stop being JSON, never a panic;
    /// bytes that are JSON read back as the same value.
    #[test]
    fn json_pretty_never_panics(s in "[\\[\\]{}:,\" a0-9.\\\\ntrue]{0,40}") {
        match codec::json::pretty(s.as_bytes()) {
            Ok(p) => {
                let a: serde_json::Value = serde_json::from_str(&s).unwrap();
                let b: serde_json::Value = serde_json::from_str(&p).unwrap();
                prop_assert_eq!(a, b);
            }
            Err(e) => prop_assert!(e.line >= 1),
        }
    }
}
