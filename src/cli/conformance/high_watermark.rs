//! Conformance section `high_watermark` (and partition-level `replica_isr_state` cases, which
//! `replica_state` hands here): how a partition leader moves its high watermark and its ISR as
//! followers fetch, step by step, in the shape of Kafka's `PartitionTest`.
//!
//! A case gives the partition (`replicas`, leader first unless `leader` says otherwise; the committed
//! `isr`; `min_insync_replicas`; the leader's `leader_leo`; optionally `hw` and
//! `replica_lag_time_max_ms`) and a list of `steps`. Each step is an event, written as Kafka's test
//! does it in words, and what to expect after it:
//! - "become leader" (optionally "with ISR [0]"; a later one keeps the epoch unless it says "new
//!   epoch"): Kafka's `makeLeader`;
//! - "broker 1 fenced", "broker 1 shutting down", "broker 1 unfenced": whether the leader may wait
//!   for that follower and add it to the ISR;
//! - "follower 2 fetches at 10": the follower's fetch state moves, it may be proposed for the ISR,
//!   and the high watermark may move (Kafka's `updateFollowerFetchState`). A note such as "(ISR
//!   expansion to [0,1,2] pending)" is checked against the expansion the leader proposed;
//! - "AlterPartition committed, ISR=[0,1,2]" (or "... failed"), "controller sets ISR [0]": the
//!   controller's answer or decision;
//! - "leader appends 5 records", "leader LEO 15", "time advances 31000 ms", "ISR shrink" (the leader
//!   proposes removing every out-of-sync follower, or the listed ISR).
//!
//! Expectations: `expect_hw`, `expect_under_min_isr`, `expect_maximal_isr_size`, `expect_maximal_isr`,
//! `expect_isr`, `expect_leo`. The state changes are the engine's own: `FollowerState`'s fetch
//! bookkeeping, `can_join_isr`, `out_of_sync_followers` and `next_high_watermark`, which the
//! simulated brokers use. An event this runner cannot read fails the case.

use super::fields::{broker_id, broker_list_field};
use super::{CaseOutcome, section_list};
use crate::kafka::BrokerId;
use crate::kafka::broker::replica::{
    FollowerState, LeaderState, PendingIsr, can_join_isr, effective_min_isr, next_high_watermark, out_of_sync_followers,
};
use crate::sim::Tick;
use serde_json::Value;

/// Kafka's default `replica.lag.time.max.ms`, as the engine's broker config has it.
pub(super) fn replica_lag_time_max_ms_default() -> u64 {
    crate::kafka::config::BrokerConfig::default().replica_lag_time_max_ms
}

/// Runs the `high_watermark` section.
pub fn check(doc: &Value) -> Vec<CaseOutcome> {
    let cases = match section_list(doc, "high_watermark") {
        None => return Vec::new(),
        Some(Err(unreadable)) => return vec![unreadable],
        Some(Ok(cases)) => cases,
    };
    cases
        .iter()
        .enumerate()
        .map(|(i, case)| {
            let label = format!("high_watermark[{i}] {}", case_name(case)).trim_end().to_owned();
            CaseOutcome::of(label, check_case(case))
        })
        .collect()
}

/// The case's `name`, or the test its `source` names (`...PartitionTest.scala#testFoo` → `testFoo`).
pub(super) fn case_name(case: &Value) -> &str {
    case.get("name")
        .and_then(Value::as_str)
        .or_else(|| case.get("source").and_then(Value::as_str).and_then(|s| s.rsplit('#').next()))
        .unwrap_or("")
}

/// The leader's view of one partition, as the steps move it.
struct Partition {
    replication_factor: usize,
    min_insync_replicas: u32,
    leader_leo: u64,
    high_watermark: u64,
    now_ms: u64,
    replica_lag_time_max_ms: u64,
    /// Brokers the controller has fenced or that are shutting down: never waited for, never added.
    ineligible: Vec<BrokerId>,
    /// Whether a "become leader" step has run: a later one keeps what the leader knows.
    leading: bool,
    state: LeaderState,
}

