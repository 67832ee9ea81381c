//! Reading internally tagged enums (`{"action": "kill_broker", "broker": 1}`) without serde's derive.
//!
//! Why not `#[derive(Deserialize)]` with `#[serde(tag = "…")]`: the derive buffers the object into
//! serde's private `Content` and monomorphises a visitor for every variant, per deserializer. For the
//! scenario enums ([`crate::kafka::world::Action`], [`crate::scenario::Probe`] and the small ones) that
//! was about a fifth of the shipped wasm. Here one small visitor (shared by every tagged enum) collects
//! the object into `serde_json` values, and each variant's fields are read by plain code from those
//! values, once, whatever the deserializer.
//!
//! The behaviour is the derive's, message for message: the variant names in the order they are
//! declared, unknown and missing fields, a variant index in place of its name, the sequence form
//! (`["leader", "orders", 0]`), unit variants ignoring whatever follows their tag. Errors are raised at
//! the same moments too (a bad tag while the object is read, the rest after it), so the path a
//! scenario problem reports stays the same.
//!
//! [`tagged_enum_de!`] writes the `Deserialize` impl from a list of the variants and their fields.

use serde::Deserializer;
use serde::de::{self, DeserializeOwned, DeserializeSeed, Error as _, MapAccess, SeqAccess, Unexpected, Visitor};
use serde_json::Value;
use std::fmt;

/// Errors while reading a variant's fields; the caller turns them into its deserializer's error.
pub type Error = serde_json::Error;

/// An internally tagged enum's names.
pub struct TaggedEnum {
    /// The key that names the variant (`action`, `kind`, `op`).
    pub tag: &'static str,
    /// The variants' names, in declaration order (a variant index means this order).
    pub variants: &'static [&'static str],
    /// `internally tagged enum Action`: what a value of the wrong type is told was expected.
    pub expecting: &'static str,
}

/// What follows the tag: the other fields, or (the sequence form) the other items.
pub enum Body {
    Map(Vec<(String, Value)>),
    Seq(Vec<Value>),
}

/// The variant the tag names (its index in [`TaggedEnum::variants`]) and the rest of the object.
pub struct Tagged {
    pub variant: usize,
    pub body: Body,
}

/// A variant's fields as the derive describes them.
pub struct Fields {
    /// `struct variant Action::KillBroker`.
    pub expecting: &'static str,
    pub names: &'static [&'static str],
    /// Whether each field must be given (no `#[serde(default)]`).
    pub required: &'static [bool],
}

/// Reads an internally tagged value with `deserializer`: only this visitor is generic over it.
pub fn deserialize_tagged<'de, D: Deserializer<'de>>(deserializer: D, names: &'static TaggedEnum) -> Result<Tagged, D::Error> {
    deserializer.deserialize_any(TaggedVisitor(names))
}

struct TaggedVisitor(&'static TaggedEnum);

impl<'de> Visitor<'de> for TaggedVisitor {
    type Value = Tagged;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0.expecting)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<Tagged, S::Error> {
        let Some(variant) = seq.next_element_seed(VariantSeed(self.0.variants))? else {
            return Err(S::Error::missing_field(self.0.tag));
        };
        let mut rest = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            rest.push(item);
        }
        Ok(Tagged { variant, body: Body::Seq(rest) })
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<Tagged, M::Error> {
        let mut variant = None;
        let mut rest = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0.tag {
                if variant.is_some() {
                    return Err(M::Error::duplicate_field(self.0.tag));
                }
                variant = Some(map.next_value_seed(VariantSeed(self.0.variants))?);
            } else {
                rest.push((key, map.next_value::<Value>()?));
            }
        }
        match variant {
            None => Err(M::Error::missing_field(self.0.tag)),
            Some(variant) => Ok(Tagged { variant, body: Body::Map(rest) }),
        }
    }
}

/// The tagged value among already collected fields (a flattened enum: `TimedAction`'s action).
pub fn tagged_from_fields(names: &'static TaggedEnum, fields: Vec<(String, Value)>) -> Result<Tagged, Error> {
    let mut variant = None;
    let mut rest = Vec::new();
    for (key, value) in fields {
        if key == names.tag {
            if variant.is_some() {
                return Err(Error::duplicate_field(names.tag));
            }
            variant = Some(variant_of_value(names.variants, &value)?);
        } else {
            rest.push((key, value));
        }
    }
    match variant {
        None => Err(Error::missing_field(names.tag)),
        Some(variant) => Ok(Tagged { variant, body: Body::Map(rest) }),
    }
}

/// A variant named by a buffered value: a name, or an index (serde's buffered identifiers accept both).
fn variant_of_value(variants: &'static [&'static str], value: &Value) -> Result<usize, Error> {
    let visitor = VariantVisitor(variants);
    match value {
        Value::String(name) => visitor.visit_str(name),
        Value::Number(n) if n.is_u64() => visitor.visit_u64(n.as_u64().unwrap_or_default()),
        other => Err(Error::invalid_type(unexpected(other), &visitor)),
    }
}

