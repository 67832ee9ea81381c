//! Reading a scenario: text (TOML or JSON) to a document, the document migrated to the current
//! version, then to the typed [`Scenario`], reporting every problem with its path.
//!
//! Serde stops at the first problem it meets and names no path. So each part of the scenario (the
//! cluster's fields, every list item, every action and step) is read on its own, and a part that fails
//! is read again from a rendering of it that has one field per line: the line serde complains about
//! names the path of the problem (see [`crate::kafka::tagged::read_at`]).

use super::format::Scenario;
use super::migrate::{document_version, migrate};
use super::problem::{Problem, Problems, did_you_mean, index_path, key_path};
use super::validate;
use serde::de::{self, DeserializeOwned, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Value};
use std::fmt;

/// Scenario files are small; anything larger is refused before it is parsed.
pub const SCENARIO_TEXT_MAX_BYTES: usize = 1 << 20;

/// How a scenario's text is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// JSON when the text starts with `{`, TOML otherwise.
    pub fn detect(text: &str) -> Format {
        if text.trim_start_matches('\u{feff}').trim_start().starts_with('{') { Format::Json } else { Format::Toml }
    }
}

/// Reads a scenario written in TOML or JSON (detected), of any supported version, and checks it.
pub fn parse_scenario(text: &str) -> Result<Scenario, Problems> {
    parse_scenario_as(text, Format::detect(text))
}

/// Reads a scenario written in `format`, of any supported version, and checks it.
pub fn parse_scenario_as(text: &str, format: Format) -> Result<Scenario, Problems> {
    scenario_from_document(document(text, format)?)
}

/// Turns a parsed document (any supported version) into a checked scenario.
pub fn scenario_from_document(document: Value) -> Result<Scenario, Problems> {
    let version = document_version(&document).map_err(|p| Problems(vec![p]))?;
    let document = migrate(document, version).map_err(|p| Problems(vec![p]))?;
    let scenario = read_shape(&document)?;
    validate::validate(&scenario)?;
    Ok(scenario)
}

/// The text parsed into a document, or where its syntax breaks.
pub fn document(text: &str, format: Format) -> Result<Value, Problems> {
    if text.len() > SCENARIO_TEXT_MAX_BYTES {
        return Err(Problems::one("", format!("the scenario is {} bytes; the limit is {SCENARIO_TEXT_MAX_BYTES}", text.len())));
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Json => strict_json(text).map_err(|e| {
            let text = e.to_string();
            let text = text.rfind(" at line ").map_or(text.as_str(), |end| &text[..end]);
            Problems::one(format!("line {}, column {}", e.line(), e.column()), format!("not valid JSON: {}", tidy(text)))
        }),
        Format::Toml => {
            // toml's parse tree, not its serde Deserializer: the tree is all a scenario needs, and
            // the Deserializer's generic code weighs about 6 KB of the page's gzip budget.
            let table = toml::de::DeTable::parse(text).map_err(|e| {
                let at = e.span().map_or(0, |s| s.start);
                let (line, column) = line_and_column(text, at);
                Problems::one(format!("line {line}, column {column}"), format!("not valid TOML: {}", e.message().trim()))
            })?;
            toml_to_json(toml::de::DeValue::Table(table.into_inner()), "").map_err(|p| Problems(vec![p]))
        }
    }
}

/// Writes a scenario as a TOML file `kafka-lab run` reads back unchanged.
///
/// Through the JSON value the links already build, not a TOML serializer of its own: serde would
/// otherwise generate a second copy of every scenario type's serializer (about 20 KB of the page's
/// gzip budget). The price is that keys come out in alphabetical order, which the reader ignores.
pub fn to_toml(scenario: &Scenario) -> Result<String, String> {
    let written = serde_json::to_value(scenario).map_err(|e| e.to_string()).and_then(|value| {
        too_large_for_toml(&value, "")?;
        if !value.is_object() {
            return Err("it is not a table".to_string());
        }
        toml::to_string_pretty(&AsToml(&value)).map_err(|e| e.to_string())
    });
    written.map_err(|why| format!("cannot write this scenario as TOML: {why}"))
}

