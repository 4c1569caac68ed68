//! Saved packets: named payloads kept in a JSON file, sent again with one click (like Packet
//! Sender's saved packets).
//!
//! Pure data: no egui and no sockets. The file looks like
//! `{"socklab_packets": 1, "packets": [{"name": "hello", "tab": "udp", …}]}`.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize as _;

use crate::codec::template::TemplateError;
use crate::codec::{CodecError, Encoding, InputMode};

/// Which tab a packet is meant for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PacketTab {
    Udp,
    TcpClient,
    TcpServer,
    Broadcast,
}

impl PacketTab {
    /// Every tab, in menu order.
    pub const ALL: [PacketTab; 4] = [PacketTab::Udp, PacketTab::TcpClient, PacketTab::TcpServer, PacketTab::Broadcast];

    /// The tab's name as the UI shows it.
    pub fn name(self) -> &'static str {
        match self {
            PacketTab::Udp => "UDP",
            PacketTab::TcpClient => "TCP client",
            PacketTab::TcpServer => "TCP server",
            PacketTab::Broadcast => "Broadcast",
        }
    }
}

/// One saved packet: what to send, how to encode it, and where.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SavedPacket {
    pub name: String,
    pub tab: PacketTab,
    /// Where it goes: `host:port` for UDP/broadcast (may be empty: use the tab's own field); empty or ignored for TCP.
    #[serde(default)]
    pub destination: String,
    /// What the user typed: text, or hex when `mode` is Hex.
    pub payload: String,
    #[serde(default)]
    pub mode: InputMode,
    #[serde(default)]
    pub encoding: Encoding,
    /// Text mode: `\r \n \t \0 \\ \xHH` escapes are turned into bytes.
    #[serde(default)]
    pub escapes: bool,
}

impl SavedPacket {
    /// The bytes this packet sends as message number 1 (hex, Base64 or bits parsed, or text
    /// encoded with escapes if on; `${…}` fields rendered).
    pub fn bytes(&self) -> Result<Vec<u8>, TemplateError> {
        let escapes = self.escapes && self.mode == InputMode::Text;
        crate::codec::template::compile(&self.payload, self.mode, self.encoding, escapes)?.bytes(1)
    }
}

/// Why a packets file could not be read, or a packet could not be added (as data:
/// `i18n::packets_error` words it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketsError {
    /// The library already holds [`MAX_PACKETS`] packets.
    Full,
    /// A packet that is refused: its index (numbered from 0; none for a packet added alone),
    /// its name (shortened, see [`shown_name`]) and why.
    Packet { index: Option<usize>, name: String, problem: PacketProblem },
    /// Not a SockLab packets file.
    NotOurs(NotOurs),
    /// A file of a newer format than [`FORMAT`] (its format).
    NewerFormat(u64),
    /// More than [`MAX_PACKETS`] packets in a file (this many).
    TooMany(usize),
    /// A merge stopped at `error` after adding `added` of `total` packets (those stay added).
    Merge { error: Box<PacketsError>, added: usize, total: usize },
    /// The file could not be read (the system's message).
    Unreadable { path: PathBuf, error: String },
    /// What is wrong with the file at `path`.
    InFile { path: PathBuf, error: Box<PacketsError> },
}

/// What `from_json` refuses in one packet.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PacketProblem {
    /// A blank name.
    EmptyName,
    /// A name longer than [`MAX_NAME`] characters.
    LongName,
    /// A payload longer than [`MAX_PAYLOAD`] characters.
    LongPayload,
    /// A hex payload that is not hex.
    Hex(CodecError),
    /// A payload with `${…}` fields that is not a good template.
    Template(TemplateError),
    /// Not a packet (serde's message: missing field, unknown variant, …).
    Invalid(String),
}

/// Why a file is not a SockLab packets file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NotOurs {
    /// Not JSON (serde_json's message).
    NotJson(String),
    /// Not UTF-8 text.
    NotUtf8,
    /// An object without `"socklab_packets"`.
    NoVersion,
    /// A `"socklab_packets"` that is not a format number (the value as JSON).
    BadVersion(String),
    /// No `"packets"` list.
    NoPackets,
    /// A `"packets"` that is not a list.
    PacketsNotList,
    /// Neither an object nor a list, but this.
    Found(JsonKind),
}

