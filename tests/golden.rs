//! The golden trace hash: a fixed run must hash the same natively and in wasm, today and after every
//! change that is not meant to change behaviour. Share links depend on it: an old link must replay
//! the same run.
//!
//! This file is its own native test and is also compiled into the browser suite (`tests/web`), so one
//! source checks both targets. If a change is meant to alter the simulation, update `GOLDEN` in the
//! same commit and say why in the message.

use kafka_lab::kafka::config::ConfigValue;
use kafka_lab::kafka::world::spec::{KeyPattern, ValuePattern, Workload};
use kafka_lab::kafka::world::{Action, ClusterSpec, ConsumerSpec, NodeRef, ProducerSpec, RunDefinition, TimedAction, TopicSpec};
use kafka_lab::sim::Tick;

/// The run's hash after 30 simulated seconds.
pub const GOLDEN: &str = "eb84cc841f055014";

/// Three brokers, a replicated topic, a keyed acks=all producer, a reader, and a broker that dies,
/// comes back, and a network partition that heals.
pub fn golden_run() -> RunDefinition {
    let spec = ClusterSpec {
        topics: vec![TopicSpec { name: "orders".into(), partitions: Some(3), replication_factor: Some(3), ..TopicSpec::default() }],
        producers: vec![ProducerSpec {
            transactions: None,
            name: "checkout".into(),
            topic: "orders".into(),
            workload: Some(Workload {
                rate_per_sec: 100,
                keys: KeyPattern::Cycle { prefix: "order-".into(), count: 20 },
                values: ValuePattern::Numbered { prefix: "OrderPlaced #".into() },
                ..Workload::default()
            }),
            ..ProducerSpec::default()
        }],
        consumers: vec![ConsumerSpec {
            name: "billing".into(),
            assign: vec![("orders".into(), 0), ("orders".into(), 1), ("orders".into(), 2)],
            config: [("auto.offset.reset".to_string(), ConfigValue::from("earliest"))].into(),
            processing_ms_per_record: 2,
            ..ConsumerSpec::default()
        }],
        ..ClusterSpec::default()
    };
    let at = |at_ms, action| TimedAction::at(at_ms, action);
    RunDefinition {
        spec,
        seed: 2024,
        actions: vec![
            at(5_000, Action::KillBroker { broker: 2, lose_page_cache: false }),
            at(12_000, Action::RestartBroker { broker: 2 }),
            at(15_000, Action::CutNetwork { side_a: vec![NodeRef::Broker(3)], side_b: vec![NodeRef::Broker(1), NodeRef::Broker(2)] }),
            at(18_000, Action::HealNetwork { cut: None }),
        ],
    }
}

pub fn golden_hash() -> String {
    let mut world = golden_run().start().expect("the golden run is valid");
    let mut t = 0;
    while t < 30_000 {
        t += 250;
        world.run_until(Tick(t));
        while world.poll_event().is_some() {}
    }
    world.trace_hash()
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
#[cfg_attr(not(target_arch = "wasm32"), test)]
fn the_golden_run_hashes_the_same_on_every_target() {
    assert_eq!(golden_hash(), GOLDEN);
}
