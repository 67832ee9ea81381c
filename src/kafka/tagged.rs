//! Reading internally tagged enums (`{"action": "kill_broker", "broker": 1}`) without serde's derive.
//!
//! Why not `#[derive(Deserialize)]` with `#[serde(tag = "…")]`: the derive buffers the object into
//! serde's private `Content` and monomorphises a visitor for every variant, per deserializer. For the
//! scenario enums ([`crate::kafka::world::Action`], [`crate::scenario::Probe`] and the small ones) that
//! was about a fifth of the shipped wasm. Here one small visitor (shared by every tagged enum) collects
//! the object into `serde_json` values, and each variant's fields are read by plain code from those
//! values, once, whatever the deserializer.
//!
//! The messages are the derive's: the variant names in the order they are declared, unknown and
//! missing fields, a variant index in place of its name, the sequence form (`["leader", "orders", 0]`),
//! unit variants ignoring whatever follows their tag. Where they are raised is not: a problem after
//! the tag is raised while the object is still being read, so that serde_json places it on the
//! object's closing line (the derive raised it after the object, on the next key's line, and a
//! scenario problem was named at that key). The field it concerns goes at the front of the message
//! (see [`read_at`]), as the object's line alone cannot tell which field it is.
//!
//! [`tagged_enum_de!`] writes the `Deserialize` impl from a list of the variants and their fields.
//!
//! [`read_at`] reads any scenario type from a `Value` and names the path of the first problem, for
//! the scenario reader and for the fields of a tagged value alike.

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

/// Reads an internally tagged value with `deserializer` and hands it to `finish` (which reads the
/// variant's fields) before the value's end: only this visitor is generic over the deserializer.
pub fn deserialize_tagged<'de, D: Deserializer<'de>>(
    deserializer: D,
    names: &'static TaggedEnum,
    finish: &mut dyn FnMut(Tagged) -> Result<(), Error>,
) -> Result<(), D::Error> {
    deserializer.deserialize_any(TaggedVisitor(names, finish))
}

struct TaggedVisitor<'a>(&'static TaggedEnum, &'a mut dyn FnMut(Tagged) -> Result<(), Error>);

impl<'de> Visitor<'de> for TaggedVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.0.expecting)
    }

    fn visit_seq<S: SeqAccess<'de>>(self, mut seq: S) -> Result<(), S::Error> {
        let Some(variant) = seq.next_element_seed(VariantSeed(self.0.variants))? else {
            return Err(S::Error::missing_field(self.0.tag));
        };
        let mut rest = Vec::new();
        while let Some(item) = seq.next_element::<Value>()? {
            rest.push(item);
        }
        (self.1)(Tagged { variant, body: Body::Seq(rest) }).map_err(S::Error::custom)
    }

    fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<(), M::Error> {
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
            Some(variant) => (self.1)(Tagged { variant, body: Body::Map(rest) }).map_err(M::Error::custom),
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
                return Err(at(names.tag, Error::duplicate_field(names.tag)));
            }
            variant = Some(variant_of_value(names.variants, &value).map_err(|e| at(names.tag, e))?);
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
                    return Err(at(&key_path("", key), Error::unknown_field(key, fields.names)));
                };
                if seen[i] {
                    return Err(at(key, Error::duplicate_field(fields.names[i])));
                }
                seen[i] = true;
                read(i, value).map_err(|e| at(key, e))?;
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

/// One field's value, read as [`read_at`] reads: the scenario reader reads every type with
/// serde_json's text deserializer, and reading from the `Value` itself would monomorphise all the
/// field types a second time. A problem carries its path inside the field.
pub fn field<T: DeserializeOwned>(value: &Value) -> Result<T, Error> {
    read_at(value, "").map_err(field_problem)
}

/// Kept out of [`field`], which is compiled once for every field type.
fn field_problem((path, message): (String, String)) -> Error {
    at(&path, message)
}

/// A missing field, at its own path.
pub fn missing(name: &'static str) -> Error {
    at(name, Error::missing_field(name))
}

/// Starts and ends the path at the front of a message. A problem inside a tagged value is raised
/// after its fields were read from buffered values, which have no line of their own, so its message
/// says where it is (`\u{1}spec.workload.keys\u{1}missing field …`) and [`read_at`] takes the path
/// back out. Every message a scenario problem shows goes through [`read_at`].
const PATH_MARK: char = '\u{1}';

/// `problem` at `path` (under the value being read; a path it carries already goes below it).
fn at(path: &str, problem: impl fmt::Display) -> Error {
    let text = problem.to_string();
    let (inner, message) = split_path(&text);
    Error::custom(format!("{PATH_MARK}{}{PATH_MARK}{message}", join_path(path, inner)))
}

/// The path at the front of a message (empty when none) and the message itself.
fn split_path(message: &str) -> (&str, &str) {
    message.strip_prefix(PATH_MARK).and_then(|m| m.split_once(PATH_MARK)).unwrap_or(("", message))
}

