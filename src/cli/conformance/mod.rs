//! `kafka-lab conformance [FILE]`: runs every case of a conformance file (the format of
//! `shared/conformance/public_vectors.json`) through the engine and reports each one.
//!
//! Course authors and reviewers can point it at a larger file of the same kind: each section the
//! engine knows is checked case by case. A section it does not know, or a case that states only a
//! rule with nothing to run, is listed as skipped, so a file is never half-checked in silence.

use super::{EXIT_CHECK_FAILED, Io};
use serde_json::Value;
use std::ffi::OsString;

mod assignors;
mod fields;
mod high_watermark;
mod log;
mod partitioner;
mod placement;
mod produce;
mod replica_state;
mod replication;

/// One case's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The section and case, for example `assignors.range[3] one_consumer_one_topic`.
    pub case: String,
    pub passed: bool,
    /// Not checked at all (an unknown section, a rule without parameters); never counts as passed.
    pub skipped: bool,
    /// What differed, when it failed; why, when it was skipped.
    pub detail: String,
}

impl CaseOutcome {
    pub fn pass(case: String) -> CaseOutcome {
        CaseOutcome { case, passed: true, skipped: false, detail: String::new() }
    }

    pub fn fail(case: String, detail: impl Into<String>) -> CaseOutcome {
        CaseOutcome { case, passed: false, skipped: false, detail: detail.into() }
    }

    pub fn skip(case: String, why: impl Into<String>) -> CaseOutcome {
        CaseOutcome { case, passed: false, skipped: true, detail: why.into() }
    }

    /// Checked, and the engine disagreed (or the case could not be read).
    pub fn failed(&self) -> bool {
        !self.passed && !self.skipped
    }

    /// Passes on `Ok`, fails with the `Err`'s account of what differed.
    pub fn of(case: String, result: Result<(), String>) -> CaseOutcome {
        match result {
            Ok(()) => CaseOutcome::pass(case),
            Err(detail) => CaseOutcome::fail(case, detail),
        }
    }

    /// Passes when `got == expected`, else records both.
    pub fn compare<T: PartialEq + std::fmt::Debug>(case: String, got: &T, expected: &T) -> CaseOutcome {
        if got == expected {
            CaseOutcome::pass(case)
        } else {
            CaseOutcome::fail(case, format!("expected {expected:?}, got {got:?}"))
        }
    }
}

/// Runs every known section of a conformance document.
pub fn check_document(doc: &Value) -> Vec<CaseOutcome> {
    let mut outcomes = Vec::new();
    outcomes.extend(partitioner::check(doc));
    outcomes.extend(log::check(doc));
    outcomes.extend(assignors::check(doc));
    outcomes.extend(placement::check(doc));
    outcomes.extend(produce::check(doc));
    outcomes.extend(high_watermark::check(doc));
    outcomes.extend(replica_state::check(doc));
    outcomes.extend(replication::check(doc));
    outcomes.extend(unknown_sections(doc));
    outcomes
}

/// The top-level sections this runner checks; `partition_rules` is prose about `partition`.
const KNOWN_SECTIONS: &[&str] = &[
    "murmur2",
    "to_positive",
    "partition",
    "partition_rules",
    "log",
    "assignors",
    "replica_placement",
    "leader_election",
    "leader_epoch_cache",
    "produce_acks",
    "high_watermark",
    "replica_isr_state",
    "replication_scenarios",
];

/// One skipped line for each section the runner has no check for (keys starting with `_` are notes).
fn unknown_sections(doc: &Value) -> Vec<CaseOutcome> {
    let Some(sections) = doc.as_object() else {
        return vec![CaseOutcome::fail("(file)".into(), "a conformance file is a JSON object of sections")];
    };
    sections
        .iter()
        .filter(|(name, _)| !name.starts_with('_') && !KNOWN_SECTIONS.contains(&name.as_str()))
        .map(|(name, value)| {
            let count = match value {
                Value::Array(cases) => cases.len(),
                Value::Object(kinds) => kinds.values().filter_map(Value::as_array).map(Vec::len).sum(),
                _ => 0,
            };
            CaseOutcome::skip(name.clone(), format!("kafka-lab has no check for this section ({count} cases not run)"))
        })
        .collect()
}

