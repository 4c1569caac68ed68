//! Response rules for servers and UDP sockets: "when a message matches, reply with a payload".
//!
//! Rules are written one per line, `MATCH => REPLY`:
//!
//! ```text
//! # comments and blank lines are ignored
//! greeting => welcome!                       (sent when a TCP client connects)
//! exact:ping => pong                         (the whole text, one trailing newline ignored)
//! contains:hello => hi {peer}                (the text contains it)
//! regex:^GET (\S+) => HTTP/1.0 200 OK\r\n\r\nyou asked for {1}
//! hex:01 02 => \x06                          (the raw bytes start with these)
//! exact:exit => close                        (close without a reply)
//! exact:bye => see you {peer} ; close        (reply, then close)
//! * => {upper}                               (any message)
//! ```
//!
//! The first rule that matches answers; later rules are not looked at. The text after `exact:`,
//! `contains:`, `regex:` and `hex:` is taken without the spaces around it. A reply is a template:
//! escapes `\r \n \t \0 \\ \xHH` (`\xHH` is one raw byte), placeholders `{text}`, `{upper}`,
//! `{lower}`, `{ascii_upper}`, `{ascii_lower}`, `{raw}`, `{hex}`, `{len}`, `{peer}`, `{time}`,
//! `{1}`..`{9}` (regex captures), and `{{` `}}` for literal braces. Spaces at the end of a reply are dropped (write `\x20` for one
//! that matters). To reply with the word `close` itself, write `\x63lose`.
//!
//! `{upper}` and `{lower}` change the case of the text (Unicode: `ß` → `SS`, `é` → `É`); bytes
//! that are not text in the encoding and characters without case keep their bytes. When a
//! changed character (or a character of the template) cannot be written in the encoding (GBK has
//! `ǐ` but not `Ǐ`), nothing is sent and the answer carries [`Problem::Unencodable`]: never an
//! HTML entity. `{ascii_upper}` and `{ascii_lower}` change the bytes `a`–`z` / `A`–`Z` only, like
//! Python's `bytes.upper()` and the `upper` reply mode, in every encoding.
//!
//! Templates are checked and split into parts by [`Rules::parse`], so [`Rules::respond`] only
//! copies bytes and changes case; it never panics.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::net::SocketAddr;

use super::Problem;
use super::reply::{ReplyAction, ReplyMode};
use crate::codec::{self, Encoding};

/// At most this many rules in one set.
pub const MAX_RULES: usize = 1000;
/// Longest accepted line, in characters.
pub const MAX_LINE_CHARS: usize = 10_000;
/// Compiled size limit of one regular expression (bytes), so a rule set stays small.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// What a rule looks for in one received message (a datagram, or one read/framed message on TCP).
#[derive(Clone, Debug)]
pub enum Match {
    /// Every message.
    Any,
    /// The decoded text equals this, ignoring one trailing "\n" or "\r\n" (nc sends a newline).
    Exact(String),
    /// The decoded text contains this.
    Contains(String),
    /// The decoded text matches this regular expression (captures usable as {1}..{9}).
    Regex(regex::Regex),
    /// The raw bytes start with these.
    HexPrefix(Vec<u8>),
}

/// One rule. Build it with [`Rules::parse`] or [`Rule::new`]: the reply template is checked and
/// split into parts once, when the rule is made.
#[derive(Clone, Debug)]
pub struct Rule {
    pub when: Match,
    /// The reply template (None: no reply, e.g. a rule that only closes).
    pub reply: Option<String>,
    /// Close the connection after replying (TCP only; ignored for UDP).
    pub close: bool,
    /// `reply`, split into parts.
    template: Template,
}

/// An ordered list of rules: the first that matches answers. Also an optional greeting sent when a TCP client connects.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub rules: Vec<Rule>,
    pub greeting: Option<String>,
}

/// Why a rule line cannot be used: the 1-based line number, what is wrong (as data, shown in
/// the user's language by `crate::i18n::rule_problem`), and the same in English.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub message: String,
    pub problem: RuleProblem,
}

/// Where in a line a template problem is: a 1-based column of the line, or a 1-based position
/// in a template given alone ([`Rule::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Column(usize),
    Position(usize),
}

/// What is wrong with a rule line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RuleProblem {
    /// No ` => ` between the match and the reply.
    NoArrow,
    /// Nothing after ` => `.
    NothingAfter,
    /// `greeting => … ; close`.
    GreetingCloses,
    /// Nothing before ` => `.
    NothingBefore,
    /// A match that is no known kind (shortened to 40 characters).
    UnknownMatch(String),
    /// `kind:` of no known kind (shortened).
    UnknownKind(String),
    /// The regex crate's message.
    BadRegex(String),
    /// `hex:` with no byte.
    EmptyHex,
    BadHex(codec::CodecError),
    /// A bad escape in a reply.
    BadEscape {
        esc: String,
        at: Place,
    },
    /// A `{` with no `}`.
    Unclosed {
        at: Place,
    },
    /// `{name}` that is no placeholder (shortened).
    UnknownPlaceholder {
        name: String,
        at: Place,
    },
    /// More than [`MAX_LINE_CHARS`] characters.
    LineTooLong {
        chars: usize,
    },
    /// A second greeting; the first is on this line.
    SecondGreeting {
        first: usize,
    },
    /// More than [`MAX_RULES`] rules.
    TooManyRules,
}

impl std::fmt::Display for RuleError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for RuleError {}

/// A reply template split into parts, with the source it was made from.
#[derive(Clone, Debug, Default)]
struct Template {
    source: Option<String>,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    /// Literal text, encoded with the message's encoding when replying.
    Text(String),
    /// Raw bytes from `\xHH` escapes.
    Bytes(Vec<u8>),
    Field(Field),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Text,
    Upper,
    Lower,
    AsciiUpper,
    AsciiLower,
    Raw,
    Hex,
    Len,
    Peer,
    Time,
    /// A regex capture group, 1..=9.
    Capture(usize),
}

fn field_by_name(name: &str) -> Option<Field> {
    Some(match name {
        "text" => Field::Text,
        "upper" => Field::Upper,
        "lower" => Field::Lower,
        "ascii_upper" => Field::AsciiUpper,
        "ascii_lower" => Field::AsciiLower,
        "raw" => Field::Raw,
        "hex" => Field::Hex,
        "len" => Field::Len,
        "peer" => Field::Peer,
        "time" => Field::Time,
        _ => {
            let mut chars = name.chars();
            match (chars.next(), chars.next()) {
                (Some(c @ '1'..='9'), None) => Field::Capture(c as usize - '0' as usize),
                _ => return None,
            }
        }
    })
}

