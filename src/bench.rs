//! The `bench-reference` workload: the same run natively (`kafka-lab bench`) and in the browser, so
//! the two speeds compare like for like.
//!
//! 3 brokers, one topic of 12 partitions with replication factor 3, 4 producers sending keyed records
//! with acks=all at 5,000 records/s each (20,000/s in all) for 60 simulated seconds, and a consumer
//! group of 2 members that the range assignor gives 6 partitions each. Retention keeps 10 seconds,
//! so memory stays bounded.

use crate::kafka::config::ConfigValue;
use crate::kafka::world::spec::{ClusterSpec, CommitMode, ConsumerSpec, KeyPattern, ProducerSpec, TopicSpec, ValuePattern, Workload};
use crate::kafka::world::{EventKind, World};
use crate::sim::Tick;

pub const REFERENCE_SEED: u64 = 42;
pub const REFERENCE_DURATION_MS: u64 = 60_000;
pub const REFERENCE_PRODUCERS: u32 = 4;
pub const REFERENCE_RATE_PER_PRODUCER: u32 = 5_000;
pub const REFERENCE_PARTITIONS: u32 = 12;

fn config(pairs: &[(&str, ConfigValue)]) -> crate::sim::sorted::SortedMap<String, ConfigValue> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

pub fn reference_spec() -> ClusterSpec {
    let topic = TopicSpec {
        name: "bench".into(),
        partitions: Some(REFERENCE_PARTITIONS),
        replication_factor: Some(3),
        config: config(&[
            ("segment.bytes", ConfigValue::Int(1 << 20)),
            ("retention.ms", ConfigValue::Int(10_000)),
        ]),
        ..TopicSpec::default()
    };
    let producers = (0..REFERENCE_PRODUCERS)
        .map(|i| ProducerSpec {
            transactions: None,
            name: format!("p{}", i + 1),
            topic: "bench".into(),
            config: config(&[("acks", ConfigValue::from("all"))]),
            workload: Some(Workload {
                rate_per_sec: REFERENCE_RATE_PER_PRODUCER,
                keys: KeyPattern::Cycle { prefix: format!("p{}-key-", i + 1), count: 1000 },
                values: ValuePattern::Bytes { size: 100 },
                ..Workload::default()
            }),
        })
        .collect();
    let consumers = (0..2)
        .map(|i| ConsumerSpec {
            name: format!("c{}", i + 1),
            group: Some("bench-readers".into()),
            topics: vec!["bench".into()],
            config: config(&[("auto.offset.reset", ConfigValue::from("earliest"))]),
            commit: CommitMode::Auto,
            ..ConsumerSpec::default()
        })
        .collect();
    ClusterSpec {
        broker_config: config(&[("log.retention.check.interval.ms", ConfigValue::Int(5_000)), ("min.insync.replicas", ConfigValue::Int(2))]),
        topics: vec![topic],
        producers,
        consumers,
        ..ClusterSpec::default()
    }
}

/// What a benchmark run did (the caller measures the wall time around it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BenchCounts {
    /// Records the producers had acknowledged.
    pub records: u64,
    /// Records the consumers polled.
    pub consumed: u64,
    pub events: u64,
    pub trace_hash: String,
}

/// Runs `spec` for `duration_ms` of simulated time, draining events every 10 ms as the engine
/// contract asks (as a 100-frames-per-second UI would), and counts what happened.
pub fn run(spec: &ClusterSpec, seed: u64, duration_ms: u64) -> BenchCounts {
    // The reference spec is valid; a caller passing its own spec gets a panic with the problems.
    let mut world = World::new(spec, seed).unwrap_or_else(|e| panic!("invalid bench spec: {e:?}"));
    let mut counts = BenchCounts::default();
    let mut t = 0;
    while t < duration_ms {
        t = (t + 10).min(duration_ms);
        world.run_until(Tick(t));
        while let Some(event) = world.poll_event() {
            match event.kind {
                EventKind::ProduceAcked { records, .. } => counts.records += u64::from(records),
                EventKind::Polled { records, .. } => counts.consumed += u64::from(records),
                _ => {}
            }
        }
    }
    counts.events = world.event_count();
    counts.trace_hash = world.trace_hash();
    counts
}
