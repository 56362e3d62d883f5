//! The JSON that muffin-session writes, read without losing a byte.
//!
//! Python's `json.dumps` writes a dialect of JSON that `serde_json` refuses:
//! `NaN`, `Infinity` and `-Infinity` bare, and strings holding lone
//! surrogates (`"\ud800"`, which Python strings may hold). A session a Python
//! app stored such a value in must still load, and keep that value byte for
//! byte when the Rust side changes other keys. So the session object is cut
//! into its top-level entries here, each kept as the text it came as, and a
//! value in Python's dialect also gets a strict spelling that `serde_json`
//! reads: `null` for the non-finite numbers (as `serde_json` writes them),
//! U+FFFD for a lone surrogate.
//!
//! This scanner is written by hand because no JSON crate both accepts
//! Python's dialect and gives the text of each entry (`serde_json` skips
//! lone surrogates as raw values, but refuses `NaN`, and does not give the
//! text of a key with escapes); it only validates and cuts, and every value
//! is still parsed by `serde_json`. It is as fast as `serde_json`'s own cut
//! into raw values (measured: 7k against 8.2k instructions for the bench's
//! 180-byte session).

/// How deep arrays and objects may nest inside the session object: what
/// `serde_json` reads (128 levels, the session object being one).
const MAX_DEPTH: usize = 127;

/// One top-level entry of an object, borrowed from its text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct RawEntry<'a> {
    /// The key's text, quotes and escapes included.
    pub(crate) key: &'a str,
    /// The value's text.
    pub(crate) value: &'a str,
    /// The key or the value uses Python's dialect: read it through
    /// [`strict`].
    pub(crate) python: bool,
}

/// The text is not a JSON object (in Python's dialect or the standard one).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NotAnObject;

/// Cuts a JSON object into its top-level entries and hands each to `each`,
/// in order (a key given twice, twice).
pub(crate) fn entries<'a>(
    text: &'a str,
    mut each: impl FnMut(RawEntry<'a>) -> Result<(), NotAnObject>,
) -> Result<(), NotAnObject> {
    let mut scan = Scanner {
        text: text.as_bytes(),
        at: 0,
        python: false,
    };
    scan.space();
    scan.expect(b'{')?;
    scan.space();
    if scan.peek() == Some(b'}') {
        scan.at += 1;
    } else {
        loop {
            scan.python = false;
            let key = scan.span(|scan| scan.string())?;
            scan.space();
            scan.expect(b':')?;
            scan.space();
            let value = scan.span(|scan| scan.value(1))?;
            each(RawEntry {
                key: slice(text, key),
                value: slice(text, value),
                python: scan.python,
            })?;
            scan.space();
            match scan.next() {
                Some(b',') => scan.space(),
                Some(b'}') => break,
                _ => return Err(NotAnObject),
            }
        }
    }
    scan.space();
    if scan.at != text.len() {
        return Err(NotAnObject);
    }
    Ok(())
}

/// The scanner only stops on ASCII bytes, so its spans are on character
/// boundaries.
fn slice(text: &str, (start, end): (usize, usize)) -> &str {
    text.get(start..end).unwrap_or_default()
}

