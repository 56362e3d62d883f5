//! How a Rust type views the session object: which keys it takes, how it is
//! read from the object's entries, and what it changed.
//!
//! A view's type `T` reads the keys it names straight from their entries'
//! JSON text; the keys it does not name stay in the shared object and are
//! never touched. A change is found by comparing what `T` serializes to now
//! with what it serialized to when read (its baseline), key by key: so a
//! field the cookie did not hold that is still at its default is not a
//! change, and a field the cookie held keeps its text unless its value
//! changed.
//!
//! Serde tells which keys a type names: a derived `Deserialize` for a struct
//! calls `deserialize_struct` with its field names. [`shape_of`] runs `T`'s
//! `Deserialize` against a probe that records that call and stops, without
//! touching any data.

use std::fmt;

use serde::de::{DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{forward_to_deserialize_any, Deserializer};

pub(crate) use super::capture::{capture, WriteError};
use crate::wire::object::{Entry, Object};

/// How a type maps onto the session object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A map (or a struct with `#[serde(flatten)]`): it takes every key.
    Map,
    /// A struct: it takes the keys it names; the others are not its own.
    Struct(&'static [&'static str]),
    /// A number, string, sequence, tuple struct or enum: not an object, so it
    /// cannot be the session.
    NotAnObject,
}

/// How `T` maps onto the session object, found without any data.
pub(crate) fn shape_of<T: DeserializeOwned>() -> Shape {
    let mut probe = Probe(Shape::NotAnObject);
    // The probe always stops `T` with an error: only the recorded shape matters.
    let _ = T::deserialize(&mut probe);
    probe.0
}

struct Probe(Shape);

/// The probe's error: it carries nothing, so probing allocates nothing.
#[derive(Debug)]
struct ProbeError;

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("probe")
    }
}

impl std::error::Error for ProbeError {}

impl serde::de::Error for ProbeError {
    fn custom<M: fmt::Display>(_message: M) -> Self {
        ProbeError
    }
}

impl<'de> Deserializer<'de> for &mut Probe {
    type Error = ProbeError;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        Err(ProbeError)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, ProbeError> {
        self.0 = Shape::Struct(fields);
        Err(ProbeError)
    }

    fn deserialize_map<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, ProbeError> {
        self.0 = Shape::Map;
        Err(ProbeError)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, ProbeError> {
        // `struct Wrapper(Inner)` is whatever `Inner` is.
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct enum identifier ignored_any
    }
}

/// Reads `T` from the entries of `object` it takes.
pub(crate) fn parse<T: DeserializeOwned>(
    object: &Object,
    shape: Shape,
) -> Result<T, serde_json::Error> {
    // Straight from the cookie's text when it says what the object holds,
    // and no key taken out of it is one `T` would read.
    if let Some((text, hidden)) = object.verbatim() {
        let reads_hidden = |key: &str| match shape {
            Shape::Struct(fields) => fields.contains(&key),
            Shape::Map | Shape::NotAnObject => true,
        };
        if !hidden.iter().any(|key| reads_hidden(key)) {
            if let Ok(value) = serde_json::from_str(text) {
                return Ok(value);
            }
        }
    }
    T::deserialize(Entries { object, shape })
}

/// A deserializer that shows a type the object's entries it takes.
struct Entries<'a> {
    object: &'a Object,
    shape: Shape,
}

impl<'de> Deserializer<'de> for Entries<'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        let shape = self.shape;
        visitor.visit_map(EntryAccess {
            entries: Box::new(self.object.iter().filter(move |entry| takes(shape, entry))),
            value: None,
        })
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct seq tuple map struct
        tuple_struct enum identifier ignored_any
    }
}

/// Whether a view of `shape` takes this entry.
fn takes(shape: Shape, entry: &Entry<'_>) -> bool {
    match shape {
        Shape::Struct(fields) => fields.contains(&entry.key()),
        Shape::Map | Shape::NotAnObject => true,
    }
}

struct EntryAccess<'de> {
    entries: Box<dyn Iterator<Item = Entry<'de>> + 'de>,
    value: Option<Entry<'de>>,
}

impl<'de> MapAccess<'de> for EntryAccess<'de> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Self::Error> {
        let Some(entry) = self.entries.next() else {
            return Ok(None);
        };
        self.value = Some(entry);
        seed.deserialize(entry.key().into_deserializer()).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, Self::Error> {
        let entry = self
            .value
            .take()
            .ok_or_else(|| <serde_json::Error as serde::de::Error>::custom("value before key"))?;
        let mut json = serde_json::Deserializer::from_str(entry.json());
        let value = seed.deserialize(&mut json)?;
        json.end()?;
        Ok(value)
    }
}