impl Partition {
    fn from_case(case: &Value) -> Result<Partition, String> {
        let replicas = broker_list_field(case, &["replicas", "assignment"])?.ok_or("missing `replicas`")?;
        let leader = match case.get("leader") {
            Some(v) => broker_id(v).map_err(|e| format!("`leader`: {e}"))?,
            None => *replicas.first().ok_or("`replicas` is empty")?,
        };
        if !replicas.contains(&leader) {
            return Err(format!("the leader {} is not one of the replicas", leader.0));
        }
        let isr = broker_list_field(case, &["isr"])?.unwrap_or_else(|| replicas.clone());
        let number = |field: &str| -> Result<Option<u64>, String> {
            case.get(field).map(|v| v.as_u64().ok_or(format!("`{field}` should be a whole number, got {v}"))).transpose()
        };
        let min_insync_replicas = number("min_insync_replicas")?.or(number("min.insync.replicas")?).unwrap_or(1);
        let mut ineligible = broker_list_field(case, &["fenced"])?.unwrap_or_default();
        ineligible.extend(broker_list_field(case, &["shutting_down"])?.unwrap_or_default());
        let leader_leo = number("leader_leo")?.or(number("log_end_offset")?).unwrap_or(0);
        Ok(Partition {
            replication_factor: replicas.len(),
            min_insync_replicas: u32::try_from(min_insync_replicas).map_err(|_| "`min_insync_replicas` is too large")?,
            leader_leo,
            high_watermark: number("hw")?.or(number("high_watermark")?).unwrap_or(0),
            now_ms: number("now_ms")?.unwrap_or(0),
            replica_lag_time_max_ms: number("replica_lag_time_max_ms")?.unwrap_or_else(replica_lag_time_max_ms_default),
            ineligible,
            leading: false,
            state: LeaderState {
                isr,
                pending: None,
                followers: replicas.iter().filter(|b| **b != leader).map(|b| (*b, FollowerState::default())).collect(),
                epoch_start_offset: leader_leo,
            },
        })
    }

    /// Kafka's `makeLeader`. The controller's ISR replaces the leader's and any pending change. With a
    /// new leader epoch the epoch starts at the log end and the leader resets what it knows of its
    /// followers: a broker that just became leader forgets their offsets (each in the ISR counts as
    /// caught up now). The same epoch again (the controller changing only the ISR) keeps all that.
    fn become_leader(&mut self, isr: Option<Vec<BrokerId>>, new_epoch: bool) {
        if let Some(isr) = isr {
            self.state.isr = isr;
        }
        self.state.pending = None;
        if new_epoch {
            self.state.epoch_start_offset = self.leader_leo;
            let (now_ms, leo, is_new_leader) = (self.now_ms, self.leader_leo, !self.leading);
            for (broker, follower) in &mut self.state.followers {
                follower.reset(now_ms, leo, is_new_leader, self.state.isr.contains(broker));
            }
        }
        self.leading = true;
        self.maybe_increment_hw();
    }

    /// Kafka's `updateFollowerFetchState`: record the fetch, propose the follower for the ISR if it
    /// can join, and move the high watermark if the follower's offset changed.
    fn follower_fetch(&mut self, follower: BrokerId, fetch_offset: u64) -> Result<(), String> {
        let (now_ms, leo) = (self.now_ms, self.leader_leo);
        let state = self.state.follower_mut(follower).ok_or(format!("broker {} is not a follower of this partition", follower.0))?;
        let leo_before = state.leo;
        state.record_fetch(fetch_offset, 0, now_ms, leo, 0);
        let in_sync = can_join_isr(fetch_offset, self.high_watermark, self.state.epoch_start_offset);
        if self.state.pending.is_none() && !self.state.isr.contains(&follower) && !self.ineligible.contains(&follower) && in_sync {
            let mut proposed = self.state.isr.clone();
            proposed.push(follower);
            self.propose(proposed, true);
        }
        if leo_before != Some(fetch_offset) {
            self.maybe_increment_hw();
        }
        Ok(())
    }

    fn propose(&mut self, proposed: Vec<BrokerId>, expansion: bool) {
        self.state.pending = Some(PendingIsr { proposed, request_id: 0, expansion, deadline: Tick(0) });
    }

    /// The controller committed an ISR: it becomes the leader's, and the high watermark may move.
    fn commit_isr(&mut self, isr: Vec<BrokerId>) {
        self.state.isr = isr;
        self.state.pending = None;
        self.maybe_increment_hw();
    }

    /// Kafka's `maybeShrinkIsr`: propose the ISR without its out-of-sync followers (or the given one).
    fn shrink(&mut self, proposed: Option<Vec<BrokerId>>) {
        let proposed = proposed.unwrap_or_else(|| {
            let out = out_of_sync_followers(&self.state, self.leader_leo, self.now_ms, self.replica_lag_time_max_ms);
            self.state.isr.iter().copied().filter(|b| !out.contains(b)).collect()
        });
        if proposed != self.state.isr {
            self.propose(proposed, false);
        }
    }

