//! Checkpoints: a probe evaluated against the simulated state at a step's moment, compared exactly
//! with what the lesson expects.
//!
//! The same resolution serves two masters: [`evaluate`] answers a probe during a run, and
//! [`probe_problems`] checks, before any run, that a probe names things the scenario has.

use super::format::{Checkpoint, Probe, ProbeValue};
use super::problem::{Problem, did_you_mean, index_path};
use super::tally::{Tally, error_name, record_value};
use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::kafka::log::Log;
use crate::kafka::partitioner::partition_for_key;
use crate::kafka::protocol::KafkaError;
use crate::kafka::group::coordinator::GroupState;
use crate::kafka::world::{View, ViolationKind};
use serde::Serialize;
use crate::sim::sorted::SortedSet;
use std::fmt;

/// `record_values` answers for logs of at most this many records.
pub const RECORD_VALUES_MAX: u64 = 1000;

/// Every error a producer can report, as probes name them.
pub const PRODUCE_ERROR_NAMES: [KafkaError; 16] = [
    KafkaError::NotLeaderOrFollower,
    KafkaError::NotEnoughReplicas,
    KafkaError::NotEnoughReplicasAfterAppend,
    KafkaError::RequestTimedOut,
    KafkaError::OffsetOutOfRange,
    KafkaError::FencedLeaderEpoch,
    KafkaError::UnknownLeaderEpoch,
    KafkaError::OutOfOrderSequenceNumber,
    KafkaError::DuplicateSequenceNumber,
    KafkaError::InvalidProducerEpoch,
    KafkaError::ProducerFenced,
    KafkaError::MessageTooLarge,
    KafkaError::UnknownTopicOrPartition,
    KafkaError::NetworkException,
    KafkaError::DeliveryTimeout,
    KafkaError::InvalidTxnState,
];

/// Why a probe has no answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProbeError {
    /// The probe names something the scenario does not have (a path relative to the probe).
    Unknown(Problem),
    /// The names are right but the state cannot answer now ("orders-0 has no leader").
    Unanswerable(String),
}

impl fmt::Display for ProbeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProbeError::Unknown(problem) => write!(f, "{problem}"),
            ProbeError::Unanswerable(why) => f.write_str(why),
        }
    }
}

fn unknown(field: &str, rule: String) -> ProbeError {
    ProbeError::Unknown(Problem::new(field, rule))
}

/// One checkpoint's outcome in a run report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CheckpointResult {
    /// The step's index in the scenario.
    pub step: usize,
    pub at_ms: u64,
    pub question: String,
    pub expected: ProbeValue,
    /// What the engine's state answered (absent when it could not answer).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actual: Option<ProbeValue>,
    /// Why there is no answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub passed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<String>,
}

/// Evaluates a checkpoint at the current moment of the run.
pub fn check(checkpoint: &Checkpoint, step: usize, view: &View, tally: &Tally) -> CheckpointResult {
    let answer = evaluate(&checkpoint.probe, view, tally);
    let passed = answer.as_ref().is_ok_and(|actual| *actual == checkpoint.expect);
    let (actual, error) = match answer {
        Ok(value) => (Some(value), None),
        Err(e) => (None, Some(e.to_string())),
    };
    CheckpointResult {
        step,
        at_ms: view.now().ms(),
        question: checkpoint.question.clone(),
        expected: checkpoint.expect.clone(),
        actual,
        error,
        passed,
        explain: checkpoint.explain.clone(),
    }
}

/// The names a probe uses that the scenario does not have (paths relative to the probe). `view` is a
/// world with the scenario's cluster and every timed action applied.
pub fn probe_problems(probe: &Probe, view: &View) -> Vec<Problem> {
    match evaluate(probe, view, &Tally::default()) {
        Err(ProbeError::Unknown(problem)) => vec![problem],
        _ => Vec::new(),
    }
}

