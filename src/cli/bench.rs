//! `kafka-lab bench`: how fast the engine simulates the `bench-reference` workload.

use super::Io;
use crate::bench;
use lexopt::Arg;
use std::ffi::OsString;

const BENCH_USAGE: &str = "\
Usage: kafka-lab bench [--json] [--seconds S]

Runs the bench-reference workload: 3 brokers, one topic of 12 partitions (replication factor 3),
4 producers sending keyed records with acks=all at 20,000 records/s of simulated time for 60 simulated
seconds (1.2 M records), read by 2 consumers of 6 partitions each. Prints records, events, wall time,
records/s and events/s; --json prints {\"records\", \"events\", \"wall_ms\", \"records_per_sec\",
\"events_per_sec\"}. --seconds shortens the simulated run.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut json = false;
    let mut seconds = bench::REFERENCE_DURATION_MS / 1000;
    let mut parser = lexopt::Parser::from_args(args);
    let mut seen = super::FlagsSeen::default();
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(BENCH_USAGE, e),
        };
        if let Err(twice) = seen.first(&arg) {
            return io.usage_error(BENCH_USAGE, twice);
        }
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{BENCH_USAGE}");
                return 0;
            }
            Arg::Long("json") => json = true,
            Arg::Long("seconds") => {
                let value = match parser.value() {
                    Ok(v) => v.to_string_lossy().into_owned(),
                    Err(e) => return io.usage_error(BENCH_USAGE, e),
                };
                match value.parse::<u64>() {
                    Ok(s) if (1..=3600).contains(&s) => seconds = s,
                    _ => return io.usage_error(BENCH_USAGE, format!("--seconds: '{value}' is not a whole number of seconds from 1 to 3600")),
                }
            }
            other => return io.usage_error(BENCH_USAGE, other.unexpected()),
        }
    }
    // Wall-clock time belongs to this front end, never to the engine.
    let started = std::time::Instant::now();
    let counts = bench::run(&bench::reference_spec(), bench::REFERENCE_SEED, seconds * 1000);
    let wall = started.elapsed();
    let wall_ms = wall.as_millis() as u64;
    let secs = wall.as_secs_f64().max(1e-9);
    let records_per_sec = (counts.records as f64 / secs) as u64;
    let events_per_sec = (counts.events as f64 / secs) as u64;
    if json {
        let report = serde_json::json!({
            "records": counts.records,
            "events": counts.events,
            "wall_ms": wall_ms,
            "records_per_sec": records_per_sec,
            "events_per_sec": events_per_sec,
            "consumed": counts.consumed,
            "trace_hash": counts.trace_hash,
        });
        let _ = writeln!(io.out, "{report}");
    } else {
        let _ = writeln!(io.out, "records          {}", counts.records);
        let _ = writeln!(io.out, "records consumed {}", counts.consumed);
        let _ = writeln!(io.out, "events           {}", counts.events);
        let _ = writeln!(io.out, "wall time        {wall_ms} ms");
        let _ = writeln!(io.out, "records/s        {records_per_sec}");
        let _ = writeln!(io.out, "events/s         {events_per_sec}");
        let _ = writeln!(io.out, "trace hash       {}", counts.trace_hash);
    }
    0
}
