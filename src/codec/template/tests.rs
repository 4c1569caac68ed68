use super::render::Span;
use super::*;

fn text(src: &str) -> Template {
    compile(src, InputMode::Text, Encoding::Utf8, false).unwrap()
}

fn hex(src: &str) -> Template {
    compile(src, InputMode::Hex, Encoding::Utf8, false).unwrap()
}

fn err(src: &str, mode: InputMode) -> TemplateError {
    compile(src, mode, Encoding::Utf8, false).unwrap_err()
}

#[test]
fn the_issue_s_modbus_frame() {
    let t = hex("01 03 00 00 00 0A ${crc16-modbus}");
    assert_eq!(t.bytes(1).unwrap(), [0x01, 0x03, 0x00, 0x00, 0x00, 0x0A, 0xC5, 0xCD]);
    let r = t.render(1, None).unwrap();
    assert_eq!(r.spans, [Span { bytes: 6..8, src: 18..33, kind: SpanKind::Checksum }]);
}

#[test]
fn sequence_numbers_count_from_one_per_message() {
    let t = text("A${seq}");
    let sent: Vec<_> = (1..=3).map(|n| t.bytes(n).unwrap()).collect();
    assert_eq!(sent, [b"A1".to_vec(), b"A2".to_vec(), b"A3".to_vec()]);
    let t = text("${seq:start=0,step=5,width=4}");
    assert_eq!(t.bytes(3).unwrap(), b"0010");
    assert_eq!(hex("${seq:u16be} ff").bytes(258).unwrap(), [0x01, 0x02, 0xFF]);
    assert_eq!(hex("${seq:u16le}").bytes(258).unwrap(), [0x02, 0x01]);
    // Past its width a binary counter wraps.
    assert_eq!(hex("${seq:u8}").bytes(257).unwrap(), [0x01]);
    assert!(text("plain").fixed_bytes().is_some());
    assert!(text("A${seq}").fixed_bytes().is_none());
}

#[test]
fn length_fields_count_the_bytes_after_them() {
    // A Modbus/TCP-like header: the length counts what follows it.
    let t = hex("00 01 00 00 ${len:u16be} 01 03 00 00 00 0a");
    assert_eq!(t.bytes(1).unwrap(), [0, 1, 0, 0, 0, 6, 1, 3, 0, 0, 0, 0x0a]);
    let t = text("${len:u8,0..3}abcdef");
    assert_eq!(t.bytes(1).unwrap(), b"\x03abcdef");
    let t = text("${len:u32le}xy");
    assert_eq!(t.bytes(1).unwrap(), b"\x02\0\0\0xy");
    let long = format!("${{len:u8}}{}", "x".repeat(300));
    let e = text(&long).bytes(1).unwrap_err();
    assert_eq!(e, TemplateError { pos: 0, problem: TemplateProblem::LengthTooBig { len: 300, max: 255 } });
}

#[test]
fn checksums_cover_what_is_before_them_or_a_range() {
    let t = text("123456789${crc32}");
    assert_eq!(&t.bytes(1).unwrap()[9..], [0xCB, 0xF4, 0x39, 0x26]);
    let t = text("123456789${crc32:le}");
    assert_eq!(&t.bytes(1).unwrap()[9..], [0x26, 0x39, 0xF4, 0xCB]);
    let t = text("xx123456789${crc16-ccitt-false:2..11}");
    assert_eq!(&t.bytes(1).unwrap()[11..], [0x29, 0xB1]);
    // A checksum first, over the bytes after it; a length inside the checksummed range.
    let t = text("${xor8:1..}${len:u8}AB");
    assert_eq!(t.bytes(1).unwrap(), [0x02 ^ b'A' ^ b'B', 2, b'A', b'B']);
    // A checksum over a checksum.
    let t = text("123456789${crc8}${sum8}");
    let b = t.bytes(1).unwrap();
    assert_eq!(b[9], 0xF4);
    assert_eq!(b[10], 0xDDu8.wrapping_add(0xF4));
}

#[test]
fn checksum_ranges_that_cannot_be() {
    let e = text("ab${sum8:0..3}").bytes(1).unwrap_err();
    assert_eq!(e.problem, TemplateProblem::CoversItself);
    let e = text("ab${sum8:0..9}").bytes(1).unwrap_err();
    assert_eq!(e.problem, TemplateProblem::RangeOutside { from: 0, to: 9, len: 3 });
    let e = text("${sum8:1..2}${xor8:0..1}").bytes(1).unwrap_err();
    assert_eq!(e, TemplateError { pos: 0, problem: TemplateProblem::Circular });
}