/// The kind of a JSON value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Bool,
    Number,
    String,
    List,
    Object,
}

/// The most packets a library holds.
pub const MAX_PACKETS: usize = 10_000;
/// The longest payload, in characters of payload text.
pub const MAX_PAYLOAD: usize = 1024 * 1024;
/// The longest name, in characters.
pub const MAX_NAME: usize = 200;

/// The file format version written in `"socklab_packets"`.
pub const FORMAT: u64 = 1;

/// A list of saved packets.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PacketLibrary {
    pub packets: Vec<SavedPacket>,
}

/// The file as written: a version number and the packets.
#[derive(serde::Serialize)]
struct FileOut<'a> {
    socklab_packets: u64,
    packets: &'a [SavedPacket],
}

impl PacketLibrary {
    /// A few useful packets: an HTTP GET, a DNS query, "hello", 你好 in GBK and the hello server's "exit".
    pub fn defaults() -> PacketLibrary {
        let p = |name: &str, tab, destination: &str, payload: &str| SavedPacket {
            name: name.into(),
            tab,
            destination: destination.into(),
            payload: payload.into(),
            mode: InputMode::Text,
            encoding: Encoding::Utf8,
            escapes: false,
        };
        let packets = vec![
            SavedPacket {
                escapes: true,
                ..p(
                    "HTTP/1.0 GET /",
                    PacketTab::TcpClient,
                    "127.0.0.1:8080",
                    "GET / HTTP/1.0\\r\\nHost: localhost\\r\\n\\r\\n",
                )
            },
            SavedPacket {
                mode: InputMode::Hex,
                // Header: id 0x1234, flags 0x0100 (recursion desired), 1 question, no other records.
                // Question: QNAME 7 "example" 3 "com" 0, QTYPE 1 (A), QCLASS 1 (IN).
                ..p(
                    "DNS query: example.com A",
                    PacketTab::Udp,
                    "127.0.0.1:53",
                    "12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01",
                )
            },
            p("hello", PacketTab::Udp, "127.0.0.1:7788", "hello"),
            SavedPacket {
                encoding: Encoding::Gbk,
                ..p("Hello in Chinese (GBK)", PacketTab::Udp, "127.0.0.1:7788", "你好")
            },
            p("exit (hello server)", PacketTab::TcpClient, "", "exit"),
        ];
        PacketLibrary { packets }
    }

    /// The packets meant for `tab`, with their index in `packets`.
    pub fn for_tab(&self, tab: PacketTab) -> impl Iterator<Item = (usize, &SavedPacket)> {
        self.packets.iter().enumerate().filter(move |(_, p)| p.tab == tab)
    }

    /// Adds a packet; if the name is taken, appends " (2)", " (3)", …  Returns its index.
    /// Refuses past MAX_PACKETS, and packets `from_json` would refuse (empty or long name,
    /// payload too long, bad hex), so a saved library always loads again.
    pub fn add(&mut self, p: SavedPacket) -> Result<usize, PacketsError> {
        if self.packets.len() >= MAX_PACKETS {
            return Err(PacketsError::Full);
        }
        check(&p).map_err(|problem| refused(None, &p.name, problem))?;
        let mut names = Names::of(&self.packets);
        Ok(self.push_renamed(p, &mut names))
    }

    /// Removes and returns the packet at `index`, if there is one.
    pub fn remove(&mut self, index: usize) -> Option<SavedPacket> {
        (index < self.packets.len()).then(|| self.packets.remove(index))
    }