    fn maybe_increment_hw(&mut self) {
        let next = next_high_watermark(
            self.high_watermark,
            self.leader_leo,
            &self.state.followers,
            self.state.maximal_isr(),
            self.state.isr.len(),
            self.effective_min_isr(),
            self.now_ms,
            self.replica_lag_time_max_ms,
            |b, _| !self.ineligible.contains(&b),
        );
        if let Some(hw) = next {
            self.high_watermark = hw;
        }
    }

    fn effective_min_isr(&self) -> usize {
        effective_min_isr(self.min_insync_replicas, self.replication_factor)
    }

    fn under_min_isr(&self) -> bool {
        self.state.isr.len() < self.effective_min_isr()
    }

    /// Applies one step's event, written in words.
    fn apply(&mut self, event: &str) -> Result<(), String> {
        let lower = event.to_ascii_lowercase();
        let list = bracketed_list(event)?;
        let numbers = numbers_outside_brackets(&lower);
        if lower.contains("become leader") || lower.contains("becomes leader") || lower.contains("makeleader") || lower.contains("make leader") {
            // The first time is a new leader; later ones keep the epoch unless the text says otherwise.
            let new_epoch = !self.leading || (lower.contains("new") && lower.contains("epoch"));
            self.become_leader(list, new_epoch);
        } else if lower.contains("unfenced") || lower.contains("fenced") || lower.contains("shut") {
            let [broker] = numbers.as_slice() else {
                return Err(format!("cannot read '{event}': which broker?"));
            };
            let broker = BrokerId(u32::try_from(*broker).map_err(|_| format!("{broker} is not a broker id"))?);
            self.ineligible.retain(|b| *b != broker);
            if !lower.contains("unfenced") {
                self.ineligible.push(broker);
            }
        } else if lower.contains("fetch") {
            let [follower, offset] = numbers.as_slice() else {
                return Err(format!("cannot read '{event}': expected a follower id and the offset it fetches at"));
            };
            self.follower_fetch(BrokerId(u32::try_from(*follower).map_err(|_| format!("{follower} is not a broker id"))?), *offset)?;
            if let Some(expected) = list.filter(|_| lower.contains("pending")) {
                let proposed = self.state.pending.as_ref().map(|p| p.proposed.clone());
                if proposed.as_ref() != Some(&expected) {
                    return Err(format!("'{event}': the leader proposed {}", show_isr(proposed.as_deref())));
                }
            }
        } else if lower.contains("alterpartition") || lower.contains("alter partition") || lower.contains("committed") || lower.contains("accepted")
            || (lower.contains("controller") && list.is_some())
        {
            if lower.contains("fail") || lower.contains("reject") || lower.contains("error") {
                self.state.pending = None;
            } else {
                let isr = list.or_else(|| self.state.pending.as_ref().map(|p| p.proposed.clone()));
                self.commit_isr(isr.ok_or(format!("cannot read '{event}': which ISR was committed?"))?);
            }
        } else if lower.contains("shrink") {
            self.shrink(list);
        } else if lower.contains("append") {
            let [count] = numbers.as_slice() else {
                return Err(format!("cannot read '{event}': how many records were appended?"));
            };
            self.leader_leo += count;
            self.maybe_increment_hw();
        } else if lower.contains("leo") || lower.contains("log end offset") {
            let [leo] = numbers.as_slice() else { return Err(format!("cannot read '{event}': which log end offset?")) };
            self.leader_leo = *leo;
            self.maybe_increment_hw();
        } else if lower.contains("time") || lower.contains("advance") || lower.contains("sleep") || lower.contains("wait") || lower.contains("pass") {
            let [amount] = numbers.as_slice() else { return Err(format!("cannot read '{event}': how much time passes?")) };
            // "31000 ms", or "31 s" / "31 seconds".
            let ms = if lower.contains("ms") || lower.contains("milli") {
                *amount
            } else if lower.contains(" s") || lower.contains("sec") {
                amount.saturating_mul(1000)
            } else {
                return Err(format!("cannot read '{event}': give the time in ms or s"));
            };
            self.now_ms += ms;
        } else {
            return Err(format!(
                "cannot read the event '{event}' (known: become leader, follower N fetches at O, AlterPartition committed \
                 ISR=[..], broker N fenced, ISR shrink, leader appends N, time advances N ms)"
            ));
        }
        Ok(())
    }