/// `parent` and a path below it (`workload.keys`, `[2].name`).
fn join_path(parent: &str, child: &str) -> String {
    match child.as_bytes().first() {
        None => parent.to_string(),
        Some(_) if parent.is_empty() => child.to_string(),
        Some(b'[') => format!("{parent}{child}"),
        Some(_) => format!("{parent}.{child}"),
    }
}

/// `parent.key`, quoting a key that is not a plain identifier (Kafka config names have dots).
pub fn key_path(parent: &str, key: &str) -> String {
    let plain = !key.is_empty() && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let key = if plain { key.to_string() } else { format!("{key:?}") };
    if parent.is_empty() { key } else { format!("{parent}.{key}") }
}

/// `parent[index]`.
pub fn index_path(parent: &str, index: usize) -> String {
    format!("{parent}[{index}]")
}

/// Reads a `T` from `value`; a problem comes with its path (under `path`) and serde's message
/// (without serde_json's position).
///
/// Serde stops at the first problem and names no path, but serde_json names its line: the value is
/// read from a rendering with one field or item per line, and the line of the problem names its path.
/// A problem serde places at an object's end (a missing field, anything inside a tagged value) is
/// named more closely by the field it concerns. Always through the rendering's text, never from the
/// `Value` itself: reading every scenario type with one deserializer only keeps a second
/// monomorphised copy of all of them out of the wasm.
pub fn read_at<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, (String, String)> {
    // Only the call to serde_json is compiled once per type; the rest is shared.
    let rendered = Rendered::new(value, path);
    serde_json::from_str::<T>(&rendered.text).map_err(|e| rendered.problem(&e, path))
}

/// A value rendered as JSON with one field or item per line, and the path each line belongs to.
struct Rendered {
    text: String,
    line_paths: Vec<String>,
}

impl Rendered {
    fn new(value: &Value, path: &str) -> Rendered {
        let mut rendered = Rendered { text: String::new(), line_paths: vec![path.to_string()] };
        rendered.value(value, path);
        rendered
    }

    /// Where the problem serde_json met reading the text is, and its message.
    fn problem(&self, e: &serde_json::Error, path: &str) -> (String, String) {
        let line_path = match e.line() {
            0 => path,
            line => self.line_paths.get(line - 1).map_or(path, String::as_str),
        };
        let text = e.to_string();
        let text = match text.rfind(" at line ") {
            Some(end) if e.line() > 0 => &text[..end],
            _ => text.as_str(),
        };
        let (inner, message) = split_path(text);
        let missing = message.strip_prefix("missing field `").and_then(|m| m.strip_suffix('`'));
        let inner = if inner.is_empty() { missing.unwrap_or_default() } else { inner };
        (join_path(line_path, inner), message.to_string())
    }

    fn new_line(&mut self, path: String) {
        self.text.push('\n');
        self.line_paths.push(path);
    }

    fn value(&mut self, value: &Value, path: &str) {
        match value {
            Value::Object(map) if !map.is_empty() => {
                self.text.push('{');
                for (i, (k, v)) in map.iter().enumerate() {
                    let child = key_path(path, k);
                    self.new_line(child.clone());
                    if i > 0 {
                        self.text.push(',');
                    }
                    // Serializing a string cannot fail.
                    self.text.push_str(&serde_json::to_string(k).unwrap_or_default());
                    self.text.push(':');
                    self.value(v, &child);
                }
                self.new_line(path.to_string());
                self.text.push('}');
            }
            Value::Array(items) if !items.is_empty() => {
                self.text.push('[');
                for (i, v) in items.iter().enumerate() {
                    let child = index_path(path, i);
                    self.new_line(child.clone());
                    if i > 0 {
                        self.text.push(',');
                    }
                    self.value(v, &child);
                }
                self.new_line(path.to_string());
                self.text.push(']');
            }
            // Serializing a JSON value cannot fail.
            scalar => self.text.push_str(&serde_json::to_string(scalar).unwrap_or_default()),
        }
    }
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
                let mut read = None;
                $crate::kafka::tagged::deserialize_tagged(deserializer, &Self::TAGGED, &mut |tagged| {
                    read = Some($ty::from_tagged(tagged)?);
                    Ok(())
                })?;
                // The visitor hands the value over whenever it succeeds.
                read.ok_or_else(|| <D::Error as serde::de::Error>::custom(concat!("no ", stringify!($ty), " was read")))
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
    (@take $field:ident) => { $field.ok_or_else(|| $crate::kafka::tagged::missing(stringify!($field)))? };
    (@take $field:ident default) => { $field.unwrap_or_default() };
}

#[cfg(test)]
mod tests {
    //! Each message is what serde's derive answered before these enums were read by hand; each path
    //! is where the problem is in the value.
    use super::read_at;
    use crate::kafka::stream::Step;
    use crate::kafka::world::spec::{KeyPattern, ProducerSpec};
    use crate::kafka::world::{Action, TimedAction};
    use crate::scenario::Probe;

