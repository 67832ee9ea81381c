//! A stream processor's topology: the few Kafka Streams operators the lessons use, applied to one
//! record at a time.
//!
//! `filter` keeps records whose value contains some text, `mapValues` rewrites values, and a
//! windowed `count` keeps, per key and tumbling window, how many records it saw, emitting every
//! updated count (Kafka Streams with record caches off). The counts live in an in-memory store
//! without a changelog (Kafka Streams' `withLoggingDisabled()`): a processor that crashes starts
//! counting again from its committed position.

use crate::kafka::record::Value;
use serde::Serialize;
use crate::sim::sorted::SortedMap;
use std::rc::Rc;

/// One operator of the topology, as a scenario file writes it.
/// Read by [`crate::tagged_enum_de!`] below (not serde's derive: see [`crate::kafka::tagged`]), which
/// also refuses unknown fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Step {
    /// `filter((k, v) -> v.contains(text))`.
    Filter { value_contains: String },
    /// `mapValues(v -> prefix + (uppercase ? upperAscii(v) : v))`: the lesson's own function, so
    /// the lab chooses what it does. It upper-cases the letters a–z and leaves every other character
    /// as it is (Java's `toUpperCase()` would also change `é`): Unicode's case tables would add about
    /// 7.5 KB to the page's gzip budget, for values a learner types by hand.
    MapValues {
        #[serde(default)]
        uppercase: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        prefix: String,
    },
    /// `groupByKey().windowedBy(TimeWindows.ofSizeWithNoGrace(window_ms)).count()`: each record
    /// emits its window's new count, keyed `key@window_start_ms`. Records without a key are dropped,
    /// as `groupByKey` does.
    CountByKey { window_ms: u64 },
}

crate::tagged_enum_de! {
    Step, tag = "op";
    Filter "filter" { value_contains: String },
    MapValues "map_values" { uppercase: bool = default, prefix: String = default },
    CountByKey "count_by_key" { window_ms: u64 },
}

/// A record flowing through the topology.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamRecord {
    pub key: Option<Rc<str>>,
    pub value: Value,
    pub timestamp_ms: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Topology {
    pub steps: Vec<Step>,
    /// The windowed counts: (step, key, window start) → count.
    counts: SortedMap<(usize, Rc<str>, u64), u64>,
}

impl Topology {
    pub fn new(steps: Vec<Step>) -> Topology {
        Topology { steps, counts: SortedMap::new() }
    }

    /// Runs one record through every step; `None` when a step drops it.
    pub fn process(&mut self, record: StreamRecord) -> Option<StreamRecord> {
        let mut record = record;
        for (index, step) in self.steps.iter().enumerate() {
            record = match step {
                Step::Filter { value_contains } => {
                    let keep = match &record.value {
                        Value::Text(text) => text.contains(value_contains.as_str()),
                        Value::Null | Value::Opaque(_) => false,
                    };
                    if !keep {
                        return None;
                    }
                    record
                }
                Step::MapValues { uppercase, prefix } => {
                    let value = match record.value {
                        Value::Text(text) => {
                            let body = if *uppercase { text.to_ascii_uppercase() } else { text.to_string() };
                            Value::Text(Rc::from(format!("{prefix}{body}")))
                        }
                        Value::Opaque(size) => Value::Opaque(size + prefix.len() as u32),
                        Value::Null => Value::Null,
                    };
                    StreamRecord { value, ..record }
                }
                Step::CountByKey { window_ms } => {
                    let key = record.key.clone()?;
                    let window_ms = (*window_ms).max(1);
                    let start = record.timestamp_ms - record.timestamp_ms % window_ms;
                    let count = self.counts.entry((index, key.clone(), start)).or_insert(0);
                    *count += 1;
                    StreamRecord { key: Some(Rc::from(format!("{key}@{start}"))), value: Value::Text(Rc::from(count.to_string())), timestamp_ms: record.timestamp_ms }
                }
            };
        }
        Some(record)
    }

    /// The store is lost with the process (no changelog).
    pub fn clear_state(&mut self) {
        self.counts.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, value: &str, timestamp_ms: u64) -> StreamRecord {
        StreamRecord { key: Some(Rc::from(key)), value: Value::Text(Rc::from(value)), timestamp_ms }
    }

    fn text(r: &StreamRecord) -> (String, String) {
        let value = match &r.value {
            Value::Text(t) => t.to_string(),
            other => format!("{other:?}"),
        };
        (r.key.as_deref().unwrap_or("").to_string(), value)
    }

    #[test]
    fn uppercase_changes_the_letters_a_to_z_only() {
        let mut t = Topology::new(vec![Step::MapValues { uppercase: true, prefix: String::new() }]);
        let out = t.process(record("u1", "café click #7", 0)).map(|r| text(&r));
        assert_eq!(out, Some(("u1".to_string(), "CAFé CLICK #7".to_string())));
    }

    #[test]
    fn filter_then_map_keeps_matching_records_and_rewrites_their_values() {
        let mut t = Topology::new(vec![
            Step::Filter { value_contains: "click".into() },
            Step::MapValues { uppercase: true, prefix: "seen:".into() },
        ]);
        assert_eq!(t.process(record("u1", "view /home", 0)), None);
        assert_eq!(text(&t.process(record("u1", "click /buy", 0)).unwrap()), ("u1".into(), "seen:CLICK /BUY".into()));
    }

    #[test]
    fn a_windowed_count_counts_per_key_and_starts_again_in_each_window() {
        let mut t = Topology::new(vec![Step::CountByKey { window_ms: 1_000 }]);
        let out: Vec<(String, String)> = [("a", 100), ("a", 900), ("b", 950), ("a", 1_200)]
            .iter()
            .map(|(k, ts)| text(&t.process(record(k, "x", *ts)).unwrap()))
            .collect();
        assert_eq!(out, [("a@0", "1"), ("a@0", "2"), ("b@0", "1"), ("a@1000", "1")].map(|(k, v)| (k.to_string(), v.to_string())));
    }

    #[test]
    fn counting_drops_records_without_a_key() {
        let mut t = Topology::new(vec![Step::CountByKey { window_ms: 1_000 }]);
        assert_eq!(t.process(StreamRecord { key: None, value: Value::Text(Rc::from("x")), timestamp_ms: 0 }), None);
    }
}
