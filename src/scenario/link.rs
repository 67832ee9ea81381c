//! Share links: the current run as a URL fragment, inputs only (never state).
//!
//! A run is (a preset id or an inline scenario) + seed + the learner's own timed actions + the moment
//! on the timeline. The fragment is
//!
//! ```text
//! #v1.<base64url, no padding, of zlib-wrapped deflate (RFC 1950/1951) of compact JSON>
//! ```
//!
//! where the JSON is `{"preset": "<id>", "seed": 7, "actions": [<timed actions>], "at_ms": 12000}`
//! or `{"scenario": {<a scenario, any supported version>}, "seed": …, "actions": […], "at_ms": …}`
//! (`actions` is left out when empty; `"step": 4`, the lesson step shown, is there only when the
//! moment alone does not say it: steps sharing one moment; a preset link carries `"lesson": <u32>`,
//! the fingerprint of the lesson's run it was made from, see [`lesson_fingerprint`]). zlib's checksum turns a damaged link into a clear error rather
//! than a different run, and the browser's `CompressionStream("deflate")` speaks the same format.
//! A plain lesson link is `#preset=<id>`.
//!
//! The decoder is for hostile input: the fragment and the inflated JSON have hard size limits, every
//! failure is a [`LinkError`] a learner can read, and nothing panics.

use super::format::Scenario;
use super::library;
use super::parse::{from_value_at, scenario_from_document, strict_json};
use super::problem::{Problem, Problems, did_you_mean, index_path};
use super::validate::{self, ACTIONS_MAX, DURATION_MS_MAX, id_problem};
use crate::kafka::world::TimedAction;
use base64::Engine as _;
use base64::engine::general_purpose::{GeneralPurpose, NO_PAD, URL_SAFE_NO_PAD};
use serde_json::{Map, Value};
use std::fmt;

/// The version tag of the link format this build writes and reads.
pub const LINK_VERSION: &str = "v1";
/// Above this many characters a link is too long to paste comfortably: offer a file download instead.
pub const LINK_DOWNLOAD_THRESHOLD: usize = 8000;
/// The decoder refuses longer input without looking at it.
pub const LINK_ENCODED_MAX: usize = 64 * 1024;
/// The decoder stops inflating past this many bytes.
pub const LINK_INFLATED_MAX: usize = 1 << 20;
/// Where `kafka-lab link` points when no `--base` is given.
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080/";

/// What a run starts from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunSource {
    /// A built-in lesson, by id: the link stays short.
    Preset(String),
    /// A scenario carried whole (a course author's own, or one the learner built).
    Inline(Box<Scenario>),
}

/// A run as a link carries it: inputs only.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SharedRun {
    pub source: RunSource,
    pub seed: u64,
    /// The learner's own clicks, each run where it landed: after the other work of its moment.
    pub actions: Vec<TimedAction>,
    /// The moment on the timeline the link opens at.
    pub at_ms: u64,
    /// The lesson step shown, when the moment alone does not say it: of steps sharing one moment,
    /// the link opens on the first, unless it names another (`None` in most links).
    pub step: Option<u32>,
    /// With a preset: the fingerprint of the lesson's run the link is made from ([`lesson_fingerprint`];
    /// `None` in links made before links carried it).
    pub lesson: Option<u32>,
}

/// What makes a lesson's run: its cluster and its scripted actions (not its texts, nor its seed, which
/// a link carries itself), as a number. A link to a lesson carries only the lesson's id; when the lab
/// is updated and the lesson's run changes, the same link would open another run without a word, and
/// "same link, same run" would silently fail. The fingerprint lets the lab say so.
pub fn lesson_fingerprint(lesson: &Scenario) -> u32 {
    // Through a JSON value, as `link_json` writes a scenario: the page then carries one way of writing
    // a scenario out (straight to text took 4 KB of wasm more). Cluster specs and actions are plain
    // data: they always convert.
    let run = [serde_json::to_value(&lesson.cluster).unwrap_or_default(), serde_json::to_value(&lesson.actions).unwrap_or_default()];
    let text = Value::Array(run.into()).to_string();
    crate::sim::rng::label_hash(&text) as u32
}