/// Why a template is refused: the 0-based character position in the template and the problem.
#[derive(Debug)]
struct TemplateError {
    pos: usize,
    kind: TemplateProblem,
}

#[derive(Debug)]
enum TemplateProblem {
    BadEscape(String),
    Unclosed,
    Unknown(String),
}

impl TemplateError {
    /// The problem, placed with `place` (a column or a position) from the 1-based number `first`
    /// where the template starts.
    fn problem(self, place: fn(usize) -> Place, first: usize) -> RuleProblem {
        let at = place(first + self.pos);
        match self.kind {
            TemplateProblem::BadEscape(esc) => RuleProblem::BadEscape { esc, at },
            TemplateProblem::Unclosed => RuleProblem::Unclosed { at },
            TemplateProblem::Unknown(name) => RuleProblem::UnknownPlaceholder { name: shorten(&name, 40).into(), at },
        }
    }
}

/// At most `max` characters of `s`, with `…` when cut.
fn shorten(s: &str, max: usize) -> Cow<'_, str> {
    match s.char_indices().nth(max) {
        Some((i, _)) => Cow::Owned(format!("{}…", &s[..i])),
        None => Cow::Borrowed(s),
    }
}

/// Splits a reply template into parts.
fn compile(src: &str) -> Result<Vec<Part>, TemplateError> {
    let chars: Vec<char> = src.chars().collect();
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let c = match chars.get(i + 1) {
                    Some('r') => '\r',
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('0') => '\0',
                    Some('\\') => '\\',
                    Some('x') => {
                        let hi = chars.get(i + 2).and_then(|c| c.to_digit(16));
                        let lo = chars.get(i + 3).and_then(|c| c.to_digit(16));
                        let (Some(hi), Some(lo)) = (hi, lo) else {
                            let esc: String = chars[i..chars.len().min(i + 4)].iter().collect();
                            return Err(TemplateError { pos: i, kind: TemplateProblem::BadEscape(esc) });
                        };
                        flush_text(&mut parts, &mut text);
                        // Both digits are below 16.
                        let byte = (hi * 16 + lo) as u8;
                        match parts.last_mut() {
                            Some(Part::Bytes(b)) => b.push(byte),
                            _ => parts.push(Part::Bytes(vec![byte])),
                        }
                        i += 4;
                        continue;
                    }
                    _ => {
                        let esc: String = chars[i..chars.len().min(i + 2)].iter().collect();
                        return Err(TemplateError { pos: i, kind: TemplateProblem::BadEscape(esc) });
                    }
                };
                text.push(c);
                i += 2;
            }
            '{' if chars.get(i + 1) == Some(&'{') => {
                text.push('{');
                i += 2;
            }
            '}' if chars.get(i + 1) == Some(&'}') => {
                text.push('}');
                i += 2;
            }
            '{' => {
                let rest = &chars[i + 1..];
                let end = rest.iter().position(|&c| c == '}' || c == '{');
                let Some(end) = end.filter(|&e| rest[e] == '}') else {
                    return Err(TemplateError { pos: i, kind: TemplateProblem::Unclosed });
                };
                let name: String = rest[..end].iter().collect();
                let Some(field) = field_by_name(&name) else {
                    return Err(TemplateError { pos: i, kind: TemplateProblem::Unknown(name) });
                };
                flush_text(&mut parts, &mut text);
                parts.push(Part::Field(field));
                i += end + 2;
            }
            // A lone `}` is just a brace.
            c => {
                text.push(c);
                i += 1;
            }
        }
    }
    flush_text(&mut parts, &mut text);
    Ok(parts)
}

fn flush_text(parts: &mut Vec<Part>, text: &mut String) {
    if !text.is_empty() {
        parts.push(Part::Text(std::mem::take(text)));
    }
}

/// The parts of a template that may not have been checked: a bad one is sent as it is written.
fn compile_lenient(src: &str) -> Vec<Part> {
    compile(src).unwrap_or_else(|_| vec![Part::Text(src.to_string())])
}

impl Template {
    fn new(reply: Option<&str>) -> Result<Template, TemplateError> {
        let parts = match reply {
            Some(src) => compile(src)?,
            None => Vec::new(),
        };
        Ok(Template { source: reply.map(str::to_string), parts })
    }
}

impl Rule {
    /// A rule replying with `reply` (a template, see the module documentation); the error says
    /// what is wrong with the template.
    pub fn new(when: Match, reply: Option<String>, close: bool) -> Result<Rule, String> {
        let template = Template::new(reply.as_deref())
            .map_err(|e| crate::i18n::rule_problem(crate::i18n::Lang::En, &e.problem(Place::Position, 1)))?;
        Ok(Rule { when, reply, close, template })
    }

    /// A rule whose template is known to be good (or is sent as written if not).
    fn lenient(when: Match, reply: Option<&str>, close: bool) -> Rule {
        let parts = reply.map(compile_lenient).unwrap_or_default();
        let reply = reply.map(str::to_string);
        Rule { when, template: Template { source: reply.clone(), parts }, reply, close }
    }

    /// The parts of the reply; re-made (leniently) only if `reply` was changed after the rule was built.
    fn parts(&self) -> Option<Cow<'_, [Part]>> {
        let src = self.reply.as_deref()?;
        if self.template.source.as_deref() == Some(src) {
            Some(Cow::Borrowed(&self.template.parts))
        } else {
            Some(Cow::Owned(compile_lenient(src)))
        }
    }
}

/// One received message (or none, for a greeting), decoded at most once.
struct Message<'a> {
    data: Option<&'a [u8]>,
    encoding: Encoding,
    peer: Option<SocketAddr>,
    decoded: OnceCell<String>,
}

impl<'a> Message<'a> {
    fn new(data: Option<&'a [u8]>, encoding: Encoding, peer: Option<SocketAddr>) -> Message<'a> {
        Message { data, encoding, peer, decoded: OnceCell::new() }
    }

    fn bytes(&self) -> &[u8] {
        self.data.unwrap_or_default()
    }

    fn text(&self) -> &str {
        self.decoded.get_or_init(|| self.encoding.decode_lossy(self.bytes()))
    }
}

/// The text with one trailing `\n` or `\r\n` removed.
fn strip_newline(text: &str) -> &str {
    text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text)
}

