//! Reading rule lines (`MATCH => REPLY`) into a [`Rules`] set, and why a line is refused.

use super::template::{Template, compile, shorten};
use super::{MAX_LINE_CHARS, MAX_RULES, Match, Rule, Rules};
use crate::codec;

/// Compiled size limit of one regular expression (bytes), so a rule set stays small.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Why a rule line cannot be used: the 1-based line number and what is wrong, as data (the
/// faces put it in words in the user's language: `crate::i18n::rule_error`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuleError {
    pub line: usize,
    pub problem: RuleProblem,
}

/// Where in a line a template problem is: a 1-based column of the line, or a 1-based position
/// in a template given alone ([`Rule::new`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Column(usize),
    #[cfg_attr(
        not(any(test, feature = "test-support")),
        allow(dead_code, reason = "made by `Rule::new`, a constructor for the tests")
    )]
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
    /// A reply with `${…}` fields that is not a good message template.
    Template {
        problem: crate::codec::template::TemplateProblem,
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
            let err = |problem: RuleProblem| RuleError { line: number, problem };
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
}

#[cfg(test)]
mod tests {
    use super::super::testing::*;
    use super::super::*;
    use super::*;

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
        let problem = |text: &str| err(text).problem;
        let e = err("exact:a => b\n\nping -> pong");
        assert_eq!(e, RuleError { line: 3, problem: RuleProblem::NoArrow });
        assert_eq!(problem("exact:a =>b"), RuleProblem::NoArrow);
        assert_eq!(problem("exact:a=> b"), RuleProblem::NoArrow);

        let e = err("# c\nstarts:x => y");
        assert_eq!(e, RuleError { line: 2, problem: RuleProblem::UnknownKind("starts".into()) });
        assert_eq!(problem("ping => pong"), RuleProblem::UnknownMatch("ping".into()));
        assert_eq!(
            problem(&format!("{} => pong", "p".repeat(50))),
            RuleProblem::UnknownMatch(format!("{}…", "p".repeat(40)))
        );
        assert_eq!(problem(" => pong"), RuleProblem::NothingBefore);

        let e = err("* => a\nregex:a(b => c");
        assert_eq!(e.line, 2);
        // The regex crate's own message.
        assert!(matches!(&e.problem, RuleProblem::BadRegex(m) if m.contains("unclosed group")), "{e:?}");

        let e = err("hex:01 0g => x");
        assert_eq!(
            e,
            RuleError { line: 1, problem: RuleProblem::BadHex(codec::CodecError::BadHexDigit { ch: 'g', pos: 4 }) }
        );
        assert!(matches!(problem("hex:012 => x"), RuleProblem::BadHex(codec::CodecError::OddHexLength { .. })));
        assert_eq!(problem("hex: => x"), RuleProblem::EmptyHex);

        let e = err("\n* => hi {name}");
        assert_eq!(
            e,
            RuleError {
                line: 2,
                problem: RuleProblem::UnknownPlaceholder { name: "name".into(), at: Place::Column(9) }
            }
        );
        for name in ["0", "10", "", "TEXT"] {
            assert_eq!(
                problem(&format!("* => {{{name}}}")),
                RuleProblem::UnknownPlaceholder { name: name.into(), at: Place::Column(6) }
            );
        }

        assert_eq!(problem("* => a {text"), RuleProblem::Unclosed { at: Place::Column(8) });
        assert_eq!(problem("* => {te{xt}"), RuleProblem::Unclosed { at: Place::Column(6) });
        assert_eq!(problem("greeting => {"), RuleProblem::Unclosed { at: Place::Column(13) });

        let e = err("* => ok\n* => a\\qb");
        assert_eq!(
            e,
            RuleError { line: 2, problem: RuleProblem::BadEscape { esc: "\\q".into(), at: Place::Column(7) } }
        );
        let bad_escape = |esc: &str, col| RuleProblem::BadEscape { esc: esc.into(), at: Place::Column(col) };
        assert_eq!(problem("* => \\x4"), bad_escape("\\x4", 6));
        assert_eq!(problem("* => \\xzz"), bad_escape("\\xzz", 6));
        assert_eq!(problem("* => a\\"), bad_escape("\\", 7));
        assert_eq!(err("exact:x => a ; close\n* => \\u"), RuleError { line: 2, problem: bad_escape("\\u", 6) });

        assert_eq!(problem("* => "), RuleProblem::NothingAfter);
        assert_eq!(problem("greeting => hi ; close"), RuleProblem::GreetingCloses);
        assert_eq!(
            err("greeting => a\n\ngreeting => b"),
            RuleError { line: 3, problem: RuleProblem::SecondGreeting { first: 1 } }
        );
    }

    #[test]
    fn limits() {
        let many = "* => x\n".repeat(MAX_RULES);
        assert_eq!(rules(&many).rules.len(), MAX_RULES);
        // Comments and the greeting do not count.
        assert_eq!(rules(&format!("# c\ngreeting => g\n{many}")).rules.len(), MAX_RULES);
        let e = err(&format!("{many}* => y"));
        assert_eq!(e, RuleError { line: MAX_RULES + 1, problem: RuleProblem::TooManyRules });

        let long = format!("* => {}", "é".repeat(MAX_LINE_CHARS - 5));
        assert_eq!(rules(&long).rules.len(), 1);
        let e = err(&format!("* => a\n{long}é"));
        assert_eq!(e, RuleError { line: 2, problem: RuleProblem::LineTooLong { chars: 10_001 } });
    }

    #[test]
    fn rule_new_and_changed_fields() {
        let rule = Rule::new(Match::Contains("a".into()), Some("got {text}".into()), false).unwrap();
        let mut r = Rules { rules: vec![rule], greeting: Some("hi {peer}".into()) };
        assert_eq!(reply(&r, b"xa").unwrap(), b"got xa");
        assert_eq!(r.greeting(U, peer()).unwrap().unwrap(), b"hi 10.0.0.7:5555");
        assert_eq!(
            Rule::new(Match::Any, Some("{nope}".into()), false).unwrap_err(),
            RuleProblem::UnknownPlaceholder { name: "nope".into(), at: Place::Position(1) }
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
