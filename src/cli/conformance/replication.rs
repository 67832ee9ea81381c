//! Conformance section `replication_scenarios`: what a leader's failure costs (SEMANTICS §5, "data
//! loss with acks=1").
//!
//! A case gives a partition (`replicas`, `isr`, the `leader`, each replica's log end offset in
//! `leos`, optionally `hw` and `acks`) and which brokers `fail` (the leader when it does not say).
//! The engine's own rules answer:
//! - the controller fences the failed brokers out of the ISR and elects with the KRaft
//!   `PartitionChangeBuilder` the simulation uses: the first live ISR member in replica order, not the
//!   most up to date (UNCLEAN when `unclean_leader_election_enable` is true);
//! - the new leader's epoch starts at its log end; every other live replica truncates to it
//!   (KIP-101/279: the leader answers the old epoch's end offset with its own log end);
//! - records beyond the new leader's log end are gone. With acks=1 (or 0) the old leader acknowledged
//!   all it had; with acks=all only up to the high watermark, which every ISR member holds, so a clean
//!   election loses nothing acknowledged. Consumers only ever read below the high watermark.
//!
//! Expectations compared when given: `expected_leader` (null or -1 for none), `expected_isr`,
//! `expected_lost` / `expected_lost_offsets` (a count or the offsets), `expected_acked_lost`,
//! `expected_truncated_to` (`{broker: offset}`), `expected_unclean`, `expected_consumers_saw_lost`.

use super::fields::{broker_id, broker_list, field, optional_broker};
use super::{CaseOutcome, name_cases, section_list};
use crate::kafka::BrokerId;
use crate::kafka::replication::election::LeaderRecoveryState;
use crate::kafka::replication::election::kraft::{self, Election, MetadataVersion, PartitionRegistration};
use crate::sim::sorted::{SortedMap, SortedSet};
use serde_json::Value;

pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let cases = match section_list(doc, "replication_scenarios") {
        None => return Vec::new(),
        Some(Err(unreadable)) => return vec![unreadable],
        Some(Ok(cases)) => cases,
    };
    name_cases(cases, "replication_scenarios")
        .into_iter()
        .map(|(label, case)| {
            if field(case, LEOS).is_none() {
                return CaseOutcome::skip(label, "no replica log end offsets (`leos`) to run the failure on");
            }
            CaseOutcome::of(label, check_case(case))
        })
        .collect()
}

const LEOS: &[&str] = &["leos", "log_end_offsets", "leo", "replica_leos", "logEndOffsets"];

/// One broker or a list of them (`"fail": 1` or `"fail": [1, 2]`).
fn brokers(v: &Value) -> Result<Vec<BrokerId>, String> {
    match v {
        Value::Array(_) => broker_list(v),
        single => Ok(optional_broker(Some(single))?.into_iter().collect()),
    }
}

/// `{"1": 10, "2": 8}`, or a list in replica order.
fn leos(v: &Value, replicas: &[BrokerId]) -> Result<SortedMap<BrokerId, u64>, String> {
    let offset = |v: &Value| v.as_u64().ok_or(format!("log end offset {v} is not a whole number"));
    match v {
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| Ok((BrokerId(k.trim_start_matches(|c: char| !c.is_ascii_digit()).parse().map_err(|_| format!("'{k}' is not a broker id"))?), offset(v)?)))
            .collect(),
        Value::Array(list) if list.len() == replicas.len() => replicas.iter().zip(list).map(|(b, v)| Ok((*b, offset(v)?))).collect(),
        other => Err(format!("`leos` should map each replica to its log end offset, got {other}")),
    }
}