struct Scanner<'a> {
    text: &'a [u8],
    at: usize,
    /// The entry being read uses Python's dialect.
    python: bool,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn expect(&mut self, byte: u8) -> Result<(), NotAnObject> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(NotAnObject)
        }
    }

    fn space(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.at += 1;
        }
    }

    fn span(
        &mut self,
        read: impl FnOnce(&mut Self) -> Result<(), NotAnObject>,
    ) -> Result<(usize, usize), NotAnObject> {
        let start = self.at;
        read(self)?;
        Ok((start, self.at))
    }

    fn value(&mut self, depth: usize) -> Result<(), NotAnObject> {
        if depth > MAX_DEPTH {
            return Err(NotAnObject);
        }
        match self.peek().ok_or(NotAnObject)? {
            b'"' => self.string(),
            b'{' => self.container(b'}', depth, true),
            b'[' => self.container(b']', depth, false),
            b't' => self.word("true"),
            b'f' => self.word("false"),
            b'n' => self.word("null"),
            b'N' => self.python_word("NaN"),
            b'I' => self.python_word("Infinity"),
            b'-' if self.text.get(self.at + 1) == Some(&b'I') => self.python_word("-Infinity"),
            _ => self.number(),
        }
    }

    fn container(&mut self, close: u8, depth: usize, keyed: bool) -> Result<(), NotAnObject> {
        self.at += 1;
        self.space();
        if self.peek() == Some(close) {
            self.at += 1;
            return Ok(());
        }
        loop {
            if keyed {
                self.string()?;
                self.space();
                self.expect(b':')?;
                self.space();
            }
            self.value(depth + 1)?;
            self.space();
            match self.next() {
                Some(b',') => self.space(),
                Some(byte) if byte == close => return Ok(()),
                _ => return Err(NotAnObject),
            }
        }
    }

    fn word(&mut self, word: &str) -> Result<(), NotAnObject> {
        if self.text[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(())
        } else {
            Err(NotAnObject)
        }
    }

    fn python_word(&mut self, word: &str) -> Result<(), NotAnObject> {
        self.python = true;
        self.word(word)
    }

    /// A JSON number: `-`? int frac? exp?. Any number of digits: Python's
    /// integers have no size limit.
    fn number(&mut self) -> Result<(), NotAnObject> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.next() {
            Some(b'0') => {}
            Some(b'1'..=b'9') => self.digits(),
            _ => return Err(NotAnObject),
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            self.some_digits()?;
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.at += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.at += 1;
            }
            self.some_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.at += 1;
        }
    }

    fn some_digits(&mut self) -> Result<(), NotAnObject> {
        let start = self.at;
        self.digits();
        if self.at == start {
            Err(NotAnObject)
        } else {
            Ok(())
        }
    }

    /// A string, with its escapes checked; a lone surrogate escape marks
    /// the entry as Python's.
    fn string(&mut self) -> Result<(), NotAnObject> {
        self.expect(b'"')?;
        loop {
            // Most of a string is plain text: skip to the next byte that is not.
            let rest = self.text.get(self.at..).unwrap_or_default();
            let plain = rest
                .iter()
                .position(|&byte| byte == b'"' || byte == b'\\' || byte < 0x20)
                .ok_or(NotAnObject)?;
            self.at += plain;
            match self.next().ok_or(NotAnObject)? {
                b'"' => return Ok(()),
                b'\\' => self.escape()?,
                _ => return Err(NotAnObject),
            }
        }
    }

    fn escape(&mut self) -> Result<(), NotAnObject> {
        match self.next().ok_or(NotAnObject)? {
            b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => Ok(()),
            b'u' => {
                let unit = self.hex4()?;
                if is_high_surrogate(unit) && self.text[self.at..].starts_with(b"\\u") {
                    let low = hex4(&self.text[self.at + 2..]);
                    if low.is_some_and(is_low_surrogate) {
                        self.at += 6;
                        return Ok(());
                    }
                }
                if is_high_surrogate(unit) || is_low_surrogate(unit) {
                    self.python = true;
                }
                Ok(())
            }
            _ => Err(NotAnObject),
        }
    }

    fn hex4(&mut self) -> Result<u16, NotAnObject> {
        let unit = hex4(&self.text[self.at..]).ok_or(NotAnObject)?;
        self.at += 4;
        Ok(unit)
    }
}

fn hex4(text: &[u8]) -> Option<u16> {
    let digits = std::str::from_utf8(text.get(..4)?).ok()?;
    if !digits.bytes().all(|byte| byte.is_ascii_hexdigit()) {
        return None;
    }
    u16::from_str_radix(digits, 16).ok()
}

fn is_high_surrogate(unit: u16) -> bool {
    (0xD800..0xDC00).contains(&unit)
}

fn is_low_surrogate(unit: u16) -> bool {
    (0xDC00..0xE000).contains(&unit)
}

/// The strict JSON spelling of text [`entries`] accepted: `NaN`,
/// `Infinity` and `-Infinity` become `null`, a lone surrogate escape
/// becomes `\ufffd`; everything else is copied.
pub(crate) fn strict(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let mut copied = 0;
    let mut in_string = false;
    while at < bytes.len() {
        let replace = if in_string {
            match bytes[at] {
                b'"' => {
                    in_string = false;
                    None
                }
                b'\\' if bytes.get(at + 1) == Some(&b'u') => match unicode_escape(&bytes[at..]) {
                    Escape::Lone => Some(("\\ufffd", 6)),
                    Escape::Plain(len) => {
                        at += len - 1;
                        None
                    }
                },
                // Any other escape is two bytes: skip the escaped one.
                b'\\' => {
                    at += 1;
                    None
                }
                _ => None,
            }
        } else {
            match bytes[at] {
                b'"' => {
                    in_string = true;
                    None
                }
                b'N' => Some(("null", "NaN".len())),
                b'I' => Some(("null", "Infinity".len())),
                b'-' if bytes.get(at + 1) == Some(&b'I') => Some(("null", "-Infinity".len())),
                _ => None,
            }
        };
        match replace {
            Some((with, len)) => {
                out.push_str(text.get(copied..at).unwrap_or_default());
                out.push_str(with);
                at += len;
                copied = at;
            }
            None => at += 1,
        }
    }
    out.push_str(text.get(copied..).unwrap_or_default());
    out
}

