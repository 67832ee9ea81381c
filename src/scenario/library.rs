//! The built-in lessons: every `static/scenarios/<id>.toml`, embedded in the binary (and the wasm) so
//! the lab needs no file access. Ids are stable: course pages link to `#preset=<id>`.

use super::format::{Scenario, Section};
use super::parse::parse_scenario;
use super::problem::{Problems, did_you_mean};
use std::fmt;

/// Embeds `static/scenarios/<id>.toml` for each id, in the order the lesson index lists them.
macro_rules! presets {
    ($($id:literal),* $(,)?) => {
        const PRESETS: &[(&str, &str)] = &[
            $(($id, include_str!(concat!("../../static/scenarios/", $id, ".toml"))),)*
        ];
    };
}

presets![
    "topic-partitions-offsets",
    "round-robin-no-key",
    "key-hash-ordering",
    "out-of-order-across-partitions",
    "hot-partition",
    "group-one-consumer",
    "group-equal",
    "group-idle-consumers",
    "groups-broadcast",
    "groups-mixed",
    "scale-out-rebalance",
    "consumer-crash-rebalance",
    "eager-vs-cooperative",
    "add-partitions-later",
    "offsets-commit-replay",
    "replication-leaders-followers",
    "acks-0-1-all",
    "leader-failover",
    "acks1-data-loss",
    "min-insync-replicas",
    "unclean-election",
    "auto-commit-duplicates",
    "delivery-semantics",
    "idempotent-producer",
    "transactions-read-committed",
    "exactly-once-pipeline",
    "segments-retention",
    "sequential-io-zero-copy",
    "batching-linger",
    "kafka-vs-queue",
    "fan-out-decoupling",
    "delivery-tracking-bulk-insert",
    "kraft-metadata",
    "stream-processing",
    "stress",
];

/// A lesson in the index.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PresetInfo {
    pub id: &'static str,
    pub title: String,
    pub section: Section,
    pub summary: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LibraryError {
    UnknownPreset { id: String, suggestion: Option<String> },
    /// A built-in lesson that does not parse: a bug in this build (a test guards against it).
    Broken { id: String, problems: Problems },
}

impl fmt::Display for LibraryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LibraryError::UnknownPreset { id, suggestion: Some(s) } => write!(f, "there is no lesson '{id}' (did you mean '{s}'?)"),
            LibraryError::UnknownPreset { id, suggestion: None } => {
                write!(f, "there is no lesson '{id}' (`kafka-lab presets` lists them)")
            }
            LibraryError::Broken { id, problems } => write!(f, "the built-in lesson '{id}' is broken:\n{problems}"),
        }
    }
}

impl std::error::Error for LibraryError {}

/// Every preset id, in the index's order.
pub fn preset_ids() -> impl Iterator<Item = &'static str> {
    PRESETS.iter().map(|(id, _)| *id)
}

/// The preset's file as written, comments included (for "download this lesson").
pub fn preset_text(id: &str) -> Option<&'static str> {
    PRESETS.iter().find(|(i, _)| *i == id).map(|(_, text)| *text)
}

/// A preset, parsed and checked.
pub fn preset(id: &str) -> Result<Scenario, LibraryError> {
    let text = preset_text(id)
        .ok_or_else(|| LibraryError::UnknownPreset { id: id.to_string(), suggestion: did_you_mean(id, preset_ids()).map(str::to_string) })?;
    parse_scenario(text).map_err(|problems| LibraryError::Broken { id: id.to_string(), problems })
}

/// The lesson index: every preset with its title and section, sections in [`Section::ALL`] order and
/// lessons in the order above within a section. A broken preset (a bug) is left out.
pub fn presets() -> Vec<PresetInfo> {
    let mut index: Vec<PresetInfo> = preset_ids()
        .filter_map(|id| preset(id).ok().map(|s| PresetInfo { id, title: s.title, section: s.section, summary: s.summary }))
        .collect();
    // A stable sort keeps the listed order inside each section.
    crate::sim::sorted::sort_by(&mut index, |a, b| a.section.cmp(&b.section));
    index
}