/// The bytes of a template for one message; an error when a character cannot be written in
/// the message's encoding (from the template or made by a case change).
fn render(parts: &[Part], msg: &Message<'_>, groups: &[Option<&str>; 9]) -> Result<Vec<u8>, Problem> {
    let mut out = Vec::new();
    let encoding = msg.encoding;
    let has_message = msg.data.is_some();
    let unencodable = |ch: char| Problem::Unencodable(ch, encoding);
    for part in parts {
        match part {
            Part::Text(t) => out.extend(encoding.encode(t).map_err(|e| unencodable(codec_char(&e)))?),
            Part::Bytes(b) => out.extend_from_slice(b),
            Part::Field(field) => match field {
                Field::Peer => {
                    if let Some(p) = msg.peer {
                        out.extend_from_slice(p.to_string().as_bytes());
                    }
                }
                Field::Time => {
                    let now = jiff::Zoned::now().strftime("%Y-%m-%d %H:%M:%S").to_string();
                    out.extend_from_slice(now.as_bytes());
                }
                _ if !has_message => {}
                // The message's own bytes: decoding and encoding again could only lose (a byte
                // that is not text, a character GBK cannot write back), never add.
                Field::Text => out.extend_from_slice(msg.bytes()),
                Field::Upper => out.extend(change_case(msg.bytes(), encoding, Case::Upper).map_err(unencodable)?),
                Field::Lower => out.extend(change_case(msg.bytes(), encoding, Case::Lower).map_err(unencodable)?),
                Field::AsciiUpper => out.extend(msg.bytes().to_ascii_uppercase()),
                Field::AsciiLower => out.extend(msg.bytes().to_ascii_lowercase()),
                Field::Raw => out.extend_from_slice(msg.bytes()),
                Field::Hex => out.extend_from_slice(codec::to_hex(msg.bytes()).as_bytes()),
                Field::Len => out.extend_from_slice(msg.bytes().len().to_string().as_bytes()),
                Field::Capture(n) => {
                    if let Some(Some(g)) = n.checked_sub(1).and_then(|k| groups.get(k)) {
                        out.extend(encoding.encode(g).map_err(|e| unencodable(codec_char(&e)))?);
                    }
                }
            },
        }
    }
    Ok(out)
}

/// The character a codec error names (encoding text only fails on an unencodable character).
fn codec_char(e: &codec::CodecError) -> char {
    match e {
        codec::CodecError::Unencodable { ch, .. } => *ch,
        _ => '\u{fffd}',
    }
}

/// Which way `{upper}` / `{lower}` change letters.
#[derive(Clone, Copy)]
enum Case {
    Upper,
    Lower,
}

impl Case {
    fn apply(self, s: &str) -> String {
        match self {
            Case::Upper => s.to_uppercase(),
            Case::Lower => s.to_lowercase(),
        }
    }
}

/// Unicode case change of the text in `data`. Bytes that are not text in `encoding` are copied
/// as they are, and so are the bytes of every character the change leaves alone (no BOM is
/// sniffed, a GB18030 four-byte character GBK lacks is kept). `Err(ch)`: the changed character
/// `ch` cannot be written in `encoding`.
fn change_case(data: &[u8], encoding: Encoding, case: Case) -> Result<Vec<u8>, char> {
    let mut out = Vec::with_capacity(data.len());
    match encoding {
        // UTF-8 can write every character; invalid bytes stay as they are.
        Encoding::Utf8 => {
            for chunk in data.utf8_chunks() {
                out.extend_from_slice(case.apply(chunk.valid()).as_bytes());
                out.extend_from_slice(chunk.invalid());
            }
        }
        // GBK trail bytes can be ASCII letters, so go character by character.
        Encoding::Gbk => {
            let mut rest = data;
            while let Some(&first) = rest.first() {
                let (unit, tail) = rest.split_at(gb18030_unit_len(rest));
                rest = tail;
                if first.is_ascii() {
                    out.push(match case {
                        Case::Upper => first.to_ascii_uppercase(),
                        Case::Lower => first.to_ascii_lowercase(),
                    });
                    continue;
                }
                let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(unit);
                let mut chars = text.chars();
                let (Some(c), None, false) = (chars.next(), chars.next(), had_errors) else {
                    out.extend_from_slice(unit);
                    continue;
                };
                let changed = case.apply(c.encode_utf8(&mut [0; 4]));
                if changed.chars().eq([c]) {
                    out.extend_from_slice(unit);
                } else {
                    out.extend(Encoding::Gbk.encode(&changed).map_err(|e| codec_char(&e))?);
                }
            }
        }
    }
    Ok(out)
}

/// The length of the GB18030 unit `bytes` starts with: 1 (ASCII, or a byte that starts no
/// character), 2 (a two-byte character) or 4 (a four-byte one). `bytes` is not empty.
fn gb18030_unit_len(bytes: &[u8]) -> usize {
    let lead = |b: u8| (0x81..=0xfe).contains(&b);
    let digit = |b: u8| b.is_ascii_digit();
    match *bytes {
        [a, b, c, d, ..] if lead(a) && digit(b) && lead(c) && digit(d) => 4,
        [a, b, ..] if lead(a) && matches!(b, 0x40..=0x7e | 0x80..=0xfe) => 2,
        _ => 1,
    }
}

/// What one non-blank line says.
enum Line {
    Rule(Rule),
    Greeting(String),
}

/// Parses one line that is neither blank nor a comment.
fn parse_line(line: &str) -> Result<Line, RuleProblem> {
    let Some(sep) = line.find(" => ") else {
        return Err(RuleProblem::NoArrow);
    };
    let left = line[..sep].trim();
    let right_start = sep + " => ".len();
    let right = line[right_start..].trim_end();
    // Where the reply template starts, as a 1-based column.
    let first_col = line[..right_start].chars().count() + 1;

    let (reply, close) = split_close(right);
    if reply.is_none() && !close {
        return Err(RuleProblem::NothingAfter);
    }

    if left.eq_ignore_ascii_case("greeting") {
        if close {
            return Err(RuleProblem::GreetingCloses);
        }
        let text = reply.unwrap_or_default();
        compile(text).map_err(|e| e.problem(Place::Column, first_col))?;
        return Ok(Line::Greeting(text.to_string()));
    }

    let when = parse_match(left)?;
    let template = Template::new(reply).map_err(|e| e.problem(Place::Column, first_col))?;
    Ok(Line::Rule(Rule { when, reply: reply.map(str::to_string), close, template }))
}

/// Splits `reply ; close`, `close` and `reply` into the template and whether to close.
fn split_close(right: &str) -> (Option<&str>, bool) {
    if right.trim() == "close" {
        return (None, true);
    }
    if let Some(before) = right.strip_suffix("close")
        && let Some(reply) = before.trim_end().strip_suffix(';')
    {
        let reply = reply.trim_end();
        return ((!reply.is_empty()).then_some(reply), true);
    }
    ((!right.is_empty()).then_some(right), false)
}