/// A section's cases: the section itself when it is a list, or its `cases` list when it is an object
/// that also states its rule (`{"rule": ..., "cases": [...]}`, as the public file writes some).
pub(crate) fn section_cases(section: &Value) -> Option<&Vec<Value>> {
    section.as_array().or_else(|| section.get("cases")?.as_array())
}

/// The cases of a top-level section written either way [`section_cases`] reads: `None` when the
/// document has no such section, one failed outcome when it is neither a list nor has a `cases` list.
pub(crate) fn section_list<'a>(doc: &'a Value, section: &str) -> Option<Result<&'a Vec<Value>, CaseOutcome>> {
    let value = doc.get(section)?;
    Some(section_cases(value).ok_or_else(|| CaseOutcome::fail(section.into(), "expected a list of cases, or an object with `cases`")))
}

/// The cases of a top-level section (an array), named `section[i] name`.
pub(crate) fn cases<'a>(doc: &'a Value, section: &str) -> Vec<(String, &'a Value)> {
    named_cases(&doc[section], section)
}

/// The cases of an array found anywhere, named `label[i] name`.
pub(crate) fn named_cases<'a>(array: &'a Value, label: &str) -> Vec<(String, &'a Value)> {
    array.as_array().map(|cases| name_cases(cases, label)).unwrap_or_default()
}

/// `cases`, named `label[i] name` (the case's `name`, else its `key_utf8`).
pub(crate) fn name_cases<'a>(cases: &'a [Value], label: &str) -> Vec<(String, &'a Value)> {
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let name = case["name"].as_str().or(case["key_utf8"].as_str()).unwrap_or("");
            (format!("{label}[{i}] {name}").trim_end().to_string(), case)
        })
        .collect()
}

/// Decodes lowercase or uppercase hex ("6b6579" → b"key").
pub(crate) fn hex_bytes(hex: &str) -> Option<Vec<u8>> {
    if hex.len() % 2 != 0 || !hex.is_ascii() {
        return None;
    }
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).ok()).collect()
}

const CONFORMANCE_USAGE: &str = "\
Usage: kafka-lab conformance [FILE|-]

Runs every case in FILE (JSON in the format of shared/conformance/public_vectors.json; `-` or no FILE
reads standard input) and prints one line per case: pass, FAIL, or skip (a section kafka-lab has no check for, or a case that
states a rule without parameters to run). Exit 0 when none fails, 1 when any fails.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut file: Option<String> = None;
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        match parser.next() {
            Ok(None) => break,
            Ok(Some(lexopt::Arg::Long("help") | lexopt::Arg::Short('h'))) => {
                let _ = write!(io.out, "{CONFORMANCE_USAGE}");
                return 0;
            }
            Ok(Some(lexopt::Arg::Value(v))) if file.is_none() => file = Some(v.to_string_lossy().into_owned()),
            Ok(Some(other)) => return io.usage_error(CONFORMANCE_USAGE, other.unexpected()),
            Err(e) => return io.usage_error(CONFORMANCE_USAGE, e),
        }
    }
    let text = match super::read_input(file.as_deref(), io) {
        Ok(text) => text,
        Err(code) => return code,
    };
    let doc: Value = match serde_json::from_str(&text) {
        Ok(doc) => doc,
        Err(e) => return io.input_error(format!("the conformance file is not valid JSON: {e}")),
    };
    let outcomes = check_document(&doc);
    let failed = outcomes.iter().filter(|o| o.failed()).count();
    let skipped = outcomes.iter().filter(|o| o.skipped).count();
    for o in &outcomes {
        if o.passed {
            let _ = writeln!(io.out, "pass  {}", o.case);
        } else if o.skipped {
            let _ = writeln!(io.out, "skip  {}: {}", o.case, o.detail);
        } else {
            let _ = writeln!(io.out, "FAIL  {}: {}", o.case, o.detail);
        }
    }
    let passed = outcomes.len() - failed - skipped;
    if skipped == 0 {
        let _ = writeln!(io.out, "{passed} passed, {failed} failed");
    } else {
        let _ = writeln!(io.out, "{passed} passed, {failed} failed, {skipped} skipped");
    }
    if failed > 0 { EXIT_CHECK_FAILED } else { 0 }
}

