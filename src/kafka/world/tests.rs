//! The world end to end, in the words of the lessons it must be able to show.

use super::*;
use crate::kafka::config::ConfigValue;
use crate::kafka::protocol::KafkaError;
use crate::kafka::world::spec::{CommitMode, KeyPattern, Workload};

fn spec_with(topics: Vec<TopicSpec>, producers: Vec<ProducerSpec>, consumers: Vec<ConsumerSpec>) -> ClusterSpec {
    ClusterSpec { topics, producers, consumers, ..ClusterSpec::default() }
}

fn topic(name: &str, partitions: u32, rf: u32) -> TopicSpec {
    TopicSpec { name: name.into(), partitions: Some(partitions), replication_factor: Some(rf), ..TopicSpec::default() }
}

fn producer(name: &str, topic: &str, rate: u32) -> ProducerSpec {
    ProducerSpec {
        transactions: None,
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

/// A replicated topic with a keyed producer (acks=1 so a lost leader can lose data) and a reader.
fn replicated_run(acks: &str) -> ClusterSpec {
    let mut p = producer("p1", "orders", 200);
    p.config.insert("acks".into(), ConfigValue::from(acks));
    spec_with(vec![topic("orders", 3, 3)], vec![p], vec![reader("c1", "orders", &[0, 1, 2])])
}

fn leader(world: &World, topic: &str, partition: u32) -> Option<BrokerId> {
    let view = world.view();
    let p = view.partition_index(topic, partition).unwrap();
    view.metadata().partition(p).leader
}

#[test]
fn the_same_spec_seed_and_actions_give_the_same_run_twice() {
    let run = || {
        let mut world = World::new(&replicated_run("all"), 11).unwrap();
        world.schedule(Tick(3_000), Action::KillBroker { broker: 2, lose_page_cache: false });
        world.schedule(Tick(9_000), Action::RestartBroker { broker: 2 });
        world.run_until(Tick(20_000));
        let events = drain(&mut world);
        (world.trace_hash(), events.len())
    };
    assert_eq!(run(), run());
}

#[test]
fn a_different_seed_gives_a_different_run() {
    let hash = |seed| {
        let mut world = World::new(&replicated_run("all"), seed).unwrap();
        world.run_until(Tick(5_000));
        world.trace_hash()
    };
    assert_ne!(hash(1), hash(2));
}

#[test]
fn a_network_partition_isolating_a_leader_moves_leadership_after_the_session_timeout() {
    // The leader of orders-0 is cut off from everyone: it stops heartbeating to the controller,
    // which fences it after broker.session.timeout.ms (9 s) and elects the next in-sync replica.
    let mut world = World::new(&replicated_run("all"), 3).unwrap();
    // Just after the heartbeat sent at 2 s has arrived: the controller last heard from it then.
    world.run_until(Tick(2_500));
    let old = leader(&world, "orders", 0).unwrap();
    let others: Vec<NodeRef> = [1, 2, 3].into_iter().filter(|b| *b != old.0).map(NodeRef::Broker).collect();
    let mut rest = others.clone();
    rest.push(NodeRef::Controller(0));
    rest.push(NodeRef::Producer("p1".into()));
    rest.push(NodeRef::Consumer("c1".into()));
    world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(old.0)], side_b: rest }).unwrap();
    world.run_until(Tick(11_000));
    assert_eq!(leader(&world, "orders", 0), Some(old), "within the session timeout nothing moves");
    world.run_until(Tick(13_000));
    let new = leader(&world, "orders", 0).unwrap();
    assert_ne!(new, old);
    let events = drain(&mut world);
    let fenced = events.iter().find_map(|e| match e.kind {
        EventKind::BrokerFenced { broker, silent_ms } if broker == old => Some(silent_ms),
        _ => None,
    });
    assert!(fenced.is_some_and(|ms| ms > 9_000), "fenced after missing heartbeats for more than 9 s: {fenced:?}");
    // Healed, the old leader comes back as a follower and catches up: it rejoins the ISR.
    world.apply(Action::HealNetwork { cut: None }).unwrap();
    world.run_until(Tick(25_000));
    let view = world.view();
    let p = view.partition_index("orders", 0).unwrap();
    assert!(view.metadata().partition(p).isr.contains(&old), "the old leader rejoined the ISR");
    assert_eq!(
        view.log(old, p).unwrap().log_end_offset(),
        view.leader_log(p).unwrap().log_end_offset(),
        "and holds what the new leader holds"
    );
}

#[test]
fn a_power_loss_drops_writes_still_in_the_page_cache_and_the_broker_catches_up_again() {
    // Kafka does not fsync each write: a machine that loses power loses the last ~30 s of appends
    // (the OS writeback delay) and recovers them from the leader after restarting.
    let mut world = World::new(&replicated_run("all"), 5).unwrap();
    world.run_until(Tick(20_000));
    drain(&mut world);
    world.apply(Action::KillBroker { broker: 3, lose_page_cache: true }).unwrap();
    let truncated: u64 = drain(&mut world)
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Truncated { broker, removed_records, cause: event::TruncateCause::LostPageCache, .. } if broker == BrokerId(3) => {
                Some(removed_records)
            }
            _ => None,
        })
        .sum();
    assert!(truncated > 0, "unflushed records were lost with the page cache");
    restart_broker_3_and_see_it_catch_up(&mut world);
}

/// Restarts broker 3, lets it catch up, and checks that it holds every partition's records and is
/// back in every ISR.
fn restart_broker_3_and_see_it_catch_up(world: &mut World) {
    world.apply(Action::RestartBroker { broker: 3 }).unwrap();
    world.run_until(Tick(40_000));
    // Stop producing, so followers and leaders settle on the same log end offset.
    world.apply(Action::StopProducer { producer: "p1".into() }).unwrap();
    world.run_until(Tick(45_000));
    let view = world.view();
    for n in 0..3 {
        let p = view.partition_index("orders", n).unwrap();
        assert_eq!(view.log(BrokerId(3), p).unwrap().log_end_offset(), view.leader_log(p).unwrap().log_end_offset(), "orders-{n} caught up");
        assert!(view.metadata().partition(p).isr.contains(&BrokerId(3)), "orders-{n}: broker 3 is back in sync");
    }
}

#[test]
fn a_process_crash_keeps_the_page_cache() {
    // Only the process died: the OS still holds the pages and writes them later.
    let mut world = World::new(&replicated_run("all"), 5).unwrap();
    world.run_until(Tick(10_000));
    drain(&mut world);
    world.apply(Action::KillBroker { broker: 3, lose_page_cache: false }).unwrap();
    assert!(!drain(&mut world).iter().any(|e| matches!(e.kind, EventKind::Truncated { .. })));
}


#[test]
fn a_restarted_broker_waits_for_its_old_session_to_expire_before_registering_again() {
    // KRaft refuses a new incarnation while the controller still has a live session for the old one
    // (DuplicateBrokerRegistrationException); the broker retries until broker.session.timeout.ms passed.
    let mut world = World::new(&replicated_run("all"), 5).unwrap();
    world.run_until(Tick(5_000));
    world.apply(Action::KillBroker { broker: 3, lose_page_cache: false }).unwrap();
    world.apply(Action::RestartBroker { broker: 3 }).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    let refused = events.iter().filter(|e| matches!(e.kind, EventKind::BrokerRegistrationRefused { broker: BrokerId(3), .. })).count();
    let fenced_at = events.iter().find(|e| matches!(e.kind, EventKind::BrokerFenced { broker: BrokerId(3), .. })).map(|e| e.at);
    let registered_at = events.iter().find(|e| matches!(e.kind, EventKind::BrokerRegistered { broker: BrokerId(3), .. })).map(|e| e.at);
    assert!(refused >= 1, "refused while the old session lived");
    assert!(fenced_at.is_some_and(|f| registered_at.is_some_and(|r| f <= r)), "fenced at {fenced_at:?}, registered at {registered_at:?}");
}

#[test]
fn a_restarted_broker_follows_every_leader_again_even_where_nothing_changed_while_it_was_down() {
    // Broker 3 falls out of two ISRs behind a cut from the other brokers (it still reaches the
    // controller), then dies. Its death changes nothing in those two partitions, so the metadata it
    // reads after restarting does not name them. It must still follow every leader again (Kafka's first publish of the whole image):
    // it used to stay a follower of no one, out of the ISR for good.
    let mut spec = replicated_run("all");
    spec.broker_config.insert("replica.lag.time.max.ms".into(), ConfigValue::from(5_000));
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(2_000));
    let mut rest: Vec<NodeRef> = vec![NodeRef::Broker(1), NodeRef::Broker(2), NodeRef::Producer("p1".into()), NodeRef::Consumer("c1".into())];
    rest.sort_by_key(|n| format!("{n:?}"));
    world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(3)], side_b: rest }).unwrap();
    world.run_until(Tick(12_000));
    let view = world.view();
    let others_led: Vec<&crate::kafka::metadata::PartitionImage> =
        (0..3).map(|n| view.metadata().partition(view.partition_index("orders", n).unwrap())).filter(|p| p.leader != Some(BrokerId(3))).collect();
    assert_eq!(others_led.len(), 2);
    assert!(others_led.iter().all(|p| !p.isr.contains(&BrokerId(3))), "cut off from their leaders, broker 3 left their ISRs");
    world.apply(Action::KillBroker { broker: 3, lose_page_cache: false }).unwrap();
    world.apply(Action::HealNetwork { cut: None }).unwrap();
    world.run_until(Tick(25_000));
    drain(&mut world);
    restart_broker_3_and_see_it_catch_up(&mut world);
}

#[test]
fn a_cut_off_leader_that_appends_what_the_cut_held_breaks_no_guarantee() {
    // The leader of orders-0 is cut off from everyone; the controller fences it and elects another
    // replica, which commits a second producer's records (it gave up on the old leader sooner). When the cut heals, the first producer's
    // requests that the cut held reach the old leader, which still believes it leads and appends
    // them at offsets the new leader already committed. That tail is truncated as soon as it learns
    // of the new epoch, and nobody reads or acknowledges it (acks=all): the ledger must not report
    // a committed offset reused, nor records out of order.
    let mut exercised = 0;
    for seed in 1..=6 {
        let mut spec = replicated_run("all");
        spec.broker_config.insert("min.insync.replicas".into(), ConfigValue::from(2));
        // p2 gives up on the cut-off leader after 3 s and finds the new one; p1 waits 30 s.
        let mut quick = producer("p2", "orders", 100);
        quick.config.insert("request.timeout.ms".into(), ConfigValue::from(3_000));
        spec.producers.push(quick);
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(2_500));
        let old = leader(&world, "orders", 0).unwrap();
        let mut rest: Vec<NodeRef> = [1, 2, 3].into_iter().filter(|b| *b != old.0).map(NodeRef::Broker).collect();
        rest.extend([NodeRef::Controller(0), NodeRef::Producer("p1".into()), NodeRef::Producer("p2".into()), NodeRef::Consumer("c1".into())]);
        world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(old.0)], side_b: rest }).unwrap();
        world.run_until(Tick(20_000));
        let p = world.view().partition_index("orders", 0).unwrap();
        let committed = world.view().leader_log(p).unwrap().high_watermark();
        assert_ne!(leader(&world, "orders", 0), Some(old), "seed {seed}: the controller replaced the cut-off leader");
        drain(&mut world);
        world.apply(Action::HealNetwork { cut: None }).unwrap();
        world.run_until(Tick(40_000));
        let events = drain(&mut world);
        exercised += usize::from(events.iter().any(
            |e| matches!(e.kind, EventKind::Appended { broker, partition, base_offset, as_leader: true, .. } if broker == old && partition == p && base_offset < committed),
        ));
        assert_eq!(violations(&events), vec![], "seed {seed}");
    }
    assert!(exercised >= 3, "the old leader appended below the new leader's HW in {exercised} seeds");
}