    /// The whole library as pretty JSON: {"socklab_packets": 1, "packets": [ … ]}.
    pub fn to_json(&self) -> String {
        let file = FileOut { socklab_packets: FORMAT, packets: &self.packets };
        // Cannot fail: only strings, bools, a number and unit enum variants are written.
        let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Reads such a file (also accepts a bare JSON array of packets). Validates: at most
    /// MAX_PACKETS, payload at most MAX_PAYLOAD characters, name non-empty (trimmed) and at most
    /// MAX_NAME chars, hex payloads must parse. Unknown fields are ignored. Never panics on any
    /// input. Packets are numbered from 1 in messages.
    pub fn from_json(text: &str) -> Result<PacketLibrary, PacketsError> {
        let not_ours = PacketsError::NotOurs;
        // A byte order mark, as some Windows editors write, is not JSON.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| not_ours(NotOurs::NotJson(e.to_string())))?;
        let list = match &value {
            serde_json::Value::Array(list) => list,
            serde_json::Value::Object(map) => {
                match map.get("socklab_packets") {
                    None => return Err(not_ours(NotOurs::NoVersion)),
                    Some(v) => match v.as_u64() {
                        Some(FORMAT) => {}
                        Some(n) if n > FORMAT => return Err(PacketsError::NewerFormat(n)),
                        _ => return Err(not_ours(NotOurs::BadVersion(v.to_string()))),
                    },
                }
                match map.get("packets") {
                    Some(serde_json::Value::Array(list)) => list,
                    Some(_) => return Err(not_ours(NotOurs::PacketsNotList)),
                    None => return Err(not_ours(NotOurs::NoPackets)),
                }
            }
            other => {
                return Err(not_ours(NotOurs::Found(kind(other))));
            }
        };
        if list.len() > MAX_PACKETS {
            return Err(PacketsError::TooMany(list.len()));
        }
        let mut packets = Vec::with_capacity(list.len());
        for (i, v) in list.iter().enumerate() {
            let p = SavedPacket::deserialize(v).map_err(|e| {
                let name = v.get("name").and_then(|n| n.as_str()).unwrap_or("");
                refused(Some(i), name, PacketProblem::Invalid(e.to_string()))
            })?;
            check(&p).map_err(|problem| refused(Some(i), &p.name, problem))?;
            packets.push(p);
        }
        Ok(PacketLibrary { packets })
    }

    /// Adds every packet of `other` (renaming duplicates as `add` does); returns how many were added.
    /// Stops at MAX_PACKETS (or at a packet `add` refuses) with an error saying how many were added;
    /// those stay added.
    pub fn merge(&mut self, other: PacketLibrary) -> Result<usize, PacketsError> {
        let total = other.packets.len();
        let mut names = Names::of(&self.packets);
        for (added, p) in other.packets.into_iter().enumerate() {
            let stop = |error| Err(PacketsError::Merge { error: Box::new(error), added, total });
            if self.packets.len() >= MAX_PACKETS {
                return stop(PacketsError::Full);
            }
            if let Err(problem) = check(&p) {
                return stop(refused(Some(added), &p.name, problem));
            }
            self.push_renamed(p, &mut names);
        }
        Ok(total)
    }

    /// Reads `path` (a missing file gives `Ok(None)`).
    pub fn load(path: &Path) -> Result<Option<PacketLibrary>, PacketsError> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(PacketsError::Unreadable { path: path.to_path_buf(), error: e.to_string() }),
        };
        let in_file = |error| PacketsError::InFile { path: path.to_path_buf(), error: Box::new(error) };
        let text = String::from_utf8(bytes).map_err(|_| in_file(PacketsError::NotOurs(NotOurs::NotUtf8)))?;
        PacketLibrary::from_json(&text).map(Some).map_err(in_file)
    }

    /// Writes the library to `path` atomically (temp file in the same folder + rename), creating
    /// the folder if needed.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let Some(file_name) = path.file_name() else {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{} is not a file name", path.display()),
            ));
        };
        std::fs::create_dir_all(&dir)?;
        // Unique per process and per call, so two saves never share a temp file.
        static SAVES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = SAVES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut tmp_name = std::ffi::OsString::from(".");
        tmp_name.push(file_name);
        tmp_name.push(format!(".{}-{n}.tmp", std::process::id()));
        let tmp = dir.join(tmp_name);
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(self.to_json().as_bytes())?;
            f.sync_all()?;
            drop(f);
            std::fs::rename(&tmp, path)
        };
        let result = write();
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        result
    }

    /// Pushes `p` under a free name (recorded in `names`); returns its index.
    fn push_renamed(&mut self, mut p: SavedPacket, names: &mut Names) -> usize {
        p.name = names.claim(&p.name);
        self.packets.push(p);
        self.packets.len() - 1
    }
}

