//! Reading a scenario value that is a boolean, a whole number, a string or a list
//! ([`crate::kafka::config::ConfigValue`], [`crate::scenario::ProbeValue`]) without serde's derive.
//!
//! Why not `#[derive(Deserialize)]` with `#[serde(untagged)]`: the derive buffers the value into
//! serde's private `Content`, tries each variant in turn and, when none fits, can only say "data did
//! not match any variant", at the table around the value. A visitor of the value's own says what
//! fits, at the value's own path, and leaves the buffering out of the page (1.9 KB gzip).

/// Writes `Deserialize` for `$ty`, whose variants `$bool(bool)`, `$int(i64)`, `$text(String)` and
/// `$list(Vec<_>)` take the four kinds of value, read by `$visitor`; `$expecting` is what any other
/// value is told.
macro_rules! scalar_or_list_deserialize {
    ($ty:ident { $bool:ident, $int:ident, $text:ident, $list:ident }, $visitor:ident, $expecting:literal) => {
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any($visitor)
            }
        }

        struct $visitor;

        impl<'de> serde::de::Visitor<'de> for $visitor {
            type Value = $ty;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str($expecting)
            }
            fn visit_bool<E>(self, v: bool) -> Result<$ty, E> {
                Ok($ty::$bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<$ty, E> {
                Ok($ty::$int(v))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<$ty, E> {
                i64::try_from(v).map($ty::$int).map_err(|_| E::custom(format!("{v} is too large: whole numbers go up to {}", i64::MAX)))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<$ty, E> {
                // Said without the number: formatting a float would bring Rust's float printing
                // into the page.
                Err(E::invalid_type(serde::de::Unexpected::Other("a number with a fraction or an exponent"), &self))
            }
            fn visit_str<E>(self, v: &str) -> Result<$ty, E> {
                Ok($ty::$text(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<$ty, E> {
                Ok($ty::$text(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<$ty, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok($ty::$list(items))
            }
        }
    };
}

pub(crate) use scalar_or_list_deserialize;
