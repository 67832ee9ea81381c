//! `kafka-lab explore`: a VOPR-style sweep of seeds under random faults, checked by the ledger.

use super::{EXIT_CHECK_FAILED, Io};
use crate::explore::{self, Profile};
use lexopt::Arg;
use crate::sim::sorted::SortedMap;
use std::ffi::OsString;

const EXPLORE_USAGE: &str = "\
Usage: kafka-lab explore --seeds N [--profile durable|lossy] [--start-seed S] [--json]

Runs N seeds (S, S+1, ...; S defaults to 1). Each runs a keyed workload on 3 brokers under a random
fault schedule (crashes with and without page-cache loss, network partitions, lossy and slow links,
slow disks) for 30 simulated seconds, then heals everything and runs 30 more, while the guarantee
ledger checks every event.
  durable  RF 3, acks=all, min.insync.replicas=2, clean elections, idempotent producers; one fault
           at a time. Any violation is a bug: exit 1.
  lossy    acks=1 with unclean leader election allowed; faults overlap. Losses are expected.
Prints runs, violations by kind, and the first failing seed with a command that reproduces it.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut seeds: Option<u64> = None;
    let mut start = 1u64;
    let mut profile = Profile::Durable;
    let mut json = false;
    let mut parser = lexopt::Parser::from_args(args);
    // One message for every bad value, too large ones included: the flag and its range.
    let number = |parser: &mut lexopt::Parser, flag: &str, range: std::ops::RangeInclusive<u64>| -> Result<u64, String> {
        let value = parser.value().map_err(|e| e.to_string())?;
        let text = value.to_string_lossy().into_owned();
        match text.parse::<u64>() {
            Ok(n) if range.contains(&n) => Ok(n),
            _ => Err(format!("{flag}: '{text}' is not a whole number from {} to {}", range.start(), range.end())),
        }
    };
    let mut seen = super::FlagsSeen::default();
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(EXPLORE_USAGE, e),
        };
        if let Err(twice) = seen.first(&arg) {
            return io.usage_error(EXPLORE_USAGE, twice);
        }
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{EXPLORE_USAGE}");
                return 0;
            }
            Arg::Long("json") => json = true,
            Arg::Long("seeds") => match number(&mut parser, "--seeds", 1..=1_000_000) {
                Ok(n) => seeds = Some(n),
                Err(e) => return io.usage_error(EXPLORE_USAGE, e),
            },
            Arg::Long("start-seed") => match number(&mut parser, "--start-seed", 0..=u64::MAX) {
                Ok(n) => start = n,
                Err(e) => return io.usage_error(EXPLORE_USAGE, e),
            },
            Arg::Long("profile") => {
                let value = match parser.value() {
                    Ok(v) => v.to_string_lossy().into_owned(),
                    Err(e) => return io.usage_error(EXPLORE_USAGE, e),
                };
                match Profile::from_name(&value) {
                    Some(p) => profile = p,
                    None => return io.usage_error(EXPLORE_USAGE, format!("--profile: '{value}' is not durable or lossy")),
                }
            }
            other => return io.usage_error(EXPLORE_USAGE, other.unexpected()),
        }
    }
    let Some(seeds) = seeds else {
        return io.usage_error(EXPLORE_USAGE, "--seeds N is required");
    };
    // The sweep runs seeds start ..= last; a last seed past u64's end would silently run fewer.
    let Some(last) = start.checked_add(seeds - 1) else {
        return io.usage_error(EXPLORE_USAGE, format!("--start-seed {start} with --seeds {seeds} goes past the last seed, {}", u64::MAX));
    };
    let mut by_kind: SortedMap<&'static str, u64> = SortedMap::new();
    let mut failing_seeds = 0u64;
    let mut first_failure = None;
    for seed in start..=last {
        let outcome = explore::run_seed(seed, profile);
        if !outcome.violations.is_empty() {
            failing_seeds += 1;
            if first_failure.is_none() {
                first_failure = Some(outcome.clone());
            }
        }
        for (kind, n) in &outcome.violations {
            *by_kind.entry(kind.name()).or_default() += n;
        }
    }
    let total: u64 = by_kind.values().sum();
    let reproduce = |seed: u64| format!("kafka-lab explore --seeds 1 --start-seed {seed} --profile {}", profile.name());
    if json {
        let first = first_failure.as_ref().map(|o| {
            let (violation, cause) = o.first.clone().map_or((None, None), |(v, c)| (Some(v), c));
            serde_json::json!({
                "seed": o.seed,
                "violation": violation.map(|e| format!("{:?}", e.kind)),
                "cause": cause.map(|e| format!("at {}: {:?}", e.at, e.kind)),
                "trace_hash": o.trace_hash,
                "command": reproduce(o.seed),
            })
        });
        let report = serde_json::json!({
            "profile": profile.name(),
            "runs": seeds,
            "failing_runs": failing_seeds,
            "violations": total,
            "by_kind": by_kind,
            "first_failure": first,
        });
        let _ = writeln!(io.out, "{report}");
    } else {
        let _ = writeln!(io.out, "profile     {}", profile.name());
        let _ = writeln!(io.out, "runs        {seeds} (seeds {start} to {last})");
        let _ = writeln!(io.out, "failing     {failing_seeds}");
        let _ = writeln!(io.out, "violations  {total}");
        for (kind, n) in &by_kind {
            let _ = writeln!(io.out, "  {kind:<26} {n}");
        }
        if let Some(o) = &first_failure {
            let _ = writeln!(io.out, "first failing seed {}", o.seed);
            if let Some((violation, cause)) = &o.first {
                let _ = writeln!(io.out, "  violation at {}: {:?}", violation.at, violation.kind);
                if let Some(cause) = cause {
                    let _ = writeln!(io.out, "  caused by   {}: {:?}", cause.at, cause.kind);
                }
            }
            let _ = writeln!(io.out, "  reproduce:  {}", reproduce(o.seed));
        }
    }
    if profile == Profile::Durable && total > 0 { EXIT_CHECK_FAILED } else { 0 }
}