/// How serde names a value of the wrong type.
fn unexpected(value: &Value) -> Unexpected<'_> {
    match value {
        Value::Null => Unexpected::Unit,
        Value::Bool(b) => Unexpected::Bool(*b),
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Unexpected::Unsigned(u),
            (None, Some(i)) => Unexpected::Signed(i),
            _ => Unexpected::Float(n.as_f64().unwrap_or_default()),
        },
        Value::String(s) => Unexpected::Str(s),
        Value::Array(_) => Unexpected::Seq,
        Value::Object(_) => Unexpected::Map,
    }
}

struct VariantSeed(&'static [&'static str]);

impl<'de> DeserializeSeed<'de> for VariantSeed {
    type Value = usize;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<usize, D::Error> {
        deserializer.deserialize_identifier(VariantVisitor(self.0))
    }
}

struct VariantVisitor(&'static [&'static str]);

impl<'de> Visitor<'de> for VariantVisitor {
    type Value = usize;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("variant identifier")
    }

    fn visit_u64<E: de::Error>(self, index: u64) -> Result<usize, E> {
        match usize::try_from(index) {
            Ok(i) if i < self.0.len() => Ok(i),
            _ => Err(E::invalid_value(Unexpected::Unsigned(index), &format!("variant index 0 <= i < {}", self.0.len()).as_str())),
        }
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<usize, E> {
        self.0.iter().position(|v| *v == name).ok_or_else(|| E::unknown_variant(name, self.0))
    }

    fn visit_bytes<E: de::Error>(self, bytes: &[u8]) -> Result<usize, E> {
        self.visit_str(&String::from_utf8_lossy(bytes))
    }
}

/// Hands each given field to `read` (by index into `fields.names`) in the order written, as the
/// derive's visitor does; fails on an unknown or repeated field, and in the sequence form on too few
/// or too many items. Missing fields of the map form are the caller's to report (in declaration order).
pub fn read_fields(body: &Body, fields: &Fields, read: &mut dyn FnMut(usize, &Value) -> Result<(), Error>) -> Result<(), Error> {
    match body {
        Body::Map(entries) => {
            let mut seen = vec![false; fields.names.len()];
            for (key, value) in entries {
                let Some(i) = fields.names.iter().position(|n| n == key) else {
                    return Err(Error::unknown_field(key, fields.names));
                };
                if seen[i] {
                    return Err(Error::duplicate_field(fields.names[i]));
                }
                seen[i] = true;
                read(i, value)?;
            }
            Ok(())
        }
        Body::Seq(items) => {
            let count = fields.names.len();
            for i in 0..count {
                match items.get(i) {
                    Some(item) => read(i, item)?,
                    None if fields.required[i] => {
                        let elements = if count == 1 { "element" } else { "elements" };
                        return Err(Error::invalid_length(i, &format!("{} with {count} {elements}", fields.expecting).as_str()));
                    }
                    None => {}
                }
            }
            if items.len() > count {
                let elements = if count == 1 { "element" } else { "elements" };
                return Err(Error::invalid_length(items.len(), &format!("{count} {elements} in sequence").as_str()));
            }
            Ok(())
        }
    }
}

/// A unit variant takes any fields after its tag (serde reads past them) but no items.
pub fn unit_body(body: &Body) -> Result<(), Error> {
    match body {
        Body::Seq(items) if !items.is_empty() => Err(Error::invalid_length(items.len(), &"0 elements in sequence")),
        _ => Ok(()),
    }
}

/// One field's value, read from its buffered value's JSON text: the scenario reader reads every type
/// with serde_json's text deserializer, and reading from the `Value` itself would monomorphise all the
/// field types a second time. The text's position is dropped: the field has no line of its own.
pub fn field<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    serde_json::from_str(&value.to_string()).map_err(|e| match e.line() {
        0 => e,
        _ => {
            let text = e.to_string();
            Error::custom(text.rfind(" at line ").map_or(text.as_str(), |at| &text[..at]))
        }
    })
}

