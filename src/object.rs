//! The session object and the Rust types that view it.
//!
//! The session is one JSON object. A view's type `T` reads it straight from
//! the cookie's JSON text in one pass: the keys `T` names go to `T`, every
//! other key is kept as its raw JSON text ([`RawValue`]), and writing puts
//! `T` and those raw values back together. No `serde_json::Value` tree is
//! built on the way, so a typed session costs what parsing and printing `T`
//! costs.
//!
//! Serde tells which keys a type names: a derived `Deserialize` for a struct
//! calls `deserialize_struct` with its field names. [`shape_of`] runs `T`'s
//! `Deserialize` against a probe that records that call and stops, without
//! touching any data.

use std::borrow::Cow;
use std::fmt;

use serde::de::{
    DeserializeOwned, DeserializeSeed, Error as _, IgnoredAny, IntoDeserializer, MapAccess, Visitor,
};
use serde::{forward_to_deserialize_any, Deserialize, Deserializer, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The session object, parsed into JSON values (the default map view).
pub(crate) type Object = Map<String, Value>;

/// Entries of the object kept as raw JSON text, in the order they came.
pub(crate) type RawEntries = Vec<(String, Box<RawValue>)>;

/// How a type maps onto the session object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// A map (or a struct with `#[serde(flatten)]`): it takes every key.
    Map,
    /// A struct: it takes the keys it names; the others are kept aside.
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

/// Which keys of the object a parse hands to the view's type.
#[derive(Clone, Copy)]
pub(crate) struct Keys<'a> {
    pub(crate) shape: Shape,
    /// Keys that carry the cookie's own claims (issue time, expiry): never
    /// the view's, set aside in [`Parsed::claims`].
    pub(crate) claims: &'a [&'a str],
    /// Keys that are claims unless their value is a string (PyJWT's `sub`
    /// and `jti`): a string is the view's as any other key.
    pub(crate) claims_unless_string: &'a [&'a str],
    /// Keep the keys the type does not name (views), or skip them (lookups).
    pub(crate) keep_rest: bool,
}

/// A view's value read from the object, and what it did not take.
pub(crate) struct Parsed<T> {
    pub(crate) value: T,
    /// The keys the type does not name, untouched.
    pub(crate) rest: RawEntries,
    /// Claim keys found in the object.
    pub(crate) claims: RawEntries,
}

/// Reads `T` from the JSON text of an object in one pass.
pub(crate) fn parse<T: DeserializeOwned>(
    json: &[u8],
    keys: Keys<'_>,
) -> Result<Parsed<T>, serde_json::Error> {
    let mut aside = Aside {
        keys,
        rest: RawEntries::new(),
        claims: RawEntries::new(),
    };
    let mut de = serde_json::Deserializer::from_slice(json);
    let value = T::deserialize(Split {
        de: &mut de,
        aside: &mut aside,
    })?;
    de.end()?;
    Ok(Parsed {
        value,
        rest: aside.rest,
        claims: aside.claims,
    })
}

/// The longest claim name (`_iat`): see [`crate::expiry`].
pub(crate) const CLAIM_LEN_MAX: usize = 4;

/// What a parse sets aside, and how it decides.
struct Aside<'a> {
    keys: Keys<'a>,
    rest: RawEntries,
    claims: RawEntries,
}

enum Route {
    View,
    Rest,
    Claim,
    /// A claim only if its value is not a string.
    MaybeClaim,
    Skip,
}

impl Aside<'_> {
    fn route(&self, key: &str) -> Route {
        // Every claim name is short: most keys are told apart by length.
        if key.len() <= CLAIM_LEN_MAX {
            if self.keys.claims.contains(&key) {
                return Route::Claim;
            }
            if self.keys.claims_unless_string.contains(&key) {
                return Route::MaybeClaim;
            }
        }
        self.route_data(key)
    }

    /// Where a key that is not a claim goes.
    fn route_data(&self, key: &str) -> Route {
        let named = match self.keys.shape {
            Shape::Struct(fields) => fields.contains(&key),
            Shape::Map | Shape::NotAnObject => true,
        };
        match (named, self.keys.keep_rest) {
            (true, _) => Route::View,
            (false, true) => Route::Rest,
            (false, false) => Route::Skip,
        }
    }
}

/// A JSON deserializer that shows a struct or map only the keys it takes.
struct Split<'a, 'b, 'k, 'de> {
    de: &'a mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
    aside: &'b mut Aside<'k>,
}

