//! The session object: its top-level entries, in order, each kept as the
//! JSON text it came as, so that a key nobody changed is written back byte
//! for byte (see [`super::json`] for why that matters).

use serde::Serialize;
use serde_json::Value;

use super::json::{self, NotAnObject, RawEntry};

/// The session key holding the logged-in user's id, where muffin-session
/// keeps it.
pub const USER_ID_KEY: &str = "id";

/// The session key that holds the keyed digest of the logged-in user's
/// [`session_auth_hash`](crate::UserLoader::session_auth_hash), written at
/// login and checked whenever the user is loaded.
pub const AUTH_HASH_KEY: &str = "_auth";

/// Text of an entry: a span of the object's base text (as it came), or
/// its own (set since).
#[derive(Debug, Clone)]
enum Text {
    Base(usize, usize),
    Own(Box<str>),
}

/// One top-level entry.
#[derive(Debug, Clone)]
struct Slot {
    /// The key, decoded.
    key: Text,
    /// The key as written, quotes and escapes included; `None`: written
    /// by `serde_json` from `key`.
    raw_key: Option<(usize, usize)>,
    value: Text,
    /// The value's strict spelling, when it came in Python's dialect.
    strict: Option<Box<str>>,
}

/// The session object.
#[derive(Debug, Clone, Default)]
pub(crate) struct Object {
    /// The JSON text the object was read from: entries nobody changed are
    /// spans of it, so reading an object copies nothing.
    base: Box<str>,
    slots: Vec<Slot>,
    /// `base` is standard JSON holding exactly `slots` and `hidden`.
    verbatim: bool,
    /// Keys of `base` removed since it was read.
    hidden: Vec<Box<str>>,
}

/// One entry of an [`Object`], as its text.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry<'a> {
    key: &'a str,
    value: &'a str,
    strict: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub(crate) fn key(&self) -> &'a str {
        self.key
    }

    /// The value's text, as it will be written.
    pub(crate) fn value(&self) -> &'a str {
        self.value
    }

    /// The value as strict JSON, for `serde_json` to read.
    pub(crate) fn json(&self) -> &'a str {
        self.strict.unwrap_or(self.value)
    }

    /// The value parsed (numbers beyond 64 bits as floats).
    pub(crate) fn parsed(&self) -> Option<Value> {
        serde_json::from_str(self.json()).ok()
    }
}

impl Object {
    /// Reads an object's JSON text, standard or Python's. A key given twice
    /// keeps its first place and its last value, as Python's `json.loads`.
    pub(crate) fn parse(text: impl Into<Box<str>>) -> Result<Self, NotAnObject> {
        Self::read(text.into())
    }

    fn read(base: Box<str>) -> Result<Self, NotAnObject> {
        let mut slots: Vec<Slot> = Vec::with_capacity(16);
        let mut verbatim = true;
        // One bit per key length and first byte: a key whose bit is not set
        // yet cannot be given twice, and is not searched for.
        let mut seen = 0u64;
        json::entries(&base, |entry| {
            let slot = Self::slot(&base, &entry)?;
            let key = text_of(&base, &slot.key);
            let bit =
                1u64 << ((key.len() * 31 + usize::from(key.bytes().next().unwrap_or(0))) % 64);
            let given = (seen & bit != 0)
                .then(|| slots.iter().position(|old| text_of(&base, &old.key) == key))
                .flatten();
            seen |= bit;
            verbatim &= !entry.python && given.is_none();
            match given {
                Some(index) => slots[index] = slot,
                None => slots.push(slot),
            }
            Ok(())
        })?;
        Ok(Self {
            base,
            slots,
            verbatim,
            hidden: Vec::new(),
        })
    }

    /// The text the object was read from, if it still holds exactly this
    /// object's entries apart from the `hidden` keys (claims taken out):
    /// standard JSON, no key given twice, nothing set or removed since but
    /// those. A view can read it directly.
    pub(crate) fn verbatim(&self) -> Option<(&str, &[Box<str>])> {
        self.verbatim.then_some((&*self.base, &self.hidden[..]))
    }

    /// An entry of `base` as spans of it.
    fn slot(base: &str, entry: &RawEntry<'_>) -> Result<Slot, NotAnObject> {
        let span = |part: &str| {
            let start = part.as_ptr() as usize - base.as_ptr() as usize;
            (start, start + part.len())
        };
        let raw_key = span(entry.key);
        let key = if entry.key.contains('\\') {
            let spelled = if entry.python {
                serde_json::from_str(&json::strict(entry.key))
            } else {
                serde_json::from_str(entry.key)
            };
            let key: String = spelled.map_err(|_| NotAnObject)?;
            Text::Own(key.into())
        } else {
            Text::Base(raw_key.0 + 1, raw_key.1 - 1)
        };
        let (start, end) = span(entry.value);
        Ok(Slot {
            key,
            raw_key: Some(raw_key),
            value: Text::Base(start, end),
            strict: entry.python.then(|| json::strict(entry.value).into()),
        })
    }

