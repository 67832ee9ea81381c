//! The `kafka-lab` command line: runs headless, answers learners' questions, checks lessons.
//!
//! Every subcommand reads its arguments with `lexopt`, writes its answer to `out` and its problems to
//! `err`, and returns the process exit code: 0 success, 1 a check failed, 2 bad input.

use std::ffi::OsString;
use std::io::{BufRead, Write};

/// Exit code for input the command cannot accept (bad flag, bad file, bad value).
pub const EXIT_USAGE: i32 = 2;

pub const USAGE: &str = "\
kafka-lab: watch Apache Kafka's rules at work, headless.

Usage: kafka-lab <COMMAND> [OPTIONS]

Commands:
  help        Print this help (also: --help, -h)
  version     Print the version (also: --version, -V)

Run `kafka-lab <COMMAND> --help` for a command's options.
";

/// Runs the CLI with `args` (without the program name) and returns the exit code.
pub fn run(
    args: Vec<OsString>,
    _stdin: &mut dyn BufRead,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> i32 {
    let mut args = args.into_iter();
    let Some(first) = args.next() else {
        let _ = write!(err, "kafka-lab: a command is needed.\n\n{USAGE}");
        return EXIT_USAGE;
    };
    match first.to_str() {
        Some("help" | "--help" | "-h") => {
            let _ = write!(out, "{USAGE}");
            0
        }
        Some("version" | "--version" | "-V") => {
            let _ = writeln!(out, "kafka-lab {}", env!("CARGO_PKG_VERSION"));
            0
        }
        _ => {
            let _ = write!(
                err,
                "kafka-lab: unknown command or argument '{}'.\n\n{USAGE}",
                first.to_string_lossy()
            );
            EXIT_USAGE
        }
    }
}