/// What an expected answer can never be, whatever happens in the run (paths relative to the
/// checkpoint): a broker, controller, partition or consumer the scenario never has, a group state or
/// an error name the engine never reports, a negative count, a list in an order the probe never
/// gives. `view` is a world with the scenario's cluster and every timed action applied, so whatever
/// an action adds (a broker, partitions, a consumer) may be expected.
pub fn expect_problems(probe: &Probe, expect: &ProbeValue, view: &View) -> Vec<Problem> {
    let mut problems = Vec::new();
    let order = match probe {
        Probe::Isr { .. } => "the ISR lists each broker once, lowest id first",
        Probe::GroupMembers { .. } => "the members are listed each once, by name in sorted order",
        _ => "",
    };
    if let ProbeValue::List(items) = expect
        && !order.is_empty()
        && !items.is_sorted_by(|a, b| a < b)
    {
        let mut sorted = items.clone();
        sorted.sort();
        sorted.dedup();
        problems.push(Problem::new("expect", format!("{order}: {}", ProbeValue::List(sorted))));
    }
    let items = match expect {
        ProbeValue::List(items) => items.iter().enumerate().map(|(i, v)| (index_path("expect", i), v)).collect(),
        one => vec![("expect".to_string(), one)],
    };
    for (at, value) in items {
        if let Some(rule) = never_answered(probe, value, view) {
            problems.push(Problem::new(at, rule));
        }
    }
    problems
}

/// Why the probe never answers `value` (or, for a list probe, never lists it).
fn never_answered(probe: &Probe, value: &ProbeValue, view: &View) -> Option<String> {
    let hint = |name: &str, known: &[&str]| did_you_mean(name, known.iter().copied()).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
    match (probe, value) {
        (Probe::Leader { .. }, ProbeValue::Int(-1)) | (Probe::ActiveController, ProbeValue::Int(-1)) => None,
        (Probe::Leader { .. } | Probe::Isr { .. } | Probe::Replicas { .. }, ProbeValue::Int(id)) => {
            let known = u32::try_from(*id).is_ok_and(|id| view.broker(BrokerId(id)).is_some());
            let ids: Vec<String> = view.brokers().map(|b| b.id.to_string()).collect();
            let none = if matches!(probe, Probe::Leader { .. }) { ", or -1 for no leader" } else { "" };
            (!known).then(|| format!("no broker {id}: the brokers are {}{none}", ids.join(", ")))
        }
        (Probe::ActiveController, ProbeValue::Int(id)) => {
            let ids: Vec<String> = view.controllers().iter().map(|c| c.id.to_string()).collect();
            let known = view.controllers().iter().any(|c| i64::from(c.id) == *id);
            (!known).then(|| format!("no controller {id}: the controllers are {}, or -1 while none leads", ids.join(", ")))
        }
        (Probe::PartitionOfKey { topic, .. }, ProbeValue::Int(n)) => {
            let count = partition_count(view, topic).ok()?;
            (*n < 0 || *n >= i64::from(count)).then(|| format!("topic '{topic}' never has partitions other than 0 to {} in this run", count.saturating_sub(1)))
        }
        (Probe::LeaderEpoch { .. } | Probe::ConsumerPosition { .. } | Probe::CommittedOffset { .. }, _) => None,
        (_, ProbeValue::Int(n)) if *n < 0 => Some("this probe never answers with a negative number".to_string()),
        (Probe::LastProduceError { .. }, ProbeValue::Text(name)) => {
            let names = PRODUCE_ERROR_NAMES.map(error_name);
            (name != "none" && !names.contains(&name.as_str()))
                .then(|| format!("'{name}' is not a Kafka error a producer reports, nor 'none'{}", hint(name, &names)))
        }
        (Probe::GroupState { .. }, ProbeValue::Text(name)) => {
            let names = GroupState::ALL.map(GroupState::name);
            (!names.contains(&name.as_str())).then(|| format!("a group's state is one of {}; never '{name}'{}", names.join(", "), hint(name, &names)))
        }
        (Probe::ConsumerAssignment { .. }, ProbeValue::Text(name)) => {
            let Some((topic, n)) = name.rsplit_once('-').and_then(|(t, n)| Some((t, n.parse::<u32>().ok()?))) else {
                return Some(format!("'{name}' names no partition: write its topic, '-' and its number (like orders-0)"));
            };
            let count = match partition_count(view, topic) {
                Ok(count) => count,
                Err(ProbeError::Unknown(problem)) => return Some(problem.rule),
                Err(ProbeError::Unanswerable(_)) => return None,
            };
            (n >= count).then(|| format!("topic '{topic}' never has partitions other than 0 to {} in this run", count.saturating_sub(1)))
        }
        (Probe::GroupMembers { group }, ProbeValue::Text(name)) => {
            let Some(consumer) = view.consumers().iter().find(|c| *c.name == **name) else {
                let names: Vec<&str> = view.consumers().iter().map(|c| &*c.name).collect();
                return Some(format!("no consumer named '{name}'{}", hint(name, &names)));
            };
            match consumer.group.as_deref() {
                Some(g) if g == group => None,
                Some(g) => Some(format!("consumer '{name}' is in group '{g}', never in '{group}'")),
                None => Some(format!("consumer '{name}' is in no group")),
            }
        }
        _ => None,
    }
}

