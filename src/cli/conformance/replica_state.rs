//! Conformance section `replica_isr_state`, in the shape of Kafka's `ReplicaTest`: one follower's
//! fetch state as its leader keeps it, moved by `updateFetchState`, `resetReplicaState` and the clock,
//! and asked `isCaughtUp`.
//!
//! The state is the engine's own [`FollowerState`], which the simulated brokers use for ISR
//! membership. A step names its operation (`op`, `action`, `call` or `event`), with its parameters as
//! fields or written in the text as Kafka's test does ("updateFetchState(followerFetchOffset = 5,
//! followerStartOffset = 1, leaderEndOffset = 10)"); names are read in Kafka's camelCase or in
//! snake_case. Expectations: `expected_log_start_offset`, `expected_log_end_offset`,
//! `expected_last_caught_up_time_ms`, `expected_last_fetch_leader_log_end_offset`,
//! `expected_last_fetch_time_ms`, `expected_is_caught_up` (or the same inside an `expected` object);
//! -1 is Kafka's unknown offset.
//!
//! Kafka's test clock (MockTime) starts at the wall clock, far above `replica.lag.time.max.ms`, and
//! "not caught up at first" relies on that; without `start_time_ms` the clock starts at 1,000,000 ms.

use super::high_watermark::{self, case_name, replica_lag_time_max_ms_default};
use super::{CaseOutcome, section_list};
use crate::kafka::broker::replica::FollowerState;
use serde_json::{Map, Value};

const START_TIME_MS_DEFAULT: u64 = 1_000_000;

/// Runs the `replica_isr_state` section. A case is one follower's fetch state in `ReplicaTest`'s
/// shape (this module), partition-level steps (the `high_watermark` replayer: ISR expansion and
/// shrink are the same leader state), or one isCaughtUp question; any other case is skipped.
pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let cases = match section_list(doc, "replica_isr_state") {
        None => return Vec::new(),
        Some(Err(unreadable)) => return vec![unreadable],
        Some(Ok(cases)) => cases,
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let label = format!("replica_isr_state[{i}] {}", case_name(case)).trim_end().to_owned();
            if is_replica_case(case) {
                CaseOutcome::of(label, check_case(case))
            } else if case.get("steps").is_some() {
                CaseOutcome::of(label, high_watermark::check_case(case))
            } else {
                match caught_up_case(case) {
                    Some(result) => CaseOutcome::of(label, result),
                    None => CaseOutcome::skip(label, "neither `steps` to replay nor a follower's offsets and times with an expected in-sync answer"),
                }
            }
        })
        .collect()
}

/// A single out-of-sync question (Kafka's `isCaughtUp`): a follower at `follower_leo`, last caught up
/// at `last_caught_up_ms`, asked at `now_ms` against the leader's `leader_leo`. `None` when the case
/// does not have that shape.
fn caught_up_case(case: &Value) -> Option<Result<(), String>> {
    let field = |names: &[&str]| names.iter().find_map(|n| case.get(*n));
    let expected_in_sync = match field(&["expected_caught_up", "expected_is_caught_up", "expected_in_sync"]) {
        Some(v) => v.as_bool(),
        None => field(&["expected_out_of_sync", "expected_is_out_of_sync"]).and_then(Value::as_bool).map(|out| !out),
    }?;
    let number = |names: &[&str]| -> Result<Option<u64>, String> {
        field(names).map(|v| v.as_u64().ok_or(format!("`{}` should be a whole number, got {v}", names[0]))).transpose()
    };
    let read = || -> Result<bool, String> {
        let leader_leo = number(&["leader_leo", "leader_log_end_offset"])?.ok_or("missing `leader_leo`")?;
        let follower_leo = number(&["follower_leo", "follower_log_end_offset", "log_end_offset"])?;
        let last_caught_up_ms = number(&["last_caught_up_ms", "last_caught_up_time_ms"])?.ok_or("missing `last_caught_up_ms`")?;
        let now_ms = number(&["now_ms", "current_time_ms", "time_ms"])?.ok_or("missing `now_ms`")?;
        let lag_ms = number(&["replica_lag_time_max_ms"])?.unwrap_or_else(replica_lag_time_max_ms_default);
        let follower = FollowerState { leo: follower_leo, last_caught_up_ms, ..FollowerState::default() };
        Ok(follower.is_caught_up(leader_leo, now_ms, lag_ms))
    };
    Some(read().and_then(|caught_up| {
        if caught_up == expected_in_sync {
            Ok(())
        } else {
            Err(format!("expected the follower {}, the leader finds it {}", in_sync_words(expected_in_sync), in_sync_words(caught_up)))
        }
    }))
}

