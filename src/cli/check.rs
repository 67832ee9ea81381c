//! `kafka-lab check`: is this scenario file valid? Every problem, one per line.

use super::{EXIT_USAGE, Io};
use crate::scenario::parse_scenario;
use lexopt::Arg;
use std::ffi::OsString;

const CHECK_USAGE: &str = "\
Usage: kafka-lab check FILE

Checks a scenario file (TOML or JSON; - for standard input) without running it: its syntax, its shape
(unknown or missing fields), the cluster as the engine checks it, every timed action, and every
checkpoint's probe and the answer it expects. Exit 0 when valid; exit 2 listing every problem on
standard error, one per line, as `path: rule`.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut file: Option<String> = None;
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(CHECK_USAGE, e),
        };
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{CHECK_USAGE}");
                return 0;
            }
            Arg::Value(v) if file.is_none() => file = Some(v.to_string_lossy().into_owned()),
            other => return io.usage_error(CHECK_USAGE, other.unexpected()),
        }
    }
    let Some(file) = file else {
        return io.usage_error(CHECK_USAGE, "a scenario FILE is needed.");
    };
    let text = match super::read_input(Some(&file), io) {
        Ok(text) => text,
        Err(code) => return code,
    };
    match parse_scenario(&text) {
        Ok(scenario) => {
            let count = |n: usize, one: &str| format!("{n} {one}{}", if n == 1 { "" } else { "s" });
            let steps = count(scenario.steps.len(), "step");
            let checkpoints = count(scenario.checkpoint_steps().count(), "checkpoint");
            let _ = writeln!(io.out, "{file}: valid ({}, {steps}, {checkpoints})", scenario.id);
            0
        }
        Err(problems) => {
            for problem in problems.iter() {
                let _ = writeln!(io.err, "{problem}");
            }
            EXIT_USAGE
        }
    }
}