/// The probe's answer now.
pub fn evaluate(probe: &Probe, view: &View, tally: &Tally) -> Result<ProbeValue, ProbeError> {
    let image = view.metadata();
    Ok(match probe {
        Probe::Leader { topic, partition } => {
            let p = partition_of(view, topic, *partition)?;
            ProbeValue::int(image.partition(p).leader.map_or(-1, |b| i64::from(b.0)))
        }
        Probe::LeaderEpoch { topic, partition } => {
            let p = partition_of(view, topic, *partition)?;
            ProbeValue::int(image.partition(p).leader_epoch)
        }
        Probe::Isr { topic, partition } => {
            let p = partition_of(view, topic, *partition)?;
            let mut isr: Vec<u32> = image.partition(p).isr.iter().map(|b| b.0).collect();
            crate::sim::sorted::sort_by(&mut isr, |a, b| a.cmp(b));
            ProbeValue::List(isr.into_iter().map(ProbeValue::int).collect())
        }
        Probe::Replicas { topic, partition } => {
            let p = partition_of(view, topic, *partition)?;
            ProbeValue::List(image.partition(p).replicas.iter().map(|b| ProbeValue::int(b.0)).collect())
        }
        Probe::PartitionCount { topic } => ProbeValue::int(partition_count(view, topic)?),
        Probe::PartitionOfKey { topic, key } => {
            let count = partition_count(view, topic)?;
            ProbeValue::int(partition_for_key(key.as_bytes(), count))
        }
        Probe::HighWatermark { topic, partition, broker } => ProbeValue::int(replica_log(view, topic, *partition, *broker)?.1.high_watermark()),
        Probe::LogEndOffset { topic, partition, broker } => ProbeValue::int(replica_log(view, topic, *partition, *broker)?.1.log_end_offset()),
        Probe::LogStartOffset { topic, partition, broker } => ProbeValue::int(replica_log(view, topic, *partition, *broker)?.1.log_start_offset()),
        Probe::SegmentCount { topic, partition, broker } => ProbeValue::int(replica_log(view, topic, *partition, *broker)?.1.segments().len()),
        Probe::RecordValues { topic, partition, broker } => {
            let (p, log) = replica_log(view, topic, *partition, *broker)?;
            let (start, end) = (log.log_start_offset(), log.log_end_offset());
            if end - start > RECORD_VALUES_MAX {
                return Err(ProbeError::Unanswerable(format!(
                    "{topic}-{partition} holds {} records; record_values lists at most {RECORD_VALUES_MAX}",
                    end - start
                )));
            }
            ProbeValue::List((start..end).map(|o| ProbeValue::Text(record_value(view, p, o))).collect())
        }
        Probe::DiskAppends { broker } => ProbeValue::int(broker_of(view, *broker)?.disk.stats.append_requests),
        Probe::DiskReads { broker } => ProbeValue::int(broker_of(view, *broker)?.disk.stats.read_requests),
        Probe::DiskReadsFromPageCache { broker } => ProbeValue::int(broker_of(view, *broker)?.disk.stats.reads_from_page_cache),
        Probe::DiskFsyncs { broker } => ProbeValue::int(broker_of(view, *broker)?.disk.stats.fsyncs),
        Probe::RecordsTruncated { broker } => {
            broker_of(view, *broker)?;
            ProbeValue::int(tally.records_truncated(*broker))
        }
        Probe::BrokerAlive { broker } => ProbeValue::Bool(broker_of(view, *broker)?.up),
        Probe::BrokerFenced { broker } => {
            broker_of(view, *broker)?;
            ProbeValue::Bool(image.brokers.get(&BrokerId(*broker)).is_none_or(|b| b.fenced))
        }
        Probe::RecordsSent { producer } => ProbeValue::int(view.producers()[producer_of(view, producer)?].stats.records_sent),
        Probe::RecordsAcked { producer } => ProbeValue::int(view.producers()[producer_of(view, producer)?].stats.records_acked),
        Probe::RecordsFailed { producer } => ProbeValue::int(view.producers()[producer_of(view, producer)?].stats.records_failed),
        Probe::ProduceRequests { producer } => ProbeValue::int(view.producers()[producer_of(view, producer)?].stats.requests_sent),
        Probe::ProduceBatches { producer } => ProbeValue::int(view.producers()[producer_of(view, producer)?].stats.batches_sent),
        Probe::AverageAckLatencyMs { producer } => {
            let stats = &view.producers()[producer_of(view, producer)?].stats;
            ProbeValue::int(stats.latency_ms_total.checked_div(stats.records_acked).unwrap_or(0))
        }
        Probe::ProduceErrors { producer, error } => {
            let index = producer_of(view, producer)?;
            let name = known_error(error)?;
            ProbeValue::int(tally.produce_errors(index as u32, name))
        }
        Probe::LastProduceError { producer } => {
            let index = producer_of(view, producer)?;
            ProbeValue::Text(tally.last_produce_error(index as u32).unwrap_or("none").to_string())
        }
        Probe::ConsumerAssignment { consumer } => {
            let c = &view.consumers()[consumer_of(view, consumer, "consumer")?];
            ProbeValue::List(c.assignment.iter().map(|p| ProbeValue::Text(view.topic_partition(*p).to_string())).collect())
        }
        Probe::ConsumerPosition { consumer, topic, partition } => {
            let c = &view.consumers()[consumer_of(view, consumer, "consumer")?];
            let p = partition_of(view, topic, *partition)?;
            ProbeValue::int(c.position(p).map_or(-1, |o| o as i64))
        }
        Probe::ConsumerLag { consumer, topic, partition } => {
            let c = &view.consumers()[consumer_of(view, consumer, "consumer")?];
            let p = partition_of(view, topic, *partition)?;
            let position = c
                .position(p)
                .ok_or_else(|| ProbeError::Unanswerable(format!("{consumer} has no position on {topic}-{partition} yet")))?;
            let hw = leader_log(view, p, topic, *partition)?.high_watermark();
            ProbeValue::int(hw.saturating_sub(position))
        }
        Probe::RecordsPolled { consumer } => ProbeValue::int(view.consumers()[consumer_of(view, consumer, "consumer")?].stats.records_polled),
        Probe::RecordsProcessed { consumer } => {
            ProbeValue::int(view.consumers()[consumer_of(view, consumer, "consumer")?].stats.records_processed)
        }
        Probe::ProcessedValues { consumers, containing } => {
            let mut indexes = SortedSet::new();
            for (i, name) in consumers.iter().enumerate() {
                indexes.insert(consumer_of(view, name, &format!("consumers[{i}]"))? as u32);
            }
            let values = tally.processed_values(&indexes).ok_or_else(|| {
                ProbeError::Unanswerable(format!("more than {} records were processed; processed_values keeps no more", super::tally::PROCESSED_VALUES_MAX))
            })?;
            let wanted = |v: &&str| containing.as_deref().is_none_or(|c| v.contains(c));
            ProbeValue::List(values.into_iter().filter(wanted).map(|v| ProbeValue::Text(v.to_string())).collect())
        }
        Probe::RecordsInFlight => ProbeValue::int(tally.records_in_flight(view.now())),
        Probe::CommittedOffset { group, topic, partition } => {
            let p = partition_of(view, topic, *partition)?;
            let g = group_of(view, group)?;
            ProbeValue::int(g.offsets.get(&p).map_or(-1, |o| *o as i64))
        }
        Probe::GroupMembers { group } => {
            let g = group_of(view, group)?;
            let mut names: Vec<String> = g.members.values().filter_map(|m| view.consumers().get(m.consumer as usize)).map(|c| c.name.to_string()).collect();
            crate::sim::sorted::sort_by(&mut names, |a, b| a.cmp(b));
            ProbeValue::List(names.into_iter().map(ProbeValue::Text).collect())
        }
        Probe::GroupGeneration { group } => ProbeValue::int(group_of(view, group)?.generation),
        Probe::GroupState { group } => ProbeValue::Text(group_of(view, group)?.state.name().to_string()),
        Probe::PartitionsRevoked { consumer } => {
            let index = consumer_of(view, consumer, "consumer")?;
            ProbeValue::int(tally.partitions_revoked(index as u32))
        }
        Probe::DuplicateValues { consumers } | Probe::DistinctValues { consumers } => {
            let mut indexes = SortedSet::new();
            for (i, name) in consumers.iter().enumerate() {
                indexes.insert(consumer_of(view, name, &format!("consumers[{i}]"))? as u32);
            }
            let values = tally.processed_values(&indexes).ok_or_else(|| {
                ProbeError::Unanswerable(format!("more than {} records were processed; the tally keeps no more", super::tally::PROCESSED_VALUES_MAX))
            })?;
            let distinct: SortedSet<&str> = values.iter().copied().collect();
            match probe {
                Probe::DuplicateValues { .. } => ProbeValue::int(values.len() - distinct.len()),
                _ => ProbeValue::int(distinct.len()),
            }
        }
        Probe::TransactionsCommitted { producer } | Probe::TransactionsAborted { producer } => {
            let p = &view.producers()[producer_of(view, producer)?];
            let id = p.config.transactional_id.as_deref().ok_or_else(|| unknown("producer", format!("producer '{producer}' is not transactional (it has no transactional.id)")))?;
            let (committed, aborted) = tally.transactions(id);
            ProbeValue::int(if matches!(probe, Probe::TransactionsCommitted { .. }) { committed } else { aborted })
        }
        Probe::ProducerFenced { producer } => {
            let p = &view.producers()[producer_of(view, producer)?];
            ProbeValue::Bool(p.txn.as_ref().is_some_and(|t| t.phase == crate::kafka::producer::transaction::TxnPhase::Fenced))
        }
        Probe::ActiveController => {
            ProbeValue::int(view.controllers().iter().filter(|c| c.is_leader()).max_by_key(|c| c.epoch).map_or(-1, |c| i64::from(c.id)))
        }
        Probe::ControllerEpoch => ProbeValue::int(view.controllers().iter().filter(|c| c.up).map(|c| c.epoch).max().unwrap_or(0)),
        Probe::Violations { guarantee } => {
            let counts = view.violations();
            match guarantee {
                None => ProbeValue::int(counts.values().sum::<u64>()),
                Some(name) => {
                    let wanted = ViolationKind::ALL.iter().find(|k| k.name() == name.as_str()).ok_or_else(|| {
                        let names: Vec<&str> = ViolationKind::ALL.iter().map(|k| k.name()).collect();
                        unknown("guarantee", format!("'{name}' is not a guarantee the ledger checks ({})", names.join(", ")))
                    })?;
                    ProbeValue::int(counts.get(wanted).copied().unwrap_or(0))
                }
            }
        }
    })
}