fn violations(events: &[Event]) -> Vec<(ViolationKind, PartitionIndex, u64)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Violation { kind, partition, offset, .. } => Some((kind, partition, offset)),
            _ => None,
        })
        .collect()
}

#[test]
fn acks_all_with_min_insync_2_loses_nothing_through_crashes_and_partitions() {
    let mut spec = replicated_run("all");
    spec.broker_config.insert("min.insync.replicas".into(), ConfigValue::Int(2));
    let mut world = World::new(&spec, 21).unwrap();
    world.schedule(Tick(4_000), Action::KillBroker { broker: 1, lose_page_cache: true });
    world.schedule(Tick(15_000), Action::RestartBroker { broker: 1 });
    world.schedule(Tick(30_000), Action::CutNetwork { side_a: vec![NodeRef::Broker(2)], side_b: vec![NodeRef::Broker(1), NodeRef::Broker(3), NodeRef::Controller(0)] });
    world.schedule(Tick(45_000), Action::HealNetwork { cut: None });
    world.run_until(Tick(70_000));
    let events = drain(&mut world);
    assert_eq!(violations(&events), vec![]);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::LeaderChanged { .. })), "leadership did move");
}

#[test]
fn acks_1_leader_dies_before_its_followers_fetch_and_the_acknowledged_records_are_gone_after_failover() {
    // The followers of orders-0 fetch over a slow link, so the leader acknowledges records (acks=1)
    // that only it has. It dies; a follower becomes leader without them: the ledger sees the loss.
    let mut world = World::new(&replicated_run("1"), 8).unwrap();
    world.run_until(Tick(3_000));
    let old = leader(&world, "orders", 0).unwrap();
    for follower in [1, 2, 3].into_iter().filter(|b| *b != old.0) {
        world.apply(Action::SetLink { from: NodeRef::Broker(old.0), to: NodeRef::Broker(follower), latency_ms: Some(3_000), loss_percent: None, drop_percent: None }).unwrap();
    }
    world.run_until(Tick(5_000));
    world.apply(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(20_000));
    let events = drain(&mut world);
    let lost: Vec<_> = violations(&events).into_iter().filter(|(k, _, _)| *k == ViolationKind::AckedRecordLost).collect();
    assert!(!lost.is_empty(), "acknowledged records vanished with the leader");
    let p = world.view().partition_index("orders", 0).unwrap();
    assert!(lost.iter().all(|(_, partition, _)| *partition == p || world.view().metadata().partition(*partition).replicas[0] == old));
}

fn member(name: &str, group: &str, topic: &str) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        group: Some(group.into()),
        topics: vec![topic.into()],
        config: [("auto.offset.reset".to_string(), ConfigValue::from("earliest"))].into(),
        ..ConsumerSpec::default()
    }
}

#[test]
fn a_new_group_with_auto_offset_reset_none_gets_no_offset_for_partition_and_reads_nothing() {
    // auto.offset.reset = none and nothing committed yet: Kafka's consumer throws
    // NoOffsetForPartitionException instead of choosing a position. The lab used to call this
    // OFFSET_OUT_OF_RANGE, which is the error for a committed offset the log no longer holds.
    let mut reader = member("c1", "billing", "orders");
    reader.config.insert("auto.offset.reset".into(), ConfigValue::from("none"));
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p1", "orders", 50)], vec![reader]);
    let mut world = World::new(&spec, 9).unwrap();
    world.run_until(Tick(15_000));
    let events = drain(&mut world);
    let errors: Vec<(PartitionIndex, crate::kafka::protocol::KafkaError)> =
        events.iter().filter_map(|e| match e.kind { EventKind::ConsumerError { partition, error, .. } => Some((partition, error)), _ => None }).collect();
    assert_eq!(errors.len(), 3, "one error per assigned partition: {errors:?}");
    assert!(errors.iter().all(|(_, e)| *e == crate::kafka::protocol::KafkaError::NoOffsetForPartition), "{errors:?}");
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::Polled { .. })), "no position, nothing read");
}

fn assignments(world: &World) -> Vec<(String, Vec<u32>)> {
    let view = world.view();
    view.consumers()
        .iter()
        .map(|c| (c.name.to_string(), c.assignment.iter().map(|p| view.metadata().partition(*p).number).collect()))
        .collect()
}

#[test]
fn three_consumers_in_a_group_share_three_partitions_one_each() {
    let spec = spec_with(
        vec![topic("orders", 3, 3)],
        vec![producer("p1", "orders", 50)],
        vec![member("c1", "billing", "orders"), member("c2", "billing", "orders"), member("c3", "billing", "orders")],
    );
    let mut world = World::new(&spec, 9).unwrap();
    world.run_until(Tick(15_000));
    let events = drain(&mut world);
    let stable = events.iter().filter(|e| matches!(e.kind, EventKind::GroupStable { .. })).count();
    assert!(stable >= 1, "the group became stable");
    let a = assignments(&world);
    assert!(a.iter().all(|(_, parts)| parts.len() == 1), "{a:?}");
    let mut all: Vec<u32> = a.iter().flat_map(|(_, p)| p.clone()).collect();
    all.sort();
    assert_eq!(all, vec![0, 1, 2]);
    let polled: u64 = events.iter().filter_map(|e| match e.kind { EventKind::Polled { records, .. } => Some(u64::from(records)), _ => None }).sum();
    assert!(polled > 400, "records flowed to the group: {polled}");
}

fn members(names: &[&str], group: &str, topic: &str, session_timeout_ms: i64) -> Vec<ConsumerSpec> {
    names
        .iter()
        .map(|n| {
            let mut m = member(n, group, topic);
            m.config.insert("session.timeout.ms".into(), ConfigValue::Int(session_timeout_ms));
            m
        })
        .collect()
}

/// Offsets each consumer polled, per partition, over the events.
fn polled_offsets(events: &[Event]) -> Vec<(u32, PartitionIndex, u64)> {
    events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Polled { consumer, partition, first_offset, last_offset, .. } => Some((consumer, partition, first_offset, last_offset)),
            _ => None,
        })
        .flat_map(|(c, p, first, last)| (first..=last).map(move |o| (c, p, o)))
        .collect()
}

#[test]
fn one_consumer_in_a_group_reads_all_three_partitions() {
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p1", "orders", 30)], members(&["c1"], "g", "orders", 10_000));
    let mut world = World::new(&spec, 2).unwrap();
    world.run_until(Tick(10_000));
    assert_eq!(assignments(&world), vec![("c1".to_string(), vec![0, 1, 2])]);
}

#[test]
fn five_consumers_three_partitions_two_idle_standbys_take_over_when_an_active_one_crashes() {
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p1", "orders", 20)], members(&["c1", "c2", "c3", "c4", "c5"], "g", "orders", 10_000));
    let mut world = World::new(&spec, 9).unwrap();
    world.run_until(Tick(8_000));
    let before = assignments(&world);
    assert_eq!(before.iter().filter(|(_, p)| p.is_empty()).count(), 2, "two idle standbys: {before:?}");
    let crashed = before.iter().find(|(_, p)| !p.is_empty()).unwrap().0.clone();
    world.apply(Action::CrashConsumer { consumer: crashed.clone() }).unwrap();
    // Its last heartbeat was about 6 s in: removed at about 16 s.
    world.run_until(Tick(17_000));
    let removed = drain(&mut world).iter().any(|e| matches!(&e.kind, EventKind::MemberRemoved { reason: event::RebalanceReason::SessionTimeout { silent_ms, .. }, .. } if *silent_ms >= 10_000));
    assert!(removed, "the coordinator removed the silent member after session.timeout.ms");
    world.run_until(Tick(25_000));
    let after = assignments(&world);
    let mut covered: Vec<u32> = after.iter().filter(|(n, _)| *n != crashed).flat_map(|(_, p)| p.clone()).collect();
    covered.sort();
    assert_eq!(covered, vec![0, 1, 2], "the survivors cover every partition: {after:?}");
    assert_eq!(after.iter().filter(|(n, p)| *n != crashed && p.is_empty()).count(), 1, "one standby is still idle");
}

#[test]
fn a_session_timeout_outside_the_brokers_bounds_is_refused_and_the_consumer_dies_until_fixed() {
    // session.timeout.ms = 5 s (more than heartbeat.interval.ms, 3 s, so the client starts) is below
    // the brokers' group.min.session.timeout.ms (6 s): the coordinator refuses the join
    // (INVALID_SESSION_TIMEOUT) and poll() throws. The other member of the group is not disturbed.
    let mut consumers = members(&["ok"], "g", "orders", 10_000);
    consumers.extend(members(&["hasty"], "g", "orders", 5_000));
    let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p1", "orders", 20)], consumers);
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(10_000));
    let events = drain(&mut world);
    let failed: Vec<_> = events.iter().filter_map(|e| match e.kind { EventKind::ConsumerFailed { consumer, error } => Some((consumer, error)), _ => None }).collect();
    assert_eq!(failed, vec![(1, KafkaError::InvalidSessionTimeout)], "only the hasty consumer fails, once");
    assert_eq!(assignments(&world), vec![("ok".to_string(), vec![0, 1]), ("hasty".to_string(), vec![])], "the valid member reads both partitions");
    assert!(!world.consumers[1].up, "the application died");
    // Fixed and restarted, it joins and takes a partition.
    world.apply(Action::SetConsumerConfig { consumer: "hasty".into(), key: "session.timeout.ms".into(), value: ConfigValue::Int(10_000) }).unwrap();
    world.apply(Action::RestartConsumer { consumer: "hasty".into() }).unwrap();
    world.run_until(Tick(25_000));
    assert_eq!(assignments(&world), vec![("ok".to_string(), vec![0]), ("hasty".to_string(), vec![1])]);
}

