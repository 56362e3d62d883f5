//! Which keys of the session object a type `T` owns.
//!
//! A typed view `Session<Cart>` must keep the keys `Cart` does not name. Serde
//! tells us the names: a derived `Deserialize` for a struct calls
//! `deserialize_struct` with its field names. [`fields_of`] runs `T`'s
//! `Deserialize` against a probe that records that call and stops, without
//! touching any data. Types that deserialize as a map (`Map`, `HashMap`,
//! structs with `#[serde(flatten)]`) own every key.

use serde::de::value::Error;
use serde::de::{DeserializeOwned, Error as _, Visitor};
use serde::forward_to_deserialize_any;

/// The keys a type owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fields {
    /// Every key: the type is map-like.
    All,
    /// Only these keys: the type is a struct with these field names.
    Named(&'static [&'static str]),
}

/// The keys `T` owns, found without deserializing anything.
pub(crate) fn fields_of<T: DeserializeOwned>() -> Fields {
    let mut probe = Probe(Fields::All);
    // The probe always stops `T` with an error: only the recorded names matter.
    let _ = T::deserialize(&mut probe);
    probe.0
}

struct Probe(Fields);

impl<'de> serde::Deserializer<'de> for &mut Probe {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Error> {
        Err(Error::custom("probe"))
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Error> {
        self.0 = Fields::Named(fields);
        Err(Error::custom("probe"))
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use serde::Deserialize;
    use serde_json::{Map, Value};

    use super::*;

    #[derive(Deserialize)]
    #[allow(dead_code)]
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

    #[test]
    fn structs_own_their_serialized_field_names() {
        assert_eq!(fields_of::<Cart>(), Fields::Named(&["items", "total"]));
    }

    #[test]
    fn maps_and_flattened_structs_own_every_key() {
        assert_eq!(fields_of::<Map<String, Value>>(), Fields::All);
        assert_eq!(fields_of::<HashMap<String, u32>>(), Fields::All);
        assert_eq!(fields_of::<Flat>(), Fields::All);
    }
}
