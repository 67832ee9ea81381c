//! Scenarios: the versioned lesson format, its checks, the share-link codec, the headless runner and
//! the built-in library. No web types and no clock here: the browser and the CLI share all of it.
//!
//! - [`format`]: the types of a scenario file (version 1), checkpoints and probes.
//! - [`parse`]: TOML or JSON text to a checked scenario, every problem with its path.
//! - [`migrate`]: older versions forward.
//! - [`validate`]: the rules beyond shape, checked by the engine itself where it can.
//! - [`checkpoint`]: probes evaluated against the simulated state.
//! - [`tally`]: what the event stream adds up to (metrics, and facts probes need).
//! - [`run`]: running a scenario to a moment, evaluating checkpoints on the way.
//! - [`player`]: the lesson player's rules (steps reached, where playing stops, answers, the reveal).
//! - [`link`]: the share-link codec.
//! - [`library`]: the built-in lessons.

pub mod checkpoint;
pub mod format;
pub mod library;
pub mod link;
pub mod migrate;
pub mod parse;
pub mod player;
pub mod problem;
pub mod run;
pub mod tally;
pub mod validate;

pub use checkpoint::{CheckpointResult, evaluate};
pub use format::{Checkpoint, FORMAT_VERSION, Probe, ProbeValue, Scenario, Section, Step};
pub use library::{PresetInfo, preset, presets};
pub use link::{LINK_DOWNLOAD_THRESHOLD, LinkError, RunSource, SharedRun, decode_link, encode_link, preset_link};
pub use parse::{Format, parse_scenario, parse_scenario_as, to_json, to_toml};
pub use problem::{Problem, Problems};
pub use run::{RunReport, ScenarioRun, run_scenario};