/// The first number a TOML integer cannot hold (above `i64::MAX`), by its path.
fn too_large_for_toml(value: &Value, path: &str) -> Result<(), String> {
    match value {
        Value::Number(n) if n.as_i64().is_none() && !n.is_f64() => Err(format!("{path} = {n} is larger than a TOML integer can be")),
        Value::Array(items) => items.iter().enumerate().try_for_each(|(i, v)| too_large_for_toml(v, &index_path(path, i))),
        Value::Object(map) => map.iter().try_for_each(|(k, v)| too_large_for_toml(v, &key_path(path, k))),
        _ => Ok(()),
    }
}

/// A JSON value written as TOML, which has no null: a null is left out (of a table or an array), as
/// a missing key reads the same. Numbers are checked by [`too_large_for_toml`] first.
///
/// Serialized straight from the JSON value, making the same calls `toml::Value` would: converting it
/// into a `toml::Value` first (and so keeping toml's own table type) weighed 2.8 KB of the page's gzip
/// budget.
struct AsToml<'a>(&'a Value);

impl Serialize for AsToml<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Null => serializer.serialize_none(),
            Value::Bool(b) => serializer.serialize_bool(*b),
            // Every number a scenario holds is an integer (too_large_for_toml has refused any above
            // i64::MAX). A fraction cannot come from a Scenario; refusing it keeps float formatting,
            // which only this call needed, out of the page (7.7 KB gzip).
            Value::Number(n) => match n.as_i64() {
                Some(i) => serializer.serialize_i64(i),
                None => Err(serde::ser::Error::custom(format!("{n} is not a whole number"))),
            },
            Value::String(s) => serializer.serialize_str(s),
            Value::Array(items) => {
                let kept = || items.iter().filter(|v| !v.is_null());
                let mut seq = serializer.serialize_seq(Some(kept().count()))?;
                for item in kept() {
                    seq.serialize_element(&AsToml(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let kept = || map.iter().filter(|(_, v)| !v.is_null());
                let mut table = serializer.serialize_map(Some(kept().count()))?;
                for (k, v) in kept() {
                    table.serialize_entry(k, &AsToml(v))?;
                }
                table.end()
            }
        }
    }
}

/// Writes a scenario as pretty JSON.
pub fn to_json(scenario: &Scenario) -> String {
    // A Scenario holds only strings, integers, booleans, lists and string-keyed maps: it always serializes.
    serde_json::to_string_pretty(scenario).expect("a scenario serializes to JSON")
}

/// 1-based line and column (in characters) of a byte offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