/// Writes `impl Deserialize` for an internally tagged enum, from its variants in declaration order:
/// `Variant "name" { field: Type, other: Type = default }` (`= default` for `#[serde(default)]`), or
/// `Variant "name"` for a unit variant.
#[macro_export]
macro_rules! tagged_enum_de {
    (
        $ty:ident, tag = $tag:literal;
        $( $variant:ident $name:literal $( { $( $field:ident : $fty:ty $( = $default:ident )? ),* $(,)? } )? ),* $(,)?
    ) => {
        impl $ty {
            const TAGGED: $crate::kafka::tagged::TaggedEnum = $crate::kafka::tagged::TaggedEnum {
                tag: $tag,
                variants: &[$($name),*],
                expecting: concat!("internally tagged enum ", stringify!($ty)),
            };

            /// The variant a tagged value names, its fields read.
            fn from_tagged(tagged: $crate::kafka::tagged::Tagged) -> Result<$ty, $crate::kafka::tagged::Error> {
                #[allow(unused_imports)]
                use serde::de::Error as _;
                // Variants and (below) fields by index, in the order `TAGGED.variants` and
                // `FIELDS.names` list them: comparing their names instead, a string comparison per
                // variant and per field, weighed 1.6 KB of the page's gzip budget.
                enum Variant { $($variant),* }
                let body = tagged.body;
                $(
                    if tagged.variant == Variant::$variant as usize {
                        return $crate::tagged_enum_de!(@variant $ty, $variant, body; $( { $( $field : $fty $( = $default )? ),* } )?);
                    }
                )*
                unreachable!("the tag was checked against the variant names")
            }
        }

        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let tagged = $crate::kafka::tagged::deserialize_tagged(deserializer, &Self::TAGGED)?;
                $ty::from_tagged(tagged).map_err(<D::Error as serde::de::Error>::custom)
            }
        }
    };
    (@variant $ty:ident, $variant:ident, $body:ident;) => {{
        $crate::kafka::tagged::unit_body(&$body)?;
        Ok($ty::$variant)
    }};
    (@variant $ty:ident, $variant:ident, $body:ident; { $( $field:ident : $fty:ty $( = $default:ident )? ),* }) => {{
        const FIELDS: $crate::kafka::tagged::Fields = $crate::kafka::tagged::Fields {
            expecting: concat!("struct variant ", stringify!($ty), "::", stringify!($variant)),
            names: &[$(stringify!($field)),*],
            required: &[$($crate::tagged_enum_de!(@required $($default)?)),*],
        };
        #[allow(non_camel_case_types)]
        enum Field { $($field),* }
        $( let mut $field: Option<$fty> = None; )*
        $crate::kafka::tagged::read_fields(&$body, &FIELDS, &mut |i, value| {
            $( if i == Field::$field as usize { $field = Some($crate::kafka::tagged::field(value)?); } )*
            Ok(())
        })?;
        Ok($ty::$variant { $( $field: $crate::tagged_enum_de!(@take $field $($default)?) ),* })
    }};
    (@required) => { true };
    (@required default) => { false };
    (@take $field:ident) => { $field.ok_or_else(|| $crate::kafka::tagged::Error::missing_field(stringify!($field)))? };
    (@take $field:ident default) => { $field.unwrap_or_default() };
}

#[cfg(test)]
mod tests {
    //! Each expectation is what serde's derive answered before these enums were read by hand.
    use crate::kafka::stream::Step;
    use crate::kafka::world::spec::KeyPattern;
    use crate::kafka::world::{Action, TimedAction};

    fn error<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        serde_json::from_str::<T>(json).unwrap_err().to_string()
    }

    #[test]
    fn a_flattened_action_accepts_a_variant_index_as_the_buffered_derive_did() {
        assert_eq!(error::<TimedAction>(r#"{"action":3,"at_ms":1,"producer":"p"}"#), "missing field `rate_per_sec` at line 1 column 37");
        assert_eq!(error::<Action>(r#"{"action":3,"producer":"p"}"#), "invalid type: integer `3`, expected variant identifier at line 1 column 11");
    }

    #[test]
    fn field_problems_match_the_derive() {
        assert_eq!(error::<Step>(r#"{"op":"map_values","uppercase":"x"}"#), "invalid type: string \"x\", expected a boolean");
        assert_eq!(error::<Step>(r#"{"uppercase":true}"#), "missing field `op` at line 1 column 18");
        assert!(error::<KeyPattern>(r#"{"kind":"cycle","prefix":"k","zzz":1}"#).starts_with("unknown field `zzz`, expected `prefix` or `count`"));
    }

    #[test]
    fn the_sequence_form_matches_the_derive() {
        assert_eq!(serde_json::from_str::<KeyPattern>(r#"["cycle","k",3]"#).unwrap(), KeyPattern::Cycle { prefix: "k".into(), count: 3 });
        assert_eq!(error::<KeyPattern>(r#"["cycle","k"]"#), "invalid length 1, expected struct variant KeyPattern::Cycle with 2 elements");
        assert_eq!(error::<KeyPattern>(r#"["cycle","k",3,4]"#), "invalid length 3, expected 2 elements in sequence");
        assert_eq!(error::<KeyPattern>(r#"["none",1]"#), "invalid length 1, expected 0 elements in sequence");
        assert_eq!(serde_json::from_str::<KeyPattern>(r#"{"kind":"none","anything":1}"#).unwrap(), KeyPattern::None);
    }
}