impl SharedRun {
    /// When the link names a lesson whose run has changed since the link was made, the sentence that
    /// says so (the run opens all the same: it is the nearest there is).
    pub fn lesson_changed(&self) -> Option<String> {
        let (RunSource::Preset(id), Some(made_from)) = (&self.source, self.lesson) else { return None };
        let lesson = library::preset(id).ok()?;
        (lesson_fingerprint(&lesson) != made_from).then(|| {
            format!(
                "This link was made from an earlier version of the lesson '{id}': its cluster or its scripted actions have changed since, so this run may not be the one that was shared."
            )
        })
    }

    /// A built-in lesson at its own seed, at the start.
    pub fn preset(id: &str) -> Result<SharedRun, LinkError> {
        let scenario = library::preset(id).map_err(|e| LinkError::from_library(id, e))?;
        let lesson = Some(lesson_fingerprint(&scenario));
        Ok(SharedRun { source: RunSource::Preset(id.to_string()), seed: scenario.seed, actions: Vec::new(), at_ms: 0, step: None, lesson })
    }

    /// A scenario carried whole, at its own seed, at the start.
    pub fn inline(scenario: Scenario) -> SharedRun {
        SharedRun { seed: scenario.seed, source: RunSource::Inline(Box::new(scenario)), actions: Vec::new(), at_ms: 0, step: None, lesson: None }
    }

    /// The scenario the run starts from, before the learner's seed and actions.
    pub fn base_scenario(&self) -> Result<Scenario, LinkError> {
        match &self.source {
            RunSource::Preset(id) => library::preset(id).map_err(|e| LinkError::from_library(id, e)),
            RunSource::Inline(scenario) => Ok((**scenario).clone()),
        }
    }

    /// The whole run as one checked scenario: the learner's seed, the scenario's actions followed by
    /// the learner's, and a duration that reaches the shared moment and every action.
    pub fn scenario(&self) -> Result<Scenario, LinkError> {
        let mut scenario = self.base_scenario()?;
        scenario.seed = self.seed;
        scenario.actions.extend(self.actions.iter().cloned());
        let last_action = self.actions.iter().map(|a| a.at_ms).max().unwrap_or(0);
        scenario.duration_ms = scenario.duration_ms.max(self.at_ms).max(last_action);
        validate::validate(&scenario).map_err(LinkError::InvalidRun)?;
        if let Some(step) = self.step {
            let reached = scenario.steps.iter().filter(|s| s.at_ms <= self.at_ms).count();
            if step as usize >= reached {
                let rule = format!("the lesson has {reached} steps by {} ms, so step is at most {} (got {step})", self.at_ms, reached.saturating_sub(1));
                return Err(LinkError::InvalidRun(Problems::one("step", rule)));
            }
        }
        Ok(scenario)
    }
}

/// Why a link cannot be opened. Every message says what is wrong in words a learner can act on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    /// No `#v1.` or `#preset=` part.
    NotALink,
    /// Made by another version of the link format.
    UnknownVersion(String),
    TooLong { length: usize },
    /// A character that base64url does not use, or padding links do not have.
    NotBase64(String),
    /// The beginning of a link, whose data stops before the run does: it was not copied whole.
    CutShort,
    /// Base64url, but not of compressed data as links carry it: text that was never a link, or a link
    /// changed at its very start.
    NotCompressed,
    /// Compressed data that was altered: its checksum or its structure is wrong.
    Damaged(String),
    /// It inflates past [`LINK_INFLATED_MAX`].
    TooLarge,
    NotText,
    NotJson { line: usize, column: usize, message: String },
    /// The JSON is not a run, or the run breaks a scenario rule.
    InvalidRun(Problems),
    UnknownPreset { id: String, suggestion: Option<String> },
    /// The lesson the run starts from is in the index, but its file has not arrived (the web app
    /// fetches it before opening the link, so this is a fetch that failed or is still under way).
    LessonNotLoaded { id: String },
}