    /// Compares the step's `expect_*` fields; an unknown one is an error, never ignored.
    fn check(&self, step: &Value) -> Result<(), String> {
        let Some(fields) = step.as_object() else { return Ok(()) };
        let mut wrong = Vec::new();
        for (key, expected) in fields.iter().filter(|(k, _)| k.starts_with("expect")) {
            let got: Value = match key.trim_start_matches("expected_").trim_start_matches("expect_") {
                "hw" | "high_watermark" => self.high_watermark.into(),
                "under_min_isr" => self.under_min_isr().into(),
                "maximal_isr_size" => self.state.maximal_isr().len().into(),
                "maximal_isr" => ids(self.state.maximal_isr()),
                "isr" => ids(&self.state.isr),
                "isr_size" => self.state.isr.len().into(),
                "leo" | "leader_leo" => self.leader_leo.into(),
                "pending" => self.state.pending.is_some().into(),
                other => return Err(format!("unknown expectation `{key}` ({other}); known: expect_hw, expect_under_min_isr, expect_maximal_isr_size, expect_maximal_isr, expect_isr, expect_isr_size, expect_leo, expect_pending")),
            };
            // Kafka's tests compare ISRs as sets, so lists compare without their order.
            if sorted(&got) != sorted(expected) {
                wrong.push(format!("{key}: expected {expected}, got {got}"));
            }
        }
        if wrong.is_empty() { Ok(()) } else { Err(wrong.join(", ")) }
    }
}

pub(super) fn check_case(case: &Value) -> Result<(), String> {
    let mut partition = Partition::from_case(case)?;
    let steps = case.get("steps").and_then(Value::as_array).ok_or("missing `steps` (a list of events with expectations)")?;
    for (i, step) in steps.iter().enumerate() {
        let event = match step {
            Value::String(text) => text.as_str(),
            _ => step.get("event").or(step.get("action")).and_then(Value::as_str).ok_or(format!("step {i} has no `event`"))?,
        };
        partition.apply(event).map_err(|e| format!("step {i}: {e}"))?;
        partition.check(step).map_err(|e| format!("step {i} ({event}): {e}"))?;
    }
    Ok(())
}

/// A list's items in order (a set's comparison); anything else as it is.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Array(items) => {
            let mut numbers: Vec<i64> = items.iter().filter_map(Value::as_i64).collect();
            if numbers.len() != items.len() {
                return value.clone();
            }
            numbers.sort_unstable();
            numbers.into_iter().map(Value::from).collect()
        }
        other => other.clone(),
    }
}

fn ids(brokers: &[BrokerId]) -> Value {
    brokers.iter().map(|b| Value::from(b.0)).collect()
}

fn show_isr(isr: Option<&[BrokerId]>) -> String {
    isr.map_or("no change".to_owned(), |isr| format!("{}", ids(isr)))
}

