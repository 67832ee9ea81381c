//! `kafka-lab partition`: which partition does each key go to? Kafka's murmur2 rule, exactly.

use super::Io;
use crate::kafka::partitioner::{murmur2, partition_for_key};
use lexopt::Arg;
use std::ffi::OsString;

const PARTITION_USAGE: &str = "\
Usage: kafka-lab partition --partitions N [--json] [KEY ...]

Prints the partition Kafka's default partitioner picks for each key: toPositive(murmur2(key)) % N over
all N partitions of the topic. Keys are UTF-8; with no KEY, one key per line is read from standard input.
Output: KEY<TAB>PARTITION per line, or with --json
[{\"key\": \"...\", \"murmur2\": <signed 32-bit>, \"partition\": <n>}, ...] in input order.
";

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let mut partitions: Option<u32> = None;
    let mut json = false;
    let mut keys: Vec<String> = Vec::new();
    let mut seen = super::FlagsSeen::default();
    let mut parser = lexopt::Parser::from_args(args);
    loop {
        let arg = match parser.next() {
            Ok(Some(arg)) => arg,
            Ok(None) => break,
            Err(e) => return io.usage_error(PARTITION_USAGE, e),
        };
        if let Err(twice) = seen.first(&arg) {
            return io.usage_error(PARTITION_USAGE, twice);
        }
        match arg {
            Arg::Long("help") | Arg::Short('h') => {
                let _ = write!(io.out, "{PARTITION_USAGE}");
                return 0;
            }
            Arg::Long("json") => json = true,
            // `-n` and `--partitions` are one flag: the second of them is refused too.
            Arg::Long("partitions") | Arg::Short('n') if partitions.is_some() => {
                return io.usage_error(PARTITION_USAGE, super::given_twice("--partitions"));
            }
            Arg::Long("partitions") | Arg::Short('n') => {
                let value = match parser.value() {
                    Ok(v) => v.to_string_lossy().into_owned(),
                    Err(e) => return io.usage_error(PARTITION_USAGE, e),
                };
                match value.trim().parse::<i64>() {
                    Ok(n) if n >= 1 && n <= i64::from(i32::MAX) => partitions = Some(n as u32),
                    Ok(n) if n < 1 => {
                        return io.usage_error(
                            PARTITION_USAGE,
                            format!("--partitions: {n} is not allowed: a topic has at least 1 partition"),
                        );
                    }
                    Ok(n) => {
                        return io.usage_error(
                            PARTITION_USAGE,
                            format!("--partitions: {n} is not allowed: Kafka counts partitions in a 32-bit int, so at most {}", i32::MAX),
                        );
                    }
                    Err(_) => {
                        return io.usage_error(
                            PARTITION_USAGE,
                            format!("--partitions: '{value}' is not a whole number of partitions"),
                        );
                    }
                }
            }
            Arg::Value(key) => match key.into_string() {
                Ok(key) => keys.push(key),
                Err(raw) => {
                    return io.input_error(format!("the key {raw:?} is not valid UTF-8"));
                }
            },
            other => return io.usage_error(PARTITION_USAGE, other.unexpected()),
        }
    }
    let Some(partitions) = partitions else {
        return io.usage_error(PARTITION_USAGE, "--partitions N is required");
    };
    if keys.is_empty() {
        let mut text = String::new();
        if let Err(e) = std::io::Read::read_to_string(io.stdin, &mut text) {
            return io.input_error(format!("cannot read keys from standard input (keys must be UTF-8): {e}"));
        }
        keys = text.lines().map(str::to_owned).collect();
    }
    if json {
        let rows: Vec<serde_json::Value> = keys
            .iter()
            .map(|key| {
                serde_json::json!({
                    "key": key,
                    "murmur2": murmur2(key.as_bytes()),
                    "partition": partition_for_key(key.as_bytes(), partitions),
                })
            })
            .collect();
        let _ = writeln!(io.out, "{}", serde_json::Value::Array(rows));
    } else {
        for key in &keys {
            let _ = writeln!(io.out, "{key}\t{}", partition_for_key(key.as_bytes(), partitions));
        }
    }
    0
}