/// The group as its coordinator has it loaded now.
fn group_of<'a>(view: &View<'a>, name: &str) -> Result<&'a crate::kafka::group::coordinator::Group, ProbeError> {
    let groups: SortedSet<&str> = view.consumers().iter().filter_map(|c| c.group.as_deref()).collect();
    if !groups.contains(name) {
        let hint = did_you_mean(name, groups.iter().copied()).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
        return Err(unknown("group", format!("no consumer is in a group named '{name}'{hint}")));
    }
    view.group(name).ok_or_else(|| ProbeError::Unanswerable(format!("no live coordinator holds group '{name}' now")))
}

fn partition_count(view: &View, topic: &str) -> Result<u32, ProbeError> {
    let image = view.metadata();
    match image.topic_index(topic) {
        Some(t) => Ok(image.topics[t.get()].partitions.len() as u32),
        None => Err(unknown_topic(view, topic)),
    }
}

fn unknown_topic(view: &View, topic: &str) -> ProbeError {
    let names: Vec<&str> = view.metadata().topics.iter().map(|t| &*t.name).collect();
    let hint = did_you_mean(topic, names.iter().copied()).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
    unknown("topic", format!("no topic named '{topic}'{hint}"))
}

fn partition_of(view: &View, topic: &str, number: u32) -> Result<PartitionIndex, ProbeError> {
    let count = partition_count(view, topic)?;
    view.partition_index(topic, number)
        .ok_or_else(|| unknown("partition", format!("topic '{topic}' has partitions 0 to {}", count.saturating_sub(1))))
}