#[test]
fn a_session_no_longer_than_the_heartbeat_interval_is_refused_before_the_consumer_starts() {
    // Kafka's consumer will not be built with heartbeat.interval.ms >= session.timeout.ms ("Heartbeat
    // must be set lower than the session timeout"): the coordinator never hears of it.
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![], members(&["c"], "g", "orders", 3_000));
    let errors = World::new(&spec, 3).err().expect("refused");
    assert!(errors.iter().any(|e| e.path.ends_with("config.\"session.timeout.ms\"") && e.message.contains("more than heartbeat.interval.ms (3000 ms)")), "{errors:?}");
    let mut world = World::new(&spec_with(vec![topic("orders", 1, 3)], vec![], members(&["c"], "g", "orders", 10_000)), 3).unwrap();
    let set = |v: i64| Action::SetConsumerConfig { consumer: "c".into(), key: "session.timeout.ms".into(), value: ConfigValue::Int(v) };
    assert!(world.apply(set(1)).unwrap_err().0.contains("Kafka's consumer refuses to start otherwise (got 1)"));
    assert_eq!(world.consumers[0].config.session_timeout_ms, 10_000, "a refused change leaves the config as it was");
}

#[test]
fn a_refused_join_creates_no_group() {
    // Kafka checks the session timeout before it looks the group up: a consumer whose every join is
    // refused leaves no empty group behind for the learner to wonder about.
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![], members(&["hasty"], "lonely", "orders", 3_600_000));
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(10_000));
    assert!(world.view().group("lonely").is_none());
    assert!(drain(&mut world).iter().any(|e| matches!(e.kind, EventKind::ConsumerFailed { error: KafkaError::InvalidSessionTimeout, .. })), "above group.max.session.timeout.ms (30 min) too");
}

#[test]
fn five_groups_of_one_each_receive_every_record_with_independent_offsets() {
    let consumers: Vec<ConsumerSpec> = (1..=5).map(|i| member(&format!("c{i}"), &format!("group-{i}"), "orders")).collect();
    let mut p = producer("p1", "orders", 50);
    p.workload.as_mut().unwrap().count = Some(100);
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![p], consumers);
    let mut world = World::new(&spec, 4).unwrap();
    world.run_until(Tick(15_000));
    let polled = polled_offsets(&drain(&mut world));
    for c in 0..5 {
        let mine: crate::sim::sorted::SortedSet<(PartitionIndex, u64)> = polled.iter().filter(|x| x.0 == c).map(|x| (x.1, x.2)).collect();
        assert_eq!(mine.len(), 100, "consumer {c} read every record");
    }
}

#[test]
fn scaling_a_group_from_two_to_five_rebalances_and_leaves_the_extra_consumer_idle() {
    let spec = spec_with(vec![topic("orders", 4, 3)], vec![producer("p1", "orders", 20)], members(&["c1", "c2"], "g", "orders", 10_000));
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(10_000));
    assert!(assignments(&world).iter().all(|(_, p)| p.len() == 2));
    for name in ["c3", "c4", "c5"] {
        world.apply(Action::AddConsumer { spec: members(&[name], "g", "orders", 10_000).remove(0) }).unwrap();
    }
    world.run_until(Tick(30_000));
    let after = assignments(&world);
    assert_eq!(after.iter().filter(|(_, p)| p.len() == 1).count(), 4, "{after:?}");
    assert_eq!(after.iter().filter(|(_, p)| p.is_empty()).count(), 1, "{after:?}");
}

/// The partitions consumers gave up during the scale-out from 3 to 4 members.
fn revocations_during_scale_out(strategy: &str) -> (usize, usize) {
    let mut consumers = members(&["c1", "c2", "c3"], "g", "orders", 10_000);
    for c in &mut consumers {
        c.config.insert("partition.assignment.strategy".into(), ConfigValue::from(strategy));
    }
    let spec = spec_with(vec![topic("orders", 6, 3)], vec![producer("p1", "orders", 20)], consumers);
    let mut world = World::new(&spec, 6).unwrap();
    world.run_until(Tick(10_000));
    drain(&mut world);
    let mut newcomer = members(&["c4"], "g", "orders", 10_000).remove(0);
    newcomer.config.insert("partition.assignment.strategy".into(), ConfigValue::from(strategy));
    world.apply(Action::AddConsumer { spec: newcomer }).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    let revoked: usize = events.iter().map(|e| match &e.kind { EventKind::PartitionsRevoked { partitions, .. } => partitions.len(), _ => 0 }).sum();
    let generations = events.iter().filter(|e| matches!(e.kind, EventKind::GenerationStarted { .. })).count();
    assert_eq!(assignments(&world).iter().map(|(_, p)| p.len()).sum::<usize>(), 6);
    (revoked, generations)
}

#[test]
fn eager_rebalancing_revokes_everything_while_cooperative_revokes_only_what_moves_over_two_rounds() {
    let (eager_revoked, eager_generations) = revocations_during_scale_out("range");
    let (cooperative_revoked, cooperative_generations) = revocations_during_scale_out("cooperative-sticky");
    assert_eq!(eager_revoked, 6, "eager: every member gives up all six partitions before rejoining");
    assert_eq!(eager_generations, 1);
    assert!(cooperative_revoked >= 1 && cooperative_revoked < 6, "cooperative: only what moves ({cooperative_revoked})");
    assert_eq!(cooperative_generations, 2, "cooperative: a follow-up rebalance hands the revoked partitions over");
}

#[test]
fn records_a_crashed_consumer_processed_but_never_committed_are_redelivered() {
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![producer("p1", "orders", 50)], members(&["c1", "c2"], "g", "orders", 10_000));
    let mut world = World::new(&spec, 12).unwrap();
    world.run_until(Tick(12_000));
    let owner = assignments(&world).into_iter().find(|(_, p)| !p.is_empty()).unwrap().0;
    // 12 s: the last auto commit (every 5 s) was at about 11 s; crash before the next one.
    world.run_until(Tick(14_000));
    world.apply(Action::CrashConsumer { consumer: owner }).unwrap();
    world.run_until(Tick(40_000));
    let polled = polled_offsets(&drain(&mut world));
    let mut seen = crate::sim::sorted::SortedMap::new();
    for (_, p, o) in polled {
        *seen.entry((p, o)).or_insert(0) += 1;
    }
    let duplicates = seen.values().filter(|n| **n > 1).count();
    assert!(duplicates > 0, "at-least-once: some records were read twice");
}

#[test]
fn a_static_member_restarting_within_the_session_timeout_keeps_its_partitions_without_a_rebalance() {
    let mut consumers = members(&["c1", "c2"], "g", "orders", 20_000);
    for (i, c) in consumers.iter_mut().enumerate() {
        c.config.insert("group.instance.id".into(), ConfigValue::from(format!("instance-{i}").as_str()));
    }
    let spec = spec_with(vec![topic("orders", 4, 3)], vec![producer("p1", "orders", 20)], consumers);
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(10_000));
    let before = assignments(&world);
    drain(&mut world);
    world.apply(Action::CrashConsumer { consumer: "c1".into() }).unwrap();
    world.run_until(Tick(15_000));
    world.apply(Action::RestartConsumer { consumer: "c1".into() }).unwrap();
    world.run_until(Tick(25_000));
    let events = drain(&mut world);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::RebalanceStarted { .. })), "no rebalance");
    assert_eq!(assignments(&world), before, "c1 got its partitions back");
}

#[test]
fn a_restarted_static_member_takes_its_place_back_without_a_rebalance_even_after_the_group_grew() {
    // After a second generation the members' subscriptions name the partitions they own; the
    // restarted process names none. Only a change of the group's protocol is a reason to rebalance.
    let static_member = |name: &str, i: u32| {
        let mut c = members(&[name], "g", "orders", 20_000).remove(0);
        c.config.insert("group.instance.id".into(), ConfigValue::from(format!("instance-{i}").as_str()));
        c
    };
    let spec = spec_with(vec![topic("orders", 4, 3)], vec![producer("p1", "orders", 20)], vec![static_member("c1", 1), static_member("c2", 2)]);
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(10_000));
    world.apply(Action::AddConsumer { spec: static_member("c3", 3) }).unwrap();
    world.run_until(Tick(20_000));
    let before = assignments(&world);
    drain(&mut world);
    world.apply(Action::CrashConsumer { consumer: "c1".into() }).unwrap();
    world.run_until(Tick(25_000));
    world.apply(Action::RestartConsumer { consumer: "c1".into() }).unwrap();
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::RebalanceStarted { .. })), "no rebalance");
    assert_eq!(assignments(&world), before, "c1 got its partitions back");
}

#[test]
fn a_static_member_too_slow_between_polls_sends_no_leave_group_and_comes_back_without_a_rebalance() {
    // Kafka's maybeLeaveGroup: only a dynamic member leaves. A static one drops its partitions
    // (lost: it cannot commit), rejoins at its next poll and, within session.timeout.ms, is given
    // its place back.
    let mut consumers = members(&["fast", "slow"], "g", "orders", 30_000);
    for (i, c) in consumers.iter_mut().enumerate() {
        c.config.insert("max.poll.interval.ms".into(), ConfigValue::Int(5_000));
        c.config.insert("max.poll.records".into(), ConfigValue::Int(60));
        c.config.insert("group.instance.id".into(), ConfigValue::from(format!("instance-{i}").as_str()));
    }
    let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p1", "orders", 50)], consumers);
    let mut world = World::new(&spec, 8).unwrap();
    world.run_until(Tick(10_000));
    let before = assignments(&world);
    drain(&mut world);
    // 60 records at 100 ms each: 6 s between polls, more than max.poll.interval.ms.
    world.apply(Action::SetProcessingTime { consumer: "slow".into(), processing_ms_per_record: 100 }).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::PartitionsLost { consumer: 1, .. })), "it dropped its partitions");
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::MemberRemoved { .. } | EventKind::RebalanceStarted { .. })), "no LeaveGroup, no rebalance");
    assert_eq!(assignments(&world), before, "slow has its partition back");
}

#[test]
fn a_member_busy_processing_through_a_rebalance_keeps_heartbeating_and_commits_before_it_rejoins() {
    // REBALANCE_IN_PROGRESS on a heartbeat leaves the member stable: it heartbeats on (the
    // coordinator waits up to max.poll.interval.ms for it), commits what it processed, and rejoins
    // at its next poll. It used to stop heartbeating, so a poll longer than session.timeout.ms got
    // it thrown out, and its last commit was skipped.
    let busy = |name: &str| {
        let mut c = members(&[name], "g", "orders", 10_000).remove(0);
        c.config.insert("max.poll.interval.ms".into(), ConfigValue::Int(60_000));
        c.config.insert("max.poll.records".into(), ConfigValue::Int(100));
        c.commit = CommitMode::AfterProcessing;
        c
    };
    let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p1", "orders", 50)], vec![busy("c1")]);
    let mut world = World::new(&spec, 4).unwrap();
    world.run_until(Tick(8_000));
    // 100 records at 200 ms each: 20 s of work per poll, twice session.timeout.ms.
    world.apply(Action::SetProcessingTime { consumer: "c1".into(), processing_ms_per_record: 200 }).unwrap();
    let mut t = 30_000;
    world.run_until(Tick(t));
    let mut events = drain(&mut world);
    // c2 joins just after c1 polled a full batch.
    loop {
        t += 5;
        world.run_until(Tick(t));
        let new = drain(&mut world);
        let polled = new.iter().any(|e| matches!(e.kind, EventKind::Polled { consumer: 0, .. }));
        events.extend(new);
        if polled {
            break;
        }
    }
    world.apply(Action::AddConsumer { spec: busy("c2") }).unwrap();
    world.run_until(Tick(t + 40_000));
    events.extend(drain(&mut world));
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::MemberRemoved { .. })), "nobody thrown out");
    let generations: Vec<u64> = events.iter().filter(|e| e.at > Tick(t) && matches!(e.kind, EventKind::GenerationStarted { .. })).map(|e| e.at.ms()).collect();
    assert_eq!(generations.len(), 1, "one rebalance, once c1 finished its poll: {generations:?}");
    assert!(generations[0] > t + 15_000, "{generations:?}");
    let mut processed = std::collections::BTreeSet::new();
    for e in &events {
        if let EventKind::Processed { partition, first_offset, last_offset, .. } = e.kind {
            for o in first_offset..=last_offset {
                assert!(processed.insert((partition, o)), "{partition:?}@{o} processed twice");
            }
        }
    }
}