/// A `\u` escape: a lone surrogate, or text to copy (a surrogate pair
/// is one piece, so its low half is not taken for a lone one).
enum Escape {
    Lone,
    Plain(usize),
}

fn unicode_escape(escape: &[u8]) -> Escape {
    let Some(unit) = escape.get(2..).and_then(hex4) else {
        return Escape::Plain(2);
    };
    if is_high_surrogate(unit) {
        let low = escape.get(6..8) == Some(b"\\u")
            && escape.get(8..).and_then(hex4).is_some_and(is_low_surrogate);
        return if low { Escape::Plain(12) } else { Escape::Lone };
    }
    if is_low_surrogate(unit) {
        Escape::Lone
    } else {
        Escape::Plain(6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cut(text: &str) -> Vec<(&str, &str, bool)> {
        let mut found = Vec::new();
        entries(text, |entry| {
            found.push((entry.key, entry.value, entry.python));
            Ok(())
        })
        .unwrap();
        found
    }

    fn check(text: &str) -> Result<(), NotAnObject> {
        entries(text, |_| Ok(()))
    }

    #[test]
    fn entries_keep_their_text() {
        assert_eq!(cut("{}"), []);
        assert_eq!(cut(" { } "), []);
        assert_eq!(
            cut(r#"{"a": [1, {"b": "}"}], "c\"d":-1.5e+3,"e":null, "a":true}"#),
            [
                (r#""a""#, r#"[1, {"b": "}"}]"#, false),
                (r#""c\"d""#, "-1.5e+3", false),
                (r#""e""#, "null", false),
                (r#""a""#, "true", false),
            ]
        );
    }

    #[test]
    fn python_dialect_is_accepted_and_marked() {
        let text = r#"{"n":NaN,"i":[Infinity,-Infinity],"s":"\ud800","p":"\ud83d\ude00","big":123456789012345678901234567890,"z":-0.0,"nul":"\u0000","k\udc00":1}"#;
        assert_eq!(
            cut(text),
            [
                (r#""n""#, "NaN", true),
                (r#""i""#, "[Infinity,-Infinity]", true),
                (r#""s""#, r#""\ud800""#, true),
                (r#""p""#, r#""\ud83d\ude00""#, false),
                (r#""big""#, "123456789012345678901234567890", false),
                (r#""z""#, "-0.0", false),
                (r#""nul""#, r#""\u0000""#, false),
                (r#""k\udc00""#, "1", true),
            ]
        );
    }

    #[test]
    fn strict_spelling_is_read_by_serde_json() {
        for (python, strict_json) in [
            ("NaN", "null"),
            ("[Infinity,-Infinity, 1]", "[null,null, 1]"),
            (r#""\ud800x""#, r#""\ufffdx""#),
            (r#""\udc00\ud800""#, r#""\ufffd\ufffd""#),
            (r#""\ud83d\ude00""#, r#""\ud83d\ude00""#),
            (
                r#"{"NaN":"Infinity \\ud800"}"#,
                r#"{"NaN":"Infinity \\ud800"}"#,
            ),
            (r#""\"NaN""#, r#""\"NaN""#),
        ] {
            assert_eq!(strict(python), strict_json, "{python}");
            serde_json::from_str::<serde_json::Value>(&strict(python)).unwrap();
        }
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "[]",
            "1",
            "{",
            r#"{"a"}"#,
            r#"{"a":}"#,
            r#"{"a":1,}"#,
            r#"{"a":1} x"#,
            r#"{a:1}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":nan}"#,
            r#"{"a":"\x"}"#,
            r#"{"a":"\u12"}"#,
            "{\"a\":\"\n\"}",
            r#"{"a":[1 2]}"#,
        ] {
            assert_eq!(check(bad), Err(NotAnObject), "{bad}");
        }
        let deep = format!(r#"{{"a":{}{}}}"#, "[".repeat(200), "]".repeat(200));
        assert_eq!(check(&deep), Err(NotAnObject));
    }
}