    /// `path: message`, as a scenario problem shows it.
    fn error<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        let (path, message) = read_at::<T>(&serde_json::from_str(json).unwrap(), "x").unwrap_err();
        format!("{path}: {message}")
    }

    #[test]
    fn a_flattened_action_accepts_a_variant_index_as_the_buffered_derive_did() {
        assert_eq!(error::<TimedAction>(r#"{"action":3,"at_ms":1,"producer":"p"}"#), "x.rate_per_sec: missing field `rate_per_sec`");
        assert_eq!(error::<Action>(r#"{"action":3,"producer":"p"}"#), "x.action: invalid type: integer `3`, expected variant identifier");
    }

    #[test]
    fn field_problems_match_the_derive() {
        assert_eq!(error::<Step>(r#"{"op":"map_values","uppercase":"x"}"#), "x.uppercase: invalid type: string \"x\", expected a boolean");
        assert_eq!(error::<Step>(r#"{"uppercase":true}"#), "x.op: missing field `op`");
        assert_eq!(error::<KeyPattern>(r#"{"kind":"cycle","prefix":"k","zzz":1}"#), "x.zzz: unknown field `zzz`, expected `prefix` or `count`");
    }

    #[test]
    fn a_problem_inside_a_tagged_value_is_named_at_its_field_not_at_the_next_key() {
        // The probe is read after its object ends: serde_json placed its problems on the line of
        // whatever key followed (`question`), which named the wrong field.
        let checkpoint = |probe: &str| format!(r#"{{"expect":1,"probe":{probe},"question":"Who leads?"}}"#);
        let problem = |probe: &str| error::<crate::scenario::Checkpoint>(&checkpoint(probe));
        assert_eq!(problem(r#"{"kind":"leader","topic":"t","partition":0,"broker":1}"#), "x.probe.broker: unknown field `broker`, expected `topic` or `partition`");
        assert_eq!(problem(r#"{"kind":"leader","topic":"t"}"#), "x.probe.partition: missing field `partition`");
        assert_eq!(problem(r#"{"kind":"leader","topic":"t","partition":"zero"}"#), "x.probe.partition: invalid type: string \"zero\", expected u32");
        assert_eq!(problem(r#"{"kind":"leadr"}"#).split(',').next().unwrap(), "x.probe.kind: unknown variant `leadr`");
        assert_eq!(problem(r#"{"topic":"t"}"#), "x.probe.kind: missing field `kind`");
        assert_eq!(error::<Probe>(r#"{"kind":"leader","topic":"t","partition":0,"min.isr":1}"#).split(',').next().unwrap(), "x.\"min.isr\": unknown field `min.isr`");
    }

    #[test]
    fn a_problem_in_a_tagged_value_inside_another_is_named_all_the_way_down() {
        let producer = |workload: &str| format!(r#"{{"name":"p","topic":"t","workload":{workload}}}"#);
        assert_eq!(error::<ProducerSpec>(&producer(r#"{"keys":{"kind":"cycle","prefix":"k"},"rate_per_sec":1}"#)), "x.workload.keys.count: missing field `count`");
        assert_eq!(error::<ProducerSpec>(&producer(r#"{"values":{"kind":"bytes","size":"big"}}"#)), "x.workload.values.size: invalid type: string \"big\", expected u32");
        let action = format!(r#"{{"action":"add_producer","at_ms":1,"spec":{}}}"#, producer(r#"{"keys":{"kind":"list","keys":["a",2]}}"#));
        assert_eq!(error::<TimedAction>(&action), "x.spec.workload.keys.keys[1]: invalid type: integer `2`, expected a string");
        assert_eq!(error::<crate::scenario::Step>(r#"{"text":"Hi."}"#), "x.at_ms: missing field `at_ms`", "a plain struct's missing field too");
        assert_eq!(error::<TimedAction>(r#"{"action":"kill_broker","at_ms":1,"broker":"one"}"#), "x.broker: invalid type: string \"one\", expected u32");
        assert_eq!(error::<TimedAction>(r#"{"action":"kill_brokr","at_ms":1}"#).split(',').next().unwrap(), "x.action: unknown variant `kill_brokr`");
        assert_eq!(error::<TimedAction>(r#"{"action":"kill_broker","broker":1}"#), "x.at_ms: missing field `at_ms`");
    }

    #[test]
    fn the_sequence_form_matches_the_derive() {
        assert_eq!(serde_json::from_str::<KeyPattern>(r#"["cycle","k",3]"#).unwrap(), KeyPattern::Cycle { prefix: "k".into(), count: 3 });
        assert_eq!(error::<KeyPattern>(r#"["cycle","k"]"#), "x: invalid length 1, expected struct variant KeyPattern::Cycle with 2 elements");
        assert_eq!(error::<KeyPattern>(r#"["cycle","k",3,4]"#), "x: invalid length 3, expected 2 elements in sequence");
        assert_eq!(error::<KeyPattern>(r#"["none",1]"#), "x: invalid length 1, expected 0 elements in sequence");
        assert_eq!(serde_json::from_str::<KeyPattern>(r#"{"kind":"none","anything":1}"#).unwrap(), KeyPattern::None);
    }
}
