//! `kafka-lab place`: where Kafka puts a new topic's replicas, as `AdminUtils.assignReplicasToBrokers`
//! computes it, printed as `{"partition": [leader, follower, ...]}`.

use super::Io;
use crate::kafka::BrokerId;
use crate::kafka::placement::{BrokerMetadata, PlacementError, ReplicaAssignment, assign_replicas_to_brokers};
use crate::sim::rng::Rng;
use std::ffi::OsString;
use std::fmt::Write as _;

const PLACE_USAGE: &str = "\
Usage: kafka-lab place --partitions N --replication-factor R (--brokers IDS | --racks ID:RACK,...) [OPTIONS]

Places a new topic's replicas exactly as Kafka's AdminUtils.assignReplicasToBrokers does and prints
{\"partition\": [leader, follower, ...]} as JSON, partitions in order. The first replica of each
partition is its preferred leader.

Options:
  --partitions N            Number of partitions (at least 1)
  --replication-factor R    Replicas per partition (1 up to the number of brokers)
  --brokers 0,1,2           Broker ids, in the order Kafka walks them (rack-unaware placement)
  --racks 0:a,1:b,2:a       Broker ids with their racks (rack-aware placement when every broker has
                            one; write `3` or `3:` for a broker without a rack)
  --start-index I           Fixed start index (Kafka's tests use 0). Omitted or negative: drawn
                            from the seed, where Kafka draws at random
  --start-partition-id P    Id of the first partition (default 0), as when adding partitions
  --seed S                  Seed for a drawn start index (default 0)
  -h, --help                Print this help
";

/// The most partitions the command prints; Kafka has no such limit, but a terminal does.
const PARTITIONS_MAX: i32 = 100_000;

/// The brokers as given, and which flag gave them (for messages).
struct Brokers {
    flag: &'static str,
    list: Vec<BrokerMetadata>,
}

#[derive(Default)]
struct Args {
    partitions: Option<i32>,
    replication_factor: Option<i32>,
    brokers: Option<Brokers>,
    start_index: Option<i32>,
    start_partition_id: Option<i32>,
    seed: Option<u64>,
}

/// A flag problem, already phrased for the learner.
type FlagError = String;

fn parse_int<T: std::str::FromStr>(flag: &str, value: &str, what: &str) -> Result<T, FlagError> {
    value.trim().parse::<T>().map_err(|_| format!("{flag} expects {what}, got '{value}'."))
}

fn parse_broker_id(flag: &str, value: &str) -> Result<BrokerId, FlagError> {
    parse_int::<u32>(flag, value, "broker ids (whole numbers from 0)").map(BrokerId)
}

/// Splits a comma-separated list; an empty value is an empty list (zero brokers).
fn items(value: &str) -> Vec<&str> {
    if value.trim().is_empty() { Vec::new() } else { value.split(',').map(str::trim).collect() }
}

fn parse_brokers(value: &str) -> Result<Vec<BrokerMetadata>, FlagError> {
    items(value)
        .into_iter()
        .map(|item| Ok(BrokerMetadata { id: parse_broker_id("--brokers", item)?, rack: None }))
        .collect()
}

fn parse_racks(value: &str) -> Result<Vec<BrokerMetadata>, FlagError> {
    items(value)
        .into_iter()
        .map(|item| {
            let (id, rack) = match item.split_once(':') {
                Some((id, rack)) => (id, Some(rack.trim()).filter(|r| !r.is_empty())),
                None => (item, None),
            };
            Ok(BrokerMetadata { id: parse_broker_id("--racks", id)?, rack: rack.map(str::to_owned) })
        })
        .collect()
}

fn set_once<T>(slot: &mut Option<T>, flag: &str, value: T) -> Result<(), FlagError> {
    if slot.is_some() {
        return Err(super::given_twice(flag));
    }
    *slot = Some(value);
    Ok(())
}

/// The long flags `place` takes (besides --help).
const FLAGS: [&str; 7] =
    ["partitions", "replication-factor", "brokers", "racks", "start-index", "start-partition-id", "seed"];

enum Parsed {
    Run(Args),
    Help,
}

fn parse_args(args: Vec<OsString>) -> Result<Parsed, FlagError> {
    let mut parsed = Args::default();
    let mut parser = lexopt::Parser::from_args(args);
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        let flag = match arg {
            lexopt::Arg::Long("help") | lexopt::Arg::Short('h') => return Ok(Parsed::Help),
            lexopt::Arg::Long(name) if FLAGS.contains(&name) => format!("--{name}"),
            other => return Err(other.unexpected().to_string()),
        };
        let mut value = || -> Result<String, FlagError> {
            let value = parser.value().map_err(|_| format!("{flag} needs a value."))?;
            value.into_string().map_err(|v| format!("{flag}: '{}' is not valid text.", v.to_string_lossy()))
        };
        match flag.as_str() {
            "--partitions" => {
                let n = parse_int(&flag, &value()?, "a whole number")?;
                set_once(&mut parsed.partitions, &flag, n)?;
            }
            "--replication-factor" => {
                let n = parse_int(&flag, &value()?, "a whole number")?;
                set_once(&mut parsed.replication_factor, &flag, n)?;
            }
            "--brokers" | "--racks" => {
                let text = value()?;
                let (flag, list) = if flag == "--brokers" {
                    ("--brokers", parse_brokers(&text)?)
                } else {
                    ("--racks", parse_racks(&text)?)
                };
                if let Some(earlier) = &parsed.brokers {
                    return Err(if earlier.flag == flag {
                        super::given_twice(flag)
                    } else {
                        "give the brokers with --brokers or with --racks, not both.".to_owned()
                    });
                }
                parsed.brokers = Some(Brokers { flag, list });
            }
            "--start-index" => {
                let n = parse_int(&flag, &value()?, "a whole number")?;
                set_once(&mut parsed.start_index, &flag, n)?;
            }
            "--start-partition-id" => {
                let n = parse_int(&flag, &value()?, "a whole number")?;
                set_once(&mut parsed.start_partition_id, &flag, n)?;
            }
            "--seed" => {
                let n = parse_int(&flag, &value()?, "a whole number from 0")?;
                set_once(&mut parsed.seed, &flag, n)?;
            }
            // FLAGS lists exactly the names matched above.
            _ => return Err(format!("invalid option '{flag}'")),
        }
    }
    if parsed.partitions.is_none() {
        return Err("--partitions is required.".to_owned());
    }
    if parsed.replication_factor.is_none() {
        return Err("--replication-factor is required.".to_owned());
    }
    if parsed.brokers.is_none() {
        return Err("the brokers are required: give --brokers 0,1,2 or --racks 0:a,1:b,2:a.".to_owned());
    }
    if parsed.partitions.is_some_and(|n| n > PARTITIONS_MAX) {
        return Err(format!("--partitions: kafka-lab place prints at most {PARTITIONS_MAX} partitions."));
    }
    Ok(Parsed::Run(parsed))
}

/// `{"0": [0, 1, 2], "1": [1, 2, 0]}`: built by hand so partitions come out in numeric order
/// (a JSON map keyed by strings would put "10" before "2").
fn to_json(assignment: &ReplicaAssignment) -> String {
    let mut json = String::from("{");
    for (i, (partition, replicas)) in assignment.iter().enumerate() {
        let replicas: Vec<String> = replicas.iter().map(|b| b.to_string()).collect();
        let separator = if i == 0 { "" } else { ", " };
        // Writing to a String cannot fail.
        let _ = write!(json, "{separator}\"{partition}\": [{}]", replicas.join(", "));
    }
    json.push('}');
    json
}

fn place(args: &Args) -> Result<ReplicaAssignment, PlacementError> {
    let brokers = args.brokers.as_ref().map_or(&[][..], |b| &b.list[..]);
    let mut rng = Rng::new(args.seed.unwrap_or(0)).child("placement");
    assign_replicas_to_brokers(
        brokers,
        args.partitions.unwrap_or(0),
        args.replication_factor.unwrap_or(0),
        args.start_index.unwrap_or(-1),
        args.start_partition_id.unwrap_or(-1),
        &mut rng,
    )
}

pub fn run(args: Vec<OsString>, io: &mut Io) -> i32 {
    let args = match parse_args(args) {
        Ok(Parsed::Run(args)) => args,
        Ok(Parsed::Help) => {
            let _ = write!(io.out, "{PLACE_USAGE}");
            return 0;
        }
        Err(problem) => return io.usage_error(PLACE_USAGE, problem),
    };
    match place(&args) {
        Ok(assignment) => {
            let _ = writeln!(io.out, "{}", to_json(&assignment));
            0
        }
        // A repeated broker id is a problem with the flag that listed it, so name the flag.
        Err(e @ PlacementError::DuplicateBroker(_)) => {
            let flag = args.brokers.as_ref().map_or("--brokers", |b| b.flag);
            io.usage_error(PLACE_USAGE, format!("{flag}: {e}"))
        }
        Err(e) => io.input_error(format!("{}: {e}", e.kafka_exception())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run_place(args: &[&str]) -> (i32, String, String) {
        let mut stdin: &[u8] = &[];
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let code = super::super::run(
            std::iter::once("place").chain(args.iter().copied()).map(OsString::from).collect(),
            &mut stdin,
            &mut out,
            &mut err,
        );
        (code, String::from_utf8_lossy(&out).into_owned(), String::from_utf8_lossy(&err).into_owned())
    }

    #[test]
    fn placing_prints_kafkas_assignment_in_partition_order() {
        let (code, out, _) =
            run_place(&["--partitions", "12", "--replication-factor", "2", "--brokers", "0,1,2", "--start-index", "0"]);
        assert_eq!(code, 0);
        assert!(out.starts_with("{\"0\": [0, 1], \"1\": [1, 2], \"2\": [2, 0], \"3\": [0, 2]"), "{out}");
        assert!(out.ends_with("\"9\": [0, 2], \"10\": [1, 0], \"11\": [2, 1]}\n"), "{out}");
    }

    #[test]
    fn a_kafka_refusal_names_the_exception_and_exits_2() {
        let (code, _, err) = run_place(&["--partitions", "1", "--replication-factor", "4", "--brokers", "0,1,2"]);
        assert_eq!(code, 2);
        assert!(
            err.contains("InvalidReplicationFactorException: Replication factor: 4 larger than available brokers: 3.")
        );
    }

    #[test]
    fn flag_problems_name_the_flag() {
        let cases: [(&[&str], &str); 5] = [
            (&["--replication-factor", "1", "--brokers", "0"], "--partitions is required"),
            (&["--partitions", "x", "--replication-factor", "1", "--brokers", "0"], "--partitions expects"),
            (&["--partitions", "1", "--replication-factor", "1", "--brokers", "0", "--racks", "1:a"], "not both"),
            (
                &["--partitions", "1", "--replication-factor", "1", "--brokers", "0,1,0"],
                "--brokers: Broker 0 is listed twice",
            ),
            (&["--partitions", "1", "--replication-factor", "1", "--racks", "0:a,b:c"], "--racks expects broker ids"),
        ];
        for (args, needle) in cases {
            let (code, _, err) = run_place(args);
            assert_eq!(code, 2, "{args:?}");
            assert!(err.contains(needle), "{args:?}: {err}");
        }
    }
}
