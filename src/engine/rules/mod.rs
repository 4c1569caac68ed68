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
//!
//! This module holds the rule set and the matching; `parse` reads rule lines and
//! `template` checks and expands reply templates.

mod parse;
mod template;

use std::borrow::Cow;
use std::net::SocketAddr;

use super::Problem;
use super::reply::{ReplyAction, ReplyMode};
use crate::codec::Encoding;
pub use parse::{Place, RuleError, RuleProblem};
use template::{Field, Message, Part, Template, compile_lenient, render};

/// At most this many rules in one set.
pub const MAX_RULES: usize = 1000;
/// Longest accepted line, in characters.
pub const MAX_LINE_CHARS: usize = 10_000;

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

impl Rule {
    #[cfg(any(test, feature = "test-support"))]
    /// A rule replying with `reply` (a template, see the module documentation); the error says
    /// what is wrong with the template (placed as a 1-based position in it).
    pub fn new(when: Match, reply: Option<String>, close: bool) -> Result<Rule, RuleProblem> {
        let template = Template::new(reply.as_deref()).map_err(|e| e.problem(Place::Position, 1))?;
        Ok(Rule { when, reply, close, template })
    }

    /// A rule whose template is known to be good (or is sent as written if not).
    #[cfg(any(test, feature = "test-support"))]
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

/// The text with one trailing `\n` or `\r\n` removed.
fn strip_newline(text: &str) -> &str {
    text.strip_suffix("\r\n").or_else(|| text.strip_suffix('\n')).unwrap_or(text)
}

impl Rules {
    #[cfg(any(test, feature = "test-support"))]
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
                        .is_some_and(|p| p.iter().any(|part| match part {
                            Part::Field(Field::Capture(_)) => true,
                            Part::Message(m) => m.uses_rx(),
                            _ => false,
                        }));
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
mod testing {
    //! Helpers shared by the tests of the rules modules.
    use super::*;

    pub const U: Encoding = Encoding::Utf8;
    pub const G: Encoding = Encoding::Gbk;

    pub fn rules(text: &str) -> Rules {
        match Rules::parse(text) {
            Ok(r) => r,
            Err(e) => panic!("{text:?}: {e:?}"),
        }
    }

    pub fn reply(r: &Rules, data: &[u8]) -> Option<Vec<u8>> {
        r.respond(data, U, None).reply
    }

    pub fn peer() -> Option<SocketAddr> {
        Some("10.0.0.7:5555".parse().unwrap())
    }

    pub fn err(text: &str) -> RuleError {
        match Rules::parse(text) {
            Ok(r) => panic!("{text:?} parsed: {r:?}"),
            Err(e) => e,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::codec;

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

    /// A reply with `${…}` fields is a message template: parts of the message, a count of
    /// the replies, a checksum; in GBK its Chinese text is written in GBK.
    #[test]
    fn message_template_replies() {
        let r = rules("regex:^(\\w+) => ${rx.1}#${seq} [${rx[0..2]}]${crc8}\\r\\n\n* => 收到${rx.line}");
        let first = reply(&r, b"hello world").unwrap();
        assert_eq!(&first[..first.len() - 3], b"hello#1 [he]");
        let crc = crate::codec::template::Checksum::Crc8.compute(b"hello#1 [he]");
        assert_eq!(&first[first.len() - 3..], [crc as u8, b'\r', b'\n']);
        assert!(reply(&r, b"again").unwrap().starts_with(b"again#2 "));
        let msg = Encoding::Gbk.encode("!好\nx").unwrap();
        let gbk = r.respond(&msg, Encoding::Gbk, None).reply.unwrap();
        assert_eq!(gbk, Encoding::Gbk.encode("收到!好").unwrap());
        let bad = Rules::parse("* => x ${nope}").unwrap_err();
        let name = crate::codec::template::TemplateProblem::UnknownField { name: "nope".into() };
        assert_eq!(bad.problem, RuleProblem::Template { problem: name, at: Place::Column(8) });
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
}