fn in_sync_words(caught_up: bool) -> &'static str {
    if caught_up { "caught up (in sync)" } else { "out of sync" }
}

/// `followerFetchOffset`, `follower_fetch_offset` and `Follower Fetch Offset` all read as
/// `followerfetchoffset`.
fn normalized(name: &str) -> String {
    name.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect()
}

/// The operation a step names, normalized.
fn operation(step: &Value) -> Option<String> {
    match step {
        Value::String(text) => Some(normalized(text)),
        _ => ["op", "operation", "action", "call", "method", "event"].iter().find_map(|k| step.get(*k)).and_then(Value::as_str).map(normalized),
    }
}

/// Whether a case is written as `ReplicaTest` steps (rather than partition-level events).
fn is_replica_case(case: &Value) -> bool {
    case.get("steps").and_then(Value::as_array).is_some_and(|steps| {
        steps.iter().filter_map(operation).any(|op| {
            ["updatefetchstate", "resetreplicastate", "iscaughtup", "followerfetchoffset", "leaderendoffset"].iter().any(|k| op.contains(k))
        })
    })
}

/// The step's parameters: its own fields, then `name = value` pairs written in its text.
fn parameters(step: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Value::Object(fields) = step {
        for (k, v) in fields {
            out.insert(normalized(k), v.clone());
        }
    }
    let text = match step {
        Value::String(t) => Some(t.as_str()),
        _ => ["op", "operation", "action", "call", "method", "event"].iter().find_map(|k| step.get(*k)).and_then(Value::as_str),
    };
    for pair in text.unwrap_or("").split([',', '(', ')', ';']) {
        let Some((name, value)) = pair.split_once('=').or_else(|| pair.split_once(':')) else { continue };
        let value = value.trim().trim_end_matches('L');
        let parsed = match value {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => match value.parse::<i64>() {
                Ok(n) => Value::from(n),
                Err(_) => continue,
            },
        };
        out.entry(normalized(name)).or_insert(parsed);
    }
    out
}

fn number(params: &Map<String, Value>, names: &[&str]) -> Option<i64> {
    names.iter().find_map(|n| params.get(*n)).and_then(Value::as_i64)
}

fn flag(params: &Map<String, Value>, names: &[&str]) -> Option<bool> {
    names.iter().find_map(|n| params.get(*n)).and_then(Value::as_bool)
}

/// One follower as its leader sees it, with the clock.
struct Follower {
    state: FollowerState,
    now_ms: u64,
    lag_ms: u64,
    /// Kafka's fresh replica says 0 for the leader end offset of the last fetch; after a new leader
    /// resets it, -1 (unknown). Our state says "none" for both.
    reset_by_new_leader: bool,
}

impl Follower {
    /// Kafka's `ReplicaState` fields, with -1 for unknown offsets.
    fn field(&self, name: &str) -> Option<Value> {
        let offset = |o: Option<u64>| o.map_or(-1, |o| i64::try_from(o).unwrap_or(i64::MAX));
        Some(match name {
            "logstartoffset" => offset(self.state.log_start_offset).into(),
            "logendoffset" | "leo" => offset(self.state.leo).into(),
            "lastcaughtuptimems" | "lastcaughtupms" => self.state.last_caught_up_ms.into(),
            "lastfetchleaderlogendoffset" | "lastfetchleaderleo" => match self.state.last_fetch_leader_leo {
                Some(o) => offset(Some(o)).into(),
                None if self.reset_by_new_leader => Value::from(-1),
                None => Value::from(0),
            },
            "lastfetchtimems" | "lastfetchms" => self.state.last_fetch_ms.into(),
            _ => return None,
        })
    }