#[test]
fn a_coordinator_that_moves_keeps_its_group_and_commit_sync_follows_it() {
    // The coordinator's broker comes back and preferred leaders are elected: __consumer_offsets'
    // partition, and the group with it, moves. The members look the coordinator up again; the new
    // one loaded the group as it was, so nobody rejoins. A commitSync answered NOT_COORDINATOR is
    // sent again to the new coordinator, as Kafka's commitOffsetsSync does, instead of failing.
    let committing = |name: &str| {
        let mut c = member(name, "g", "orders");
        c.commit = CommitMode::AfterProcessing;
        c.processing_ms_per_record = 5;
        c
    };
    let spec = spec_with(vec![topic("orders", 4, 3)], vec![producer("p1", "orders", 50)], vec![committing("c1"), committing("c2")]);
    for seed in 1..=3 {
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(10_000));
        let coordinator = world.view().consumers()[0].membership.coordinator.unwrap();
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        world.run_until(Tick(30_000));
        world.apply(Action::RestartBroker { broker: coordinator.0 }).unwrap();
        world.run_until(Tick(60_000));
        drain(&mut world);
        world.apply(Action::ElectPreferredLeaders).unwrap();
        world.run_until(Tick(80_000));
        let events = drain(&mut world);
        assert_eq!(world.view().consumers()[0].membership.coordinator, Some(coordinator), "seed {seed}: the group moved back");
        assert!(
            !events.iter().any(|e| matches!(e.kind, EventKind::RebalanceStarted { .. } | EventKind::PartitionsRevoked { .. } | EventKind::OffsetCommitFailed { .. })),
            "seed {seed}: no rebalance, no failed commit"
        );
    }
}

#[test]
fn a_consumer_too_slow_between_polls_leaves_the_group_and_its_partitions_move() {
    let mut consumers = members(&["fast", "slow"], "g", "orders", 10_000);
    for c in &mut consumers {
        c.config.insert("max.poll.interval.ms".into(), ConfigValue::Int(5_000));
        c.config.insert("max.poll.records".into(), ConfigValue::Int(100));
    }
    let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p1", "orders", 50)], consumers);
    let mut world = World::new(&spec, 8).unwrap();
    world.run_until(Tick(10_000));
    // 100 records at 100 ms each: 10 s between polls, more than max.poll.interval.ms.
    world.apply(Action::SetProcessingTime { consumer: "slow".into(), processing_ms_per_record: 100 }).unwrap();
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    let slow = world.view().consumers().iter().position(|c| &*c.name == "slow").unwrap() as u32;
    assert!(
        events.iter().any(|e| matches!(&e.kind, EventKind::MemberRemoved { reason: event::RebalanceReason::PollTimeout { consumer }, .. } if *consumer == slow)),
        "the slow consumer left: poll timeout"
    );
    // It is no longer a member, so it cannot commit what it read: it loses its partitions
    // (onPartitionsLost) instead of revoking them.
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::PartitionsLost { consumer, .. } if *consumer == slow)));
    assert!(!events.iter().any(|e| e.at > Tick(10_000) && matches!(&e.kind, EventKind::PartitionsRevoked { consumer, .. } if *consumer == slow)));
}



/// What a member cut off for longer than its session does with its partitions when it is back:
/// the events of `consumer` from the cut on, and its assignment once the group has settled.
fn back_after_its_session_expired(strategy: &str) -> (Vec<EventKind>, Vec<(String, Vec<u32>)>) {
    let mut consumers = members(&["c1", "c2"], "g", "orders", 10_000);
    for c in &mut consumers {
        c.config.insert("partition.assignment.strategy".into(), ConfigValue::from(strategy));
    }
    let spec = spec_with(vec![topic("orders", 4, 3)], vec![producer("p1", "orders", 20)], consumers);
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(10_000));
    drain(&mut world);
    let brokers = [1, 2, 3].map(NodeRef::Broker).to_vec();
    world.apply(Action::CutNetwork { side_a: vec![NodeRef::Consumer("c2".into())], side_b: brokers }).unwrap();
    world.run_until(Tick(25_000));
    world.apply(Action::HealNetwork { cut: None }).unwrap();
    world.run_until(Tick(60_000));
    let c2 = world.view().consumers().iter().position(|c| &*c.name == "c2").unwrap() as u32;
    let mine = drain(&mut world)
        .into_iter()
        .map(|e| e.kind)
        .filter(|k| match k {
            EventKind::PartitionsLost { consumer, .. } | EventKind::PartitionsRevoked { consumer, .. } | EventKind::OffsetCommitFailed { consumer, .. } => *consumer == c2,
            EventKind::MemberRemoved { consumer, .. } => *consumer == c2,
            _ => false,
        })
        .collect();
    (mine, assignments(&world))
}

#[test]
fn a_member_back_after_its_session_expired_loses_its_partitions_rather_than_revoking_them() {
    // The lesson: a member the coordinator removed has no generation any more. Its partitions were
    // already handed to the others, so it drops them without committing (onPartitionsLost), in
    // eager and in cooperative groups alike, and rejoins as a newcomer.
    for strategy in ["range", "cooperative-sticky"] {
        let (events, after) = back_after_its_session_expired(strategy);
        assert!(matches!(events.first(), Some(EventKind::MemberRemoved { .. })), "{strategy}: removed first: {events:?}");
        let lost: Vec<usize> = events.iter().filter_map(|k| match k { EventKind::PartitionsLost { partitions, .. } => Some(partitions.len()), _ => None }).collect();
        assert_eq!(lost, [2], "{strategy}: it lost the two partitions it held, once: {events:?}");
        // The auto-commits it sent while cut off are refused (UNKNOWN_MEMBER_ID): that is how it learns.
        let lost_at = events.iter().position(|k| matches!(k, EventKind::PartitionsLost { .. })).unwrap();
        assert!(!events.iter().any(|k| matches!(k, EventKind::PartitionsRevoked { .. })), "{strategy}: nothing revoked: {events:?}");
        assert!(!events[lost_at..].iter().any(|k| matches!(k, EventKind::OffsetCommitFailed { .. })), "{strategy}: no commit tried once lost: {events:?}");
        assert!(after.iter().all(|(_, p)| p.len() == 2), "{strategy}: back in the group, two partitions each: {after:?}");
    }
}

#[test]
fn a_queue_deletes_what_was_acknowledged_so_a_later_group_cannot_replay_it_while_a_log_can() {
    let worker = |name: &str, group: &str, topic: &str, delete: bool, start_ms: u64| ConsumerSpec {
        name: name.into(),
        group: Some(group.into()),
        topics: vec![topic.into()],
        config: [("auto.offset.reset".to_string(), ConfigValue::from("earliest"))].into(),
        commit: CommitMode::AfterProcessing,
        delete_committed: delete,
        start_ms,
        ..ConsumerSpec::default()
    };
    let mut spec = spec_with(
        vec![topic("log", 1, 3), topic("queue", 1, 3)],
        vec![producer("p-log", "log", 20), producer("p-queue", "queue", 20)],
        vec![
            worker("billing", "billing", "log", false, 0),
            worker("worker", "workers", "queue", true, 0),
            worker("analytics-log", "analytics-log", "log", false, 10_000),
            worker("analytics-queue", "analytics-queue", "queue", false, 10_000),
        ],
    );
    spec.broker_config.insert("group.initial.rebalance.delay.ms".into(), ConfigValue::from(0));
    let mut world = World::new(&spec, 8).unwrap();
    world.run_until(Tick(20_000));
    let view = world.view();
    let queue = view.partition_index("queue", 0).unwrap();
    let start = view.leader_log(queue).unwrap().log_start_offset();
    assert!(start > 150, "the queue's log start followed the commits: {start}");
    let processed = |name: &str| view.consumers().iter().find(|c| &*c.name == name).unwrap().stats.records_processed;
    assert!(processed("analytics-log") >= 380, "a new group on the log replays from the start: {}", processed("analytics-log"));
    assert!(processed("analytics-queue") < processed("analytics-log") - 150, "on the queue the acknowledged records are gone");
}

#[test]
fn a_member_that_changes_its_subscription_makes_the_group_rebalance() {
    let mut spec = spec_with(vec![topic("orders", 2, 1), topic("payments", 2, 1)], vec![], members(&["a", "b"], "g", "orders", 10_000));
    spec.broker_config.insert("group.initial.rebalance.delay.ms".into(), ConfigValue::from(0));
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(3_000));
    assert_eq!(assignments(&world), vec![("a".to_string(), vec![0]), ("b".to_string(), vec![1])]);
    world.apply(Action::Subscribe { consumer: "b".into(), topics: vec!["orders".into(), "payments".into()] }).unwrap();
    // a hears of the rebalance at its next heartbeat (heartbeat.interval.ms, 3 s) and rejoins.
    world.run_until(Tick(10_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::GenerationStarted { generation: 2, .. })), "the new subscription started a new generation");
    let b = world.view().consumers().iter().find(|c| &*c.name == "b").unwrap();
    let topics: SortedSet<String> = b.assignment.iter().map(|p| world.view().topic_partition(*p).topic.to_string()).collect();
    assert!(topics.contains("payments"), "b now reads payments too: {topics:?}");
}