impl LinkError {
    fn from_library(id: &str, error: library::LibraryError) -> LinkError {
        match error {
            library::LibraryError::UnknownPreset { suggestion, .. } => LinkError::UnknownPreset { id: id.to_string(), suggestion },
            library::LibraryError::Broken { problems, .. } => LinkError::InvalidRun(problems),
            library::LibraryError::NotLoaded { .. } => LinkError::LessonNotLoaded { id: id.to_string() },
        }
    }
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::NotALink => write!(f, "this is not a kafka-lab link: it has no #{LINK_VERSION}. or #preset= part"),
            LinkError::UnknownVersion(v) => {
                // v0 never existed; a higher number may come from a newer kafka-lab.
                let number = |v: &str| v.trim_start_matches('v').parse::<u32>().ok();
                let why = if number(v) > number(LINK_VERSION) { "it may come from a newer version" } else { "no kafka-lab ever wrote it" };
                write!(f, "this link is in format '{v}', which this kafka-lab does not read (it reads {LINK_VERSION}); {why}")
            }
            LinkError::TooLong { length } => {
                write!(f, "this link is {length} characters long; links are at most {LINK_ENCODED_MAX} (share a scenario file instead)")
            }
            LinkError::NotBase64(why) => write!(f, "this link is damaged: {why}"),
            LinkError::CutShort => write!(f, "this link is cut short (its data stops before the run it carries ends): was it copied whole?"),
            LinkError::NotCompressed => write!(
                f,
                "this link is damaged: what follows #{LINK_VERSION}. is not a run compressed by kafka-lab (was it typed or changed by hand?)"
            ),
            LinkError::Damaged(why) => write!(f, "this link is damaged: {why}, so part of it was changed after it was made"),
            LinkError::TooLarge => write!(f, "this link unpacks to more than {LINK_INFLATED_MAX} bytes; the lab refuses it"),
            LinkError::NotText => write!(f, "this link is damaged: its content is not text"),
            LinkError::NotJson { line, column, message } => {
                write!(f, "this link is damaged: its content is not valid JSON (line {line}, column {column}: {message})")
            }
            LinkError::InvalidRun(problems) => write!(f, "this link's run is not valid:\n{problems}"),
            LinkError::UnknownPreset { id, suggestion } => {
                write!(f, "there is no lesson '{id}' in this kafka-lab")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean '{s}'?)")?;
                }
                Ok(())
            }
            LinkError::LessonNotLoaded { id } => write!(f, "the lesson '{id}' this link starts from could not be loaded"),
        }
    }
}

impl std::error::Error for LinkError {}

/// `text` made a sentence to stand before another: a capital first letter and one closing mark. A
/// message that already ends in a question ("was it copied whole?") keeps its mark alone, so the
/// sentence after it does not read "whole?. Showing…".
pub fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut chars = text.chars();
    // ASCII only: the messages are the lab's own English, and char::to_uppercase would ship the
    // Unicode case tables (10.6 KB of gzip, measured) for them.
    let mut out: String = chars.next().map(|c| c.to_ascii_uppercase()).into_iter().collect();
    out.push_str(chars.as_str());
    if !out.is_empty() && !out.ends_with(['.', '?', '!']) {
        out.push('.');
    }
    out
}

/// The rule a moment breaks past the hour a run lasts at most, for the field or option `name`.
/// Opening, seeking or stepping there would simulate hours in one go, freezing the page until the
/// browser runs out of memory, so the moment is refused rather than moved to the end.
pub fn moment_rule(name: &str) -> String {
    format!("a run lasts at most one hour, so {name} is a moment from 0 to {DURATION_MS_MAX} ms")
}