/// The keys whose values differ between what a view serialized to when it
/// was read (`before`) and now: `Some(value)` to set, `None` to remove.
/// Both are the view's own serializations, so every key in them is the
/// view's, and mostly in the same order.
pub(crate) fn diff(before: &Object, now: &Object) -> Vec<(String, Option<String>)> {
    fn find<'a>(object: &'a Object, index: usize, key: &str) -> Option<Entry<'a>> {
        match object.at(index) {
            Some(entry) if entry.key() == key => Some(entry),
            _ => object.get(key),
        }
    }
    let removed = before
        .iter()
        .enumerate()
        .filter(|(index, entry)| find(now, *index, entry.key()).is_none())
        .map(|(_, entry)| (entry.key().to_owned(), None));
    let set = now
        .iter()
        .enumerate()
        .filter(|(index, entry)| {
            find(before, *index, entry.key()).is_none_or(|was| was.value() != entry.value())
        })
        .map(|(_, entry)| (entry.key().to_owned(), Some(entry.value().to_owned())));
    removed.chain(set).collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::{Deserialize, Serialize};
    use serde_json::{Map, Value};

    use super::*;

    #[derive(Deserialize, Serialize, Default, Debug, PartialEq)]
    struct Cart {
        #[serde(default)]
        items: Vec<String>,
        #[serde(default, rename = "total")]
        sum: u32,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Flat {
        id: u32,
        #[serde(flatten)]
        rest: Map<String, Value>,
    }

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Counter(usize);

    #[derive(Deserialize)]
    #[allow(dead_code)]
    struct Wrapper(Cart);

    #[test]
    fn shapes() {
        assert_eq!(shape_of::<Cart>(), Shape::Struct(&["items", "total"]));
        assert_eq!(shape_of::<Wrapper>(), Shape::Struct(&["items", "total"]));
        assert_eq!(shape_of::<Map<String, Value>>(), Shape::Map);
        assert_eq!(shape_of::<HashMap<String, u32>>(), Shape::Map);
        assert_eq!(shape_of::<Flat>(), Shape::Map);
        assert_eq!(shape_of::<Counter>(), Shape::NotAnObject);
        assert_eq!(shape_of::<u32>(), Shape::NotAnObject);
        assert_eq!(shape_of::<Vec<u8>>(), Shape::NotAnObject);
    }

    #[test]
    fn a_view_reads_the_keys_it_names() {
        let object = Object::parse(r#"{"a":[1],"items":["x"],"total":3,"b":NaN}"#).unwrap();
        let cart: Cart = parse(&object, shape_of::<Cart>()).unwrap();
        assert_eq!(
            cart,
            Cart {
                items: vec!["x".into()],
                sum: 3
            }
        );
        let map: Map<String, Value> = parse(&object, Shape::Map).unwrap();
        assert_eq!(map.len(), 4);
        assert_eq!(map["b"], Value::Null);
    }

    #[test]
    fn keys_taken_out_of_the_object_are_not_read_from_its_text() {
        #[derive(Deserialize, Debug, PartialEq)]
        struct Claimy {
            a: u32,
            #[serde(default, rename = "_iat")]
            issued: Option<u64>,
        }
        let mut object = Object::parse(r#"{"a":1,"_iat":5}"#).unwrap();
        let shape = shape_of::<Claimy>();
        assert_eq!(parse::<Claimy>(&object, shape).unwrap().issued, Some(5));
        object.remove("_iat");
        assert_eq!(
            parse::<Claimy>(&object, shape).unwrap(),
            Claimy { a: 1, issued: None }
        );
        let map: Map<String, Value> = parse(&object, Shape::Map).unwrap();
        assert_eq!(map.len(), 1);
        // A set entry is not in the text at all: read from the entries.
        object.set("a", "2");
        assert_eq!(parse::<Claimy>(&object, shape).unwrap().a, 2);
    }

    #[test]
    fn only_what_changed_is_a_change() {
        let before = capture(&Cart::default()).unwrap();
        assert!(diff(&before, &capture(&Cart::default()).unwrap()).is_empty());
        let now = capture(&Cart {
            items: vec!["x".into()],
            sum: 0,
        })
        .unwrap();
        assert_eq!(
            diff(&before, &now),
            [("items".to_owned(), Some(r#"["x"]"#.to_owned()))]
        );
        let mut map = Map::new();
        map.insert("a".into(), Value::from(1));
        let before = capture(&map).unwrap();
        map.remove("a");
        map.insert("b".into(), Value::from(2));
        assert_eq!(
            diff(&before, &capture(&map).unwrap()),
            [
                ("a".to_owned(), None),
                ("b".to_owned(), Some("2".to_owned()))
            ]
        );
    }
}
