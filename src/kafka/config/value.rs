//! Config values as a scenario file writes them, parsed into typed fields with Kafka's rules.

use serde::Serialize;
use std::fmt;

/// A config value as written in a scenario (TOML or JSON): `5`, `"all"`, `true`, `["range"]`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(untagged)]
pub enum ConfigValue {
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<String>),
}

// Read by its own visitor: a wrong value is named at its own key, saying what fits there.
crate::kafka::untagged::scalar_or_list_deserialize!(ConfigValue { Bool, Int, Str, List }, ConfigValueVisitor, "a boolean, a whole number, a string or a list of strings");

impl fmt::Display for ConfigValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigValue::Bool(b) => write!(f, "{b}"),
            ConfigValue::Int(i) => write!(f, "{i}"),
            ConfigValue::Str(s) => write!(f, "\"{s}\""),
            ConfigValue::List(items) => write!(f, "[{}]", items.join(", ")),
        }
    }
}

impl From<i64> for ConfigValue {
    fn from(v: i64) -> Self {
        ConfigValue::Int(v)
    }
}

impl From<&str> for ConfigValue {
    fn from(v: &str) -> Self {
        ConfigValue::Str(v.to_string())
    }
}

impl From<bool> for ConfigValue {
    fn from(v: bool) -> Self {
        ConfigValue::Bool(v)
    }
}

/// A config that Kafka would reject, with the key, the value and the rule it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ConfigError {
    pub key: String,
    pub message: String,
}

impl ConfigError {
    pub fn invalid(key: &str, value: &ConfigValue, rule: impl fmt::Display) -> ConfigError {
        ConfigError { key: key.to_string(), message: format!("{value} is not allowed: {rule}") }
    }

    pub fn unknown(key: &str, kind: &str, known: &[&str]) -> ConfigError {
        let hint = match closest(key, known) {
            Some(close) => format!(" (did you mean '{close}'?)"),
            None => String::new(),
        };
        ConfigError { key: key.to_string(), message: format!("'{key}' is not a {kind} config{hint}") }
    }

    pub fn conflict(key: &str, message: impl Into<String>) -> ConfigError {
        ConfigError { key: key.to_string(), message: message.into() }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.key, self.message)
    }
}

/// The known name nearest to a misspelt one, if it is close (edit distance at most 3).
fn closest<'a>(key: &str, known: &[&'a str]) -> Option<&'a str> {
    known.iter().map(|k| (edit_distance(key, k), *k)).filter(|(d, _)| *d <= 3).min().map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1).min(row[j] + 1).min(diagonal + usize::from(ca != cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

/// A typed config field: parses a written value (Kafka also accepts numbers written as strings).
pub trait ConfigField: Sized {
    fn parse(value: &ConfigValue) -> Result<Self, String>;
    fn render(&self) -> ConfigValue;
}

fn as_int(value: &ConfigValue) -> Result<i64, String> {
    match value {
        ConfigValue::Int(i) => Ok(*i),
        ConfigValue::Str(s) => s.trim().parse().map_err(|_| "expected a whole number".to_string()),
        _ => Err("expected a whole number".to_string()),
    }
}

impl ConfigField for i64 {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        as_int(value)
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Int(*self)
    }
}

impl ConfigField for u64 {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        let i = as_int(value)?;
        u64::try_from(i).map_err(|_| "must be at least 0".to_string())
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Int(i64::try_from(*self).unwrap_or(i64::MAX))
    }
}

impl ConfigField for u32 {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        let i = as_int(value)?;
        if i < 0 {
            return Err("must be at least 0".to_string());
        }
        u32::try_from(i).ok().filter(|&v| v <= i32::MAX as u32).ok_or_else(|| "must fit in a Java int (at most 2147483647)".to_string())
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Int(i64::from(*self))
    }
}

impl ConfigField for bool {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::Bool(b) => Ok(*b),
            ConfigValue::Str(s) if s.eq_ignore_ascii_case("true") => Ok(true),
            ConfigValue::Str(s) if s.eq_ignore_ascii_case("false") => Ok(false),
            _ => Err("expected true or false".to_string()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Bool(*self)
    }
}

impl ConfigField for String {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::Str(s) => Ok(s.clone()),
            _ => Err("expected a string".to_string()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Str(self.clone())
    }
}

impl ConfigField for Option<String> {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::Str(s) if s.is_empty() => Ok(None),
            ConfigValue::Str(s) => Ok(Some(s.clone())),
            _ => Err("expected a string".to_string()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::Str(self.clone().unwrap_or_default())
    }
}

impl ConfigField for Vec<String> {
    fn parse(value: &ConfigValue) -> Result<Self, String> {
        match value {
            ConfigValue::List(items) => Ok(items.clone()),
            // Kafka's list configs are comma-separated strings too.
            ConfigValue::Str(s) => Ok(s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()),
            _ => Err("expected a list of names".to_string()),
        }
    }
    fn render(&self) -> ConfigValue {
        ConfigValue::List(self.clone())
    }
}

/// A key's rule: a check on the parsed value, with the reason when Kafka would refuse it.
pub type Rule<T> = fn(&T) -> Result<(), String>;