/// Reads the moment of an embed option (`at=`, `until=` in the page's query): whole milliseconds within
/// the hour a run lasts at most. The error names the option, the value and the rule.
pub fn embed_moment(name: &str, value: &str) -> Result<u64, String> {
    let digits = !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u64>() {
        Ok(ms) if ms <= DURATION_MS_MAX => Ok(ms),
        // Digits only, yet not a moment: past the hour (even past what a u64 holds).
        _ if digits => Err(format!("embed option {name}={value}: {}", moment_rule(name))),
        _ => Err(format!("embed option {name}={value}: a moment in milliseconds, like {name}=12000")),
    }
}

/// A link's moment (`at_ms`, an action's `at_ms`) at `path`: a whole number of milliseconds within the
/// hour a run lasts at most.
fn moment_at(value: &Value, path: &str) -> Result<u64, Problem> {
    let name = path.rsplit('.').next().unwrap_or(path);
    let past = || Err(Problem::new(path, format!("{} (got {value})", moment_rule(name))));
    match value.as_u64() {
        Some(ms) if ms <= DURATION_MS_MAX => Ok(ms),
        Some(_) => past(),
        // Too large even for an integer (1e30): the hour is still the rule it breaks.
        None if value.as_f64().is_some_and(|ms| ms > DURATION_MS_MAX as f64) => past(),
        // Between milliseconds, or below zero: still a number, so the rule it breaks is named (not
        // the range of the type that holds it).
        None if value.as_f64().is_some_and(|ms| ms.fract() != 0.0) => {
            Err(Problem::new(path, format!("{name} is a whole number of milliseconds, from 0 to {DURATION_MS_MAX} (got {value})")))
        }
        None if value.is_number() => past(),
        None => from_value_at::<u64>(value, path),
    }
}

/// The URL without its fragment.
fn without_fragment(base_url: &str) -> &str {
    base_url.split('#').next().unwrap_or(base_url)
}

/// `base_url#preset=<id>`: a plain lesson link.
pub fn preset_link(id: &str, base_url: &str) -> String {
    format!("{}#preset={id}", without_fragment(base_url))
}

/// The compact JSON a `v1` link carries.
pub fn link_json(run: &SharedRun) -> String {
    let mut wire = Map::new();
    match &run.source {
        RunSource::Preset(id) => {
            wire.insert("preset".into(), Value::from(id.as_str()));
            if let Some(lesson) = run.lesson {
                wire.insert("lesson".into(), Value::from(lesson));
            }
        }
        RunSource::Inline(scenario) => {
            // A scenario is strings, integers, booleans, lists and string-keyed maps: it always converts.
            wire.insert("scenario".into(), serde_json::to_value(scenario).unwrap_or(Value::Null));
        }
    }
    wire.insert("seed".into(), Value::from(run.seed));
    if !run.actions.is_empty() {
        wire.insert("actions".into(), serde_json::to_value(&run.actions).unwrap_or(Value::Null));
    }
    wire.insert("at_ms".into(), Value::from(run.at_ms));
    if let Some(step) = run.step {
        wire.insert("step".into(), Value::from(step));
    }
    Value::Object(wire).to_string()
}

/// The share URL for a run: `base_url#v1.<payload>`.
pub fn encode_link(run: &SharedRun, base_url: &str) -> String {
    let compressed = miniz_oxide::deflate::compress_to_vec_zlib(link_json(run).as_bytes(), 10);
    format!("{}#{LINK_VERSION}.{}", without_fragment(base_url), URL_SAFE_NO_PAD.encode(compressed))
}