#[test]
fn an_idempotent_producer_retrying_after_lost_responses_writes_no_duplicates_and_a_plain_one_does() {
    let run = |idempotent: bool| {
        let mut p = producer("p", "orders", 200);
        p.config.insert("enable.idempotence".into(), ConfigValue::from(idempotent));
        p.config.insert("acks".into(), ConfigValue::from("all"));
        p.workload.as_mut().unwrap().count = Some(2_000);
        let spec = spec_with(vec![topic("orders", 1, 3)], vec![p], vec![]);
        let mut world = World::new(&spec, 5).unwrap();
        // A flaky link between the producer and the leader: connections reset, requests are retried,
        // sometimes after the broker had already written them.
        let leader = leader(&world, "orders", 0).unwrap();
        world
            .apply(Action::SetLink { from: NodeRef::Producer("p".into()), to: NodeRef::Broker(leader.0), latency_ms: None, loss_percent: None, drop_percent: Some(20) })
            .unwrap();
        world.run_until(Tick(30_000));
        let log = world.view().leader_log(PartitionIndex(0)).unwrap();
        let ids: Vec<crate::kafka::record::RecordId> = log.batches().flat_map(|b| b.records.iter().map(|r| r.id)).collect();
        let distinct: SortedSet<_> = ids.iter().copied().collect();
        (ids.len(), distinct.len())
    };
    let (written, distinct) = run(true);
    assert_eq!(written, distinct, "idempotent: every retry was recognised (PID + sequence)");
    assert_eq!(distinct, 2_000);
    let (written, distinct) = run(false);
    assert!(written > distinct, "without idempotence a retried batch is written twice ({written} written, {distinct} distinct)");
}

#[test]
fn after_an_unclean_election_loses_acknowledged_records_an_idempotent_producer_bumps_its_epoch_once_and_writes_again() {
    // The unclean-election lesson's lenient topic: broker 3 falls behind at 20 records, brokers 1 and
    // 2 die with 150, and broker 3 leads again with 20. The producer's next sequence (150) is not what
    // broker 3 expects (20): Kafka's producer sees a real gap, bumps its epoch and starts again at 0,
    // instead of retrying the refused sequences for ever.
    use crate::kafka::protocol::KafkaError;
    let mut lenient = topic("lenient", 1, 3);
    lenient.assignment = Some(vec![vec![1, 2, 3]]);
    lenient.config.insert("unclean.leader.election.enable".into(), ConfigValue::from(true));
    let mut p = producer("p", "lenient", 10);
    p.workload.as_mut().unwrap().keys = KeyPattern::None;
    let spec = spec_with(vec![lenient], vec![p], vec![]);
    let mut world = World::new(&spec, 31).unwrap();
    world.schedule(Tick(2_000), Action::KillBroker { broker: 3, lose_page_cache: false });
    world.schedule(Tick(15_000), Action::KillBroker { broker: 1, lose_page_cache: false });
    world.schedule(Tick(15_000), Action::KillBroker { broker: 2, lose_page_cache: false });
    world.schedule(Tick(26_000), Action::RestartBroker { broker: 3 });
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    let bumps: Vec<i16> = events.iter().filter_map(|e| if let EventKind::ProducerEpochBumped { producer_epoch, .. } = e.kind { Some(producer_epoch) } else { None }).collect();
    assert_eq!(bumps, vec![1], "one bump, from epoch 0 to 1");
    let refusals = events.iter().filter(|e| matches!(e.kind, EventKind::ProduceFailed { error: KafkaError::OutOfOrderSequenceNumber, .. })).count();
    assert!(refusals <= 5, "the refusals stop once the epoch is bumped ({refusals})");
    let log = world.view().leader_log(PartitionIndex(0)).unwrap();
    assert!(log.log_end_offset() > 200, "the partition took writes again (log end {})", log.log_end_offset());
    // Nothing written twice and nothing out of order: the renumbered batches keep their order.
    let ids: Vec<u64> = log.batches().flat_map(|b| b.records.iter().map(|r| r.id.sequence)).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "records in the order sent, each once");
    assert!(events.iter().all(|e| !matches!(e.kind, EventKind::ProduceFailed { retrying: false, .. })), "no record was given up on");
    // The ledger names as lost the records broker 3 never had, and only those: the records written
    // again at their offsets afterwards, and acknowledged there, are in the log.
    let lost: Vec<u64> = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Violation { kind: ViolationKind::AckedRecordLost, record: Some(id), .. } => Some(id.sequence),
            _ => None,
        })
        .collect();
    assert!(!lost.is_empty(), "acknowledged records were lost");
    let present: Vec<u64> = lost.iter().copied().filter(|s| log.batches().any(|b| b.records.iter().any(|r| r.id.sequence == *s && r.id.producer == 0))).collect();
    assert!(present.is_empty(), "reported lost but still in the log: {present:?}");
}

#[test]
fn a_producer_whose_partition_has_no_leader_asks_for_metadata_less_and_less_often() {
    // Kafka's Metadata.timeToAllowUpdate (KIP-580): however urgently the producer wants a leader, it
    // waits after each answer, and answers that bring nothing new double the wait, up to
    // retry.backoff.max.ms (1 s). It once asked the moment each answer arrived: 3,351 times in 10 s.
    let spec = spec_with(vec![topic("orders", 1, 1)], vec![producer("p1", "orders", 100)], vec![]);
    let mut world = World::new(&spec, 7).unwrap();
    world.run_until(Tick(2_000));
    let only = leader(&world, "orders", 0).expect("orders-0 has a leader");
    world.apply(Action::KillBroker { broker: only.0, lose_page_cache: false }).unwrap();
    drain(&mut world);
    // Fenced after broker.session.timeout.ms (9 s): from then on orders-0 has no leader at all.
    world.run_until(Tick(22_000));
    let asked: Vec<u64> = drain(&mut world)
        .iter()
        .filter(|e| e.at >= Tick(12_000))
        .filter(|e| matches!(e.kind, EventKind::MessageSent { from: Node::Producer(0), kind: crate::kafka::protocol::MessageKind::Metadata, .. }))
        .map(|e| e.at.ms())
        .collect();
    let gaps: Vec<u64> = asked.windows(2).map(|w| w[1] - w[0]).collect();
    assert!((8..=16).contains(&asked.len()), "10 s without a leader, about one request a second at most: {gaps:?}");
    assert!(gaps.iter().rev().take(3).all(|g| (800..=1_010).contains(g)), "the wait has grown to about retry.backoff.max.ms: {gaps:?}");
}

#[test]
fn a_link_without_latency_is_refused_with_the_rule() {
    // A message takes at least one tick of the simulated clock; at 0 ms a client retrying without
    // backoff looped for ever while no time passed.
    let mut spec = spec_with(vec![topic("orders", 1, 1)], vec![], vec![]);
    spec.network.latency_ms = 0;
    let errors = World::new(&spec, 7).err().expect("latency 0 is refused");
    assert!(errors.iter().any(|e| e.path == "network.latency_ms" && e.message.contains("from 1 to 60000 ms")), "{errors:?}");
    spec.network.latency_ms = 1;
    let mut world = World::new(&spec, 7).unwrap();
    let zero = Action::SetLink { from: NodeRef::Broker(1), to: NodeRef::Broker(2), latency_ms: Some(0), loss_percent: None, drop_percent: None };
    assert!(world.apply(zero).unwrap_err().0.contains("from 1 to 60000 ms"));
    let slow = Action::SetLink { from: NodeRef::Broker(1), to: NodeRef::Broker(2), latency_ms: Some(60_001), loss_percent: None, drop_percent: None };
    assert!(world.apply(slow).unwrap_err().0.contains("a link slower than a minute each way only times every request out"));
}

/// Produce requests producer 0 has sent to `broker` whose answers have not arrived by `now`.
fn produce_requests_awaiting_answers(events: &[Event], broker: BrokerId, now: Tick) -> usize {
    use crate::kafka::protocol::MessageKind;
    let mut awaiting = 0;
    for e in events {
        if let EventKind::MessageSent { from, to, kind, arrive_at, .. } = e.kind {
            if from == Node::Producer(0) && to == Node::Broker(broker) && kind == MessageKind::Produce {
                awaiting += 1;
            } else if from == Node::Broker(broker) && to == Node::Producer(0) && kind == MessageKind::ProduceResponse && arrive_at <= now {
                awaiting -= 1;
            }
        }
    }
    awaiting
}

/// An acks=all producer writing `rate` records a second to `orders` (`partitions` partitions, three
/// replicas each); from 2 s on, orders-0's leader dies the first moment `unanswered` produce requests
/// to it await their answers, and the run goes on to 20 s. The events from the start, the crash's
/// time, and orders-0's new leader.
fn failover_of_orders_0(rate: u32, partitions: u32, unanswered: usize) -> (Vec<Event>, Tick, BrokerId) {
    let mut p = producer("p", "orders", rate);
    p.config.insert("acks".into(), ConfigValue::from("all"));
    let spec = spec_with(vec![topic("orders", partitions, 3)], vec![p], vec![]);
    let mut world = World::new(&spec, 11).unwrap();
    world.run_until(Tick(2_000));
    let old = leader(&world, "orders", 0).unwrap();
    let mut events = drain(&mut world);
    let mut now = Tick(2_000);
    while produce_requests_awaiting_answers(&events, old, now) < unanswered {
        assert!(now < Tick(4_000), "never {unanswered} produce requests awaiting answers");
        now = now.plus_ms(1);
        world.run_until(now);
        events.extend(drain(&mut world));
    }
    world.apply(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(20_000));
    let new = leader(&world, "orders", 0).expect("a new leader after the session timeout");
    assert_ne!(new, old);
    events.extend(drain(&mut world));
    (events, now, new)
}

#[test]
fn after_a_failover_the_held_records_go_to_the_new_leader_as_soon_as_the_producer_hears_of_it() {
    // A dead broker's machine refuses connections: the producer holds the records for it, unsent
    // (Kafka's client.ready), trying to connect again after reconnect.backoff.ms, doubling to 1 s.
    // Only the request the leader had not answered at the crash fails, and it is retried. Once the
    // producer's metadata names a new leader, everything held goes there at once (for the retried
    // batch, KIP-951: its retry backoff was for the old leader).
    use crate::kafka::protocol::{KafkaError, MessageKind};
    let (events, crash, new) = failover_of_orders_0(50, 1, 1);
    let first_to_new = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::MessageSent { from: Node::Producer(0), to: Node::Broker(b), kind: MessageKind::Produce, .. } if b == new))
        .expect("the producer wrote to the new leader");
    let metadata_answer = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageSent { to: Node::Producer(0), kind: MessageKind::Metadata, arrive_at, .. } if arrive_at <= first_to_new.at => Some(arrive_at),
            _ => None,
        })
        .last()
        .expect("the producer asked for metadata");
    assert_eq!(first_to_new.at, metadata_answer, "sent the moment the metadata named the new leader");
    let failures: Vec<&Event> = events.iter().filter(|e| e.at >= crash && matches!(e.kind, EventKind::ProduceFailed { .. })).collect();
    assert!(
        failures.len() == 1 && matches!(failures[0].kind, EventKind::ProduceFailed { error: KafkaError::NetworkException, retrying: true, .. }),
        "only the unanswered request failed, and it was retried: {failures:?}"
    );
    // Tries to connect again about 50, 100, 200, 400, 800 ms and then 1 s apart, not once a batch.
    let attempts = events
        .iter()
        .filter(|e| e.at > crash && e.at < first_to_new.at && matches!(e.kind, EventKind::MessageSent { from: Node::Producer(0), kind: MessageKind::Produce, .. }))
        .count() as u64;
    let held_s = (first_to_new.at.ms() - crash.ms()) / 1_000;
    assert!(attempts <= held_s + 6, "{attempts} attempts in {held_s} s");
    let acked: u32 = events.iter().filter_map(|e| match e.kind { EventKind::ProduceAcked { records, .. } => Some(records), _ => None }).sum();
    assert!(acked >= 900, "nothing held was lost: {acked} of about 950 acknowledged");
}