/// The list in "[0,1,2]" or "[0, 1, 2]", if the text has one.
fn bracketed_list(text: &str) -> Result<Option<Vec<BrokerId>>, String> {
    let Some(open) = text.find('[') else { return Ok(None) };
    let close = text[open..].find(']').ok_or(format!("cannot read '{text}': a '[' is never closed"))? + open;
    text[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.parse::<u32>().map(BrokerId).map_err(|_| format!("cannot read '{text}': '{s}' is not a broker id")))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

/// The whole numbers of a text, outside any bracketed list and notes in parentheses.
fn numbers_outside_brackets(text: &str) -> Vec<u64> {
    let mut plain = String::new();
    let mut depth = 0usize;
    for c in text.chars() {
        match c {
            '[' | '(' => depth += 1,
            ']' | ')' => depth = depth.saturating_sub(1),
            _ if depth == 0 => plain.push(c),
            _ => {}
        }
    }
    plain.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(case: Value) -> CaseOutcome {
        check(&json!({ "high_watermark": { "cases": [case] } })).remove(0)
    }

    #[test]
    fn the_high_watermark_waits_for_the_committed_isr_to_reach_min_insync_replicas() {
        // Kafka's testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR: two of three in sync,
        // min.insync.replicas 3. Followers catching up are not enough; the committed ISR is.
        let o = run(json!({
            "source": "PartitionTest.scala#testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR",
            "min_insync_replicas": 3, "replicas": [0, 1, 2], "isr": [0, 1], "leader_leo": 10,
            "steps": [
                {"event": "become leader", "expect_hw": 0, "expect_under_min_isr": true},
                {"event": "follower 1 fetches at 10", "expect_hw": 0},
                {"event": "follower 2 fetches at 10 (ISR expansion to [0,1,2] pending)", "expect_hw": 0, "expect_maximal_isr_size": 3},
                {"event": "AlterPartition committed, ISR=[0,1,2]", "expect_hw": 10, "expect_under_min_isr": false}
            ]
        }));
        assert!(o.passed, "{o:?}");
        assert_eq!(o.case, "high_watermark[0] testHighWatermarkAdvanceShouldNotAdvanceWhenUnderMinISR");
    }

    #[test]
    fn with_min_insync_replicas_met_the_high_watermark_follows_the_slowest_isr_member() {
        let o = run(json!({
            "replicas": [0, 1, 2], "isr": [0, 1, 2], "leader_leo": 10, "min_insync_replicas": 2,
            "steps": [
                "become leader",
                {"event": "follower 1 fetches at 10", "expect_hw": 0},
                {"event": "follower 2 fetches at 6", "expect_hw": 6},
                {"event": "leader appends 5 records", "expect_leo": 15, "expect_hw": 6},
                {"event": "follower 2 fetches at 15", "expect_hw": 10},
                {"event": "follower 1 fetches at 15", "expect_hw": 15}
            ]
        }));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn a_follower_that_stops_fetching_is_proposed_for_removal_after_the_lag_time() {
        let o = run(json!({
            "replicas": [0, 1, 2], "isr": [0, 1, 2], "leader_leo": 10,
            "steps": [
                "become leader",
                "follower 1 fetches at 10",
                "follower 2 fetches at 10",
                {"event": "leader appends 5 records", "expect_hw": 10},
                "follower 1 fetches at 15",
                {"event": "time advances 30 s"},
                {"event": "time advances 1 ms"},
                "follower 1 fetches at 15",
                {"event": "ISR shrink", "expect_maximal_isr": [0, 1, 2], "expect_pending": true},
                {"event": "AlterPartition committed", "expect_isr": [0, 1], "expect_hw": 15}
            ]
        }));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn a_follower_joins_the_isr_only_after_reaching_the_start_of_the_leaders_epoch() {
        // Kafka's testIsrExpansion: the leader's epoch began at offset 10; a fetch at 3 is not enough.
        let o = run(json!({
            "replicas": [0, 1], "isr": [0], "leader_leo": 10,
            "steps": [
                "become leader",
                {"event": "follower 1 fetches at 3", "expect_isr": [0], "expect_maximal_isr": [0]},
                {"event": "follower 1 fetches at 10", "expect_isr": [0], "expect_maximal_isr": [0, 1]},
                {"event": "AlterPartition committed", "expect_isr": [0, 1]}
            ]
        }));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn a_fenced_or_shutting_down_follower_no_longer_holds_the_high_watermark_back() {
        // Kafka's testHighWatermarkIncreasesWithFencedOrShutdownFollower, in its three variants.
        for (state, expected_hw) in [("unfenced", 10), ("fenced", 20), ("shutting down", 20)] {
            let o = run(json!({
                "replicas": [0, 1], "isr": [0, 1], "leader_leo": 10,
                "steps": [
                    {"event": "become leader", "expect_maximal_isr": [0, 1]},
                    {"event": "follower 1 fetches at 10", "expect_hw": 10},
                    format!("broker 1 {state}"),
                    {"event": "leader appends 10 records", "expect_hw": 10},
                    {"event": "become leader with ISR [0] (same epoch)", "expect_isr": [0], "expect_maximal_isr": [0], "expect_hw": expected_hw}
                ]
            }));
            assert!(o.passed, "{state}: {o:?}");
        }
    }

    #[test]
    fn isrs_compare_as_sets_as_kafkas_tests_assert_them() {
        let o = run(json!({
            "replicas": [0, 1, 2], "isr": [0, 2], "leader_leo": 4,
            "steps": ["become leader", {"event": "follower 1 fetches at 4", "expect_maximal_isr": [0, 1, 2]}, {"event": "ISR expansion committed", "expect_isr": [2, 1, 0]}]
        }));
        assert!(o.passed, "{o:?}");
    }

    #[test]
    fn a_wrong_pending_note_or_an_unreadable_event_fails() {
        let wrong_note = run(json!({
            "replicas": [0, 1, 2], "isr": [0, 1], "leader_leo": 10,
            "steps": ["become leader", {"event": "follower 2 fetches at 9 (ISR expansion to [0,1,2] pending)"}]
        }));
        assert!(!wrong_note.passed);
        assert!(wrong_note.detail.contains("no change"), "{}", wrong_note.detail);
        let unreadable = run(json!({"replicas": [0, 1], "steps": ["the moon rises"]}));
        assert!(unreadable.detail.contains("cannot read the event"), "{}", unreadable.detail);
        let unknown = run(json!({"replicas": [0, 1], "steps": [{"event": "become leader", "expect_colour": "red"}]}));
        assert!(unknown.detail.contains("unknown expectation"), "{}", unknown.detail);
    }
}