fn parse_match(left: &str) -> Result<Match, RuleProblem> {
    if left.is_empty() {
        return Err(RuleProblem::NothingBefore);
    }
    if left == "*" {
        return Ok(Match::Any);
    }
    let Some((kind, value)) = left.split_once(':') else {
        return Err(RuleProblem::UnknownMatch(shorten(left, 40).into()));
    };
    let value = value.trim();
    match kind.trim().to_ascii_lowercase().as_str() {
        "exact" => Ok(Match::Exact(value.to_string())),
        "contains" => Ok(Match::Contains(value.to_string())),
        "regex" => regex::RegexBuilder::new(value)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map(Match::Regex)
            .map_err(|e| RuleProblem::BadRegex(e.to_string())),
        "hex" => match codec::parse_hex(value) {
            Ok(bytes) if bytes.is_empty() => Err(RuleProblem::EmptyHex),
            Ok(bytes) => Ok(Match::HexPrefix(bytes)),
            Err(e) => Err(RuleProblem::BadHex(e)),
        },
        _ => Err(RuleProblem::UnknownKind(shorten(kind.trim(), 40).into())),
    }
}

impl Rules {
    /// Parses rules written one per line:
    ///   `exact:ping => pong`
    ///   `contains:hello => hi {peer}`
    ///   `regex:^GET (\S+) => HTTP/1.0 200 OK\r\n\r\nyou asked for {1}`
    ///   `hex:01 02 => \x06`            (hex prefix, spaces optional)
    ///   `* => {upper}`                 (any message)
    ///   `exact:exit => close`          (the word `close` alone: close without reply)
    ///   `exact:bye => see you {peer} ; close`   (reply, then close)
    ///   `greeting => welcome!`         (sent when a TCP client connects)
    ///
    /// Blank lines and lines starting with `#` are ignored. The separator is the first ` => `
    /// (with spaces). Errors: missing ` => `, unknown matcher kind, bad regex (with the regex
    /// crate's message), bad hex, a reply template with an unknown {placeholder} or an unclosed
    /// `{`, bad escape in the template. At most 1000 rules; lines longer than 10,000 characters
    /// refused. Never panics.
    pub fn parse(text: &str) -> Result<Rules, RuleError> {
        let mut rules = Rules::default();
        let mut greeting_line = 0;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (index, line) in text.lines().enumerate() {
            let number = index + 1;
            let err = |problem: RuleProblem| RuleError {
                line: number,
                message: crate::i18n::rule_problem(crate::i18n::Lang::En, &problem),
                problem,
            };
            if line.chars().nth(MAX_LINE_CHARS).is_some() {
                return Err(err(RuleProblem::LineTooLong { chars: line.chars().count() }));
            }
            let trimmed = line.trim();
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            match parse_line(line).map_err(err)? {
                Line::Greeting(g) => {
                    if rules.greeting.is_some() {
                        return Err(err(RuleProblem::SecondGreeting { first: greeting_line }));
                    }
                    rules.greeting = Some(g);
                    greeting_line = number;
                }
                Line::Rule(rule) => {
                    if rules.rules.len() >= MAX_RULES {
                        return Err(err(RuleProblem::TooManyRules));
                    }
                    rules.rules.push(rule);
                }
            }
        }
        Ok(rules)
    }

    /// The rules equivalent to a built-in mode (for the UI's presets): None → empty; Echo →
    /// `* => {raw}`; Upper → `* => {ascii_upper}`; Timestamp → `* => [{time}]:{text}`; Hello →
    /// greeting `welcome!`, `exact:exit => close`, `* => hello, {text}!`.
    pub fn preset(mode: ReplyMode) -> Rules {
        let any = |template: &str| Rule::lenient(Match::Any, Some(template), false);
        let rules = |rules: Vec<Rule>| Rules { rules, greeting: None };
        match mode {
            ReplyMode::None => Rules::default(),
            ReplyMode::Echo => rules(vec![any("{raw}")]),
            ReplyMode::Upper => rules(vec![any("{ascii_upper}")]),
            ReplyMode::Timestamp => rules(vec![any("[{time}]:{text}")]),
            ReplyMode::Hello => Rules {
                rules: vec![Rule::lenient(Match::Exact("exit".to_string()), None, true), any("hello, {text}!")],
                greeting: Some("welcome!".to_string()),
            },
        }
    }

    /// The text form of `preset(mode)`, parseable by `parse` (used to fill the UI's editor).
    pub fn preset_text(mode: ReplyMode) -> String {
        match mode {
            ReplyMode::None => "",
            ReplyMode::Echo => "* => {raw}\n",
            ReplyMode::Upper => "* => {ascii_upper}\n",
            ReplyMode::Timestamp => "* => [{time}]:{text}\n",
            ReplyMode::Hello => "greeting => welcome!\nexact:exit => close\n* => hello, {text}!\n",
        }
        .to_string()
    }