#[test]
fn after_a_failover_an_idempotent_producer_resends_its_retried_batches_one_at_a_time_in_order() {
    // Kafka's shouldStopDrainBatchesForPartition: while retrying, an idempotent producer keeps one
    // batch per partition in flight, the lowest unanswered sequence, so the new leader gets them in
    // order instead of refusing the later ones as out of sequence.
    use crate::kafka::protocol::MessageKind;
    // Three partitions: answers for the others wake the sender while orders-0's retry is out.
    let (events, _, new) = failover_of_orders_0(400, 3, 2);
    let sends: Vec<Tick> = events
        .iter()
        .filter(|e| {
            matches!(e.kind, EventKind::MessageSent { from: Node::Producer(0), to: Node::Broker(b), kind: MessageKind::Produce, partition: Some(PartitionIndex(0)), .. } if b == new)
        })
        .map(|e| e.at)
        .collect();
    let acks: Vec<Tick> = events
        .iter()
        .filter(|e| matches!(e.kind, EventKind::ProduceAcked { producer: 0, partition: PartitionIndex(0), .. }))
        .map(|e| e.at)
        .filter(|at| *at >= sends[0])
        .collect();
    assert!(sends.len() > 1 && !acks.is_empty());
    // Several batches failed against the dead leader; the second goes only once the first is answered.
    assert!(sends[1] >= acks[0], "the second retry went at {:?}, before the answer to the first at {:?}", sends[1], acks[0]);
    assert!(events.iter().all(|e| !matches!(e.kind, EventKind::ProduceFailed { error: crate::kafka::protocol::KafkaError::OutOfOrderSequenceNumber, .. })));
}

#[test]
fn an_acks_0_producer_loses_what_was_on_the_wire_when_its_leader_died_and_holds_the_rest() {
    // acks=0 never hears back, but Kafka's client does not write to a broker it cannot connect to:
    // after a crash the dead machine refuses, and the producer keeps its records until the metadata
    // names a new leader. What is lost, and never told, is what was already on the wire and what the
    // leader had not yet passed on to its followers.
    use crate::kafka::protocol::MessageKind;
    let mut p = producer("p", "orders", 50);
    p.config.insert("acks".into(), ConfigValue::from(0i64));
    if let Some(w) = p.workload.as_mut() {
        w.count = Some(300);
    }
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![p], vec![]);
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(2_000));
    let old = leader(&world, "orders", 0).unwrap();
    let mut events = drain(&mut world);
    let mut now = Tick(2_000);
    let on_the_wire = |events: &[Event], now: Tick| -> u32 {
        events
            .iter()
            .filter_map(|e| match e.kind {
                EventKind::MessageSent { from: Node::Producer(0), to: Node::Broker(b), kind: MessageKind::Produce, arrive_at, records, .. } if b == old && arrive_at > now => Some(records),
                _ => None,
            })
            .sum()
    };
    while on_the_wire(&events, now) == 0 {
        assert!(now < Tick(4_000), "a produce request is on its way at some moment");
        now = now.plus_ms(1);
        world.run_until(now);
        events.extend(drain(&mut world));
    }
    let lost_on_the_wire = on_the_wire(&events, now);
    let p0 = world.view().partition_index("orders", 0).unwrap();
    let leader_had = world.view().log(old, p0).unwrap().log_end_offset();
    let followers_had: Vec<(BrokerId, u64)> = [1, 2, 3].map(BrokerId).into_iter().filter(|b| *b != old).map(|b| (b, world.view().log(b, p0).unwrap().log_end_offset())).collect();
    world.apply(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(20_000));
    events.extend(drain(&mut world));
    let new = leader(&world, "orders", 0).expect("a new leader");
    let new_had = followers_had.iter().find(|(b, _)| *b == new).map(|(_, leo)| *leo).unwrap();
    let unreplicated = leader_had - new_had;
    let unsent: u32 = events.iter().filter_map(|e| match e.kind { EventKind::ProduceUnsent { records, .. } => Some(records), _ => None }).sum();
    assert!(unsent > 0, "requests the dead machine refused came back to the producer");
    let log_end = world.view().log(new, p0).unwrap().log_end_offset();
    assert_eq!(300 - log_end, u64::from(lost_on_the_wire) + unreplicated, "lost: {lost_on_the_wire} on the wire and {unreplicated} unreplicated, nothing else");
    assert!(events.iter().all(|e| !matches!(e.kind, EventKind::ProduceFailed { .. })), "and the producer was never told");
}

#[test]
fn a_refusal_that_reaches_a_restarted_producer_does_not_bring_back_the_dead_process_records() {
    // The records of an acks=0 request die with the producer process that sent it. If the dead
    // broker's refusal arrives after the producer restarted, the new process must not queue them.
    use crate::kafka::protocol::MessageKind;
    let mut p = producer("p", "orders", 200);
    p.config.insert("acks".into(), ConfigValue::from(0i64));
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![p], vec![]);
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(2_000));
    let old = leader(&world, "orders", 0).unwrap();
    world.apply(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    let mut now = Tick(2_000);
    loop {
        assert!(now < Tick(4_000), "the producer writes to the dead leader");
        now = now.plus_ms(1);
        world.run_until(now);
        // Refused at this tick: the refusal, with the request in it, is on its way back.
        let refused_on_its_way = drain(&mut world)
            .iter()
            .any(|e| matches!(e.kind, EventKind::MessageDropped { from: Node::Producer(0), kind: MessageKind::Produce, reason: DropReason::Refused, .. }));
        if refused_on_its_way {
            break;
        }
    }
    world.apply(Action::CrashProducer { producer: "p".into() }).unwrap();
    world.apply(Action::RestartProducer { producer: "p".into() }).unwrap();
    world.run_until(now.plus_ms(50));
    let back: Vec<Event> = drain(&mut world).into_iter().filter(|e| matches!(e.kind, EventKind::ProduceUnsent { .. })).collect();
    assert!(back.is_empty(), "records of the old process came back: {back:?}");
}

/// The moments consumer `c` (reading orders-0) sends `kind` to the partition's leader, over the 8 s
/// after that leader's process dies.
fn sent_to_a_dead_leader(c: ConsumerSpec, kind: crate::kafka::protocol::MessageKind) -> Vec<u64> {
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![producer("p", "orders", 20)], vec![c]);
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(2_000));
    let old = leader(&world, "orders", 0).unwrap();
    drain(&mut world);
    world.apply(Action::KillBroker { broker: old.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(10_000));
    drain(&mut world)
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::MessageSent { from: Node::Consumer(0), to: Node::Broker(b), kind: k, .. } if b == old && k == kind => Some(e.at.ms()),
            _ => None,
        })
        .collect()
}

#[test]
fn a_consumer_stays_away_from_a_dead_leader_for_longer_each_time_and_asks_live_brokers_for_metadata() {
    // Kafka's reconnect.backoff.ms: after a refused connection the consumer waits 50 ms, doubling to
    // 1 s (±20%), before it tries the broker again, and meanwhile asks another broker for metadata.
    use crate::kafka::protocol::MessageKind;
    let fetches = sent_to_a_dead_leader(reader("c", "orders", &[0]), MessageKind::Fetch);
    let gaps: Vec<u64> = fetches.windows(2).map(|w| w[1] - w[0]).collect();
    assert!(gaps.len() >= 5 && gaps.windows(2).take(4).all(|w| w[1] > w[0]), "the waits grow: {gaps:?}");
    assert!(gaps.iter().all(|g| *g >= 38 && *g <= 1_210), "between 50 ms and 1 s, give or take 20%: {gaps:?}");
    let metadata = sent_to_a_dead_leader(reader("c", "orders", &[0]), MessageKind::Metadata);
    assert!(metadata.len() <= 1, "metadata comes from live brokers: {metadata:?}");
}

#[test]
fn reconnect_backoff_ms_sets_how_long_a_client_stays_away_from_a_broker_that_refused_it() {
    // With reconnect.backoff.ms = reconnect.backoff.max.ms = 2000 the wait neither grows nor jitters
    // (Kafka's ExponentialBackoff), and it is twice the default's longest: the consumer tries again
    // at its first poll (every 100 ms while it waits for records) 2 s after the refusal.
    use crate::kafka::protocol::MessageKind;
    let mut c = reader("c", "orders", &[0]);
    c.config.insert("reconnect.backoff.ms".into(), ConfigValue::from(2_000i64));
    c.config.insert("reconnect.backoff.max.ms".into(), ConfigValue::from(2_000i64));
    let fetches = sent_to_a_dead_leader(c, MessageKind::Fetch);
    let gaps: Vec<u64> = fetches.windows(2).map(|w| w[1] - w[0]).collect();
    // The fetch awaiting its answer at the crash (2 s) is the first failure: nothing is tried for 2 s.
    assert!(fetches.first().is_some_and(|t| *t >= 4_000) && gaps.len() >= 2, "a try every 2 s or so: {fetches:?}");
    assert!(gaps.iter().all(|g| (2_000..=2_110).contains(g)), "2 s, then the next poll: {gaps:?}");
}

#[test]
fn a_metadata_request_that_times_out_is_asked_again_after_the_backoff_not_at_the_next_refresh() {
    // Kafka's Metadata.failedUpdate keeps the update requested: a metadata request that got no answer
    // in request.timeout.ms is asked again (of the next broker) once the retry backoff has passed,
    // not only when metadata.max.age.ms comes round again.
    use crate::kafka::protocol::MessageKind;
    let mut p = ProducerSpec { name: "p".into(), topic: "orders".into(), ..ProducerSpec::default() };
    p.config.insert("metadata.max.age.ms".into(), ConfigValue::from(3_000i64));
    p.config.insert("request.timeout.ms".into(), ConfigValue::from(1_000i64));
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![p], vec![]);
    let mut world = World::new(&spec, 9).unwrap();
    world.run_until(Tick(1_000));
    // Behind the cut every request is held (TCP keeps it): none is answered, none is refused.
    let brokers = [1, 2, 3].map(NodeRef::Broker).to_vec();
    world.apply(Action::CutNetwork { side_a: vec![NodeRef::Producer("p".into())], side_b: brokers }).unwrap();
    world.run_until(Tick(8_000));
    let asked: Vec<u64> = drain(&mut world)
        .iter()
        .filter(|e| {
            e.at > Tick(1_000)
                && matches!(
                    e.kind,
                    EventKind::MessageSent { from: Node::Producer(0), kind: MessageKind::Metadata, .. } | EventKind::MessageHeld { from: Node::Producer(0), kind: MessageKind::Metadata, .. }
                )
        })
        .map(|e| e.at.ms())
        .collect();
    assert!(asked.len() >= 3, "the periodic refresh, then again after each timeout: {asked:?}");
    let gaps: Vec<u64> = asked.windows(2).map(|w| w[1] - w[0]).collect();
    // Each gap: the 1 s timeout, then a backoff of at most retry.backoff.max.ms (1 s) plus jitter.
    assert!(gaps.iter().all(|g| *g > 1_000 && *g <= 2_200), "asked again after timeout and backoff, not every 3 s: {asked:?}");
}