    fn text<'a>(&'a self, text: &'a Text) -> &'a str {
        text_of(&self.base, text)
    }

    fn entry<'a>(&'a self, slot: &'a Slot) -> Entry<'a> {
        Entry {
            key: self.text(&slot.key),
            value: self.text(&slot.value),
            strict: slot.strict.as_deref(),
        }
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.slots
            .iter()
            .position(|slot| self.text(&slot.key) == key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<Entry<'_>> {
        Some(self.entry(&self.slots[self.position(key)?]))
    }

    /// The entry at `index`, in order.
    pub(crate) fn at(&self, index: usize) -> Option<Entry<'_>> {
        Some(self.entry(self.slots.get(index)?))
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = Entry<'_>> {
        self.slots.iter().map(|slot| self.entry(slot))
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Sets `key` to `value` (strict JSON text); an unchanged value keeps
    /// its entry as it was. Returns whether the object changed.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> bool {
        let index = self.position(key);
        if let Some(index) = index {
            if self.text(&self.slots[index].value) == value {
                return false;
            }
        }
        let slot = Slot {
            key: Text::Own(key.into()),
            raw_key: None,
            value: Text::Own(value.into()),
            strict: None,
        };
        self.verbatim = false;
        match index {
            Some(index) => self.slots[index] = slot,
            None => self.slots.push(slot),
        }
        true
    }

    /// Removes `key`; returns whether it was there.
    pub(crate) fn remove(&mut self, key: &str) -> bool {
        let Some(index) = self.position(key) else {
            return false;
        };
        self.slots.remove(index);
        if self.verbatim {
            self.hidden.push(key.into());
        }
        true
    }

    /// Removes `key`, returning its key and value text.
    pub(crate) fn take(&mut self, key: &str) -> Option<(String, String)> {
        let entry = self.get(key)?;
        let taken = (entry.key().to_owned(), entry.value().to_owned());
        self.remove(key);
        Some(taken)
    }

    /// Appends the object's JSON text to `out`.
    pub(crate) fn write(&self, out: &mut String) {
        out.push('{');
        for (index, slot) in self.slots.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            match slot.raw_key {
                Some(raw_key) => {
                    out.push_str(text_of(&self.base, &Text::Base(raw_key.0, raw_key.1)));
                }
                None => push_key(out, self.text(&slot.key)),
            }
            out.push(':');
            out.push_str(self.text(&slot.value));
        }
        out.push('}');
    }

    /// The login the object holds.
    pub(crate) fn login(&self) -> Login {
        Login {
            id: self.get(USER_ID_KEY).and_then(|entry| entry.parsed()),
            auth_hash: self.get(AUTH_HASH_KEY).and_then(|entry| entry.parsed()),
        }
    }
}

/// An object being written by `serde_json` entry by entry, each entry's
/// span recorded as it is written (see `state::capture`).
#[derive(Debug)]
pub(crate) struct Written {
    text: Vec<u8>,
    slots: Vec<Slot>,
    /// The key of the entry being written.
    key: Option<(Text, (usize, usize))>,
}

impl Written {
    pub(crate) fn with_capacity(capacity: usize) -> Self {
        let mut text = Vec::with_capacity(capacity);
        text.push(b'{');
        Self {
            text,
            slots: Vec::with_capacity(16),
            key: None,
        }
    }

    /// Starts an entry with a struct field's name.
    pub(crate) fn key(&mut self, key: &str) -> Result<(), serde_json::Error> {
        let start = self.start_entry();
        serde_json::to_writer(&mut self.text, key)?;
        let end = self.text.len();
        let decoded = if end - start == key.len() + 2 {
            Text::Base(start + 1, end - 1)
        } else {
            Text::Own(key.into())
        };
        self.key = Some((decoded, (start, end)));
        Ok(())
    }

