//! The built-in runs the lab opens with, until the scenario library (`src/scenario`) takes over the
//! `#preset=<id>` links: [`lookup`] is the one place that maps an id to a run.
//!
//! - `demo`: the smallest cluster that shows everything at once: 3 brokers, one topic of 3 partitions
//!   on all 3 brokers, a producer sending keyed records, and two sets of consumers.
//! - `stress`: the performance preset: 6 brokers, 3 topics × 12 partitions with replication factor 3,
//!   4 consumer groups of 3 members that together read every partition 4 times over, producers fast enough and a
//!   network slow enough (50 ms one way) that more than 500 records are in flight while it plays.

use crate::kafka::config::ConfigValue;
use crate::kafka::world::RunDefinition;
use crate::kafka::world::spec::{BrokerSpec, ClusterSpec, CommitMode, ConfigMap, ConsumerSpec, KeyPattern, ProducerSpec, TopicSpec, ValuePattern, Workload};

/// The preset a lab without `#preset=` opens.
pub const DEFAULT_PRESET: &str = "demo";

/// Every built-in preset id, in the order a menu lists them.
pub const PRESET_IDS: &[&str] = &["demo", "stress"];

/// The run a preset id names, or `None` for an id the lab does not know.
pub fn lookup(id: &str) -> Option<RunDefinition> {
    match id {
        "demo" => Some(demo()),
        "stress" => Some(stress()),
        _ => None,
    }
}

fn config(pairs: &[(&str, ConfigValue)]) -> ConfigMap {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

/// A member of consumer group `group` subscribed to `topics`, reading from the earliest offset when
/// the group has committed none, and committing automatically (Kafka's default, every 5 s).
fn member(name: &str, group: &str, topics: &[&str]) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        group: Some(group.into()),
        topics: topics.iter().map(|t| t.to_string()).collect(),
        config: config(&[("auto.offset.reset", ConfigValue::from("earliest"))]),
        commit: CommitMode::Auto,
        ..ConsumerSpec::default()
    }
}

/// 3 brokers; topic `orders` with 3 partitions on all 3 brokers (min.insync.replicas 2); the producer
/// `checkout` sends 4 keyed records a second with acks=all; consumer group `shipping` (`shipping-1`
/// and `shipping-2`) shares the partitions between its two members, group `audit` (`audit-1`) reads
/// all three. They are real groups, so adding, stopping or crashing a member rebalances its group. The network takes 40 ms (plus up to 20 ms) one
/// way, slower than a data centre, so each message is seen travelling.
pub fn demo() -> RunDefinition {
    let mut spec = ClusterSpec {
        brokers: (1..=3).map(|id| BrokerSpec { id, rack: None }).collect(),
        broker_config: config(&[("min.insync.replicas", ConfigValue::Int(2)), ("log.retention.check.interval.ms", ConfigValue::Int(10_000))]),
        topics: vec![TopicSpec {
            name: "orders".into(),
            partitions: Some(3),
            replication_factor: Some(3),
            config: config(&[("segment.bytes", ConfigValue::Int(4_096))]),
            ..TopicSpec::default()
        }],
        producers: vec![ProducerSpec {
            transactions: None,
            name: "checkout".into(),
            topic: "orders".into(),
            config: config(&[("acks", ConfigValue::from("all")), ("linger.ms", ConfigValue::Int(50))]),
            workload: Some(Workload {
                rate_per_sec: 4,
                keys: KeyPattern::Cycle { prefix: "order-".into(), count: 6 },
                values: ValuePattern::Numbered { prefix: "OrderPlaced #".into() },
                ..Workload::default()
            }),
        }],
        consumers: vec![
            member("shipping-1", "shipping", &["orders"]),
            member("shipping-2", "shipping", &["orders"]),
            member("audit-1", "audit", &["orders"]),
        ],
        ..ClusterSpec::default()
    };
    spec.network.latency_ms = 40;
    spec.network.jitter_ms = 20;
    RunDefinition { spec, seed: 1, actions: Vec::new() }
}

/// The stress preset's shape, named so tests and the lab agree on it.
pub const STRESS_BROKERS: u32 = 6;
pub const STRESS_TOPICS: &[&str] = &["orders", "payments", "shipments"];
pub const STRESS_PARTITIONS: u32 = 12;
pub const STRESS_GROUPS: &[&str] = &["billing", "audit", "search", "email"];
/// Records per second from each topic's producer (2,100 in all).
pub const STRESS_RATE_PER_PRODUCER: u32 = 700;
/// One-way network latency: records spend 50 ms (plus up to 40 ms of jitter) on every hop, so many
/// are on the wire at once.
pub const STRESS_LATENCY_MS: u64 = 50;
pub const STRESS_JITTER_MS: u64 = 40;

/// 6 brokers, 3 topics × 12 partitions with replication factor 3, one keyed producer per topic at
/// 700 records a second (acks=all; linger.ms 60, 67 and 74, so their batches do not leave in step),
/// and 4 consumer groups of 3 members, each subscribed to all three topics, so every group reads
/// all 36 partitions (12 per member). Retention keeps about 5 seconds, so a long run (and every keyframe of it) stays small.
pub fn stress() -> RunDefinition {
    let mut spec = ClusterSpec {
        brokers: (1..=STRESS_BROKERS).map(|id| BrokerSpec { id, rack: None }).collect(),
        // The groups form at once instead of after Kafka's 3 s initial rebalance delay, so the
        // readers are busy from the first second.
        broker_config: config(&[
            ("min.insync.replicas", ConfigValue::Int(2)),
            ("log.retention.check.interval.ms", ConfigValue::Int(1_000)),
            ("group.initial.rebalance.delay.ms", ConfigValue::Int(0)),
        ]),
        ..ClusterSpec::default()
    };
    spec.network.latency_ms = STRESS_LATENCY_MS;
    spec.network.jitter_ms = STRESS_JITTER_MS;
    // The operating system writes dirty pages back after 5 s instead of Linux's 30 s: the page cache
    // remembers fewer writes, so each keyframe of a long run is smaller.
    spec.page_cache_dirty_expire_ms = 5_000;
    for (i, topic) in STRESS_TOPICS.iter().enumerate() {
        spec.topics.push(TopicSpec {
            name: topic.to_string(),
            partitions: Some(STRESS_PARTITIONS),
            replication_factor: Some(3),
            config: config(&[("retention.ms", ConfigValue::Int(4_000)), ("segment.ms", ConfigValue::Int(1_000))]),
            ..TopicSpec::default()
        });
        spec.producers.push(ProducerSpec {
            transactions: None,
            name: format!("{topic}-app"),
            topic: topic.to_string(),
            config: config(&[("acks", ConfigValue::from("all")), ("linger.ms", ConfigValue::Int(60 + 7 * i as i64))]),
            workload: Some(Workload {
                rate_per_sec: STRESS_RATE_PER_PRODUCER,
                keys: KeyPattern::Cycle { prefix: format!("{topic}-key-"), count: 500 },
                values: ValuePattern::Bytes { size: 100 },
                ..Workload::default()
            }),
        });
    }
    for group in STRESS_GROUPS {
        for i in 1..=STRESS_TOPICS.len() {
            spec.consumers.push(member(&format!("{group}-{i}"), group, STRESS_TOPICS));
        }
    }
    RunDefinition { spec, seed: 7, actions: Vec::new() }
}