/// Plays `world` on to `until` a millisecond at a time, and returns each FindCoordinator request
/// (a group's or a transaction's) that `client` sent, as (the moment it was seen on its way, the
/// broker asked).
pub(super) fn coordinator_lookups_until(world: &mut World, client: Node, until: Tick) -> Vec<(u64, BrokerId)> {
    use crate::kafka::protocol::{GroupRequest, TxnRequest};
    let mut seen: Vec<(u64, u64, BrokerId)> = Vec::new();
    for ms in world.now.ms() + 1..=until.ms() {
        world.run_until(Tick(ms));
        for item in world.queue.items() {
            if let Scheduled::Deliver { id, from, to: Node::Broker(to), message } = item
                && *from == client
                && match message {
                    Message::Group { request, .. } => matches!(**request, GroupRequest::FindCoordinator),
                    Message::Txn { request, .. } => matches!(**request, TxnRequest::FindCoordinator),
                    _ => false,
                }
                && !seen.iter().any(|(seen_id, _, _)| seen_id == id)
            {
                seen.push((*id, ms, *to));
            }
        }
    }
    seen.into_iter().map(|(_, ms, to)| (ms, to)).collect()
}

#[test]
fn a_member_whose_coordinator_died_never_asks_the_dead_broker_where_the_coordinator_is_now() {
    // Kafka's consumer looks its coordinator up through its least loaded node, never a broker it may
    // not connect to yet, however its cursor stands. A reconnect backoff of a minute keeps the dead
    // broker out of reach for the whole run once a request to it has failed. (Until the controller
    // fences the dead broker, an answer may still name it: metadata changes only then.) The member
    // ends up in the group, coordinated by a live broker.
    let mut c = member("c", "g", "orders");
    c.config.insert("reconnect.backoff.ms".into(), ConfigValue::from(60_000i64));
    c.config.insert("reconnect.backoff.max.ms".into(), ConfigValue::from(60_000i64));
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p", "orders", 20)], vec![c]);
    for seed in 1..=12 {
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(5_000));
        let coordinator = world.brokers.iter().find(|(_, b)| b.up && b.coordinator.groups.get("g").is_some()).map(|(id, _)| *id).unwrap();
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        let lookups = coordinator_lookups_until(&mut world, Node::Consumer(0), Tick(20_000));
        assert!(!lookups.is_empty(), "seed {seed}: the member looked its coordinator up again");
        assert!(lookups.iter().all(|(_, to)| *to != coordinator), "seed {seed}: asked the dead coordinator where the coordinator is: {lookups:?}");
        let group = world.view().group("g").expect("a live broker coordinates the group");
        assert_eq!(group.members.len(), 1, "seed {seed}: the member is still in the group");
    }
}

#[test]
fn a_member_whose_heartbeat_is_lost_looks_its_coordinator_up_at_once() {
    // Kafka's heartbeat thread marks the coordinator unknown when a heartbeat's connection breaks and
    // looks it up again straight away: it does not wait for its next heartbeat, heartbeat.interval.ms
    // later. (Without auto-commit, heartbeats are all this member sends its coordinator.)
    let mut c = member("c", "g", "orders");
    c.config.insert("enable.auto.commit".into(), ConfigValue::from(false));
    c.config.insert("heartbeat.interval.ms".into(), ConfigValue::from(3_000i64));
    let spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p", "orders", 20)], vec![c]);
    for seed in 1..=6 {
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(5_000));
        let coordinator = world.brokers.iter().find(|(_, b)| b.up && b.coordinator.groups.get("g").is_some()).map(|(id, _)| *id).unwrap();
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        let mut ahead = world.clone();
        let lost = (5_001..=40_000u64).find(|&ms| {
            ahead.run_until(Tick(ms));
            ahead.consumers[0].membership.coordinator.is_none()
        });
        let lost = lost.expect("the member finds its coordinator gone");
        let lookups = coordinator_lookups_until(&mut world, Node::Consumer(0), Tick(lost + 3_000));
        assert!(lookups.first().is_some_and(|(asked, _)| *asked <= lost + 1), "seed {seed}: lost at {lost} ms, lookups {lookups:?}");
    }
}

#[test]
fn a_consumer_that_commits_after_each_poll_keeps_reading_when_its_coordinator_dies() {
    // commitSync after processing: the application waits for each commit. When the coordinator dies
    // the member finds the new one and carries on; it must never stop polling for good.
    for seed in 1..=12 {
        let mut c = member("c", "g", "orders");
        c.commit = CommitMode::AfterProcessing;
        let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p", "orders", 50)], vec![c]);
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(8_000));
        let coordinator = world.view().consumers()[0].membership.coordinator.expect("joined by now");
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        world.run_until(Tick(30_000));
        let before = world.view().consumers()[0].stats.records_processed;
        world.run_until(Tick(40_000));
        let after = world.view().consumers()[0].stats.records_processed;
        assert!(after >= before + 300, "seed {seed}: still reading 20 s after the crash: {before} -> {after}");
        let committed: u64 = world.view().group("g").expect("the new coordinator has the group").offsets.values().sum();
        assert!(committed + 100 >= after, "seed {seed}: and committing what it read, with the new coordinator: {committed} of {after}");
    }
}

/// Member `c` of group `g` on `orders` that commits synchronously after each poll of at most 20
/// records, taking 40 ms a record: it reads slower than 50 records/s are written, so it always has
/// fetched records left to process.
fn slow_sync_committer() -> ConsumerSpec {
    let mut c = member("c", "g", "orders");
    c.commit = CommitMode::AfterProcessing;
    c.processing_ms_per_record = 40;
    c.config.insert("max.poll.records".into(), ConfigValue::from(20i64));
    c
}

#[test]
fn a_commit_sync_that_cannot_find_a_coordinator_gives_up_after_default_api_timeout_ms() {
    // Every broker is down: commitSync looks for a coordinator, finds none, and after
    // default.api.timeout.ms (here 10 s) throws; the application carries on with the records it
    // had fetched (it reads slower than they are written, so it has some).
    let mut c = slow_sync_committer();
    c.config.insert("default.api.timeout.ms".into(), ConfigValue::from(10_000i64));
    let spec = spec_with(vec![topic("orders", 1, 1)], vec![producer("p", "orders", 50)], vec![c]);
    let mut world = World::new(&spec, 2).unwrap();
    world.run_until(Tick(8_000));
    assert!(world.view().consumers()[0].membership.coordinator.is_some(), "joined by now");
    drain(&mut world);
    for broker in 1..=3 {
        world.apply(Action::KillBroker { broker, lose_page_cache: false }).unwrap();
    }
    world.run_until(Tick(40_000));
    let failed: Vec<u64> = drain(&mut world)
        .iter()
        .filter(|e| matches!(e.kind, EventKind::OffsetCommitFailed { consumer: 0, error: crate::kafka::protocol::KafkaError::CoordinatorNotAvailable, .. }))
        .map(|e| e.at.ms())
        .collect();
    assert!(!failed.is_empty() && failed[0] >= 18_000 && failed[0] <= 20_000, "the first commit after the crash gave up 10 s later: {failed:?}");
    assert!(failed.len() >= 2, "and the application went on, committing (and failing) again: {failed:?}");
}

#[test]
fn a_commit_sync_held_by_a_network_cut_gives_up_after_default_api_timeout_ms_and_the_application_goes_on() {
    // Cut off from every broker, the consumer's commit is held (TCP keeps it). After
    // request.timeout.ms it is given up and commitSync looks for the coordinator again, which is
    // held too; after default.api.timeout.ms (60 s) commitSync throws and the application goes on
    // with the records it had already fetched.
    let c = slow_sync_committer();
    let spec = spec_with(vec![topic("orders", 1, 3)], vec![producer("p", "orders", 50)], vec![c]);
    let mut world = World::new(&spec, 4).unwrap();
    world.run_until(Tick(8_000));
    drain(&mut world);
    let brokers = [1, 2, 3].map(NodeRef::Broker).to_vec();
    world.apply(Action::CutNetwork { side_a: vec![NodeRef::Consumer("c".into())], side_b: brokers }).unwrap();
    world.run_until(Tick(100_000));
    let events = drain(&mut world);
    let gave_up = events.iter().find(|e| matches!(e.kind, EventKind::OffsetCommitFailed { consumer: 0, .. })).map(|e| e.at.ms());
    assert!(gave_up.is_some_and(|t| (60_000..=75_000).contains(&t)), "commitSync gave up about 60 s into the cut: {gave_up:?}");
    let processed_after = events.iter().filter(|e| matches!(e.kind, EventKind::Processed { consumer: 0, .. }) && Some(e.at.ms()) > gave_up).count();
    assert!(processed_after > 0, "and the application processed its fetched records");
}

#[test]
fn brokers_heartbeat_the_new_active_controller_after_a_failover_and_stay_unfenced() {
    // The active controller dies and comes back; another is elected. Every broker is up, so each
    // must find the new leader and keep its session: none may end up fenced, its partitions
    // without a leader.
    for seed in 1..=6 {
        let mut spec = spec_with(vec![topic("orders", 3, 3)], vec![producer("p", "orders", 20)], vec![]);
        spec.controllers = 3;
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(2_000));
        let leader = world.view().controllers().iter().find(|c| c.is_leader()).map(|c| c.id).expect("a quorum leader by 2 s");
        world.apply(Action::KillController { controller: leader }).unwrap();
        world.run_until(Tick(8_000));
        world.apply(Action::RestartController { controller: leader }).unwrap();
        world.run_until(Tick(60_000));
        let fenced: Vec<u32> = world.view().metadata().brokers.iter().filter(|(_, b)| b.fenced).map(|(id, _)| id.0).collect();
        assert!(fenced.is_empty(), "seed {seed}: every broker is up, yet fenced: {fenced:?}");
    }
}

