//! JSON payloads made readable: checked by serde_json, then indented by walking the text, so
//! keys keep their order and numbers keep the digits they were sent with (`1.50` stays `1.50`).

/// Where a payload stops being JSON (1-based line and column, as serde_json counts).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonError {
    pub line: usize,
    pub column: usize,
    /// It ended in the middle of a value (else: a character that cannot be there).
    pub eof: bool,
}

/// Whether the payload looks like JSON: a `{` or `[` first (after white space).
pub fn looks_like_json(data: &[u8]) -> bool {
    data.iter().find(|b| !b.is_ascii_whitespace()).is_some_and(|b| matches!(b, b'{' | b'['))
}

/// The payload indented by two spaces a level, or where it is not valid JSON.
pub fn pretty(data: &[u8]) -> Result<String, JsonError> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(data) {
        let eof = e.classify() == serde_json::error::Category::Eof;
        return Err(JsonError { line: e.line(), column: e.column(), eof });
    }
    // Valid JSON is valid UTF-8.
    let text = String::from_utf8_lossy(data);
    let mut out = String::with_capacity(text.len() * 2);
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    let newline = |out: &mut String, depth: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", depth));
    };
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                out.push(c);
            }
            '{' | '[' => {
                out.push(c);
                // An empty object or array stays on one line.
                while chars.peek().is_some_and(|c| c.is_whitespace()) {
                    chars.next();
                }
                if let Some(&close @ ('}' | ']')) = chars.peek() {
                    out.push(close);
                    chars.next();
                } else {
                    depth += 1;
                    newline(&mut out, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            ',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            ':' => out.push_str(": "),
            c if c.is_whitespace() => {}
            c => out.push(c),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indents_keeping_order_and_digits() {
        let p = pretty(br#"{"z":1.50,"a":[1, {"s":"x,\"y\":[}"}],"e":{},"f":[ ]}"#).unwrap();
        assert_eq!(
            p,
            "{\n  \"z\": 1.50,\n  \"a\": [\n    1,\n    {\n      \"s\": \"x,\\\"y\\\":[}\"\n    }\n  ],\n  \"e\": {},\n  \"f\": []\n}"
        );
        assert_eq!(pretty(b"  [true,null]\n").unwrap(), "[\n  true,\n  null\n]");
    }

    #[test]
    fn says_where_it_stops_being_json() {
        assert_eq!(pretty(br#"{"a":"#), Err(JsonError { line: 1, column: 5, eof: true }));
        assert_eq!(pretty(b"{\n\"a\" 1}"), Err(JsonError { line: 2, column: 5, eof: false }));
        assert!(looks_like_json(b" \n{"));
        assert!(!looks_like_json(b"hello {"));
    }
}
