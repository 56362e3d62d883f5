//! The session object: its top-level entries, in order, each kept as the
//! JSON text it came as, so that a key nobody changed is written back byte
//! for byte (see [`super::json`] for why that matters).

use serde_json::Value;

use super::json::{self, NotAnObject};

/// The session key holding the logged-in user's id, where muffin-session
/// keeps it.
pub const USER_ID_KEY: &str = "id";

/// The session key that holds the keyed digest of the logged-in user's
/// [`session_auth_hash`](crate::UserLoader::session_auth_hash), written at
/// login and checked whenever the user is loaded.
pub const AUTH_HASH_KEY: &str = "_auth";

/// One top-level entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    key: String,
    /// `"key":value`, as it came or as `serde_json` wrote it.
    text: String,
    /// Where the value starts in `text`.
    value_at: usize,
    /// The value's strict spelling, when it came in Python's dialect.
    strict: Option<String>,
}

impl Entry {
    fn new(key: String, key_text: &str, value: &str, strict: Option<String>) -> Self {
        let mut text = String::with_capacity(key_text.len() + 1 + value.len());
        text.push_str(key_text);
        text.push(':');
        text.push_str(value);
        Self {
            key,
            text,
            value_at: key_text.len() + 1,
            strict,
        }
    }

    pub(crate) fn key(&self) -> &str {
        &self.key
    }

    /// The value's text, as it will be written.
    pub(crate) fn value(&self) -> &str {
        self.text.get(self.value_at..).unwrap_or_default()
    }

    /// The value as strict JSON, for `serde_json` to read.
    pub(crate) fn json(&self) -> &str {
        self.strict.as_deref().unwrap_or_else(|| self.value())
    }

    /// The value parsed (numbers beyond 64 bits as floats).
    pub(crate) fn parsed(&self) -> Option<Value> {
        serde_json::from_str(self.json()).ok()
    }
}

/// The session object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Object {
    entries: Vec<Entry>,
}

impl Object {
    /// Reads an object's JSON text, standard or Python's. A key given twice
    /// keeps its first place and its last value, as Python's `json.loads`.
    pub(crate) fn parse(text: &str) -> Result<Self, NotAnObject> {
        let raw = json::entries(text)?;
        let mut object = Self {
            entries: Vec::with_capacity(raw.len()),
        };
        for entry in raw {
            let key = if entry.python {
                serde_json::from_str(&json::strict(entry.key))
            } else {
                serde_json::from_str(entry.key)
            };
            let key: String = key.map_err(|_| NotAnObject)?;
            let strict = entry.python.then(|| json::strict(entry.value));
            let entry = Entry::new(key, entry.key, entry.value, strict);
            match object.position(&entry.key) {
                Some(index) => object.entries[index] = entry,
                None => object.entries.push(entry),
            }
        }
        Ok(object)
    }

    fn position(&self, key: &str) -> Option<usize> {
        self.entries.iter().position(|entry| entry.key == key)
    }

    pub(crate) fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `key` to `value` (strict JSON text); an unchanged value keeps
    /// its entry as it was. Returns whether the object changed.
    pub(crate) fn set(&mut self, key: &str, value: &str) -> bool {
        let index = self.position(key);
        if index.is_some_and(|index| self.entries[index].value() == value) {
            return false;
        }
        // Writing a string into a String cannot fail.
        let key_text = serde_json::to_string(key).unwrap_or_default();
        let entry = Entry::new(key.to_owned(), &key_text, value, None);
        match index {
            Some(index) => self.entries[index] = entry,
            None => self.entries.push(entry),
        }
        true
    }

    /// Removes `key`, returning its entry.
    pub(crate) fn remove(&mut self, key: &str) -> Option<Entry> {
        let index = self.position(key)?;
        Some(self.entries.remove(index))
    }

    /// The object's JSON text.
    pub(crate) fn write(&self, out: &mut String) {
        out.push('{');
        for (index, entry) in self.entries.iter().enumerate() {
            if index > 0 {
                out.push(',');
            }
            out.push_str(&entry.text);
        }
        out.push('}');
    }

    /// The login the object holds.
    pub(crate) fn login(&self) -> Login {
        Login {
            id: self.get(USER_ID_KEY).and_then(Entry::parsed),
            auth_hash: self.get(AUTH_HASH_KEY).and_then(Entry::parsed),
        }
    }
}

/// Adds `"key":value` (`value` being JSON text) to the object that `out`
/// ends with.
pub(crate) fn push_entry(out: &mut String, key: &str, value: &str) {
    out.pop(); // the closing brace
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&serde_json::to_string(key).unwrap_or_default());
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