/// Sets one key's field: parses the written value, checks the key's rule, then stores it. One copy per
/// field type rather than one per key: the parse and both errors written out in every key's arm of
/// `set` weighed 2 KB of the page's gzip budget.
pub fn set_field<T: ConfigField>(field: &mut T, key: &str, value: &ConfigValue, rule: Option<Rule<T>>) -> Result<(), ConfigError> {
    let parsed = match T::parse(value) {
        Ok(parsed) => parsed,
        Err(why) => {
            // A negative number for an unsigned field: when the key's own rule refuses 0 too, its
            // words are the right ones ("must be at least 1", not the type's "at least 0").
            let why = match (value, rule) {
                (ConfigValue::Int(i), Some(rule)) if *i < 0 => T::parse(&ConfigValue::Int(0)).ok().and_then(|zero| rule(&zero).err()).unwrap_or(why),
                _ => why,
            };
            return Err(ConfigError::invalid(key, value, why));
        }
    };
    if let Some(rule) = rule {
        rule(&parsed).map_err(|rule| ConfigError::invalid(key, value, rule))?;
    }
    *field = parsed;
    Ok(())
}

/// Defines a config struct: one line per key with Kafka's name, the field, its default and an optional
/// rule. It generates `Default`, `set` (parse + rule check), `get`, `KEYS` and `from_pairs`.
macro_rules! kafka_config {
    (@rule $ty:ty) => { None };
    (@rule $ty:ty, $rule:expr) => { Some($rule as $crate::kafka::config::value::Rule<$ty>) };
    (
        $(#[$meta:meta])*
        pub struct $name:ident ($kind:literal) {
            $( $(#[$fmeta:meta])* $key:literal => $field:ident : $ty:ty = $default:expr $(, rule $rule:expr)? ; )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        impl $name {
            /// Every key this config knows, with Kafka's spelling.
            pub const KEYS: &'static [&'static str] = &[$($key),*];

            /// Sets one key from a written value, checking Kafka's rule for it.
            pub fn set(&mut self, key: &str, value: &$crate::kafka::config::ConfigValue) -> Result<(), $crate::kafka::config::ConfigError> {
                use $crate::kafka::config::value::{ConfigError, set_field};
                match key {
                    $( $key => set_field(&mut self.$field, key, value, kafka_config!(@rule $ty $(, $rule)?)), )*
                    _ => Err(ConfigError::unknown(key, $kind, Self::KEYS)),
                }
            }

            /// The current value of a key, as a scenario would write it.
            pub fn get(&self, key: &str) -> Option<$crate::kafka::config::ConfigValue> {
                use $crate::kafka::config::ConfigField;
                match key {
                    $( $key => Some(self.$field.render()), )*
                    _ => None,
                }
            }

            /// Applies every pair over the defaults, collecting every problem (never stopping at the first).
            pub fn from_pairs<'a>(
                pairs: impl IntoIterator<Item = (&'a String, &'a $crate::kafka::config::ConfigValue)>,
            ) -> Result<Self, Vec<$crate::kafka::config::ConfigError>> {
                let mut config = Self::default();
                config.apply_pairs(pairs).map(|()| config)
            }

            /// Applies every pair, collecting every problem.
            pub fn apply_pairs<'a>(
                &mut self,
                pairs: impl IntoIterator<Item = (&'a String, &'a $crate::kafka::config::ConfigValue)>,
            ) -> Result<(), Vec<$crate::kafka::config::ConfigError>> {
                let errors: Vec<_> = pairs.into_iter().filter_map(|(k, v)| self.set(k, v).err()).collect();
                if errors.is_empty() { Ok(()) } else { Err(errors) }
            }
        }
    };
}

pub(crate) use kafka_config;

/// Rules shared by many keys.
pub mod rules {
    pub fn at_least_1_u32(v: &u32) -> Result<(), String> {
        if *v >= 1 { Ok(()) } else { Err("must be at least 1".into()) }
    }
    pub fn at_least_1_u64(v: &u64) -> Result<(), String> {
        if *v >= 1 { Ok(()) } else { Err("must be at least 1".into()) }
    }
    pub fn at_least_minus_1(v: &i64) -> Result<(), String> {
        if *v >= -1 { Ok(()) } else { Err("must be -1 (unlimited) or at least 0".into()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_misspelt_key_gets_a_suggestion() {
        let err = ConfigError::unknown("lingr.ms", "producer", &["linger.ms", "batch.size"]);
        assert_eq!(err.to_string(), "lingr.ms: 'lingr.ms' is not a producer config (did you mean 'linger.ms'?)");
        let err = ConfigError::unknown("colour", "producer", &["linger.ms"]);
        assert!(!err.message.contains("did you mean"));
    }

    #[test]
    fn numbers_may_be_written_as_strings_as_kafka_allows() {
        assert_eq!(u64::parse(&ConfigValue::Str("1000".into())), Ok(1000));
        assert_eq!(u64::parse(&ConfigValue::Int(-1)), Err("must be at least 0".to_string()));
        assert_eq!(bool::parse(&ConfigValue::Str("TRUE".into())), Ok(true));
        assert_eq!(Vec::<String>::parse(&ConfigValue::Str("range, cooperative-sticky".into())), Ok(vec!["range".into(), "cooperative-sticky".into()]));
    }
    #[test]
    fn a_negative_value_is_told_the_keys_own_limit_when_zero_is_refused_too() {
        // min.insync.replicas = -1 used to read "must be at least 0", and then 0 "must be at least 1".
        let mut broker = crate::kafka::config::BrokerConfig::default();
        let err = broker.set("min.insync.replicas", &ConfigValue::Int(-1)).unwrap_err();
        assert!(err.to_string().contains("must be at least 1"), "{err}");
        // A key that takes 0 keeps the type's words.
        let mut producer = crate::kafka::config::ProducerConfig::default();
        let err = producer.set("linger.ms", &ConfigValue::Int(-5)).unwrap_err();
        assert!(err.to_string().contains("must be at least 0"), "{err}");
        let mut consumer = crate::kafka::config::ConsumerConfig::default();
        let err = consumer.set("max.poll.records", &ConfigValue::Int(-1)).unwrap_err();
        assert!(err.to_string().contains("must be at least 1"), "{err}");
    }
}