/// Opens a link (a whole URL, or just its fragment): the run it carries, checked, or why not.
pub fn decode_link(link: &str) -> Result<SharedRun, LinkError> {
    if link.len() > LINK_ENCODED_MAX {
        return Err(LinkError::TooLong { length: link.len() });
    }
    let link = link.trim();
    let fragment = link.split_once('#').map_or(link, |(_, f)| f);
    if let Some(id) = fragment.strip_prefix("preset=") {
        if let Some(rule) = id_problem(id) {
            return Err(LinkError::InvalidRun(Problems::one("preset", rule)));
        }
        return SharedRun::preset(id);
    }
    let Some((version, payload)) = fragment.split_once('.') else {
        return Err(LinkError::NotALink);
    };
    if version != LINK_VERSION {
        let looks_versioned = version.len() <= 8 && version.starts_with('v') && version[1..].bytes().all(|b| b.is_ascii_digit()) && version.len() > 1;
        return Err(if looks_versioned { LinkError::UnknownVersion(version.to_string()) } else { LinkError::NotALink });
    }
    let compressed = match URL_SAFE_NO_PAD.decode(payload) {
        Ok(bytes) => bytes,
        Err(e @ (base64::DecodeError::InvalidByte(..) | base64::DecodeError::InvalidPadding)) => return Err(LinkError::NotBase64(base64_problem(&e))),
        // A length or a last character base64url does not end with: a link cut mid-way ends so, and so
        // does text that was never a link. The data before the break tells them apart.
        Err(base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(..)) => {
            return Err(match lenient_prefix(payload) {
                Ok(bytes) if starts_like_zlib(&bytes) => LinkError::CutShort,
                Ok(_) => LinkError::NotCompressed,
                Err(e) => LinkError::NotBase64(base64_problem(&e)),
            });
        }
    };
    let json = miniz_oxide::inflate::decompress_to_vec_zlib_with_limit(&compressed, LINK_INFLATED_MAX).map_err(|e| match e.status {
        miniz_oxide::inflate::TINFLStatus::HasMoreOutput => LinkError::TooLarge,
        _ if !starts_like_zlib(&compressed) => LinkError::NotCompressed,
        miniz_oxide::inflate::TINFLStatus::FailedCannotMakeProgress => LinkError::CutShort,
        miniz_oxide::inflate::TINFLStatus::Adler32Mismatch => LinkError::Damaged("its checksum does not match".into()),
        _ => LinkError::Damaged("its compressed data is corrupt".into()),
    })?;
    let text = std::str::from_utf8(&json).map_err(|_| LinkError::NotText)?;
    let value = strict_json(text).map_err(|e| LinkError::NotJson { line: e.line(), column: e.column(), message: tidy_json_error(&e) })?;
    let run = shared_run_from_json(&value).map_err(|problems| match problems {
        ReadError::Problems(p) => LinkError::InvalidRun(p),
        ReadError::Link(e) => e,
    })?;
    // The whole run must open: the preset exists and the learner's actions fit it.
    run.scenario()?;
    Ok(run)
}

fn base64_problem(error: &base64::DecodeError) -> String {
    match error {
        base64::DecodeError::InvalidByte(at, byte) => {
            format!("character {:?} at position {} is not used in links", char::from(*byte), at + 1)
        }
        base64::DecodeError::InvalidLength(_) | base64::DecodeError::InvalidLastSymbol(..) => "its length is not one a link can have".to_string(),
        base64::DecodeError::InvalidPadding => "it has padding that links do not use".to_string(),
    }
}

/// base64url that does not insist the last character's unused bits are zero, as a link cut mid-way
/// may end on any character.
const LENIENT: GeneralPurpose = GeneralPurpose::new(&base64::alphabet::URL_SAFE, NO_PAD.with_decode_allow_trailing_bits(true));

/// The bytes a payload holds before its break: a lone last character (which holds no whole byte) left
/// out, a part-filled last one read for what it has. A character links do not use is still an error.
fn lenient_prefix(payload: &str) -> Result<Vec<u8>, base64::DecodeError> {
    let bytes = payload.as_bytes();
    let whole = if bytes.len() % 4 == 1 { &bytes[..bytes.len() - 1] } else { bytes };
    LENIENT.decode(whole)
}

