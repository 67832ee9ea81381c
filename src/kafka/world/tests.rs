//! The world end to end, in the words of the lessons it must be able to show.

use super::*;
use crate::kafka::config::ConfigValue;
use crate::kafka::world::spec::{BrokerSpec, CommitMode, KeyPattern, Workload};

fn spec_with(topics: Vec<TopicSpec>, producers: Vec<ProducerSpec>, consumers: Vec<ConsumerSpec>) -> ClusterSpec {
    ClusterSpec { topics, producers, consumers, ..ClusterSpec::default() }
}

fn topic(name: &str, partitions: u32, rf: u32) -> TopicSpec {
    TopicSpec { name: name.into(), partitions: Some(partitions), replication_factor: Some(rf), ..TopicSpec::default() }
}

fn producer(name: &str, topic: &str, rate: u32) -> ProducerSpec {
    ProducerSpec {
        name: name.into(),
        topic: topic.into(),
        workload: Some(Workload { rate_per_sec: rate, keys: KeyPattern::Cycle { prefix: "key".into(), count: 10 }, ..Workload::default() }),
        ..ProducerSpec::default()
    }
}

fn reader(name: &str, topic: &str, partitions: &[u32]) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        assign: partitions.iter().map(|p| (topic.to_string(), *p)).collect(),
        config: [("auto.offset.reset".to_string(), ConfigValue::from("earliest"))].into(),
        commit: CommitMode::Never,
        ..ConsumerSpec::default()
    }
}

fn drain(world: &mut World) -> Vec<Event> {
    std::iter::from_fn(|| world.poll_event()).collect()
}

#[test]
fn a_producer_writes_and_a_consumer_reads_every_record() {
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p1", "orders", 100)], vec![reader("c1", "orders", &[0, 1, 2])]);
    let mut world = World::new(&spec, 7).unwrap();
    world.run_until(Tick(10_000));
    let events = drain(&mut world);
    let acked: u64 = events.iter().filter_map(|e| match e.kind { EventKind::ProduceAcked { records, .. } => Some(u64::from(records)), _ => None }).sum();
    let polled: u64 = events.iter().filter_map(|e| match e.kind { EventKind::Polled { records, .. } => Some(u64::from(records)), _ => None }).sum();
    assert!(acked >= 990, "acked {acked}");
    assert!(polled >= 980 && polled <= acked, "polled {polled} of {acked}");
}

#[test]
fn a_timed_action_reads_flat_in_a_scenario_file() {
    let timed: action::TimedAction = serde_json::from_str(r#"{"at_ms": 5000, "action": "kill_broker", "broker": 1}"#).unwrap();
    assert_eq!(timed.at_ms, 5000);
    assert_eq!(timed.action, Action::KillBroker { broker: 1, lose_page_cache: false });
    let typo = serde_json::from_str::<action::TimedAction>(r#"{"at_ms": 5000, "action": "kill_broker", "brokr": 1}"#);
    assert!(typo.is_err(), "a misspelt field is refused, not ignored");
}