    /// No rules and no greeting.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.greeting.is_none()
    }

    /// The greeting's bytes (template expanded with no message: {peer} and {time} work, others
    /// empty). None when there is no greeting or it comes out empty; an error when it has a
    /// character `encoding` cannot write.
    pub fn greeting(&self, encoding: Encoding, peer: Option<SocketAddr>) -> Result<Option<Vec<u8>>, Problem> {
        let Some(greeting) = self.greeting.as_deref() else { return Ok(None) };
        let bytes = render(&compile_lenient(greeting), &Message::new(None, encoding, peer), &[None; 9])?;
        Ok((!bytes.is_empty()).then_some(bytes))
    }

    /// The answer of the first matching rule; `ReplyAction::default()` if none matches. A reply
    /// that cannot be written in `encoding` is not sent: the action carries the problem instead
    /// (and still closes if the rule says so).
    pub fn respond(&self, data: &[u8], encoding: Encoding, peer: Option<SocketAddr>) -> ReplyAction {
        let msg = Message::new(Some(data), encoding, peer);
        for rule in &self.rules {
            let mut groups: [Option<&str>; 9] = [None; 9];
            let hit = match &rule.when {
                Match::Any => true,
                Match::Exact(s) => strip_newline(msg.text()) == s,
                Match::Contains(s) => msg.text().contains(s.as_str()),
                Match::HexPrefix(prefix) => data.starts_with(prefix),
                Match::Regex(re) => {
                    let wants_groups = rule
                        .parts()
                        .is_some_and(|p| p.iter().any(|part| matches!(part, Part::Field(Field::Capture(_)))));
                    if wants_groups {
                        match re.captures(msg.text()) {
                            Some(caps) => {
                                for (k, slot) in groups.iter_mut().enumerate() {
                                    *slot = caps.get(k + 1).map(|m| m.as_str());
                                }
                                true
                            }
                            None => false,
                        }
                    } else {
                        re.is_match(msg.text())
                    }
                }
            };
            if hit {
                return match rule.parts().map(|p| render(&p, &msg, &groups)).transpose() {
                    Ok(reply) => ReplyAction { reply, close: rule.close, problem: None },
                    Err(p) => ReplyAction { reply: None, close: rule.close, problem: Some(p) },
                };
            }
        }
        ReplyAction::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const U: Encoding = Encoding::Utf8;
    const G: Encoding = Encoding::Gbk;

    fn rules(text: &str) -> Rules {
        match Rules::parse(text) {
            Ok(r) => r,
            Err(e) => panic!("{text:?}: {e}"),
        }
    }

    fn reply(r: &Rules, data: &[u8]) -> Option<Vec<u8>> {
        r.respond(data, U, None).reply
    }

    fn peer() -> Option<SocketAddr> {
        Some("10.0.0.7:5555".parse().unwrap())
    }

    fn err(text: &str) -> RuleError {
        match Rules::parse(text) {
            Ok(r) => panic!("{text:?} parsed: {r:?}"),
            Err(e) => e,
        }
    }

    /// A text-like description of a rule, for comparing rule sets.
    fn describe(r: &Rules) -> (Vec<String>, Option<String>) {
        let rules = r
            .rules
            .iter()
            .map(|rule| {
                let when = match &rule.when {
                    Match::Any => "*".to_string(),
                    Match::Exact(s) => format!("exact:{s}"),
                    Match::Contains(s) => format!("contains:{s}"),
                    Match::Regex(re) => format!("regex:{}", re.as_str()),
                    Match::HexPrefix(b) => format!("hex:{}", codec::to_hex(b)),
                };
                format!("{when} => {:?} close={} parts={:?}", rule.reply, rule.close, rule.template.parts)
            })
            .collect();
        (rules, r.greeting.clone())
    }

    #[test]
    fn each_matcher() {
        let r =
            rules("exact:ping => pong\ncontains:hello => hi\nregex:^GET \\S+ => got\nhex:01 02 => \\x06\n* => other");
        assert_eq!(reply(&r, b"ping").unwrap(), b"pong");
        assert_eq!(reply(&r, b"oh hello there").unwrap(), b"hi");
        assert_eq!(reply(&r, b"GET /index.html").unwrap(), b"got");
        assert_eq!(reply(&r, b"\x01\x02\x03").unwrap(), b"\x06");
        assert_eq!(reply(&r, b"\x01\x03").unwrap(), b"other");
        assert_eq!(reply(&r, b"pingpong").unwrap(), b"other");
        assert_eq!(reply(&r, b"POST /").unwrap(), b"other");
        assert_eq!(reply(&r, b"").unwrap(), b"other");
    }

    #[test]
    fn no_match_is_default() {
        let r = rules("exact:ping => pong");
        assert_eq!(r.respond(b"pong", U, None), ReplyAction::default());
        assert_eq!(Rules::default().respond(b"x", U, None), ReplyAction::default());
    }

    #[test]
    fn first_match_wins() {
        let r = rules("contains:a => first\ncontains:ab => second\n* => third");
        assert_eq!(reply(&r, b"ab").unwrap(), b"first");
        assert_eq!(reply(&r, b"b").unwrap(), b"third");
        let r = rules("* => any\nexact:x => never");
        assert_eq!(reply(&r, b"x").unwrap(), b"any");
    }

    #[test]
    fn exact_ignores_one_trailing_newline() {
        let r = rules("exact:ping => pong");
        for yes in ["ping", "ping\n", "ping\r\n"] {
            assert_eq!(reply(&r, yes.as_bytes()).as_deref(), Some(&b"pong"[..]), "{yes:?}");
        }
        for no in ["ping\n\n", "ping\r\n\r\n", " ping", "Ping", "ping ", "pin", "\nping"] {
            assert_eq!(reply(&r, no.as_bytes()), None, "{no:?}");
        }
        // The empty line nc sends when the user just presses Enter.
        let r = rules("exact: => empty");
        assert_eq!(reply(&r, b"\n").unwrap(), b"empty");
        assert_eq!(reply(&r, b"x\n"), None);
    }

    #[test]
    fn values_are_trimmed_and_kinds_case_insensitive() {
        let r = rules("  Exact:  ping   => pong\nCONTAINS: b  => has b");
        assert_eq!(reply(&r, b"ping").unwrap(), b"pong");
        assert_eq!(reply(&r, b"abc").unwrap(), b"has b");
        // The separator is the first ` => `.
        let r = rules("exact:a => b => c");
        assert_eq!(reply(&r, b"a").unwrap(), b"b => c");
    }

    #[test]
    fn regex_captures() {
        let r =
            rules("regex:^GET (\\S+)( HTTP/(\\d\\.\\d))? => HTTP/1.0 200 OK\\r\\n\\r\\nyou asked for {1} v{3}[{9}]");
        assert_eq!(reply(&r, b"GET /a HTTP/1.1\r\n").unwrap(), b"HTTP/1.0 200 OK\r\n\r\nyou asked for /a v1.1[]");
        // An optional group that did not take part is empty.
        assert_eq!(reply(&r, b"GET /b").unwrap(), b"HTTP/1.0 200 OK\r\n\r\nyou asked for /b v[]");
        assert_eq!(reply(&r, b"PUT /b"), None);
        // Captures in a rule that is not a regex are empty.
        let r = rules("contains:x => [{1}]");
        assert_eq!(reply(&r, b"x").unwrap(), b"[]");
        // Named groups count by position; all nine work.
        let r = rules("regex:(?<a>.)(.)(.)(.)(.)(.)(.)(.)(.) => {9}{8}{7}{6}{5}{4}{3}{2}{1}");
        assert_eq!(reply(&r, b"123456789").unwrap(), b"987654321");
        // GBK captures come back in GBK.
        let r = rules("regex:^name=(.+)$ => 你好，{1}");
        let out = r.respond(&G.encode("name=张三").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("你好，张三").unwrap());
    }

    #[test]
    fn hex_prefix() {
        let r = rules("hex:0x01,0x02 => one-two\nhex:ff => \\xff\\x00\nhex:0102 => never");
        assert_eq!(reply(&r, &[1, 2]).unwrap(), b"one-two");
        assert_eq!(reply(&r, &[1, 2, 9, 9]).unwrap(), b"one-two");
        assert_eq!(reply(&r, &[1]), None);
        assert_eq!(reply(&r, &[0xff, 0xfe]).unwrap(), [0xff, 0]);
        assert_eq!(reply(&r, &[0xfe, 0xff]), None);
        // Raw bytes in a GBK reply are not re-encoded.
        assert_eq!(r.respond(&[0xff], G, None).reply.unwrap(), [0xff, 0]);
    }

    #[test]
    fn greeting() {
        let r = rules("greeting => welcome {peer}!\\r\\n");
        assert_eq!(r.greeting(U, peer()).unwrap().unwrap(), b"welcome 10.0.0.7:5555!\r\n");
        assert_eq!(r.greeting(U, None).unwrap().unwrap(), b"welcome !\r\n");
        assert!(r.rules.is_empty());
        assert!(!r.is_empty());
        assert_eq!(r.respond(b"x", U, None), ReplyAction::default());
        // Without a message only {peer} and {time} say something.
        let r = rules("greeting => [{text}{upper}{lower}{raw}{hex}{len}{1}] {time}");
        let g = String::from_utf8(r.greeting(U, None).unwrap().unwrap()).unwrap();
        assert_eq!(g.len(), "[] 2026-01-01 00:00:00".len(), "{g}");
        assert!(g.starts_with("[] "), "{g}");
        assert_eq!(Rules::default().greeting(U, None), Ok(None));
        assert!(Rules::default().is_empty());
        let r = rules("greeting => 欢迎");
        assert_eq!(r.greeting(G, None).unwrap().unwrap(), G.encode("欢迎").unwrap());
        // A greeting that comes out empty is not sent.
        let r = rules("greeting => {text}");
        assert_eq!(r.greeting(U, peer()), Ok(None));
    }

    #[test]
    fn close_with_and_without_reply() {
        let r = rules("exact:exit => close\nexact:bye => see you {peer} ; close\nexact:quit => bye;close\n* => ok");
        assert_eq!(r.respond(b"exit\n", U, peer()), ReplyAction { reply: None, close: true, problem: None });
        assert_eq!(
            r.respond(b"bye", U, peer()),
            ReplyAction { reply: Some(b"see you 10.0.0.7:5555".to_vec()), close: true, problem: None }
        );
        assert_eq!(
            r.respond(b"quit", U, None),
            ReplyAction { reply: Some(b"bye".to_vec()), close: true, problem: None }
        );
        assert_eq!(r.respond(b"x", U, None), ReplyAction { reply: Some(b"ok".to_vec()), close: false, problem: None });
        assert!(r.rules[0].reply.is_none() && r.rules[0].close);
        assert_eq!(r.rules[1].reply.as_deref(), Some("see you {peer}"));
        // `; close` alone is a close without reply; `close` inside a reply is text.
        let r = rules("* =>  ; close");
        assert_eq!(r.respond(b"x", U, None), ReplyAction { reply: None, close: true, problem: None });
        let r = rules("* => please close the door\nexact:c => \\x63lose");
        assert_eq!(r.respond(b"x", U, None).reply.unwrap(), b"please close the door");
        let r = rules("exact:c => \\x63lose\n");
        assert_eq!(
            r.respond(b"c", U, None),
            ReplyAction { reply: Some(b"close".to_vec()), close: false, problem: None }
        );
    }

    #[test]
    fn every_placeholder() {
        let r = rules("* => t={text} u={upper} l={lower} h={hex} n={len} p={peer} r={raw} {{x}} a}b");
        let out = r.respond(b"Hi \xc3\xa9", U, peer()).reply.unwrap();
        assert_eq!(out, "t=Hi é u=HI É l=hi é h=48 69 20 c3 a9 n=5 p=10.0.0.7:5555 r=Hi é {x} a}b".as_bytes());
        // Without a peer.
        let r = rules("* => [{peer}]");
        assert_eq!(reply(&r, b"x").unwrap(), b"[]");
        // {time} is local time `YYYY-MM-DD HH:MM:SS`.
        let r = rules("* => {time}");
        let t = String::from_utf8(reply(&r, b"x").unwrap()).unwrap();
        assert_eq!(t.len(), 19, "{t}");
        assert!(jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", &t).is_ok(), "{t}");
        // Escapes.
        let r = rules("* => a\\r\\n\\t\\0\\\\\\x41\\x7f");
        assert_eq!(reply(&r, b"x").unwrap(), b"a\r\n\t\0\\A\x7f");
        // Trailing spaces are dropped, leading ones after ` => ` kept.
        let r = rules("* =>  x  \t");
        assert_eq!(reply(&r, b"x").unwrap(), b" x");
    }

    #[test]
    fn non_text_bytes() {
        let bytes = [0xff, 0xfe, b'a', 0x80, 0];
        let r = rules("* => {raw}");
        assert_eq!(reply(&r, &bytes).unwrap(), bytes);
        assert_eq!(r.respond(&bytes, G, None).reply.unwrap(), bytes);
        let r = rules("* => {upper}|{lower}|{text}");
        assert_eq!(reply(&r, &[0xff, b'a', b'B']).unwrap(), b"\xffAB|\xffab|\xffaB", "{{text}} keeps the bytes");
    }

    #[test]
    fn gbk_in_and_out() {
        let r = rules("exact:你好 => 再见\ncontains:世界 => {text}!\n* => {upper}");
        let out = r.respond(&G.encode("你好").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("再见").unwrap());
        assert_eq!(out, [0xd4, 0xd9, 0xbc, 0xfb]);
        let out = r.respond(&G.encode("你好\r\n").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("再见").unwrap());
        let out = r.respond(&G.encode("hi 世界").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("hi 世界!").unwrap());
        let out = r.respond(&G.encode("abc中文").unwrap(), G, None).reply.unwrap();
        assert_eq!(out, G.encode("ABC中文").unwrap());
        // The same rules in UTF-8 see UTF-8.
        assert_eq!(reply(&r, "你好".as_bytes()).unwrap(), "再见".as_bytes());
        // GBK bytes read as UTF-8 are not 你好.
        assert_eq!(reply(&r, &G.encode("你好").unwrap()).unwrap(), G.encode("你好").unwrap());
    }

    #[test]
    fn text_is_the_message_bytes_and_a_capture_gbk_cannot_write_is_reported() {
        let r = rules("* => <{text}>");
        for data in [vec![0x81, b'a'], vec![0x81, 0x30, 0x81, 0x30], vec![0xff, 0xfe, b'x']] {
            for enc in Encoding::ALL {
                let got = r.respond(&data, enc, None).reply.unwrap();
                assert_eq!(got, [b"<".as_slice(), &data, b">"].concat(), "{enc:?} {data:x?}");
            }
        }
        // A capture of text that is not valid GBK holds U+FFFD, which GBK cannot write: reported.
        let r = rules("regex:^(.*)$ => [{1}]");
        let a = r.respond(&[0x81], Encoding::Gbk, None);
        assert_eq!(a.reply, None);
        assert_eq!(a.problem, Some(Problem::Unencodable('\u{fffd}', Encoding::Gbk)));
        assert_eq!(r.respond("你好".as_bytes(), Encoding::Utf8, None).reply.unwrap(), "[你好]".as_bytes());
    }

    #[test]
    fn case_placeholders_keep_every_other_byte_and_never_write_entities() {
        let r = rules("* => {upper}|{lower}");
        let both = |data: &[u8], enc: Encoding| r.respond(data, enc, None);
        // Unicode case in UTF-8 (Python's str.upper()), invalid bytes kept around it.
        assert_eq!(both("ß é\u{feff}a".as_bytes(), U).reply.unwrap(), "SS É\u{feff}A|ß é\u{feff}a".as_bytes());
        assert_eq!(both(b"\xe9a\xff", U).reply.unwrap(), b"\xe9A\xff|\xe9a\xff");
        // GBK: a leading UTF-8 BOM or UTF-16 BOM is data, not a hint to decode otherwise.
        let bom = [0xef, 0xbb, 0xbf, b'a', b'b'];
        assert_eq!(both(&bom, G).reply.unwrap(), [&bom[..3], b"aB|", &bom[..3], b"ab"].concat());
        let utf16 = [0xff, 0xfe, b'a', b'b', 0];
        assert_eq!(both(&utf16, G).reply.unwrap(), b"\xff\xfeaB\0|\xff\xfeab\0");
        // A four-byte GB18030 character (U+0080) GBK cannot write is kept as it came.
        let four = [0x81, 0x30, 0x81, 0x30, b'x'];
        assert_eq!(both(&four, G).reply.unwrap(), b"\x81\x30\x81\x30X|\x81\x30\x81\x30x");
        // Letters GBK has in both cases change; Chinese and invalid bytes stay.
        let data = G.encode("abc中文 Σя").unwrap();
        let want = [G.encode("ABC中文 ΣЯ").unwrap(), b"|".to_vec(), G.encode("abc中文 σя").unwrap()].concat();
        assert_eq!(both(&data, G).reply.unwrap(), want);
        // GBK has ǐ and ǎ but not Ǐ: an error naming the character, nothing sent, no `&#463;`.
        let nihao = G.encode("nǐ hǎo").unwrap();
        assert_eq!(
            both(&nihao, G),
            ReplyAction { reply: None, close: false, problem: Some(Problem::Unencodable('Ǐ', G)) }
        );
        let lower = rules("* => {lower} ; close").respond(&nihao, G, None);
        assert_eq!(lower, ReplyAction { reply: Some(nihao.clone()), close: true, problem: None });
        // A template character GBK lacks is an error too, in a reply and in a greeting.
        let r = rules("greeting => hi 😀\n* => {raw} 😀 ; close");
        assert_eq!(
            r.respond(b"x", G, None),
            ReplyAction { reply: None, close: true, problem: Some(Problem::Unencodable('😀', G)) }
        );
        assert_eq!(r.greeting(G, None), Err(Problem::Unencodable('😀', G)));
        assert_eq!(r.greeting(U, None).unwrap().unwrap(), "hi 😀".as_bytes());
        // The ASCII forms are Python's bytes.upper() / bytes.lower(), whatever the encoding.
        let r = rules("* => {ascii_upper}|{ascii_lower}");
        for enc in Encoding::ALL {
            let data = [&nihao[..], "ß É".as_bytes(), &[0x81, 0x61, 0xff, 0xfe]].concat();
            let want = [data.to_ascii_uppercase(), b"|".to_vec(), data.to_ascii_lowercase()].concat();
            assert_eq!(r.respond(&data, enc, None).reply.unwrap(), want, "{enc:?}");
        }
    }

    #[test]
    fn presets_behave_like_reply_modes() {
        let inputs: Vec<Vec<u8>> = vec![
            b"hello".to_vec(),
            b"hello\n".to_vec(),
            b"exit".to_vec(),
            b"exit\n".to_vec(),
            b"exit\r\n".to_vec(),
            b"".to_vec(),
            b"\xff\xfeab\x00".to_vec(),
            "abc 你好 é".as_bytes().to_vec(),
            G.encode("ab你好").unwrap(),
            G.encode("exit").unwrap(),
        ];
        for mode in [ReplyMode::None, ReplyMode::Echo, ReplyMode::Upper, ReplyMode::Hello] {
            let r = Rules::preset(mode);
            for enc in Encoding::ALL {
                assert_eq!(r.greeting(enc, peer()), Ok(mode.greeting()), "{mode:?}");
                for data in &inputs {
                    assert_eq!(r.respond(data, enc, peer()), mode.respond(data, enc), "{mode:?} {enc:?} {data:?}");
                }
            }
        }
        let r = Rules::preset(ReplyMode::Timestamp);
        assert_eq!(r.greeting(U, None), Ok(None));
        for enc in Encoding::ALL {
            for data in &inputs {
                let want = ReplyMode::Timestamp.respond(data, enc);
                let got = r.respond(data, enc, None);
                assert!(!got.close && !want.close);
                let (got, want) = (got.reply.unwrap(), want.reply.unwrap());
                // `[YYYY-MM-DD HH:MM:SS]:` then the text; only the time may differ.
                assert_eq!(got.len(), want.len(), "{data:?}");
                assert_eq!(got[0], b'[');
                assert_eq!(&got[20..], &want[20..], "{data:?}");
            }
        }
        assert!(Rules::preset(ReplyMode::None).is_empty());
    }

    #[test]
    fn preset_text_parses_to_preset() {
        for mode in ReplyMode::ALL {
            let parsed = rules(&Rules::preset_text(mode));
            assert_eq!(describe(&parsed), describe(&Rules::preset(mode)), "{mode:?}");
        }
        assert_eq!(Rules::preset_text(ReplyMode::Echo), "* => {raw}\n");
    }

    #[test]
    fn comments_blank_lines_and_line_endings() {
        let r = rules("\u{feff}# a comment\r\n\r\n   \n  # indented comment\r\nexact:a => b\r\n\n* => c  \r\n");
        assert_eq!(r.rules.len(), 2);
        assert_eq!(reply(&r, b"a").unwrap(), b"b");
        assert_eq!(reply(&r, b"z").unwrap(), b"c");
        assert!(rules("").is_empty());
        assert!(rules("# only\n\n").is_empty());
    }

    #[test]
    fn errors_name_the_line() {
        let e = err("exact:a => b\n\nping -> pong");
        assert_eq!(e.line, 3);
        assert!(e.message.contains("` => `"), "{e}");
        assert_eq!(e.to_string(), format!("line 3: {}", e.message));
        assert!(err("exact:a =>b").message.contains("` => `"));
        assert!(err("exact:a=> b").message.contains("` => `"));

        let e = err("# c\nstarts:x => y");
        assert_eq!(e.line, 2);
        assert_eq!(
            e.message,
            "unknown match `starts:`: use *, exact:TEXT, contains:TEXT, regex:PATTERN, hex:BYTES or greeting"
        );
        assert!(err("ping => pong").message.starts_with("unknown match `ping`"));
        assert!(err(" => pong").message.starts_with("nothing before ` => `"));

        let e = err("* => a\nregex:a(b => c");
        assert_eq!(e.line, 2);
        assert!(e.message.starts_with("bad regular expression: "), "{e}");
        assert!(e.message.contains("unclosed group"), "{e}");

        let e = err("hex:01 0g => x");
        assert_eq!(
            e,
            RuleError {
                line: 1,
                message: "bad hex after hex: — 'g' at position 5 is not a hex digit (0-9, a-f)".into(),
                problem: RuleProblem::BadHex(codec::CodecError::BadHexDigit { ch: 'g', pos: 4 }),
            }
        );
        assert!(err("hex:012 => x").message.contains("odd number"));
        assert_eq!(err("hex: => x").message, "hex: needs at least one byte, as in `hex:01 02`");

        let e = err("\n* => hi {name}");
        assert_eq!(e.line, 2);
        assert_eq!(
            e.message,
            "unknown placeholder {name} at column 9: use {text}, {upper}, {lower}, {ascii_upper}, {ascii_lower}, \
             {raw}, {hex}, {len}, {peer}, {time} or {1} to {9} (and {{ or }} for a literal brace)"
        );
        assert!(err("* => {0}").message.starts_with("unknown placeholder {0}"));
        assert!(err("* => {10}").message.starts_with("unknown placeholder {10}"));
        assert!(err("* => {}").message.starts_with("unknown placeholder {}"));
        assert!(err("* => {TEXT}").message.starts_with("unknown placeholder {TEXT}"));

        assert_eq!(err("* => a {text").message, "unclosed `{` at column 8: write {{ for a literal brace");
        assert_eq!(err("* => {te{xt}").message, "unclosed `{` at column 6: write {{ for a literal brace");
        assert_eq!(err("greeting => {").message, "unclosed `{` at column 13: write {{ for a literal brace");

        let e = err("* => ok\n* => a\\qb");
        assert_eq!(
            e,
            RuleError {
                line: 2,
                message: "bad escape `\\q` at column 7: use \\r, \\n, \\t, \\0, \\\\ or \\xHH (two hex digits)".into(),
                problem: RuleProblem::BadEscape { esc: "\\q".into(), at: Place::Column(7) },
            }
        );
        assert!(err("* => \\x4").message.starts_with("bad escape `\\x4` at column 6"));
        assert!(err("* => \\xzz").message.starts_with("bad escape `\\xzz` at column 6"));
        assert!(err("* => a\\").message.starts_with("bad escape `\\` at column 7"));
        assert!(err("exact:x => a ; close\n* => \\u").message.starts_with("bad escape"));

        assert_eq!(err("* => ").message, "nothing after ` => `: write a reply, or `close`");
        assert_eq!(
            err("greeting => hi ; close").message,
            "a greeting cannot close the connection; close in a rule for a message instead"
        );
        assert_eq!(
            err("greeting => a\n\ngreeting => b"),
            RuleError {
                line: 3,
                message: "a second greeting (the first is on line 1)".into(),
                problem: RuleProblem::SecondGreeting { first: 1 },
            }
        );
    }

    #[test]
    fn limits() {
        let many = "* => x\n".repeat(MAX_RULES);
        assert_eq!(rules(&many).rules.len(), MAX_RULES);
        // Comments and the greeting do not count.
        assert_eq!(rules(&format!("# c\ngreeting => g\n{many}")).rules.len(), MAX_RULES);
        let e = err(&format!("{many}* => y"));
        assert_eq!(
            e,
            RuleError {
                line: MAX_RULES + 1,
                message: "too many rules: at most 1000".into(),
                problem: RuleProblem::TooManyRules,
            }
        );

        let long = format!("* => {}", "é".repeat(MAX_LINE_CHARS - 5));
        assert_eq!(rules(&long).rules.len(), 1);
        let e = err(&format!("* => a\n{long}é"));
        assert_eq!(
            e,
            RuleError {
                line: 2,
                message: "the line has 10001 characters; at most 10000 are allowed".into(),
                problem: RuleProblem::LineTooLong { chars: 10_001 },
            }
        );
    }

    #[test]
    fn rule_new_and_changed_fields() {
        let rule = Rule::new(Match::Contains("a".into()), Some("got {text}".into()), false).unwrap();
        let mut r = Rules { rules: vec![rule], greeting: Some("hi {peer}".into()) };
        assert_eq!(reply(&r, b"xa").unwrap(), b"got xa");
        assert_eq!(r.greeting(U, peer()).unwrap().unwrap(), b"hi 10.0.0.7:5555");
        assert_eq!(
            Rule::new(Match::Any, Some("{nope}".into()), false).unwrap_err(),
            "unknown placeholder {nope} at position 1: use {text}, {upper}, {lower}, {ascii_upper}, {ascii_lower}, \
             {raw}, {hex}, {len}, \
             {peer}, {time} or {1} to {9} (and {{ or }} for a literal brace)"
        );
        // A reply changed after parsing is still used (a bad one is sent as written).
        r.rules[0].reply = Some("now {len}".into());
        assert_eq!(reply(&r, b"xa").unwrap(), b"now 2");
        r.rules[0].reply = Some("bad {".into());
        assert_eq!(reply(&r, b"xa").unwrap(), b"bad {");
        r.rules[0].reply = None;
        r.rules[0].close = true;
        assert_eq!(r.respond(b"a", U, None), ReplyAction { reply: None, close: true, problem: None });
    }
}