impl<'de> Deserializer<'de> for Split<'_, '_, '_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_any(visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.deserialize_map(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        self.de.deserialize_map(SplitVisitor {
            visitor,
            aside: self.aside,
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
        bytes byte_buf option unit unit_struct seq tuple
        tuple_struct enum identifier ignored_any
    }
}

struct SplitVisitor<'b, 'k, V> {
    visitor: V,
    aside: &'b mut Aside<'k>,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for SplitVisitor<'_, '_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.visitor.expecting(f)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        self.visitor.visit_map(SplitMap {
            map,
            aside: self.aside,
            pending: None,
        })
    }
}

/// The object's entries, minus those set aside.
struct SplitMap<'b, 'k, A> {
    map: A,
    aside: &'b mut Aside<'k>,
    /// The value of the key just handed to the view, when it had to be read
    /// first (a string `sub`).
    pending: Option<Value>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for SplitMap<'_, '_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(Key(key)) = self.map.next_key::<Key<'de>>()? {
            let mut route = self.aside.route(&key);
            let mut value = None;
            if let Route::MaybeClaim = route {
                let raw: Box<RawValue> = self.map.next_value()?;
                if !raw.get().starts_with('"') {
                    self.aside.claims.push((key.into_owned(), raw));
                    continue;
                }
                route = self.aside.route_data(&key);
                value = Some(raw);
            }
            match route {
                Route::View => {
                    if let Some(raw) = value {
                        let string = serde_json::from_str(raw.get()).map_err(A::Error::custom)?;
                        self.pending = Some(Value::String(string));
                    }
                    let key: &str = &key;
                    return seed.deserialize(key.into_deserializer()).map(Some);
                }
                Route::Rest => {
                    let value = match value {
                        Some(raw) => raw,
                        None => self.map.next_value()?,
                    };
                    self.aside.rest.push((key.into_owned(), value));
                }
                Route::Claim => {
                    let value = self.map.next_value()?;
                    self.aside.claims.push((key.into_owned(), value));
                }
                Route::Skip | Route::MaybeClaim => {
                    if value.is_none() {
                        let IgnoredAny = self.map.next_value()?;
                    }
                }
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.pending.take() {
            Some(value) => seed.deserialize(value).map_err(A::Error::custom),
            None => self.map.next_value_seed(seed),
        }
    }
}

/// An object key, borrowed from the JSON text unless it holds escapes.
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;

        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string key")
            }

            fn visit_borrowed_str<E>(self, key: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(key)))
            }

            fn visit_str<E>(self, key: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key.to_owned())))
            }

            fn visit_string<E>(self, key: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(key)))
            }
        }

        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Why a view's value could not be written as the session object.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// It did not serialize to a JSON object.
    NotAnObject,
    /// Serializing failed.
    Json(serde_json::Error),
}

/// Writes `value` (a JSON object) with the `rest` entries added, into `out`.
pub(crate) fn write<T: Serialize + ?Sized>(
    value: &T,
    rest: &[(String, Box<RawValue>)],
    out: &mut Vec<u8>,
) -> Result<(), WriteError> {
    let start = out.len();
    serde_json::to_writer(&mut *out, value).map_err(WriteError::Json)?;
    if out.get(start) != Some(&b'{') || out.last() != Some(&b'}') {
        out.truncate(start);
        return Err(WriteError::NotAnObject);
    }
    for (key, raw) in rest {
        push_entry(out, key, raw.get());
    }
    Ok(())
}

/// Adds `"key":value` (`value` being JSON text) to the object that `out`
/// ends with.
pub(crate) fn push_entry(out: &mut Vec<u8>, key: &str, value: &str) {
    out.pop(); // the closing brace
    if out.last() != Some(&b'{') {
        out.push(b',');
    }
    // Writing a string into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, key);
    out.push(b':');
    out.extend_from_slice(value.as_bytes());
    out.push(b'}');
}

/// `T` as a map of JSON values, for comparing keys one by one.
pub(crate) fn to_object<T: Serialize + ?Sized>(value: &T) -> Result<Object, WriteError> {
    match serde_json::to_value(value).map_err(WriteError::Json)? {
        Value::Object(object) => Ok(object),
        _ => Err(WriteError::NotAnObject),
    }
}

/// The session key holding the logged-in user's id, where muffin-session
/// keeps it.
pub const USER_ID_KEY: &str = "id";

/// The session key that holds the keyed digest of the logged-in user's
/// [`session_auth_hash`](crate::UserLoader::session_auth_hash), written at
/// login and checked whenever the user is loaded.
pub const AUTH_HASH_KEY: &str = "_auth";

/// The login an object holds: the user id and the session auth digest.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Login {
    /// Under [`USER_ID_KEY`].
    pub(crate) id: Option<Value>,
    /// Under [`AUTH_HASH_KEY`].
    pub(crate) auth_hash: Option<Value>,
}

