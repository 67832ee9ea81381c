//! The `kafka-lab` command line: runs headless, answers learners' questions, checks lessons.
//!
//! Every subcommand reads its arguments with `lexopt`, writes its answer to `out` and its problems to
//! `err`, and returns the process exit code: 0 success, 1 a check failed, 2 bad input.

use std::ffi::OsString;
use std::io::{BufRead, Write};

mod assign;
mod bench;
mod explore;
mod check;
pub mod conformance;
mod link;
mod partition;
mod place;
mod presets;
mod run;

/// Exit code for input the command cannot accept (bad flag, bad file, bad value).
pub const EXIT_USAGE: i32 = 2;
/// Exit code when the command ran but something it checks failed.
pub const EXIT_CHECK_FAILED: i32 = 1;

pub const USAGE: &str = "\
kafka-lab: watch Apache Kafka's rules at work, headless.

Usage: kafka-lab <COMMAND> [OPTIONS]

Commands:
  partition    Which partition each key goes to (Kafka's murmur2 rule)
  assign       What a consumer-group assignor gives these members (JSON in, JSON out)
  place        Replica placement at topic creation, as Kafka's AdminUtils computes it
  run          Play a scenario or lesson headless: checkpoints, metrics, trace hash
  check        Check a scenario file and list every problem
  link         Make a share link for a scenario, or open one back into a scenario file
  presets      List the built-in lessons' ids
  bench        How fast the engine simulates the bench-reference workload
  explore      Sweep seeds under random faults; the guarantee ledger checks every run
  conformance  Check the engine against a file of Kafka's own input -> output cases
  help         Print this help (also: --help, -h)
  version      Print the version (also: --version, -V)

Run `kafka-lab <COMMAND> --help` for a command's options.
";

/// Where a subcommand reads and writes: the CLI is tested by handing it buffers.
pub struct Io<'a> {
    pub stdin: &'a mut dyn BufRead,
    pub out: &'a mut dyn Write,
    pub err: &'a mut dyn Write,
}

impl Io<'_> {
    /// Reports bad input the way every subcommand does: the problem, then the command's usage; exit 2.
    pub fn usage_error(&mut self, command_usage: &str, problem: impl std::fmt::Display) -> i32 {
        let _ = write!(self.err, "kafka-lab: {problem}\n\n{command_usage}");
        EXIT_USAGE
    }

    /// Reports a problem that is not about the flags (a bad file, a bad value); exit 2.
    pub fn input_error(&mut self, problem: impl std::fmt::Display) -> i32 {
        let _ = writeln!(self.err, "kafka-lab: {problem}");
        EXIT_USAGE
    }
}

/// The message for a flag given twice: a command never lets the last one silently win.
pub fn given_twice(flag: &str) -> String {
    format!("{flag} was given twice.")
}

/// Remembers the flags a command has read, so that a repeated one is refused by name.
#[derive(Default)]
pub struct FlagsSeen(Vec<String>);

impl FlagsSeen {
    /// `Err(message)` when `arg` is a flag this command has already read; values pass.
    pub fn first(&mut self, arg: &lexopt::Arg) -> Result<(), String> {
        let flag = match arg {
            lexopt::Arg::Long(name) => format!("--{name}"),
            lexopt::Arg::Short(letter) => format!("-{letter}"),
            lexopt::Arg::Value(_) => return Ok(()),
        };
        if self.0.contains(&flag) {
            return Err(given_twice(&flag));
        }
        self.0.push(flag);
        Ok(())
    }
}

/// Runs the CLI with `args` (without the program name) and returns the exit code.
pub fn run(args: Vec<OsString>, stdin: &mut dyn BufRead, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut io = Io { stdin, out, err };
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        return io.usage_error(USAGE, "a command is needed.");
    };
    let rest: Vec<OsString> = args.collect();
    match first.to_str() {
        Some("help" | "--help" | "-h") => {
            let _ = write!(io.out, "{USAGE}");
            0
        }
        Some("version" | "--version" | "-V") => {
            let _ = writeln!(io.out, "kafka-lab {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Some("partition") => partition::run(rest, &mut io),
        Some("assign") => assign::run(rest, &mut io),
        Some("place") => place::run(rest, &mut io),
        Some("bench") => bench::run(rest, &mut io),
        Some("explore") => explore::run(rest, &mut io),
        Some("run") => run::run(rest, &mut io),
        Some("check") => check::run(rest, &mut io),
        Some("link") => link::run(rest, &mut io),
        Some("presets") => presets::run(rest, &mut io),
        Some("conformance") => conformance::run(rest, &mut io),
        _ => io.usage_error(USAGE, format!("unknown command or argument '{}'.", first.to_string_lossy())),
    }
}

/// Reads a whole input: the named file, or standard input for `None` or `-`.
pub fn read_input(file: Option<&str>, io: &mut Io) -> Result<String, i32> {
    match file {
        None | Some("-") => {
            let mut text = String::new();
            match std::io::Read::read_to_string(io.stdin, &mut text) {
                Ok(_) => Ok(text),
                Err(e) => Err(io.input_error(format!("cannot read standard input: {e}"))),
            }
        }
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| io.input_error(format!("cannot read {path}: {e}"))),
    }
}