fn leader_log<'a>(view: &View<'a>, p: PartitionIndex, topic: &str, number: u32) -> Result<&'a Log, ProbeError> {
    view.leader_log(p)
        .ok_or_else(|| ProbeError::Unanswerable(format!("{topic}-{number} has no leader now (name a broker to read its replica)")))
}

/// The log of the leader, or of `broker`'s replica.
fn replica_log<'a>(view: &View<'a>, topic: &str, number: u32, broker: Option<u32>) -> Result<(PartitionIndex, &'a Log), ProbeError> {
    let p = partition_of(view, topic, number)?;
    match broker {
        None => Ok((p, leader_log(view, p, topic, number)?)),
        Some(id) => {
            broker_of(view, id)?;
            let log = view.log(BrokerId(id), p).ok_or_else(|| unknown("broker", format!("broker {id} holds no replica of {topic}-{number}")))?;
            Ok((p, log))
        }
    }
}

fn broker_of<'a>(view: &View<'a>, id: u32) -> Result<&'a crate::kafka::broker::Broker, ProbeError> {
    view.broker(BrokerId(id)).ok_or_else(|| {
        let ids: Vec<String> = view.brokers().map(|b| b.id.to_string()).collect();
        unknown("broker", format!("no broker {id} (the brokers are {})", ids.join(", ")))
    })
}

fn producer_of(view: &View, name: &str) -> Result<usize, ProbeError> {
    view.producers().iter().position(|p| &*p.name == name).ok_or_else(|| {
        let hint = did_you_mean(name, view.producers().iter().map(|p| &*p.name)).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
        unknown("producer", format!("no producer named '{name}'{hint}"))
    })
}

fn consumer_of(view: &View, name: &str, field: &str) -> Result<usize, ProbeError> {
    view.consumers().iter().position(|c| &*c.name == name).ok_or_else(|| {
        let hint = did_you_mean(name, view.consumers().iter().map(|c| &*c.name)).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
        unknown(field, format!("no consumer named '{name}'{hint}"))
    })
}

fn known_error(name: &str) -> Result<&'static str, ProbeError> {
    let names = PRODUCE_ERROR_NAMES.map(error_name);
    names.iter().copied().find(|n| *n == name).ok_or_else(|| {
        let hint = did_you_mean(name, names.iter().copied()).map(|n| format!(" (did you mean '{n}'?)")).unwrap_or_default();
        unknown("error", format!("'{name}' is not a Kafka error a producer reports{hint}"))
    })
}