    fn apply(&mut self, step: &Value, op: &str, params: &Map<String, Value>) -> Result<Option<bool>, String> {
        let offset = |names: &[&str], what: &str| -> Result<u64, String> {
            let n = number(params, names).ok_or(format!("missing {what}"))?;
            u64::try_from(n).map_err(|_| format!("{what} {n} is negative"))
        };
        if op.contains("updatefetchstate") || (op.contains("fetch") && !op.contains("caughtup")) {
            let fetch = offset(&["followerfetchoffset", "fetchoffset", "followerleo", "offset"], "followerFetchOffset")?;
            let start = offset(&["followerstartoffset", "logstartoffset", "startoffset"], "followerStartOffset").unwrap_or(0);
            let leader = offset(&["leaderendoffset", "leaderleo"], "leaderEndOffset")?;
            self.state.record_fetch(fetch, start, self.now_ms, leader, 1);
            Ok(None)
        } else if op.contains("reset") {
            let leader = offset(&["leaderendoffset", "leaderleo"], "leaderEndOffset")?;
            let new_leader = flag(params, &["isnewleader", "newleader"]).ok_or("missing isNewLeader")?;
            let in_sync = flag(params, &["isfollowerinsync", "followerinsync", "insync"]).ok_or("missing isFollowerInSync")?;
            self.state.reset(self.now_ms, leader, new_leader, in_sync);
            self.reset_by_new_leader |= new_leader;
            Ok(None)
        } else if op.contains("sleep") || op.contains("advance") || op.contains("time") {
            let ms = number(params, &["ms", "sleepms", "durationms", "timems", "millis"])
                .or_else(|| step.as_str().or(step.get("event").and_then(Value::as_str)).and_then(first_number))
                .ok_or("missing how many ms pass")?;
            self.now_ms += u64::try_from(ms).map_err(|_| "time cannot go back")?;
            Ok(None)
        } else if op.contains("caughtup") {
            let leader = offset(&["leaderendoffset", "leaderleo"], "leaderEndOffset")?;
            Ok(Some(self.state.is_caught_up(leader, self.now_ms, self.lag_ms)))
        } else if op.contains("initial") || op.contains("create") || op.contains("new") {
            Ok(None)
        } else {
            Err(format!("unknown operation '{op}' (known: updateFetchState, resetReplicaState, sleep, isCaughtUp)"))
        }
    }
}

fn first_number(text: &str) -> Option<i64> {
    text.split(|c: char| !c.is_ascii_digit()).find(|s| !s.is_empty()).and_then(|s| s.parse().ok())
}

