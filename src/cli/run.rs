//! `kafka-lab run`: plays a scenario headless and says whether its checkpoints hold.

use super::{EXIT_CHECK_FAILED, Io};
use crate::scenario::library;
use crate::scenario::run::{RunReport, ScenarioRun};
use crate::scenario::validate::DURATION_MS_MAX;
use crate::scenario::{Scenario, parse_scenario};
use lexopt::Arg;
use std::ffi::OsString;

const RUN_USAGE: &str = "\
Usage: kafka-lab run (FILE | --preset ID) [--until-ms T] [--json] [--events]

Runs a scenario file (TOML or JSON; - for standard input) or a built-in lesson to its duration_ms (or
to T), evaluates every checkpoint at its step's moment, and prints the checkpoints passed and failed,
the guarantee ledger's violations, the run's metrics and its trace hash.
--json prints {\"checkpoints\": {\"passed\", \"failed\", \"not_reached\", \"results\"}, \"violations\",
\"metrics\", \"trace_hash\", …}. --events also prints every event (a course author's debugging aid);
with --json they are the report's \"events\" list, so the output stays one JSON document.
Exit 0 when every checkpoint reached passed, 1 when one failed, 2 for bad input.
";

/// Where a scenario comes from on the command line: a file or a preset id.
pub(super) struct ScenarioSource {
    pub file: Option<String>,
    pub preset: Option<String>,
}

impl ScenarioSource {
    /// Reads and checks the scenario, reporting any problem on stderr (exit code on failure).
    pub(super) fn load(&self, usage: &str, io: &mut Io) -> Result<Scenario, i32> {
        match (&self.file, &self.preset) {
            (Some(_), Some(_)) => Err(io.usage_error(usage, "give a FILE or --preset, not both.")),
            (None, None) => Err(io.usage_error(usage, "a scenario FILE or --preset ID is needed.")),
            (None, Some(id)) => library::preset(id).map_err(|e| io.input_error(e)),
            (Some(file), None) => {
                let text = super::read_input(Some(file), io)?;
                parse_scenario(&text).map_err(|problems| {
                    let _ = writeln!(io.err, "kafka-lab: {file} is not a valid scenario:");
                    for problem in problems.iter() {
                        let _ = writeln!(io.err, "{problem}");
                    }
                    super::EXIT_USAGE
                })
            }
        }
    }
}

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut source = ScenarioSource { file: None, preset: None };
    let mut until_ms: Option<u64> = None;
    let mut json = false;
    let mut events = false;
    let mut seen = super::FlagsSeen::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(RUN_USAGE, e),
        };
        if let Err(twice) = seen.first(&arg) {
            return io.usage_error(RUN_USAGE, twice);
        }
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{RUN_USAGE}");
                return 0;
            }
            Arg::Long("json") => json = true,
            Arg::Long("events") => events = true,
            Arg::Long("preset") => match parser.value() {
                Ok(v) => source.preset = Some(v.to_string_lossy().into_owned()),
                Err(e) => return io.usage_error(RUN_USAGE, e),
            },
            Arg::Long("until-ms") => {
                let value = match parser.value() {
                    Ok(v) => v.to_string_lossy().into_owned(),
                    Err(e) => return io.usage_error(RUN_USAGE, e),
                };
                match value.trim().parse::<u64>() {
                    Ok(t) if t <= DURATION_MS_MAX => until_ms = Some(t),
                    _ => return io.usage_error(RUN_USAGE, format!("--until-ms: '{value}' is not a moment from 0 to {DURATION_MS_MAX} ms")),
                }
            }
            Arg::Value(file) if source.file.is_none() => source.file = Some(file.to_string_lossy().into_owned()),
            other => return io.usage_error(RUN_USAGE, other.unexpected()),
        }
    }
    let scenario = match source.load(RUN_USAGE, io) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let until = until_ms.unwrap_or(scenario.duration_ms);
    let mut run = match ScenarioRun::start(scenario) {
        Ok(run) => run,
        Err(problems) => return io.input_error(problems),
    };
    let out = &mut *io.out;
    // With --json the events go inside the report, which stays one JSON document.
    let mut listed = Vec::new();
    run.advance_to(until, |event| match (events, json) {
        (true, false) => {
            let _ = writeln!(out, "{:>9} {:?}", event.at.ms(), event.kind);
        }
        (true, true) => listed.push(serde_json::json!({ "at_ms": event.at.ms(), "event": format!("{:?}", event.kind) })),
        _ => {}
    });
    let report = run.report();
    if json {
        // The report holds strings, numbers, lists and string-keyed maps: it always serializes.
        let mut value = serde_json::to_value(&report).unwrap_or_default();
        if let (true, Some(fields)) = (events, value.as_object_mut()) {
            fields.insert("events".into(), serde_json::Value::Array(listed));
        }
        let _ = writeln!(io.out, "{}", serde_json::to_string_pretty(&value).unwrap_or_default());
    } else {
        print_report(&report, io);
    }
    if report.all_passed() { 0 } else { EXIT_CHECK_FAILED }
}

fn print_report(report: &RunReport, io: &mut Io) {
    let out = &mut *io.out;
    let _ = writeln!(out, "scenario     {} (seed {}, until {} ms)", report.scenario, report.seed, report.until_ms);
    for r in &report.checkpoints.results {
        let verdict = if r.passed { "pass" } else { "FAIL" };
        let actual = match (&r.actual, &r.error) {
            (Some(a), _) => a.to_string(),
            (None, Some(e)) => format!("no answer: {e}"),
            (None, None) => "no answer".to_string(),
        };
        let _ = writeln!(out, "checkpoint   {verdict} step {} at {} ms: {} expected {}, got {actual}", r.step, r.at_ms, r.question, r.expected);
    }
    let c = &report.checkpoints;
    let _ = writeln!(out, "checkpoints  {} passed, {} failed, {} not reached", c.passed, c.failed, c.not_reached);
    if report.violations.is_empty() {
        let _ = writeln!(out, "violations   none");
    }
    for v in &report.violations {
        let _ = writeln!(out, "violation    at {} ms: {}: {}", v.at_ms, v.invariant, v.message);
    }
    let _ = writeln!(out, "metrics");
    // The metrics are a flat struct of counters plus one map: print them by name.
    if let Ok(serde_json::Value::Object(metrics)) = serde_json::to_value(&report.metrics) {
        for (name, value) in metrics_by_name(&report.metrics, &metrics) {
            let _ = writeln!(out, "  {name:<26} {value}");
        }
    }
    let _ = writeln!(out, "trace hash   {}", report.trace_hash);
}

/// The metrics by name with their values; the error map as `NAME=count` pairs.
fn metrics_by_name(
    metrics: &crate::scenario::tally::Metrics,
    map: &serde_json::Map<String, serde_json::Value>,
) -> Vec<(String, String)> {
    let errors: Vec<String> = metrics.produce_errors.iter().map(|(k, v)| format!("{k}={v}")).collect();
    map.iter()
        .map(|(k, v)| {
            let value = if k == "produce_errors" {
                if errors.is_empty() { "none".to_string() } else { errors.join(" ") }
            } else {
                v.to_string()
            };
            (k.clone(), value)
        })
        .collect()
}