/// What `from_json` refuses in one packet.
fn check(p: &SavedPacket) -> Result<(), PacketProblem> {
    if p.name.trim().is_empty() {
        return Err(PacketProblem::EmptyName);
    }
    if p.name.chars().count() > MAX_NAME {
        return Err(PacketProblem::LongName);
    }
    if p.payload.len() > MAX_PAYLOAD && p.payload.chars().count() > MAX_PAYLOAD {
        return Err(PacketProblem::LongPayload);
    }
    // Bytes typed as hex, Base64 or bits must parse (text is checked when it is sent, in the
    // encoding of the moment).
    if p.mode != InputMode::Text
        && let Err(e) = crate::codec::template::compile(&p.payload, p.mode, p.encoding, false)
    {
        return Err(match e.problem {
            crate::codec::template::TemplateProblem::Codec(c) => PacketProblem::Hex(c),
            _ => PacketProblem::Template(e),
        });
    }
    Ok(())
}

/// The error for a refused packet.
fn refused(index: Option<usize>, name: &str, problem: PacketProblem) -> PacketsError {
    PacketsError::Packet { index, name: shown_name(name), problem }
}

/// A packet's name as an error shows it: shortened to 40 characters and `…` when long.
pub fn shown_name(name: &str) -> String {
    const SHOWN: usize = 40;
    crate::codec::short::shorten(name, SHOWN, "…").into_owned()
}

/// A JSON value's kind.
fn kind(v: &serde_json::Value) -> JsonKind {
    match v {
        serde_json::Value::Null => JsonKind::Null,
        serde_json::Value::Bool(_) => JsonKind::Bool,
        serde_json::Value::Number(_) => JsonKind::Number,
        serde_json::Value::String(_) => JsonKind::String,
        serde_json::Value::Array(_) => JsonKind::List,
        serde_json::Value::Object(_) => JsonKind::Object,
    }
}

/// The names in use, and for each wanted name the next suffix to try, so adding many packets
/// with one name stays fast.
struct Names {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

impl Names {
    fn of(packets: &[SavedPacket]) -> Names {
        Names { taken: packets.iter().map(|p| p.name.clone()).collect(), next: HashMap::new() }
    }