#[test]
fn received_parts_for_rule_replies() {
    let t = text("got ${rx.line} [${rx[1..3]}] ${rx.1}/${rx.2} ${rx}");
    assert!(t.uses_rx());
    let rx = Received { data: b"hello\r\nworld", captures: &[Some("h"), None] };
    let b = t.render(1, Some(rx)).unwrap().bytes;
    assert_eq!(b, b"got hello [el] h/ hello\r\nworld");
    // Without a received message the fields are empty.
    assert_eq!(t.bytes(1).unwrap(), b"got  [] / ");
}

#[test]
fn values_of_the_right_shape() {
    let uuid = String::from_utf8(text("${uuid}").bytes(1).unwrap()).unwrap();
    let u = uuid::Uuid::parse_str(&uuid).unwrap();
    assert_eq!(u.get_version_num(), 4);
    for _ in 0..200 {
        let v: u64 = String::from_utf8(text("${rand:3-5}").bytes(1).unwrap()).unwrap().parse().unwrap();
        assert!((3..=5).contains(&v));
    }
    assert_eq!(hex("${hex:RANDOM 8}").bytes(1).unwrap().len(), 8);
    assert_eq!(text("a${hex:00 ff}b").bytes(1).unwrap(), b"a\0\xffb");
    let ms: i64 = String::from_utf8(text("${unix_ms}").bytes(1).unwrap()).unwrap().parse().unwrap();
    assert!(ms > 1_700_000_000_000);
    let year = String::from_utf8(text("${time:%Y}").bytes(1).unwrap()).unwrap();
    assert_eq!(year, jiff::Zoned::now().year().to_string());
    // A time format in Chinese, written in GBK.
    let t = compile("${time:%Y年}", InputMode::Text, Encoding::Gbk, false).unwrap();
    assert_eq!(Encoding::Gbk.decode_lossy(&t.bytes(1).unwrap()), format!("{year}年"));
}

#[test]
fn files_are_read_when_compiled() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("body.bin");
    std::fs::write(&p, b"\x01\x02").unwrap();
    let t = hex(&format!("aa ${{file:{}}} ${{sum8}}", p.display()));
    assert_eq!(t.bytes(1).unwrap(), [0xAA, 1, 2, 0xAD]);
    let e = err("${file:/no/such/file}", InputMode::Text);
    assert!(matches!(e.problem, TemplateProblem::File { .. }), "{e:?}");
}

#[test]
fn literals_and_escapes() {
    assert_eq!(text("cost $5 $${seq}").bytes(1).unwrap(), b"cost $5 ${seq}");
    assert_eq!(hex("$${").bytes(1).unwrap(), b"${");
    let t = compile("a\\r\\n${seq}\\x00", InputMode::Text, Encoding::Utf8, true).unwrap();
    assert_eq!(t.bytes(7).unwrap(), b"a\r\n7\0");
    // Without escapes a backslash is itself.
    assert_eq!(text("a\\n").bytes(1).unwrap(), b"a\\n");
}

#[test]
fn errors_name_the_character() {
    let e = err("ab ${nope}", InputMode::Text);
    assert_eq!(e, TemplateError { pos: 3, problem: TemplateProblem::UnknownField { name: "nope".into() } });
    assert_eq!(err("ab ${seq", InputMode::Text), TemplateError { pos: 3, problem: TemplateProblem::Unclosed });
    // A bad hex digit after a field: its place in the whole template.
    let e = err("01 ${seq:u8} 0g", InputMode::Hex);
    assert_eq!(e.pos, 14);
    assert_eq!(e.problem, TemplateProblem::Codec(CodecError::BadHexDigit { ch: 'g', pos: 14 }));
    let e = err("01 0${crc8}", InputMode::Hex);
    assert_eq!(e.problem, TemplateProblem::Codec(CodecError::OddHexLength { digits: 3 }));
    let e = err("x${rand:9-1}", InputMode::Text);
    assert!(matches!(e.problem, TemplateProblem::BadArgument { expected: Expected::RandRange, .. }));
    assert_eq!(e.pos, 1);
    let e = err("${uuid:x}", InputMode::Text);
    assert!(matches!(e.problem, TemplateProblem::BadArgument { expected: Expected::Nothing, .. }));
    let e = err("${len}", InputMode::Text);
    assert!(matches!(e.problem, TemplateProblem::BadArgument { expected: Expected::LenOptions, .. }));
    let e = err("${seq:width=99}", InputMode::Text);
    assert!(matches!(e.problem, TemplateProblem::BadArgument { expected: Expected::SeqOptions, .. }));
    let e = compile("é${seq}", InputMode::Text, Encoding::Gbk, false);
    assert!(e.is_ok());
    let e = compile("ab😀${seq}", InputMode::Text, Encoding::Gbk, false).unwrap_err();
    assert_eq!(e.pos, 2);
}
