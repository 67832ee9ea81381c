//! `kafka-lab conformance [FILE]`: runs every case of a conformance file (the format of
//! `shared/conformance/public_vectors.json`) through the engine and reports each one.
//!
//! Course authors and reviewers can point it at a larger file of the same kind: each section the
//! engine knows is checked case by case; sections it does not know are listed as skipped.

use super::{EXIT_CHECK_FAILED, Io};
use serde_json::Value;
use std::ffi::OsString;

mod assignors;
mod log;
mod partitioner;
mod placement;

/// One case's verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    /// The section and case, for example `assignors.range[3] one_consumer_one_topic`.
    pub case: String,
    pub passed: bool,
    /// What differed, when it failed.
    pub detail: String,
}

impl CaseOutcome {
    pub fn pass(case: String) -> CaseOutcome {
        CaseOutcome { case, passed: true, detail: String::new() }
    }

    pub fn fail(case: String, detail: impl Into<String>) -> CaseOutcome {
        CaseOutcome { case, passed: false, detail: detail.into() }
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
    outcomes
}

/// The cases of a top-level section (an array), named `section[i] name`.
pub(crate) fn cases<'a>(doc: &'a Value, section: &str) -> Vec<(String, &'a Value)> {
    named_cases(&doc[section], section)
}

/// The cases of an array found anywhere, named `label[i] name`.
pub(crate) fn named_cases<'a>(array: &'a Value, label: &str) -> Vec<(String, &'a Value)> {
    array
        .as_array()
        .map(|cases| {
            cases
                .iter()
                .enumerate()
                .map(|(i, case)| {
                    let name = case["name"].as_str().or(case["key_utf8"].as_str()).unwrap_or("");
                    (format!("{label}[{i}] {name}").trim_end().to_string(), case)
                })
                .collect()
        })
        .unwrap_or_default()
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
reads standard input) and prints one line per case. Exit 0 when all pass, 1 when any fails.
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
    let failed = outcomes.iter().filter(|o| !o.passed).count();
    for o in &outcomes {
        if o.passed {
            let _ = writeln!(io.out, "pass  {}", o.case);
        } else {
            let _ = writeln!(io.out, "FAIL  {}: {}", o.case, o.detail);
        }
    }
    let _ = writeln!(io.out, "{} passed, {} failed", outcomes.len() - failed, failed);
    if failed > 0 { EXIT_CHECK_FAILED } else { 0 }
}