/// The login stored in the object, read without keeping anything else.
/// Claim keys are set aside as in [`parse`], so the caller can tell they
/// were there. A key given twice counts as its last value, as in Python.
pub(crate) fn login(
    json: &[u8],
    claims: &[&str],
    claims_unless_string: &[&str],
) -> Result<(Login, RawEntries), serde_json::Error> {
    /// The two keys alone: every other key is skipped by the parse.
    struct LoginOnly(Login);

    impl<'de> Deserialize<'de> for LoginOnly {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct LoginVisitor;
            impl<'de> Visitor<'de> for LoginVisitor {
                type Value = LoginOnly;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<LoginOnly, A::Error> {
                    let mut login = Login::default();
                    while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                        let value = Some(map.next_value()?);
                        if key == USER_ID_KEY {
                            login.id = value;
                        } else {
                            login.auth_hash = value;
                        }
                    }
                    Ok(LoginOnly(login))
                }
            }
            deserializer.deserialize_map(LoginVisitor)
        }
    }

    let parsed = parse::<LoginOnly>(
        json,
        Keys {
            shape: Shape::Struct(&[USER_ID_KEY, AUTH_HASH_KEY]),
            claims,
            claims_unless_string,
            keep_rest: false,
        },
    )?;
    Ok((parsed.value.0, parsed.claims))
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    #[derive(Deserialize, Serialize, Default, Debug, PartialEq)]
    struct Cart {
        items: Vec<String>,
        #[serde(rename = "total")]
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

    const VIEW: Keys<'static> = Keys {
        shape: Shape::Struct(&["items", "total"]),
        claims: &["_iat"],
        claims_unless_string: &["sub"],
        keep_rest: true,
    };

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
    fn parse_sets_aside_other_keys_and_claims() {
        let json = br#"{"a":[1, 2],"items":["x"],"_iat":5,"sub":"s","total":3,"b\u0041":{"c":null},"sub":1}"#;
        let parsed = parse::<Cart>(json, VIEW).unwrap();
        assert_eq!(
            parsed.value,
            Cart {
                items: vec!["x".into()],
                sum: 3
            }
        );
        let rest: Vec<_> = parsed
            .rest
            .iter()
            .map(|(k, v)| (k.as_str(), v.get()))
            .collect();
        assert_eq!(
            rest,
            [("a", "[1, 2]"), ("sub", r#""s""#), ("bA", r#"{"c":null}"#)]
        );
        let claims: Vec<_> = parsed
            .claims
            .iter()
            .map(|(k, v)| (k.as_str(), v.get()))
            .collect();
        assert_eq!(claims, [("_iat", "5"), ("sub", "1")]);

        let mut out = Vec::new();
        write(&parsed.value, &parsed.rest, &mut out).unwrap();
        assert_eq!(
            std::str::from_utf8(&out).unwrap(),
            r#"{"items":["x"],"total":3,"a":[1, 2],"sub":"s","bA":{"c":null}}"#
        );
    }

    #[test]
    fn maps_take_every_key_but_claims() {
        let keys = Keys {
            shape: Shape::Map,
            ..VIEW
        };
        let parsed = parse::<Map<String, Value>>(br#"{"x":1,"_iat":2}"#, keys).unwrap();
        assert_eq!(parsed.value.len(), 1);
        assert!(parsed.rest.is_empty());
        assert_eq!(parsed.claims.len(), 1);
    }

    #[test]
    fn entries_join_an_empty_object() {
        let mut out = b"{}".to_vec();
        push_entry(&mut out, "a", "1");
        push_entry(&mut out, "b\"", "2");
        assert_eq!(out, br#"{"a":1,"b\"":2}"#);
    }

    #[test]
    fn non_objects_are_refused_when_written() {
        let mut out = Vec::new();
        assert!(matches!(
            write(&5, &[], &mut out),
            Err(WriteError::NotAnObject)
        ));
        assert!(out.is_empty());
    }

    #[test]
    fn the_login_is_found_alone() {
        let json = br#"{"a":{"b":1},"id":7,"_auth":"x","_iat":3,"id":8}"#;
        let (login, claims) = login(json, &["_iat"], &[]).unwrap();
        assert_eq!(login.id, Some(Value::from(8)));
        assert_eq!(login.auth_hash, Some(Value::from("x")));
        assert_eq!(claims.len(), 1);
        let (login, _) = super::login(br#"{"a":1}"#, &[], &[]).unwrap();
        assert_eq!(login, Login::default());
    }
}