/// Checks a `ReplicaTest`-shaped case.
fn check_case(case: &Value) -> Result<(), String> {
    let top = parameters(case);
    let now_ms = number(&top, &["starttimems", "mocktimems", "timems", "nowms"]).map_or(START_TIME_MS_DEFAULT, |n| n.max(0) as u64);
    let lag_ms = number(&top, &["replicalagtimemaxms"]).map_or_else(replica_lag_time_max_ms_default, |n| n.max(0) as u64);
    let mut follower = Follower { state: FollowerState::default(), now_ms, lag_ms, reset_by_new_leader: false };
    let steps = case.get("steps").and_then(Value::as_array).ok_or("missing `steps`")?;
    for (i, step) in steps.iter().enumerate() {
        let op = operation(step).unwrap_or_default();
        let params = parameters(step);
        let answer = follower.apply(step, &op, &params).map_err(|e| format!("step {i}: {e}"))?;
        // Expectations: `expected_*` / `expect_*` fields, or the fields of an `expected` object.
        let mut wanted: Vec<(String, Value)> = Vec::new();
        if let Value::Object(fields) = step {
            for (k, v) in fields {
                let key = normalized(k);
                if let Some(name) = key.strip_prefix("expected").or_else(|| key.strip_prefix("expect")) {
                    match v {
                        Value::Object(inner) if name.is_empty() || name == "state" => {
                            wanted.extend(inner.iter().map(|(k, v)| (normalized(k), v.clone())));
                        }
                        _ => wanted.push((name.to_owned(), v.clone())),
                    }
                }
            }
        }
        let mut wrong = Vec::new();
        for (name, expected) in wanted {
            let got = if matches!(name.as_str(), "" | "iscaughtup" | "caughtup" | "result") {
                match answer {
                    Some(caught_up) => Value::Bool(caught_up),
                    None => return Err(format!("step {i}: `expected` needs an isCaughtUp step")),
                }
            } else if name == "brokerepoch" {
                continue; // The leader's broker-epoch bookkeeping is not part of this model's answer.
            } else {
                follower.field(&name).ok_or(format!("step {i}: unknown expectation `{name}`"))?
            };
            if got != expected {
                wrong.push(format!("{name}: expected {expected}, got {got}"));
            }
        }
        if !wrong.is_empty() {
            return Err(format!("step {i} ({op}): {}", wrong.join(", ")));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn update_fetch_state_moves_the_caught_up_time_as_replica_test_shows() {
        // Kafka's ReplicaTest#testUpdateFetchState, with the clock standing at 1,000,000 ms.
        let case = json!({"steps": [
            {"op": "updateFetchState", "followerFetchOffset": 5, "followerStartOffset": 1, "leaderEndOffset": 10,
             "expected": {"logStartOffset": 1, "logEndOffset": 5, "lastCaughtUpTimeMs": 0, "lastFetchLeaderLogEndOffset": 10, "lastFetchTimeMs": 1000000}},
            {"op": "updateFetchState(followerFetchOffset = 10, followerStartOffset = 2, leaderEndOffset = 15)",
             "expected_last_caught_up_time_ms": 1000000, "expected_last_fetch_leader_log_end_offset": 15},
            {"op": "updateFetchState", "follower_fetch_offset": 15, "follower_start_offset": 3, "leader_end_offset": 15,
             "expected_log_end_offset": 15, "expected_last_caught_up_time_ms": 1000000}
        ]});
        assert!(is_replica_case(&case));
        check_case(&case).unwrap();
    }

    #[test]
    fn a_fresh_replica_is_not_caught_up_and_a_new_leader_forgets_its_offsets() {
        let case = json!({"steps": [
            {"op": "initial", "expected_last_fetch_leader_log_end_offset": 0, "expected_log_end_offset": -1},
            {"op": "isCaughtUp", "leaderEndOffset": 10, "expected": false},
            {"op": "updateFetchState", "followerFetchOffset": 10, "followerStartOffset": 1, "leaderEndOffset": 10},
            {"op": "isCaughtUp", "leaderEndOffset": 10, "expected": true},
            {"op": "sleep", "ms": 30001},
            {"op": "isCaughtUp", "leaderEndOffset": 10, "expected_is_caught_up": true},
            {"op": "isCaughtUp", "leaderEndOffset": 16, "expected_is_caught_up": false},
            {"op": "resetReplicaState", "leaderEndOffset": 11, "isNewLeader": true, "isFollowerInSync": true,
             "expected": {"logStartOffset": -1, "logEndOffset": -1, "lastCaughtUpTimeMs": 1030001, "lastFetchLeaderLogEndOffset": -1, "lastFetchTimeMs": 0}}
        ]});
        check_case(&case).unwrap();
    }

    #[test]
    fn a_follower_is_out_of_sync_once_it_has_not_caught_up_for_longer_than_the_lag_time() {
        let doc = json!({"replica_isr_state": [
            {"leader_leo": 10, "follower_leo": 8, "last_caught_up_ms": 0, "now_ms": 30000, "expected_out_of_sync": false},
            {"leader_leo": 10, "follower_leo": 8, "last_caught_up_ms": 0, "now_ms": 30001, "expected_out_of_sync": true},
            {"leader_leo": 10, "follower_leo": 10, "last_caught_up_ms": 0, "now_ms": 90000, "expected_caught_up": true},
            {"leader_leo": 10, "follower_leo": 8, "last_caught_up_ms": 0, "now_ms": 30001, "expected_in_sync": true}
        ]});
        let outcomes = check(&doc);
        assert!(outcomes[..3].iter().all(|o| o.passed), "{outcomes:#?}");
        assert!(outcomes[3].failed() && outcomes[3].detail.contains("out of sync"), "{:?}", outcomes[3]);
    }

    #[test]
    fn isr_cases_written_as_steps_run_and_others_are_skipped() {
        let doc = json!({"replica_isr_state": [
            {"replicas": [0, 1], "isr": [0], "leader_leo": 5, "steps": ["become leader", {"event": "follower 1 fetches at 5", "expect_maximal_isr": [0, 1]}]},
            {"rule": "a follower is out of sync after replica.lag.time.max.ms without catching up"}
        ]});
        let outcomes = check(&doc);
        assert!(outcomes[0].passed, "{outcomes:?}");
        assert!(outcomes[1].skipped && !outcomes[1].passed, "{outcomes:?}");
    }

    #[test]
    fn a_wrong_expectation_names_the_field() {
        let case = json!({"steps": [{"op": "updateFetchState", "followerFetchOffset": 5, "leaderEndOffset": 10, "expected_last_caught_up_time_ms": 7}]});
        let error = check_case(&case).unwrap_err();
        assert!(error.contains("lastcaughtuptimems: expected 7, got 0"), "{error}");
    }
}