fn toml_to_json(value: toml::de::DeValue<'_>, path: &str) -> Result<Value, Problem> {
    use toml::de::DeValue;
    Ok(match value {
        DeValue::String(s) => Value::String(s.into_owned()),
        DeValue::Integer(i) => {
            let n = i64::from_str_radix(i.as_str(), i.radix()).map_err(|_| Problem::new(path, format!("{i} is too large: whole numbers go up to {}", i64::MAX)))?;
            Value::from(n)
        }
        DeValue::Float(f) => toml_float(f.as_str()).ok_or_else(|| Problem::new(path, format!("{f} is not a finite number")))?,
        DeValue::Boolean(b) => Value::Bool(b),
        DeValue::Datetime(_) => {
            return Err(Problem::new(path, "scenarios use no dates or times: write moments as milliseconds since the run began"));
        }
        DeValue::Array(items) => Value::Array(
            items.into_iter().enumerate().map(|(i, v)| toml_to_json(v.into_inner(), &index_path(path, i))).collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => {
            let mut map = Map::new();
            for (k, v) in table {
                let k = k.into_inner().into_owned();
                let child = toml_to_json(v.into_inner(), &key_path(path, &k))?;
                map.insert(k, child);
            }
            Value::Object(map)
        }
    })
}

/// A TOML float (already checked by toml's parser) as a JSON number, or `None` for inf and nan.
///
/// No scenario field holds a float, so the number only has to reach the message that says which
/// field wanted what. It is read by serde_json's number reader, which the page has anyway: Rust's own
/// float parser would add a 10 KB table that gzip cannot shrink. Without its underscores and a
/// leading `+`, a finite TOML float is a JSON number.
fn toml_float(text: &str) -> Option<Value> {
    let digits: String = text.chars().filter(|c| *c != '_').collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    if digits.contains(['i', 'n']) {
        return None;
    }
    strict_json(digits).ok().filter(Value::is_number)
}

/// A JSON document in which no object repeats a key (serde_json would keep the last one silently).
pub(crate) fn strict_json(text: &str) -> Result<Value, serde_json::Error> {
    serde_json::from_str::<StrictValue>(text).map(|s| s.0)
}

struct StrictValue(Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor).map(StrictValue)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        serde_json::Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("not a finite number"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(StrictValue(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Value, A::Error> {
        let mut map = Map::new();
        while let Some(key) = access.next_key::<String>()? {
            if map.contains_key(&key) {
                return Err(de::Error::custom(format!("the key \"{key}\" appears twice in one object")));
            }
            let StrictValue(v) = access.next_value()?;
            map.insert(key, v);
        }
        Ok(Value::Object(map))
    }
}

/// serde's message in a course author's words: names quoted the way problems quote them, and a
/// wrong value said as what the field takes and what it got: serde's "invalid value: integer `-2`,
/// expected u32" reads "expected a whole number from 0 to 4294967295, not -2".
fn tidy(message: &str) -> String {
    let message = message.replace('`', "'");
    if message == "trailing characters" {
        // serde_json's word for a list item after the last one the list takes (`["orders", 0, 1]`).
        return "one item too many: the list ends before it".to_string();
    }
    if let Some((n, expected)) = message.strip_prefix("invalid length ").and_then(|m| m.split_once(", expected ")) {
        // A list of the wrong length: a `[topic, partition]` pair, or a tagged value written as a list.
        let expected = expected.rsplit(" with ").next().unwrap_or(expected).replace("elements in sequence", "items").replace("element", "item");
        let expected = if expected == "a tuple of size 2" { "2 items" } else { &expected };
        return format!("expected {expected}, not {n} item{}", if n == "1" { "" } else { "s" });
    }
    let wrong = message.strip_prefix("invalid type: ").or_else(|| message.strip_prefix("invalid value: "));
    let Some((got, expected)) = wrong.and_then(|m| m.rsplit_once(", expected ")) else {
        return message;
    };
    let got = match got {
        "sequence" => "a list",
        "map" => "a table",
        "unit value" => "null",
        _ => {
            let quoted = ["integer '", "floating point '", "boolean '"].iter().find_map(|kind| got.strip_prefix(kind)?.strip_suffix('\''));
            quoted.or_else(|| got.strip_prefix("string ")).unwrap_or(got)
        }
    };
    format!("expected {}, not {got}", expected_in_words(expected))
}

/// What serde says a field expects (a Rust type, a Rust struct), as a course author says it.
fn expected_in_words(expected: &str) -> &str {
    match expected {
        "u8" => "a whole number from 0 to 255",
        "u16" => "a whole number from 0 to 65535",
        "u32" => "a whole number from 0 to 4294967295",
        // A scenario file's integers end at TOML's largest, and a link carries what a file can hold:
        // the seed's own rule says the same (`seed = 2` is fine, `seed = -2` is not, and neither is
        // anything past this).
        "u64" | "usize" => "a whole number from 0 to 9223372036854775807",
        "i32" => "a whole number from -2147483648 to 2147483647",
        "i64" => "a whole number from -9223372036854775808 to 9223372036854775807",
        "f32" | "f64" => "a number",
        "a sequence" => "a list",
        "a tuple of size 2" => "a list of two items",
        "variant identifier" => "a name",
        "string or map" => "a string or a table",
        _ if expected.starts_with("struct ") || expected.starts_with("internally tagged enum ") || expected == "a map" => "a table",
        _ => expected,
    }
}

/// Reads a `T` from `value`, naming the path (under `path`) of the first problem.
pub(crate) fn from_value_at<T: DeserializeOwned>(value: &Value, path: &str) -> Result<T, Problem> {
    crate::kafka::tagged::read_at(value, path).map_err(|(at, message)| Problem::new(at, tidy(&message)))
}

/// Whether `value` reads as a `T` (through its text, as [`from_value_at`] reads).
fn reads_as<T: DeserializeOwned>(value: &Value) -> bool {
    serde_json::from_str::<T>(&value.to_string()).is_ok()
}

/// Every problem in a `T` whose fields all have defaults (`#[serde(default)]`): each field is read on
/// its own, and a list field item by item, so one mistake does not hide the next.
fn problems_field_by_field<T: DeserializeOwned>(value: &Value, path: &str) -> Vec<Problem> {
    let Value::Object(map) = value else {
        return from_value_at::<T>(value, path).err().into_iter().collect();
    };
    let mut problems = Vec::new();
    for (key, field) in map {
        let alone = Value::Object(Map::from_iter([(key.clone(), field.clone())]));
        if reads_as::<T>(&alone) {
            continue;
        }
        let before = problems.len();
        if let Value::Array(items) = field {
            let first_item = index_path(&key_path(path, key), 0);
            for (i, item) in items.iter().enumerate() {
                let one = Value::Object(Map::from_iter([(key.clone(), Value::Array(vec![item.clone()]))]));
                if let Err(mut problem) = from_value_at::<T>(&one, path) {
                    if let Some(rest) = problem.path.strip_prefix(&first_item) {
                        problem.path = format!("{}{rest}", index_path(&key_path(path, key), i));
                    }
                    problems.push(problem);
                }
            }
        }
        if problems.len() == before
            && let Err(problem) = from_value_at::<T>(&alone, path)
        {
            problems.push(problem);
        }
    }
    problems
}

const TOP_LEVEL_FIELDS: [&str; 10] = ["version", "id", "title", "section", "summary", "seed", "duration_ms", "cluster", "actions", "steps"];
const REQUIRED_FIELDS: [&str; 7] = ["version", "id", "title", "section", "seed", "duration_ms", "cluster"];

/// The typed scenario, or every problem of shape (unknown fields, missing fields, wrong types).
/// When only the actions or steps are misshapen, the cluster's own rules are checked as well.
fn read_shape(document: &Value) -> Result<Scenario, Problems> {
    if let Ok(scenario) = serde_json::from_str::<Scenario>(&document.to_string()) {
        return Ok(scenario);
    }
    let Some(top) = document.as_object() else {
        return Err(Problems::one("", "a scenario is a table of fields (version, id, title, section, seed, duration_ms, cluster, …)"));
    };
    let mut problems = Vec::new();
    for key in top.keys().filter(|k| !TOP_LEVEL_FIELDS.contains(&k.as_str())) {
        let hint = did_you_mean(key, TOP_LEVEL_FIELDS).map(|k| format!(" (did you mean '{k}'?)")).unwrap_or_default();
        problems.push(Problem::new(key_path("", key), format!("unknown field{hint}; a scenario has {}", TOP_LEVEL_FIELDS.join(", "))));
    }
    for key in REQUIRED_FIELDS.iter().filter(|k| !top.contains_key(**k)) {
        problems.push(Problem::new(*key, "missing: every scenario needs it"));
    }
    let field = |key: &str| top.get(key);
    for key in ["id", "title", "summary"] {
        if let Some(v) = field(key) {
            problems.extend(from_value_at::<String>(v, key).err());
        }
    }
    if let Some(v) = field("section") {
        problems.extend(from_value_at::<super::format::Section>(v, "section").err());
    }
    for key in ["version"] {
        if let Some(v) = field(key) {
            problems.extend(from_value_at::<u32>(v, key).err());
        }
    }
    for key in ["seed", "duration_ms"] {
        if let Some(v) = field(key) {
            problems.extend(from_value_at::<u64>(v, key).err());
        }
    }
    let mut cluster_ok = None;
    if let Some(v) = field("cluster") {
        match from_value_at::<crate::kafka::world::ClusterSpec>(v, "cluster") {
            Ok(cluster) => cluster_ok = Some(cluster),
            Err(first) => {
                let all = problems_field_by_field::<crate::kafka::world::ClusterSpec>(v, "cluster");
                if all.is_empty() { problems.push(first) } else { problems.extend(all) }
            }
        }
    }
    for (key, read_item) in [
        ("actions", (|v: &Value, p: &str| from_value_at::<crate::kafka::world::TimedAction>(v, p).err()) as fn(&Value, &str) -> Option<Problem>),
        ("steps", |v: &Value, p: &str| from_value_at::<super::format::Step>(v, p).err()),
    ] {
        match field(key) {
            None => {}
            Some(Value::Array(items)) => {
                for (i, item) in items.iter().enumerate() {
                    problems.extend(read_item(item, &index_path(key, i)));
                }
            }
            Some(_) => problems.push(Problem::new(key, format!("{key} is a list (in TOML: [[{key}]] tables)"))),
        }
    }
    if let Some(cluster) = cluster_ok {
        problems.extend(validate::cluster_problems(&cluster));
    }
    if problems.is_empty() {
        // Every part read on its own; reading the whole again gives serde's own account.
        return from_value_at::<Scenario>(document, "").map_err(|p| Problems(vec![p]));
    }
    Err(Problems(problems))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::world::ClusterSpec;
    use serde_json::json;

    #[test]
    fn toml_values_a_scenario_cannot_hold_are_named_at_their_path() {
        let problem = |text: &str| document(text, Format::Toml).unwrap_err().to_string();
        assert_eq!(problem("seed = 99999999999999999999"), "seed: 99999999999999999999 is too large: whole numbers go up to 9223372036854775807");
        assert_eq!(problem("[cluster]\nx = nan"), "cluster.x: nan is not a finite number");
        assert!(problem("at = 1979-05-27").starts_with("at: scenarios use no dates or times"));
        assert!(problem("id = 1\nid = 2").starts_with("line 2, column 1: not valid TOML: duplicate key"));
        assert_eq!(problem("[cluster]\nx = -inf"), "cluster.x: -inf is not a finite number");
        assert_eq!(problem("x = 1e400"), "x: 1e400 is not a finite number");
        assert_eq!(
            document("n = 0x10\nf = 1_000.5\ng = +2e-3\nh = -0.0\ni = 6.02E+23", Format::Toml).unwrap(),
            json!({"n": 16, "f": 1000.5, "g": 0.002, "h": -0.0, "i": 6.02e23})
        );
    }

    #[test]
    fn a_problem_deep_in_the_cluster_names_its_path() {
        let cluster = json!({"topics": [{"name": "orders"}, {"name": "payments", "replication_factor": "three"}]});
        let problem = from_value_at::<ClusterSpec>(&cluster, "cluster").unwrap_err();
        assert_eq!(problem.path, "cluster.topics[1].replication_factor");
        assert_eq!(problem.rule, "expected a whole number from 0 to 4294967295, not \"three\"");
    }

    #[test]
    fn an_unknown_field_is_named_with_its_path() {
        let cluster = json!({"brokers": [{"id": 1}, {"id": 2, "rak": "a"}]});
        let problem = from_value_at::<ClusterSpec>(&cluster, "cluster").unwrap_err();
        assert_eq!(problem.path, "cluster.brokers[1].rak");
        assert!(problem.rule.contains("unknown field 'rak'"), "{problem}");
    }

    #[test]
    fn every_misshapen_part_of_the_cluster_is_reported() {
        let cluster = json!({
            "controllers": "one",
            "topics": [{"name": "a", "partitons": 3}, {"name": "b"}, {"name": "c", "config": {"retention.ms": [1.5]}}],
            "colour": "blue"
        });
        let problems = problems_field_by_field::<ClusterSpec>(&cluster, "cluster");
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(paths.len(), 4, "{problems:?}");
        assert!(paths.contains(&"cluster.controllers"));
        assert!(paths.contains(&"cluster.topics[0].partitons"));
        assert!(paths.iter().any(|p| p.starts_with("cluster.topics[2].config")), "{paths:?}");
        assert!(paths.iter().any(|p| p.starts_with("cluster")), "{paths:?}");
    }

    #[test]
    fn serde_words_for_rust_types_are_said_as_a_course_author_says_them() {
        assert_eq!(tidy("invalid value: integer `-2`, expected u32"), "expected a whole number from 0 to 4294967295, not -2");
        assert_eq!(tidy("invalid type: floating point `1e+23`, expected u64"), "expected a whole number from 0 to 9223372036854775807, not 1e+23");
        assert_eq!(tidy("invalid type: string \"big\", expected u32"), "expected a whole number from 0 to 4294967295, not \"big\"");
        assert_eq!(tidy("invalid type: boolean `true`, expected a string"), "expected a string, not true");
        assert_eq!(tidy("invalid type: sequence, expected struct Workload"), "expected a table, not a list");
        assert_eq!(tidy("invalid type: map, expected a sequence"), "expected a list, not a table");
        assert_eq!(tidy("invalid type: string \"x\", expected internally tagged enum KeyPattern"), "expected a table, not \"x\"");
        assert_eq!(tidy("invalid length 1, expected a tuple of size 2"), "expected 2 items, not 1 item");
        assert_eq!(tidy("invalid length 3, expected 2 elements in sequence"), "expected 2 items, not 3 items");
        assert_eq!(tidy("trailing characters"), "one item too many: the list ends before it");
        assert_eq!(tidy("unknown field `zzz`, expected `broker`"), "unknown field 'zzz', expected 'broker'");
        // A string that says ", expected " keeps what it says.
        assert_eq!(tidy("invalid type: string \"a, expected b\", expected u32"), "expected a whole number from 0 to 4294967295, not \"a, expected b\"");
    }

    #[test]
    fn json_objects_may_not_repeat_a_key() {
        let e = strict_json("{\"seed\": 1,\n \"seed\": 2}").unwrap_err();
        assert_eq!(e.line(), 2);
        assert!(e.to_string().contains("appears twice"));
    }

    #[test]
    fn syntax_errors_carry_line_and_column() {
        let toml = "version = 1\nid = \"x\"\ntitle = = 3\n";
        let problems = document(toml, Format::Toml).unwrap_err();
        assert!(problems.0[0].path.starts_with("line 3, column"), "{problems}");
        let json = "{\n  \"version\": 1,\n  \"id\": x\n}";
        let problems = document(json, Format::Json).unwrap_err();
        assert!(problems.0[0].path.starts_with("line 3, column"), "{problems}");
    }

    #[test]
    fn toml_dates_are_refused_with_their_path() {
        let problems = document("version = 1\n[cluster]\nwhen = 1979-05-27T07:32:00Z\n", Format::Toml).unwrap_err();
        assert_eq!(problems.0[0].path, "cluster.when");
    }

    #[test]
    fn deep_nesting_is_a_problem_not_a_crash() {
        let toml = format!("a = {}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(document(&toml, Format::Toml).is_err());
        let json = format!("{{\"a\": {}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(document(&json, Format::Json).is_err());
    }
}