    /// `name` if free, else `name (2)`, `name (3)`, … (the name cut so the result fits
    /// MAX_NAME); the result is marked as taken.
    fn claim(&mut self, name: &str) -> String {
        if self.taken.insert(name.to_owned()) {
            return name.to_owned();
        }
        let mut n = self.next.get(name).copied().unwrap_or(2);
        loop {
            let suffix = format!(" ({n})");
            let keep = MAX_NAME.saturating_sub(suffix.chars().count());
            let mut candidate: String = name.chars().take(keep).collect();
            candidate.push_str(&suffix);
            n += 1;
            if self.taken.insert(candidate.clone()) {
                self.next.insert(name.to_owned(), n);
                return candidate;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::template::TemplateProblem;

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

    #[test]
    fn defaults_all_produce_bytes() {
        let lib = PacketLibrary::defaults();
        assert_eq!(lib.packets.len(), 5);
        for p in &lib.packets {
            assert!(p.bytes().is_ok(), "{}", p.name);
            assert!(check(p).is_ok(), "{}", p.name);
        }
        let by_name = |n: &str| lib.packets.iter().find(|p| p.name == n).unwrap().bytes().unwrap();
        assert_eq!(by_name("HTTP/1.0 GET /"), b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
        assert_eq!(by_name("hello"), b"hello");
        assert_eq!(by_name("Hello in Chinese (GBK)"), vec![0xc4, 0xe3, 0xba, 0xc3]);
        assert_eq!(by_name("exit (hello server)"), b"exit");
        // The defaults survive a save and load.
        assert_eq!(PacketLibrary::from_json(&lib.to_json()), Ok(lib));
    }

    #[test]
    fn dns_query_bytes() {
        let lib = PacketLibrary::defaults();
        let dns = lib.packets.iter().find(|p| p.name.starts_with("DNS")).unwrap();
        assert_eq!((dns.tab, dns.destination.as_str(), dns.mode), (PacketTab::Udp, "127.0.0.1:53", InputMode::Hex));
        #[rustfmt::skip]
        let expected: Vec<u8> = vec![
            0x12, 0x34, // id
            0x01, 0x00, // flags: RD
            0x00, 0x01, // QDCOUNT
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // ANCOUNT, NSCOUNT, ARCOUNT
            7, b'e', b'x', b'a', b'm', b'p', b'l', b'e', 3, b'c', b'o', b'm', 0, // QNAME
            0x00, 0x01, // QTYPE A
            0x00, 0x01, // QCLASS IN
        ];
        assert_eq!(dns.bytes().unwrap(), expected);
        assert_eq!(
            crate::codec::to_hex(&dns.bytes().unwrap()),
            "12 34 01 00 00 01 00 00 00 00 00 00 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 00 01 00 01"
        );
    }

    #[test]
    fn for_tab_gives_indexes() {
        let lib = PacketLibrary::defaults();
        let tcp: Vec<usize> = lib.for_tab(PacketTab::TcpClient).map(|(i, _)| i).collect();
        assert_eq!(tcp, vec![0, 4]);
        assert_eq!(lib.for_tab(PacketTab::TcpServer).count(), 0);
        let all: usize = PacketTab::ALL.iter().map(|t| lib.for_tab(*t).count()).sum();
        assert_eq!(all, lib.packets.len());
        assert_eq!(PacketTab::TcpClient.name(), "TCP client");
    }

    #[test]
    fn bytes_modes() {
        let mut p = text("x", PacketTab::Udp, "a\\n");
        assert_eq!(p.bytes().unwrap(), b"a\\n");
        p.escapes = true;
        assert_eq!(p.bytes().unwrap(), b"a\n");
        p.payload = "bad \\q".into();
        assert_eq!(p.bytes().unwrap_err().problem, TemplateProblem::Codec(CodecError::BadEscape { pos: 4 }));
        p.mode = InputMode::Hex;
        p.payload = "0x41 42".into();
        assert_eq!(p.bytes().unwrap(), b"AB");
    }

    #[test]
    fn duplicates_renamed() {
        let mut lib = PacketLibrary::default();
        assert_eq!(lib.add(text("a", PacketTab::Udp, "1")), Ok(0));
        assert_eq!(lib.add(text("a", PacketTab::Udp, "2")), Ok(1));
        assert_eq!(lib.add(text("a", PacketTab::Broadcast, "3")), Ok(2));
        assert_eq!(lib.add(text("a (2)", PacketTab::Udp, "4")), Ok(3));
        let names: Vec<&str> = lib.packets.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["a", "a (2)", "a (3)", "a (2) (2)"]);
        // A freed name is used again.
        lib.remove(1);
        lib.add(text("a", PacketTab::Udp, "5")).unwrap();
        assert_eq!(lib.packets[3].name, "a (2)");

        // A long name is cut so the renamed one still fits.
        let long = "x".repeat(MAX_NAME);
        lib.add(text(&long, PacketTab::Udp, "")).unwrap();
        let i = lib.add(text(&long, PacketTab::Udp, "")).unwrap();
        assert_eq!(lib.packets[i].name, format!("{} (2)", "x".repeat(MAX_NAME - 4)));
        assert_eq!(PacketLibrary::from_json(&lib.to_json()), Ok(lib));
    }

    #[test]
    fn add_and_merge_stop_at_the_limit() {
        // Merging many packets of one name stays fast (each finds its free suffix at once).
        let same = PacketLibrary { packets: vec![text("same", PacketTab::Udp, ""); MAX_PACKETS] };
        let mut lib = PacketLibrary::default();
        assert_eq!(lib.merge(same), Ok(MAX_PACKETS));
        assert_eq!(lib.packets[0].name, "same");
        assert_eq!(lib.packets[MAX_PACKETS - 1].name, format!("same ({MAX_PACKETS})"));
        assert_eq!(lib.add(text("one more", PacketTab::Udp, "")), Err(PacketsError::Full));

        let mut small = PacketLibrary::default();
        lib.packets.truncate(MAX_PACKETS - 2);
        small.add(text("m", PacketTab::Udp, "")).unwrap();
        small.add(text("n", PacketTab::Udp, "")).unwrap();
        small.add(text("o", PacketTab::Udp, "")).unwrap();
        assert_eq!(
            lib.merge(small),
            Err(PacketsError::Merge { error: Box::new(PacketsError::Full), added: 2, total: 3 })
        );
        assert_eq!(lib.packets.len(), MAX_PACKETS);
    }

    #[test]
    fn merge_renames_duplicates() {
        let mut lib = PacketLibrary::defaults();
        assert_eq!(lib.merge(PacketLibrary::defaults()), Ok(5));
        assert_eq!(lib.packets.len(), 10);
        assert_eq!(lib.packets[5].name, "HTTP/1.0 GET / (2)");
        assert_eq!(lib.packets[7].name, "hello (2)");
        let bad = PacketLibrary { packets: vec![text("ok", PacketTab::Udp, ""), text("", PacketTab::Udp, "")] };
        let refused = PacketsError::Packet { index: Some(1), name: String::new(), problem: PacketProblem::EmptyName };
        assert_eq!(lib.merge(bad), Err(PacketsError::Merge { error: Box::new(refused), added: 1, total: 2 }));
    }

    #[test]
    fn remove() {
        let mut lib = PacketLibrary::defaults();
        assert_eq!(lib.remove(99), None);
        let p = lib.remove(2).unwrap();
        assert_eq!(p.name, "hello");
        assert_eq!(lib.packets.len(), 4);
        assert_eq!(lib.packets[2].name, "Hello in Chinese (GBK)");
    }

    #[test]
    fn json_shape() {
        let lib = PacketLibrary { packets: vec![text("a", PacketTab::TcpServer, "x")] };
        let v: serde_json::Value = serde_json::from_str(&lib.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"socklab_packets": 1, "packets": [{
                "name": "a", "tab": "tcp_server", "destination": "", "payload": "x",
                "mode": "Text", "encoding": "Utf8", "escapes": false
            }]})
        );
    }

    #[test]
    fn bare_array_unknown_fields_and_defaults() {
        let lib = PacketLibrary::from_json(
            "\u{feff}[{\"name\": \"a\", \"tab\": \"broadcast\", \"payload\": \"hi\", \"colour\": \"red\"}]",
        )
        .unwrap();
        assert_eq!(lib.packets, vec![text("a", PacketTab::Broadcast, "hi")]);
        let lib = PacketLibrary::from_json(
            "{\"socklab_packets\": 1, \"written_by\": \"future\", \"packets\": [{\"name\": \"g\", \"tab\": \"udp\", \
             \"payload\": \"你\", \"encoding\": \"Gbk\", \"escapes\": true, \"extra\": [1, {}]}]}",
        )
        .unwrap();
        assert_eq!(lib.packets[0].encoding, Encoding::Gbk);
        assert!(lib.packets[0].escapes);
        assert_eq!(PacketLibrary::from_json("[]"), Ok(PacketLibrary::default()));
    }

    #[test]
    fn load_missing_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(PacketLibrary::load(&dir.path().join("nope.json")), Ok(None));
    }

    #[test]
    fn save_then_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("packets.json");
        let lib = PacketLibrary::defaults();
        lib.save(&path).unwrap();
        assert_eq!(PacketLibrary::load(&path), Ok(Some(lib.clone())));
        // Saving again replaces the file and leaves no temp file behind.
        let mut smaller = lib;
        smaller.remove(0);
        smaller.save(&path).unwrap();
        assert_eq!(PacketLibrary::load(&path), Ok(Some(smaller)));
        let files: Vec<_> =
            std::fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files, vec![std::ffi::OsString::from("packets.json")]);

        std::fs::write(&path, "nonsense").unwrap();
        let e = PacketLibrary::load(&path).unwrap_err();
        let PacketsError::InFile { path: p, error } = &e else { panic!("{e:?}") };
        assert!(p == &path && matches!(**error, PacketsError::NotOurs(NotOurs::NotJson(_))), "{e:?}");
        std::fs::write(&path, [0xff, 0xfe]).unwrap();
        let not_utf8 = PacketsError::NotOurs(NotOurs::NotUtf8);
        assert_eq!(PacketLibrary::load(&path), Err(PacketsError::InFile { path, error: Box::new(not_utf8) }));
    }
}