/// Whether `bytes` can begin a zlib stream as links carry it (RFC 1950, 2.2): deflate with a window of
/// at most 32 KiB, no preset dictionary, and the header's own check. Nothing at all could be the start
/// of one. Text that was never a link passes only by chance, about once in two thousand.
fn starts_like_zlib(bytes: &[u8]) -> bool {
    let method_ok = |cmf: u8| cmf & 0x0f == 8 && cmf >> 4 <= 7;
    match bytes {
        [] => true,
        [cmf] => method_ok(*cmf),
        [cmf, flg, ..] => method_ok(*cmf) && flg & 0x20 == 0 && (u32::from(*cmf) * 256 + u32::from(*flg)) % 31 == 0,
    }
}

fn tidy_json_error(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(at) => text[..at].replace('`', "'"),
        None => text.replace('`', "'"),
    }
}

enum ReadError {
    Problems(Problems),
    Link(LinkError),
}

const WIRE_FIELDS: [&str; 7] = ["preset", "scenario", "seed", "actions", "at_ms", "step", "lesson"];

/// The JSON of a `v1` link as a run, with every problem's path.
fn shared_run_from_json(value: &Value) -> Result<SharedRun, ReadError> {
    let Some(wire) = value.as_object() else {
        return Err(ReadError::Problems(Problems::one("", "a link carries a run: {preset or scenario, seed, actions, at_ms}")));
    };
    let mut problems: Vec<Problem> = Vec::new();
    for key in wire.keys().filter(|k| !WIRE_FIELDS.contains(&k.as_str())) {
        problems.push(Problem::new(key.as_str(), format!("unknown field; a link carries {}", WIRE_FIELDS.join(", "))));
    }
    let seed = match wire.get("seed") {
        None => {
            problems.push(Problem::new("seed", "missing"));
            0
        }
        Some(v) => from_value_at::<u64>(v, "seed").map_err(|p| problems.push(p)).unwrap_or(0),
    };
    let at_ms = match wire.get("at_ms") {
        None => 0,
        Some(v) => moment_at(v, "at_ms").map_err(|p| problems.push(p)).unwrap_or(0),
    };
    let step = wire.get("step").and_then(|v| from_value_at::<u32>(v, "step").map_err(|p| problems.push(p)).ok());
    let lesson = wire.get("lesson").and_then(|v| from_value_at::<u32>(v, "lesson").map_err(|p| problems.push(p)).ok());
    if lesson.is_some() && wire.contains_key("scenario") {
        problems.push(Problem::new("lesson", "only a link to a lesson of the library carries its fingerprint"));
    }
    let mut actions = Vec::new();
    match wire.get("actions") {
        None => {}
        Some(Value::Array(items)) if items.len() <= ACTIONS_MAX => {
            for (i, item) in items.iter().enumerate() {
                let path = index_path("actions", i);
                // A click past the hour would otherwise be reported as the scenario's duration_ms,
                // a field the learner never wrote.
                if let Some(Err(p)) = item.get("at_ms").map(|at| moment_at(at, &format!("{path}.at_ms"))) {
                    problems.push(p);
                    continue;
                }
                match from_value_at::<TimedAction>(item, &path) {
                    // A link's own actions are the learner's clicks, whether or not they say so.
                    Ok(action) => actions.push(TimedAction { click: true, ..action }),
                    Err(p) => problems.push(p),
                }
            }
        }
        Some(Value::Array(_)) => problems.push(Problem::new("actions", format!("at most {ACTIONS_MAX} actions"))),
        Some(_) => problems.push(Problem::new("actions", "a list of timed actions")),
    }
    let source = match (wire.get("preset"), wire.get("scenario")) {
        (Some(Value::String(id)), None) => {
            if let Some(rule) = id_problem(id) {
                problems.push(Problem::new("preset", rule));
                None
            } else if !library::is_preset(id) {
                let suggestion = did_you_mean(id, library::preset_ids()).map(str::to_string);
                return Err(ReadError::Link(LinkError::UnknownPreset { id: id.clone(), suggestion }));
            } else {
                Some(RunSource::Preset(id.clone()))
            }
        }
        (Some(_), None) => {
            problems.push(Problem::new("preset", "a lesson id (a string)"));
            None
        }
        (None, Some(document)) => match scenario_from_document(document.clone()) {
            Ok(scenario) => Some(RunSource::Inline(Box::new(scenario))),
            Err(inner) => {
                problems.extend(inner.0.into_iter().map(|p| p.under("scenario")));
                None
            }
        },
        (Some(_), Some(_)) => {
            problems.push(Problem::new("", "a link carries a preset or a scenario, not both"));
            None
        }
        (None, None) => {
            problems.push(Problem::new("", "a link carries a preset id or a scenario"));
            None
        }
    };
    match source {
        Some(source) if problems.is_empty() => Ok(SharedRun { source, seed, actions, at_ms, step, lesson }),
        _ => Err(ReadError::Problems(Problems(problems))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_embedded_lab_opens_at_a_moment_within_the_hour() {
        assert_eq!(embed_moment("at", "0"), Ok(0));
        assert_eq!(embed_moment("at", "12000"), Ok(12_000));
        assert_eq!(embed_moment("at", "3600000"), Ok(DURATION_MS_MAX));
    }

    #[test]
    fn a_moment_past_the_hour_is_refused_naming_the_option_and_the_limit_rather_than_freezing_the_page() {
        for value in ["3600001", "99999999", "99999999999999999999999999"] {
            let message = embed_moment("at", value).unwrap_err();
            assert_eq!(message, format!("embed option at={value}: a run lasts at most one hour, so at is a moment from 0 to 3600000 ms"));
        }
        let message = embed_moment("until", "4000000").unwrap_err();
        assert!(message.starts_with("embed option until=4000000: a run lasts at most one hour, so until is"), "{message}");
    }

    #[test]
    fn a_moment_that_is_not_a_number_says_how_to_write_one() {
        for value in ["abc", "", "-5", "1.5", "12s"] {
            assert_eq!(embed_moment("at", value), Err(format!("embed option at={value}: a moment in milliseconds, like at=12000")));
        }
    }

    #[test]
    fn a_message_followed_by_another_sentence_ends_with_one_mark() {
        assert_eq!(sentence("this link is cut short: was it copied whole?"), "This link is cut short: was it copied whole?");
        assert_eq!(sentence("embed option hide=foo: the panels that can be hidden are side"), "Embed option hide=foo: the panels that can be hidden are side.");
        assert_eq!(sentence("Done."), "Done.");
        assert_eq!(sentence("Stop!  "), "Stop!");
        assert_eq!(sentence(""), "");
    }

    #[test]
    fn garbage_is_told_apart_from_a_link_cut_short() {
        assert!(starts_like_zlib(&[0x78, 0xda]), "what kafka-lab writes");
        assert!(starts_like_zlib(&[0x78, 0x9c]), "zlib's default level");
        assert!(starts_like_zlib(&[0x78]));
        assert!(!starts_like_zlib(&lenient_prefix("garbage").unwrap()));
        assert!(!starts_like_zlib(b"hello"));
        assert!(lenient_prefix("ab!cd").is_err(), "a character links do not use is not taken for a break");
        // Cut anywhere, a real link's beginning still reads as the beginning of one.
        let link = encode_link(&SharedRun::preset("leader-failover").unwrap(), DEFAULT_BASE_URL);
        let payload = link.split_once("#v1.").map_or("", |(_, p)| p);
        for end in 0..payload.len() {
            assert!(starts_like_zlib(&lenient_prefix(&payload[..end]).unwrap()), "cut after {end} characters");
        }
    }
}