    /// Starts an entry with a map's key, written as `serde_json` writes map
    /// keys: a string, or a number or `bool` in quotes.
    pub(crate) fn map_key<T: Serialize + ?Sized>(
        &mut self,
        key: &T,
    ) -> Result<(), serde_json::Error> {
        let start = self.start_entry();
        serde_json::to_writer(&mut self.text, key)?;
        if self.text.get(start) != Some(&b'"') {
            let bare = self.text.get(start..).unwrap_or_default();
            let scalar = bare == b"true"
                || bare == b"false"
                || bare
                    .iter()
                    .all(|byte| byte.is_ascii_digit() || b"-+.eE".contains(byte));
            if !scalar || bare.is_empty() {
                return Err(serde::ser::Error::custom("a map key must be a string"));
            }
            self.text.insert(start, b'"');
            self.text.push(b'"');
        }
        let end = self.text.len();
        let raw = self.text.get(start..end).unwrap_or_default();
        let decoded = if raw.contains(&b'\\') {
            let key: String = serde_json::from_slice(raw)?;
            Text::Own(key.into())
        } else {
            Text::Base(start + 1, end - 1)
        };
        self.key = Some((decoded, (start, end)));
        Ok(())
    }

    /// Writes the value of the entry whose key was just written.
    pub(crate) fn value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        let (key, raw_key) = self
            .key
            .take()
            .ok_or_else(|| serde::ser::Error::custom("a value without a key"))?;
        self.text.push(b':');
        let start = self.text.len();
        serde_json::to_writer(&mut self.text, value)?;
        self.slots.push(Slot {
            key,
            raw_key: Some(raw_key),
            value: Text::Base(start, self.text.len()),
            strict: None,
        });
        Ok(())
    }

    fn start_entry(&mut self) -> usize {
        if !self.slots.is_empty() {
            self.text.push(b',');
        }
        self.text.len()
    }

    /// The object written.
    pub(crate) fn into_object(mut self) -> Result<Object, NotAnObject> {
        self.text.push(b'}');
        let base = String::from_utf8(self.text).map_err(|_| NotAnObject)?;
        Ok(Object {
            base: base.into(),
            slots: self.slots,
            verbatim: true,
            hidden: Vec::new(),
        })
    }
}

impl PartialEq for Object {
    /// The same entries, in the same order, with the same text.
    fn eq(&self, other: &Self) -> bool {
        self.slots.len() == other.slots.len()
            && self
                .iter()
                .zip(other.iter())
                .all(|(a, b)| a.key() == b.key() && a.value() == b.value())
    }
}

impl Eq for Object {}

fn text_of<'a>(base: &'a str, text: &'a Text) -> &'a str {
    match text {
        Text::Base(start, end) => base.get(*start..*end).unwrap_or_default(),
        Text::Own(own) => own,
    }
}

/// Writes `key` as a JSON string.
fn push_key(out: &mut String, key: &str) {
    // Writing a string into a String cannot fail.
    out.push_str(&serde_json::to_string(key).unwrap_or_default());
}

/// Adds `"key":value` (`value` being JSON text) to the object that `out`
/// ends with.
pub(crate) fn push_entry(out: &mut String, key: &str, value: &str) {
    out.pop(); // the closing brace
    if !out.ends_with('{') {
        out.push(',');
    }
    push_key(out, key);
    out.push(':');
    out.push_str(value);
    out.push('}');
}

/// The login an object holds: the user id and the session auth digest.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Login {
    /// Under [`USER_ID_KEY`].
    pub(crate) id: Option<Value>,
    /// Under [`AUTH_HASH_KEY`].
    pub(crate) auth_hash: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(object: &Object) -> String {
        let mut out = String::new();
        object.write(&mut out);
        out
    }

    #[test]
    fn entries_nobody_changed_are_written_as_they_came() {
        let text = r#"{"s":"\ud800","n":NaN,"p":"\ud83d\ude00","big":123456789012345678901234567890,"z":-0.0}"#;
        let mut object = Object::parse(text).unwrap();
        assert_eq!(written(&object), text);
        assert_eq!(
            object.get("s").unwrap().parsed(),
            Some(Value::from("\u{fffd}"))
        );
        assert_eq!(object.get("n").unwrap().parsed(), Some(Value::Null));
        assert_eq!(object.get("p").unwrap().parsed(), Some(Value::from("😀")));
        object.set("rust", "true");
        object.set("z", "-0.0");
        assert_eq!(written(&object), text.replace('}', "") + r#","rust":true}"#);
        object.remove("s");
        assert!(!written(&object).contains("ud800"));
    }

    #[test]
    fn a_key_given_twice_keeps_its_first_place_and_last_value() {
        let object = Object::parse(r#"{"id":1,"a":2,"id":3}"#).unwrap();
        assert_eq!(written(&object), r#"{"id":3,"a":2}"#);
        assert_eq!(object.login().id, Some(Value::from(3)));
    }

    #[test]
    fn entries_join_an_empty_object() {
        let mut out = "{}".to_owned();
        push_entry(&mut out, "a", "1");
        push_entry(&mut out, "b\"", "2");
        assert_eq!(out, r#"{"a":1,"b\"":2}"#);
    }
}