#[test]
fn a_member_whose_offset_fetch_meets_a_dead_coordinator_resumes_from_the_committed_offset_not_auto_offset_reset() {
    // After a rebalance each member asks the coordinator where the group left off. If that request
    // is lost (here the coordinator dies with it in flight), Kafka asks again of the new
    // coordinator; the partitions wait meanwhile. Starting from auto.offset.reset=latest instead
    // would skip every record written since the last commit.
    let mut checked = 0;
    for seed in 1..=10 {
        let latest = |name: &str| {
            let mut m = member(name, "g", "orders");
            m.config.insert("auto.offset.reset".into(), ConfigValue::from("latest"));
            m.config.insert("auto.commit.interval.ms".into(), ConfigValue::from(1_000i64));
            m
        };
        let mut spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p", "orders", 50)], vec![latest("a")]);
        spec.brokers = (1..=4).map(|id| spec::BrokerSpec { id, rack: None }).collect();
        spec.broker_config.insert("group.initial.rebalance.delay.ms".into(), ConfigValue::from(0));
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(10_000));
        world.apply(Action::AddConsumer { spec: latest("b") }).unwrap();
        // Step until an OffsetFetch is on its way to the coordinator, then kill the coordinator.
        let mut coordinator = None;
        for ms in 10_001..=25_000 {
            world.run_until(Tick(ms));
            coordinator = world.queue.items().find_map(|item| match item {
                Scheduled::Deliver { to: Node::Broker(b), message: Message::Group { request, .. }, .. }
                    if matches!(**request, crate::kafka::protocol::GroupRequest::OffsetFetch { .. }) =>
                {
                    Some(*b)
                }
                _ => None,
            });
            if coordinator.is_some() {
                break;
            }
        }
        let Some(coordinator) = coordinator else { continue };
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        world.run_until(Tick(60_000));
        let evs = drain(&mut world);
        let polled = polled_offsets(&evs);
        for partition in [PartitionIndex(0), PartitionIndex(1)] {
            let offsets: SortedSet<u64> = polled.iter().filter(|(_, p, _)| *p == partition).map(|(_, _, o)| *o).collect();
            let (first, last) = (offsets.first().copied().unwrap_or(0), offsets.last().copied().unwrap_or(0));
            let missing: Vec<u64> = (first..=last).filter(|o| !offsets.contains(o)).collect();
            assert!(missing.is_empty(), "seed {seed}: {partition:?} skipped offsets {missing:?}");
            assert!(last > first + 500, "seed {seed}: {partition:?} kept being read: {first}..{last}");
        }
        checked += 1;
    }
    assert!(checked >= 5, "the offset fetch was caught in flight in {checked} seeds");
}

#[test]
fn a_consumer_closed_cleanly_mid_poll_finishes_its_records_before_it_commits_and_leaves() {
    // The lesson: a clean close is not a crash. The application closes between polls, so the
    // records its last poll returned are processed, auto-commit commits past them, and the member
    // leaves at once. Closing mid-poll used to commit positions past 18 records nobody ever
    // processed, and the narration said the consumer had crashed.
    let mut consumers = members(&["c1", "c2"], "g", "orders", 10_000);
    for c in &mut consumers {
        c.config.insert("max.poll.records".into(), ConfigValue::Int(20));
        // Slower than the 10 records a second each partition gets: every poll returns a full batch.
        c.processing_ms_per_record = 200;
    }
    let spec = spec_with(vec![topic("orders", 2, 3)], vec![producer("p1", "orders", 20)], consumers);
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(10_500));
    world.apply(Action::StopConsumer { consumer: "c1".into() }).unwrap();
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    let c1 = 0;
    let closed_at = events.iter().find(|e| matches!(e.kind, EventKind::ConsumerClosed { consumer, .. } if consumer == c1)).map(|e| e.at);
    let last_processed = events.iter().filter(|e| matches!(e.kind, EventKind::Processed { consumer, .. } if consumer == c1)).map(|e| e.at).last();
    assert!(closed_at.is_some() && last_processed <= closed_at && last_processed > Some(Tick(10_500)), "closed after processing: {closed_at:?} {last_processed:?}");
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::ConsumerCrashed { .. })), "a clean close is not a crash");
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::PartitionsRevoked { consumer, .. } if *consumer == c1)), "onPartitionsRevoked before leaving");
    // Every offset of both partitions, from the first on, was processed by someone.
    let mut processed: Vec<(PartitionIndex, u64, u64)> = events
        .iter()
        .filter_map(|e| match e.kind { EventKind::Processed { partition, first_offset, last_offset, .. } => Some((partition, first_offset, last_offset)), _ => None })
        .collect();
    processed.sort();
    for p in world.view().consumers()[1].assignment.clone() {
        let mut next = 0;
        for (_, first, last) in processed.iter().filter(|r| r.0 == p) {
            assert!(*first <= next, "partition {p:?}: offsets {next}..{first} were never processed");
            next = next.max(last + 1);
        }
    }
}

#[test]
fn a_member_that_subscribes_to_more_topics_during_a_rebalance_rejoins_for_them_afterwards() {
    // Subscribing asks for a rejoin. Asked while the member is already joining, the request must
    // outlive that rebalance, or the new topic is never assigned to anyone.
    let spec = spec_with(
        vec![topic("orders", 2, 3), topic("payments", 2, 3)],
        vec![producer("p1", "orders", 20), producer("p2", "payments", 20)],
        vec![member("c1", "g", "orders"), member("c2", "g", "orders")],
    );
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(10_000));
    world.apply(Action::AddConsumer { spec: member("c3", "g", "orders") }).unwrap();
    let mut t = 10_000;
    while world.view().consumers()[0].membership.state != crate::kafka::consumer::membership::MemberState::Joining {
        t += 1;
        assert!(t < 30_000, "c1 never rejoined");
        world.run_until(Tick(t));
    }
    world.apply(Action::Subscribe { consumer: "c1".into(), topics: vec!["orders".into(), "payments".into()] }).unwrap();
    world.run_until(Tick(60_000));
    let view = world.view();
    let payments = view.consumers()[0].assignment.iter().filter(|p| &*view.metadata().topics[view.metadata().partition(**p).topic.get()].name == "payments").count();
    assert_eq!(payments, 2, "c1, the only member subscribed to payments, reads both its partitions");
}

#[test]
fn a_member_told_a_rebalance_is_under_way_while_syncing_rejoins_at_once_not_after_retry_backoff_ms() {
    // Two members start together. The first JoinGroup forms generation 1 alone; the second's starts a
    // rebalance, so the first member's SyncGroup is answered REBALANCE_IN_PROGRESS. Kafka's
    // joinGroupIfNeeded sends JoinGroup again at once after that answer (it waits retry.backoff.ms
    // only after the coordinator could not be reached), so generation 2 forms within milliseconds.
    let mut spec = spec_with(vec![topic("orders", 2, 3)], vec![], vec![member("c1", "g", "orders"), member("c2", "g", "orders")]);
    spec.broker_config.insert("group.initial.rebalance.delay.ms".into(), ConfigValue::from(0));
    let mut world = World::new(&spec, 2).unwrap();
    world.run_until(Tick(1_000));
    let events = drain(&mut world);
    let generations: Vec<(i32, u64)> = events.iter().filter_map(|e| match &e.kind { EventKind::GenerationStarted { generation, .. } => Some((*generation, e.at.ms())), _ => None }).collect();
    assert_eq!(generations.iter().map(|(g, _)| *g).collect::<Vec<_>>(), vec![1, 2], "one member alone, then both: {generations:?}");
    let refused_sync = events.iter().any(|e| matches!(&e.kind, EventKind::RebalanceStarted { generation: 1, .. }));
    assert!(refused_sync, "the second JoinGroup started a rebalance of generation 1");
    assert!(generations[1].1 < generations[0].1 + 50, "generation 2 followed within a few round trips, not after retry.backoff.ms (100 ms): {generations:?}");
}

#[test]
fn a_node_cannot_be_cut_off_from_itself_nor_linked_to_itself() {
    // The Act tab lets a learner pick both ends: broker 1 from broker 1 would be narrated as a cut
    // that changes nothing, so it is refused with the rule instead.
    let mut world = World::new(&replicated_run("all"), 1).unwrap();
    let cut = world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(1)], side_b: vec![NodeRef::Broker(2), NodeRef::Broker(1)] });
    assert_eq!(cut.unwrap_err().to_string(), "broker:1 is on both sides of the cut: a node cannot be cut off from itself");
    let link = world.apply(Action::SetLink { from: NodeRef::Broker(1), to: NodeRef::Broker(1), latency_ms: Some(5), loss_percent: None, drop_percent: None });
    assert_eq!(link.unwrap_err().to_string(), "from and to are both broker:1: a link joins two different nodes");
    assert!(world.apply(Action::CutNetwork { side_a: vec![NodeRef::Broker(1)], side_b: vec![NodeRef::Broker(2)] }).is_ok());
}

#[test]
fn a_consumer_that_names_a_partition_twice_is_refused_at_the_second_mention() {
    let mut c = reader("c2", "orders", &[0, 1, 0]);
    let mut world = World::new(&replicated_run("all"), 1).unwrap();
    let refused = world.apply(Action::AddConsumer { spec: c.clone() }).unwrap_err().to_string();
    assert!(refused.contains("assign[2]") && refused.contains("orders-0 is already listed at assign[0]"), "{refused}");
    c.assign.pop();
    assert!(world.apply(Action::AddConsumer { spec: c }).is_ok());
}

#[test]
fn a_producer_rate_above_a_workloads_limit_is_refused_naming_the_field_and_the_rule() {
    // Four billion records a second was accepted from a timed action, a link or the rate box, and
    // the run then ran out of memory. A workload's own rate_per_sec has had this limit all along.
    let mut world = World::new(&replicated_run("all"), 1).unwrap();
    let refused = world.apply(Action::SetProducerRate { producer: "p1".into(), rate_per_sec: 4_000_000_000 }).unwrap_err().to_string();
    assert_eq!(refused, "rate_per_sec 4000000000 is too high: at most 1000000 records per second");
    assert!(world.apply(Action::SetProducerRate { producer: "p1".into(), rate_per_sec: RATE_PER_SEC_MAX }).is_ok());
    // A produce action's count has the lab's produce form's limit wherever the action comes from.
    let produce = |count| Action::Produce { producer: "p1".into(), key: None, value: None, partition: None, count: Some(count) };
    let refused = world.apply(produce(PRODUCE_COUNT_MAX + 1)).unwrap_err().to_string();
    assert_eq!(refused, "count 10001 is too many: a produce action sends at most 10000 records");
    assert!(world.apply(produce(PRODUCE_COUNT_MAX)).is_ok());
}

#[test]
fn adding_partitions_past_the_labs_limit_is_refused_with_the_limit() {
    // 100,000 partitions froze the page for 45 s, and 4294967299 wrapped into "Number of
    // partitions must be larger than 0". A topic in a scenario file has had this limit all along.
    let mut world = World::new(&replicated_run("all"), 1).unwrap();
    for total in [100_000, u32::MAX] {
        let refused = world.apply(Action::AddPartitions { topic: "orders".into(), total }).unwrap_err().to_string();
        assert_eq!(refused, format!("{total} partitions is too many: a topic has at most 1000 in the lab"));
    }
    assert!(world.apply(Action::AddPartitions { topic: "orders".into(), total: 1000 }).is_ok());
}
