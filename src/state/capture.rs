//! What a view's value serializes to, entry by entry: `serde_json` writes
//! each top-level field, and the span of each entry is recorded as it is
//! written, so finding a view's changes never reads the text again.

use serde::ser::{self, Impossible, Serialize, Serializer};

use crate::wire::object::{Object, Written};

/// Why a view's value could not be written as the session object.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// It did not serialize to a JSON object.
    NotAnObject,
    /// Serializing failed.
    Json(serde_json::Error),
}

/// What `value` serializes to, as entries.
pub(crate) fn capture<T: Serialize + ?Sized>(value: &T) -> Result<Object, WriteError> {
    let mut capture = Capture {
        written: Written::with_capacity(512),
        not_an_object: false,
    };
    match value.serialize(&mut capture) {
        Ok(()) => capture
            .written
            .into_object()
            .map_err(|_| WriteError::NotAnObject),
        Err(_) if capture.not_an_object => Err(WriteError::NotAnObject),
        Err(error) => Err(WriteError::Json(error)),
    }
}

struct Capture {
    written: Written,
    /// The value was not a struct or a map.
    not_an_object: bool,
}

impl Capture {
    fn not_an_object<T>(&mut self) -> Result<T, serde_json::Error> {
        self.not_an_object = true;
        Err(ser::Error::custom("not a JSON object"))
    }
}

/// Refuses every kind of value but structs and maps.
macro_rules! not_an_object {
    ($($method:ident($($arg:ty),*);)*) => {
        $(
            fn $method(self, $(_: $arg),*) -> Result<(), serde_json::Error> {
                self.not_an_object()
            }
        )*
    };
}

impl<'a> Serializer for &'a mut Capture {
    type Ok = ();
    type Error = serde_json::Error;
    type SerializeSeq = Impossible<(), serde_json::Error>;
    type SerializeTuple = Impossible<(), serde_json::Error>;
    type SerializeTupleStruct = Impossible<(), serde_json::Error>;
    type SerializeTupleVariant = Impossible<(), serde_json::Error>;
    type SerializeMap = Fields<'a>;
    type SerializeStruct = Fields<'a>;
    type SerializeStructVariant = Impossible<(), serde_json::Error>;

    not_an_object! {
        serialize_bool(bool);
        serialize_i8(i8);
        serialize_i16(i16);
        serialize_i32(i32);
        serialize_i64(i64);
        serialize_u8(u8);
        serialize_u16(u16);
        serialize_u32(u32);
        serialize_u64(u64);
        serialize_f32(f32);
        serialize_f64(f64);
        serialize_char(char);
        serialize_str(&str);
        serialize_bytes(&[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(&'static str);
        serialize_unit_variant(&'static str, u32, &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _value: &T,
    ) -> Result<(), serde_json::Error> {
        self.not_an_object()
    }

    fn serialize_seq(self, _len: Option<usize>) -> Result<Self::SerializeSeq, serde_json::Error> {
        self.not_an_object()
    }

    fn serialize_tuple(self, _len: usize) -> Result<Self::SerializeTuple, serde_json::Error> {
        self.not_an_object()
    }

    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleStruct, serde_json::Error> {
        self.not_an_object()
    }

    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeTupleVariant, serde_json::Error> {
        self.not_an_object()
    }

    fn serialize_map(self, _len: Option<usize>) -> Result<Fields<'a>, serde_json::Error> {
        Ok(Fields {
            written: &mut self.written,
        })
    }

    fn serialize_struct(
        self,
        _name: &'static str,
        _len: usize,
    ) -> Result<Fields<'a>, serde_json::Error> {
        Ok(Fields {
            written: &mut self.written,
        })
    }

    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        _variant: &'static str,
        _len: usize,
    ) -> Result<Self::SerializeStructVariant, serde_json::Error> {
        self.not_an_object()
    }
}

/// The entries of a struct or a map, written one by one.
struct Fields<'a> {
    written: &'a mut Written,
}

impl ser::SerializeStruct for Fields<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.written.key(key)?;
        self.written.value(value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

impl ser::SerializeMap for Fields<'_> {
    type Ok = ();
    type Error = serde_json::Error;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), serde_json::Error> {
        self.written.map_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(
        &mut self,
        value: &T,
    ) -> Result<(), serde_json::Error> {
        self.written.value(value)
    }

    fn end(self) -> Result<(), serde_json::Error> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde::Serialize;
    use serde_json::{json, Map, Value};

    use super::*;

    fn text(object: &Object) -> String {
        let mut out = String::new();
        object.write(&mut out);
        out
    }

    #[test]
    fn entries_are_recorded_as_they_are_written() {
        #[derive(Serialize)]
        struct Cart {
            items: Vec<&'static str>,
            #[serde(rename = "to\"tal")]
            total: u32,
            #[serde(skip_serializing_if = "Option::is_none")]
            note: Option<String>,
            #[serde(flatten)]
            rest: Map<String, Value>,
        }
        let mut rest = Map::new();
        rest.insert("é".into(), json!({"a": [1]}));
        let cart = Cart {
            items: vec!["x"],
            total: 3,
            note: None,
            rest,
        };
        let object = capture(&cart).unwrap();
        assert_eq!(text(&object), serde_json::to_string(&cart).unwrap());
        assert_eq!(object.get("to\"tal").unwrap().value(), "3");
        assert_eq!(object.get("é").unwrap().value(), r#"{"a":[1]}"#);
        assert!(object.get("note").is_none());
    }

    #[test]
    fn map_keys_are_written_as_serde_json_writes_them() {
        let map: BTreeMap<u32, bool> = [(1, true), (20, false)].into();
        let object = capture(&map).unwrap();
        assert_eq!(text(&object), r#"{"1":true,"20":false}"#);
        assert_eq!(object.get("20").unwrap().value(), "false");
    }

    #[test]
    fn anything_but_an_object_is_refused() {
        assert!(matches!(capture(&5), Err(WriteError::NotAnObject)));
        assert!(matches!(capture(&[1]), Err(WriteError::NotAnObject)));
        assert!(matches!(capture(&Some(5)), Err(WriteError::NotAnObject)));
    }
}