fn check_case(case: &Value) -> Result<(), String> {
    let replicas = brokers(field(case, &["replicas", "assignment"]).ok_or("missing `replicas`")?)?;
    let isr = field(case, &["isr"]).map(brokers).transpose()?.unwrap_or_else(|| replicas.clone());
    let leader = match field(case, &["leader", "old_leader", "current_leader"]) {
        Some(v) => optional_broker(Some(v))?,
        None => isr.first().copied(),
    };
    let leos = leos(field(case, LEOS).ok_or("missing `leos`")?, &replicas)?;
    let leo_of = |b: BrokerId| leos.get(&b).copied().ok_or(format!("no log end offset for broker {}", b.0));
    // Kafka's HW: the smallest log end offset in the ISR, unless the case says.
    let hw = match field(case, &["hw", "high_watermark"]) {
        Some(v) => v.as_u64().ok_or(format!("`hw` {v} is not a whole number"))?,
        None => isr.iter().map(|b| leo_of(*b)).collect::<Result<Vec<_>, _>>()?.into_iter().min().unwrap_or(0),
    };
    let acks_all = match field(case, &["acks"]) {
        Some(Value::String(s)) => s == "all" || s == "-1",
        Some(v) => v.as_i64() == Some(-1),
        None => false,
    };
    let failed = match field(case, &["fail", "fails", "failed", "dead", "killed", "crashed", "failed_brokers"]) {
        Some(v) => brokers(v)?,
        None => leader.into_iter().collect(),
    };
    let unclean_enabled = field(case, &["unclean_leader_election_enable", "unclean", "unclean_enabled"]).and_then(Value::as_bool).unwrap_or(false);
    let alive: SortedSet<BrokerId> = replicas.iter().copied().filter(|b| !failed.contains(b)).collect();
    let partition = PartitionRegistration {
        replicas: replicas.clone(),
        isr: isr.clone(),
        removing_replicas: Vec::new(),
        adding_replicas: Vec::new(),
        leader,
        leader_recovery_state: LeaderRecoveryState::Recovered,
        leader_epoch: 0,
        partition_epoch: 0,
        elr: Vec::new(),
        last_known_elr: Vec::new(),
    };
    let election = if unclean_enabled { Election::Unclean } else { Election::Online };
    // The controller fences the failed brokers: it asks for an ISR without them.
    let target_isr: Vec<BrokerId> = isr.iter().copied().filter(|b| alive.contains(b)).collect();
    let outcome = kraft::elect(&partition, election, target_isr, &alive, MetadataVersion::V3_6_AND_LATER);
    let new_leader = outcome.partition.leader;
    let before_max = leos.values().copied().max().unwrap_or(0);
    let old_leader_leo = leader.map(leo_of).transpose()?.unwrap_or(before_max);
    let (truncated, lost_from) = match new_leader {
        Some(l) => {
            let end = leo_of(l)?;
            let truncated: SortedMap<BrokerId, u64> = alive.iter().map(|b| Ok((*b, leo_of(*b)?.min(end)))).collect::<Result<_, String>>()?;
            (truncated, end)
        }
        // No leader: nothing is truncated yet, and nothing can be read or written.
        None => (SortedMap::new(), before_max),
    };
    let lost: Vec<u64> = (lost_from..before_max).collect();
    let acked_up_to = if acks_all { hw } else { old_leader_leo };
    let acked_lost = acked_up_to.saturating_sub(lost_from);
    let consumers_saw_lost = hw > lost_from;

    let mut wrong = Vec::new();
    let mut compare = |what: &str, expected: &Value, got: Value| {
        if expected != &got {
            wrong.push(format!("{what}: expected {expected}, got {got}"));
        }
    };
    let ids = |list: &[BrokerId]| Value::from(list.iter().map(|b| b.0).collect::<Vec<_>>());
    if let Some(v) = field(case, &["expected_leader", "expected_new_leader"]) {
        let as_value = |b: Option<BrokerId>| b.map_or(Value::Null, |b| Value::from(b.0));
        compare("leader (null: none)", &as_value(optional_broker(Some(v))?), as_value(new_leader));
    }
    if let Some(v) = field(case, &["expected_isr", "expected_new_isr"]) {
        let mut expected = brokers(v)?;
        let mut got = outcome.partition.isr.clone();
        expected.sort_unstable();
        got.sort_unstable();
        compare("ISR", &ids(&expected), ids(&got));
    }
    for (names, acked) in [(&["expected_lost", "expected_lost_records", "expected_records_lost", "expected_lost_offsets"][..], false), (&["expected_acked_lost", "expected_lost_acked", "expected_acked_records_lost"][..], true)] {
        if let Some(v) = field(case, names) {
            let got = match v {
                Value::Array(_) => Value::from(lost.clone()),
                _ if acked => Value::from(acked_lost),
                _ => Value::from(lost.len()),
            };
            compare(if acked { "acknowledged records lost" } else { "records lost" }, v, got);
        }
    }
    if let Some(Value::Object(expected)) = field(case, &["expected_truncated_to", "expected_truncation", "expected_leos_after", "expected_truncate_to"]) {
        for (broker, offset) in expected {
            let b = broker_id(&Value::from(broker.as_str()))?;
            compare(&format!("broker {broker}'s log end after truncation"), offset, truncated.get(&b).copied().map_or(Value::Null, Value::from));
        }
    }
    if let Some(v) = field(case, &["expected_unclean"]) {
        compare("unclean election", v, Value::Bool(outcome.unclean));
    }
    if let Some(v) = field(case, &["expected_consumers_saw_lost", "expected_consumers_saw_lost_records"]) {
        compare("consumers read lost records", v, Value::Bool(consumers_saw_lost));
    }
    if wrong.is_empty() { Ok(()) } else { Err(wrong.join("; ")) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(case: Value) -> CaseOutcome {
        check(&json!({ "replication_scenarios": [case] })).remove(0)
    }

    #[test]
    fn acks_1_loses_what_only_the_old_leader_had_and_the_first_isr_member_leads_not_the_longest_log() {
        // Broker 1 acknowledged offsets up to 10 with acks=1; broker 2 had 8, broker 3 had 9. The new
        // leader is broker 2 (first in replica order), so broker 3 truncates its offset 8 too.
        let o = run(json!({
            "name": "acks1_leader_dies", "replicas": [1, 2, 3], "isr": [1, 2, 3], "leader": 1, "acks": 1,
            "leos": {"1": 10, "2": 8, "3": 9},
            "expected_leader": 2, "expected_isr": [2, 3], "expected_lost_offsets": [8, 9], "expected_acked_lost": 2,
            "expected_truncated_to": {"2": 8, "3": 8}, "expected_consumers_saw_lost": false
        }));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn acks_all_loses_nothing_acknowledged_in_a_clean_election() {
        let o = run(json!({"replicas": [1, 2, 3], "isr": [1, 2, 3], "acks": "all", "leos": [10, 8, 9], "expected_acked_lost": 0, "expected_lost": 2}));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn with_no_live_isr_member_the_partition_has_no_leader_unless_unclean_election_is_on() {
        let clean = run(json!({"replicas": [1, 2], "isr": [1], "leos": {"1": 10, "2": 4}, "expected_leader": null}));
        assert!(clean.passed, "{clean:?}");
        let unclean = run(json!({"replicas": [1, 2], "isr": [1], "leos": {"1": 10, "2": 4}, "unclean_leader_election_enable": true, "hw": 10, "acks": "all",
            "expected_leader": 2, "expected_unclean": true, "expected_acked_lost": 6, "expected_consumers_saw_lost": true}));
        assert!(unclean.passed, "{unclean:?}");
    }

    #[test]
    fn a_case_with_only_rule_text_is_skipped_and_a_wrong_answer_fails() {
        let rule = run(json!({"rule": "anything the leader acknowledged but no surviving ISR member had is lost"}));
        assert!(rule.skipped);
        let wrong = run(json!({"replicas": [1, 2, 3], "leos": [10, 8, 9], "expected_leader": 3}));
        assert!(wrong.failed() && wrong.detail.contains("expected 3, got 2"), "{wrong:?}");
    }
}
