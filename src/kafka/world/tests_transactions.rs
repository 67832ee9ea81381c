//! Transactions end to end, in the words of the `transactions-read-committed` and
//! `exactly-once-pipeline` lessons.

use super::*;
use crate::kafka::config::ConfigValue;
use crate::kafka::world::spec::{self, CommitMode, KeyPattern, TransactionPlan, ValuePattern, Workload};
use crate::sim::sorted::SortedMap;

fn transactional(name: &str, topic: &str, records: u32, abort_every: Option<u32>, count: u64) -> ProducerSpec {
    ProducerSpec {
        name: name.into(),
        topic: topic.into(),
        config: [("transactional.id".to_string(), ConfigValue::from(format!("{name}-tx").as_str()))].into(),
        workload: Some(Workload {
            rate_per_sec: 100,
            keys: KeyPattern::Cycle { prefix: "k".into(), count: 4 },
            values: ValuePattern::Numbered { prefix: "v".into() },
            count: Some(count),
            ..Workload::default()
        }),
        transactions: Some(TransactionPlan { records_per_transaction: records, abort_every }),
    }
}

fn reader(name: &str, topic: &str, partitions: u32, isolation: &str) -> ConsumerSpec {
    ConsumerSpec {
        name: name.into(),
        assign: (0..partitions).map(|p| (topic.to_string(), p)).collect(),
        config: [
            ("auto.offset.reset".to_string(), ConfigValue::from("earliest")),
            ("isolation.level".to_string(), ConfigValue::from(isolation)),
        ]
        .into(),
        commit: CommitMode::Never,
        ..ConsumerSpec::default()
    }
}

fn spec(producers: Vec<ProducerSpec>, consumers: Vec<ConsumerSpec>) -> ClusterSpec {
    ClusterSpec {
        topics: vec![TopicSpec { name: "orders".into(), partitions: Some(3), replication_factor: Some(3), ..TopicSpec::default() }],
        producers,
        consumers,
        ..ClusterSpec::default()
    }
}

fn processed(events: &[Event], consumer: u32) -> u64 {
    events.iter().filter_map(|e| match e.kind { EventKind::Processed { consumer: c, records, .. } if c == consumer => Some(u64::from(records)), _ => None }).sum()
}

fn drain(world: &mut World) -> Vec<Event> {
    std::iter::from_fn(|| world.poll_event()).collect()
}

#[test]
fn read_committed_sees_committed_transactions_only_while_read_uncommitted_sees_aborted_records_too() {
    // 40 records in transactions of 5; every second transaction aborts: 20 committed, 20 aborted.
    let spec = spec(
        vec![transactional("p", "orders", 5, Some(2), 40)],
        vec![reader("committed", "orders", 3, "read_committed"), reader("uncommitted", "orders", 3, "read_uncommitted")],
    );
    let mut world = World::new(&spec, 3).unwrap();
    world.run_until(Tick(20_000));
    let events = drain(&mut world);
    let states: Vec<TxnState> = events.iter().filter_map(|e| match &e.kind { EventKind::TransactionStateChanged { state, .. } => Some(*state), _ => None }).collect();
    assert_eq!(states.iter().filter(|s| **s == TxnState::CompleteCommit).count(), 4, "{states:?}");
    assert_eq!(states.iter().filter(|s| **s == TxnState::CompleteAbort).count(), 4, "{states:?}");
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::MarkerWritten { commit: false, .. })));
    assert_eq!(processed(&events, 0), 20, "read_committed: only the committed transactions' records");
    assert_eq!(processed(&events, 1), 40, "read_uncommitted: every record, aborted ones included");
    assert!(world.violations().is_empty(), "{:?}", world.violations());
}

#[test]
fn an_open_transaction_holds_read_committed_consumers_back_at_the_last_stable_offset() {
    // 3 records in a transaction of 10 that never fills: it stays open.
    let spec = spec(
        vec![transactional("p", "orders", 10, None, 3)],
        vec![reader("committed", "orders", 3, "read_committed"), reader("uncommitted", "orders", 3, "read_uncommitted")],
    );
    let mut world = World::new(&spec, 5).unwrap();
    world.run_until(Tick(5_000));
    let events = drain(&mut world);
    assert_eq!(processed(&events, 0), 0, "nothing is stable while the transaction is open");
    assert_eq!(processed(&events, 1), 3);
    world.apply(Action::CommitTransaction { producer: "p".into() }).unwrap();
    world.run_until(Tick(8_000));
    let events = drain(&mut world);
    assert_eq!(processed(&events, 0), 3, "the commit marker makes them readable");
}

#[test]
fn a_restarted_transactional_producer_fences_its_old_instance_and_aborts_the_open_transaction() {
    let spec = spec(vec![transactional("p", "orders", 10, None, 3)], vec![reader("committed", "orders", 3, "read_committed")]);
    let mut world = World::new(&spec, 9).unwrap();
    world.run_until(Tick(3_000));
    world.apply(Action::CrashProducer { producer: "p".into() }).unwrap();
    world.apply(Action::RestartProducer { producer: "p".into() }).unwrap();
    world.run_until(Tick(10_000));
    let events = drain(&mut world);
    let aborted = events.iter().any(|e| matches!(&e.kind, EventKind::TransactionStateChanged { state: TxnState::CompleteAbort, .. }));
    assert!(aborted, "the new instance's InitProducerId aborts the old instance's open transaction");
    assert_eq!(processed(&events, 0), 0, "the aborted records are never read_committed");
}

use crate::kafka::txn::coordinator::TxnState;

#[test]
fn transactions_carry_on_after_their_coordinator_broker_dies_and_stay_all_or_nothing() {
    let spec = spec(vec![transactional("p", "orders", 5, Some(3), 200)], vec![reader("committed", "orders", 3, "read_committed")]);
    let mut world = World::new(&spec, 11).unwrap();
    world.run_until(Tick(700));
    // The coordinator is the leader of the transactional id's __transaction_state partition.
    let number = crate::kafka::txn::coordinator::partition_for("p-tx", 50);
    let partition = world.view().partition_index("__transaction_state", number).unwrap();
    let coordinator = world.view().metadata().partition(partition).leader.unwrap();
    world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    let txn = world.producers[0].txn.clone().unwrap();
    assert!(txn.committed + txn.aborted >= 30, "transactions went on after the failover: {txn:?}");
    let read = processed(&events, 0);
    assert_eq!(read % 5, 0, "read_committed sees whole transactions only ({read})");
    assert_eq!(read, 5 * txn.committed, "exactly the committed transactions' records");
    assert!(world.violations().is_empty(), "{:?}", world.violations());
}

#[test]
fn a_transactional_producer_never_asks_its_dead_coordinator_where_the_coordinator_is_now() {
    // As a consumer does: FindCoordinator goes to a broker the producer may connect to (Kafka's
    // leastLoadedNode). A reconnect backoff of a minute keeps the dead coordinator out of reach once
    // a request to it has failed. Four brokers, and `orders` kept off the coordinator's broker, so
    // that only the coordinator dies: the records have their leaders, and transactions carry on under
    // the new coordinator. (Seed 12 kills the coordinator while an EndTxn waits for its write to
    // replicate: the reset connection fails it at once, as Kafka's NetworkClient does, so the
    // producer looks the coordinator up instead of waiting out request.timeout.ms.)
    let mut p = transactional("p", "orders", 5, Some(3), 200);
    p.config.insert("reconnect.backoff.ms".into(), ConfigValue::from(60_000i64));
    p.config.insert("reconnect.backoff.max.ms".into(), ConfigValue::from(60_000i64));
    let mut spec = spec(vec![p], vec![reader("committed", "orders", 3, "read_committed")]);
    spec.brokers = (1..=4).map(|id| spec::BrokerSpec { id, rack: None }).collect();
    let coordinator_of = |world: &World| {
        let number = crate::kafka::txn::coordinator::partition_for("p-tx", 50);
        let partition = world.view().partition_index("__transaction_state", number).unwrap();
        world.view().metadata().partition(partition).leader.unwrap()
    };
    let mut checked = 0;
    for seed in 1..=20 {
        let mut probe = World::new(&spec, seed).unwrap();
        probe.run_until(Tick(700));
        let coordinator = coordinator_of(&probe);
        let others: Vec<u32> = (1..=4).filter(|b| *b != coordinator.0).collect();
        let mut kept_off = spec.clone();
        kept_off.topics[0].assignment = Some((0..3).map(|i| (0..3).map(|r| others[(i + r) % 3]).collect()).collect());
        let mut world = World::new(&kept_off, seed).unwrap();
        world.run_until(Tick(700));
        if coordinator_of(&world) != coordinator {
            continue; // the hand-made assignment moved the coordinator; this seed proves nothing
        }
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        let lookups = super::tests::coordinator_lookups_until(&mut world, Node::Producer(0), Tick(15_000));
        assert!(!lookups.is_empty(), "seed {seed}: the producer looked its coordinator up again");
        assert!(lookups.iter().all(|(_, to)| *to != coordinator), "seed {seed}: asked the dead coordinator where the coordinator is: {lookups:?}");
        world.run_until(Tick(30_000));
        let txn = world.producers[0].txn.clone().unwrap();
        assert!(txn.committed + txn.aborted >= 30, "seed {seed}: transactions went on after the failover: {txn:?}");
        checked += 1;
    }
    assert!(checked >= 5, "enough seeds kept the coordinator where the probe found it: {checked}");
}

/// A source writing 200 numbered records, a processor (input → output) and a read_committed
/// reader of the output. `exactly_once`: the processor commits its positions inside its producer's
/// transactions; otherwise it auto-commits and its producer is plain.
fn pipeline(exactly_once: bool) -> ClusterSpec {
    let mut sink = ProducerSpec { name: "sink".into(), topic: "output".into(), ..ProducerSpec::default() };
    if exactly_once {
        sink.config.insert("transactional.id".into(), ConfigValue::from("sink-tx"));
    }
    let source = ProducerSpec {
        name: "source".into(),
        topic: "input".into(),
        workload: Some(Workload {
            rate_per_sec: 50,
            keys: KeyPattern::Cycle { prefix: "k".into(), count: 6 },
            values: ValuePattern::Numbered { prefix: "order-".into() },
            count: Some(200),
            ..Workload::default()
        }),
        ..ProducerSpec::default()
    };
    let processor = ConsumerSpec {
        name: "proc".into(),
        group: Some("pipeline".into()),
        topics: vec!["input".into()],
        config: [
            ("auto.offset.reset".to_string(), ConfigValue::from("earliest")),
            ("session.timeout.ms".to_string(), ConfigValue::from(6_000)),
            ("heartbeat.interval.ms".to_string(), ConfigValue::from(2_000)),
        ]
        .into(),
        processing_ms_per_record: 20,
        commit: if exactly_once { CommitMode::InTransaction } else { CommitMode::Auto },
        process: Some(spec::ProcessorSpec {
            output: "sink".into(),
            steps: vec![crate::kafka::stream::Step::MapValues { uppercase: false, prefix: "processed:".into() }],
        }),
        ..ConsumerSpec::default()
    };
    let topic = |name: &str| TopicSpec { name: name.into(), partitions: Some(3), replication_factor: Some(3), ..TopicSpec::default() };
    ClusterSpec {
        topics: vec![topic("input"), topic("output")],
        producers: vec![source, sink],
        consumers: vec![processor, reader("reader", "output", 3, "read_committed")],
        broker_config: [("group.initial.rebalance.delay.ms".to_string(), ConfigValue::from(0))].into(),
        ..ClusterSpec::default()
    }
}

/// Values the reader processed, with how many times each.
fn read_values(world: &World, events: &[Event]) -> SortedMap<String, u32> {
    let mut seen = SortedMap::new();
    for e in events {
        if let EventKind::Processed { consumer: 1, partition, first_offset, last_offset, .. } = e.kind {
            let log = world.view().leader_log(partition).unwrap();
            for offset in first_offset..=last_offset {
                let batch = log.batch_at(offset).unwrap();
                if let Value::Text(v) = &batch.records[(offset - batch.base_offset) as usize].value {
                    *seen.entry(v.to_string()).or_insert(0) += 1;
                }
            }
        }
    }
    seen
}

fn crash_midway(exactly_once: bool) -> (World, Vec<Event>) {
    let mut world = World::new(&pipeline(exactly_once), 21).unwrap();
    world.schedule(Tick(2_300), Action::CrashConsumer { consumer: "proc".into() });
    world.schedule(Tick(3_000), Action::RestartConsumer { consumer: "proc".into() });
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    (world, events)
}

#[test]
fn exactly_once_a_processor_that_crashes_mid_transaction_writes_each_result_once() {
    let (world, events) = crash_midway(true);
    let seen = read_values(&world, &events);
    assert_eq!(seen.len(), 200, "every input record has its result");
    assert!(seen.values().all(|n| *n == 1), "no result twice: {:?}", seen.iter().filter(|(_, n)| **n > 1).take(5).collect::<Vec<_>>());
    assert!(seen.keys().all(|v| v.starts_with("processed:order-")));
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::TransactionStateChanged { state: TxnState::CompleteAbort, .. })), "the crashed instance's open transaction was aborted");
}

#[test]
fn a_processor_whose_consumer_poll_throws_dies_whole() {
    // The processor's consumer refused by its coordinator (a session.timeout.ms of 5 s, below the
    // brokers' 6 s): the application dies, and its producer, the same process, with it.
    let mut spec = pipeline(true);
    spec.consumers[0].config.insert("session.timeout.ms".into(), ConfigValue::from(5_000));
    let mut world = World::new(&spec, 21).unwrap();
    world.run_until(Tick(10_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::ConsumerFailed { consumer: 0, .. })), "the processor's consumer failed");
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::ProducerCrashed { producer: 1, .. })), "its producer went down with it");
}

#[test]
fn a_processor_whose_producer_crashes_goes_down_with_it_and_restarts_with_it() {
    // The processor's consumer and producer are one application. Crashing the producer alone used
    // to leave the consumer waiting for ever for a transaction end that never came: the pipeline
    // stopped with the restarted producer idle.
    let mut world = World::new(&pipeline(true), 21).unwrap();
    world.schedule(Tick(2_300), Action::CrashProducer { producer: "sink".into() });
    world.schedule(Tick(3_000), Action::RestartProducer { producer: "sink".into() });
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| e.at == Tick(2_300) && matches!(e.kind, EventKind::ConsumerCrashed { consumer: 0 })), "the processor's consumer died with its producer");
    let seen = read_values(&world, &events);
    assert_eq!(seen.len(), 200, "every input record has its result after the restart");
    assert!(seen.values().all(|n| *n == 1), "no result twice: {:?}", seen.iter().filter(|(_, n)| **n > 1).take(5).collect::<Vec<_>>());
}

#[test]
fn at_least_once_the_same_crash_writes_some_results_twice() {
    let (world, events) = crash_midway(false);
    let seen = read_values(&world, &events);
    assert_eq!(seen.len(), 200, "nothing is lost");
    assert!(seen.values().any(|n| *n > 1), "results processed after the last commit are written again");
}

#[test]
fn a_small_topology_filters_maps_and_counts_per_key_into_another_topic() {
    let mut spec = pipeline(true);
    spec.producers[0].workload = Some(Workload {
        rate_per_sec: 20,
        keys: KeyPattern::List { keys: vec!["ann".into(), "bob".into()] },
        values: ValuePattern::List { values: vec!["click".into(), "view".into(), "click".into(), "click".into()] },
        count: Some(8),
        ..Workload::default()
    });
    spec.consumers[0].process.as_mut().unwrap().steps = vec![
        crate::kafka::stream::Step::Filter { value_contains: "click".into() },
        crate::kafka::stream::Step::CountByKey { window_ms: 60_000 },
    ];
    let mut world = World::new(&spec, 4).unwrap();
    world.run_until(Tick(20_000));
    let events = drain(&mut world);
    let seen = read_values(&world, &events);
    // Keys alternate ann, bob; values cycle click, view, click, click: ann clicks 4 times, bob
    // twice, so the counts emitted are ann 1..4 and bob 1..2.
    assert_eq!(seen.values().sum::<u32>(), 6, "six clicks pass the filter: {seen:?}");
    assert_eq!(seen.keys().max().map(String::as_str), Some("4"), "ann's fourth click in the window");
}

#[test]
fn a_commit_whose_end_txn_met_a_dead_coordinator_looks_the_coordinator_up_again_and_carries_on() {
    // The transaction coordinator's broker dies while an EndTxn (commit) is in flight. The answer
    // makes the coordinator unknown; the producer must find the new one and commit, not wait in
    // Committing for good.
    use crate::kafka::producer::transaction::{TxnCall, TxnPhase};
    for seed in 1..=6 {
        let mut spec = spec(vec![transactional("p", "orders", 5, None, 100_000)], vec![]);
        spec.brokers = (1..=4).map(|id| spec::BrokerSpec { id, rack: None }).collect();
        let mut world = World::new(&spec, seed).unwrap();
        let mut t = 2_000;
        world.run_until(Tick(t));
        let coordinator = loop {
            t += 1;
            world.run_until(Tick(t));
            let txn = world.producers[0].txn.clone().unwrap();
            if let Some((_, TxnCall::EndTxn { commit: true }, _)) = txn.in_flight {
                break txn.coordinator.unwrap();
            }
        };
        world.apply(Action::KillBroker { broker: coordinator.0, lose_page_cache: false }).unwrap();
        world.run_until(Tick(t + 5_000));
        world.apply(Action::RestartBroker { broker: coordinator.0 }).unwrap();
        world.run_until(Tick(60_000));
        let txn = world.producers[0].txn.clone().unwrap();
        assert!(!(txn.phase == TxnPhase::Committing && txn.coordinator.is_none() && txn.in_flight.is_none()), "seed {seed}: stuck: {txn:?}");
        assert!(txn.committed > 100, "seed {seed}: transactions carried on: {}", txn.committed);
    }
}

#[test]
fn a_producer_whose_coordinator_lost_its_transactional_id_aborts_with_a_new_producer_id_and_carries_on() {
    // Every broker loses its page cache, so __transaction_state is empty again and the coordinator
    // no longer knows the transactional id. Kafka answers AddPartitionsToTxn and EndTxn with
    // INVALID_PRODUCER_ID_MAPPING; the producer aborts by asking InitProducerId for a new id
    // (KIP-360) and carries on, instead of retrying for ever.
    for seed in 1..=6 {
        let spec = spec(vec![transactional("p", "orders", 5, None, 100_000)], vec![]);
        let mut world = World::new(&spec, seed).unwrap();
        world.run_until(Tick(5_000));
        for b in 1..=3 {
            world.apply(Action::KillBroker { broker: b, lose_page_cache: true }).unwrap();
        }
        for b in 1..=3 {
            world.apply(Action::RestartBroker { broker: b }).unwrap();
        }
        world.run_until(Tick(60_000));
        let before = world.producers[0].txn.clone().unwrap();
        world.run_until(Tick(120_000));
        let txn = world.producers[0].txn.clone().unwrap();
        assert!(txn.committed > before.committed + 50, "seed {seed}: transactions carried on between 60 s and 120 s: {} -> {}", before.committed, txn.committed);
    }
}

#[test]
fn a_processor_whose_producer_is_fenced_closes_its_tasks_rejoins_and_carries_on_exactly_once() {
    // The sink is cut off from every broker mid-transaction for longer than its
    // transaction.timeout.ms: the coordinator aborts the transaction and bumps the epoch, so the
    // sink's next request is fenced. Kafka Streams treats that as TaskMigratedException: it closes
    // its tasks, makes a new producer and rejoins the group, then goes on from the committed
    // offsets. The pipeline used to stop there for good, its consumer waiting on a dead transaction.
    let mut spec = pipeline(true);
    spec.producers[1].config.insert("transaction.timeout.ms".into(), ConfigValue::from(3_000));
    let brokers: Vec<NodeRef> = (1..=3).map(|b| NodeRef::Broker(b)).collect();
    let mut world = World::new(&spec, 21).unwrap();
    world.schedule(Tick(2_300), Action::CutNetwork { side_a: vec![NodeRef::Producer("sink".into())], side_b: brokers });
    world.schedule(Tick(20_000), Action::HealNetwork { cut: None });
    world.run_until(Tick(90_000));
    let events = drain(&mut world);
    let fenced_at = events.iter().find(|e| matches!(e.kind, EventKind::ProducerFenced { producer: 1, .. })).map(|e| e.at).expect("the timed-out transaction fenced the sink");
    assert!(events.iter().any(|e| e.at == fenced_at && matches!(e.kind, EventKind::ProducerStarted { producer: 1 })), "a new producer at once");
    assert!(events.iter().any(|e| e.at > fenced_at && matches!(e.kind, EventKind::MemberRemoved { consumer: 0, .. })), "the processor left its group to rejoin");
    let seen = read_values(&world, &events);
    assert_eq!(seen.len(), 200, "every input record has its result after the recovery");
    assert!(seen.values().all(|n| *n == 1), "no result twice: {:?}", seen.iter().filter(|(_, n)| **n > 1).take(5).collect::<Vec<_>>());
    // Through the fence and the new producer, every record sent is accounted for.
    let sink = &world.view().producers()[1];
    let s = &sink.stats;
    assert_eq!(s.records_sent, s.records_acked + s.records_failed + sink.records_queued(), "{s:?}");
}

#[test]
fn two_processors_cannot_share_a_transactional_id_or_they_would_fence_each_other_for_ever() {
    // Each fenced processor makes a new producer, which fences the other: Kafka Streams gives every
    // instance its own transactional id, so a scenario that shares one is refused by name.
    let mut spec = pipeline(true);
    let mut sink2 = spec.producers[1].clone();
    sink2.name = "sink2".into();
    let mut proc2 = spec.consumers[0].clone();
    proc2.name = "proc2".into();
    proc2.process.as_mut().unwrap().output = "sink2".into();
    spec.producers.push(sink2);
    spec.consumers.push(proc2);
    let error = World::new(&spec, 21).err().map(|e| format!("{e:?}")).unwrap_or_default();
    assert!(error.contains("consumers.proc2") && error.contains("processor 'proc' already writes with transactional.id 'sink-tx'"), "refused, naming both: {error}");
    // With an id of its own the second processor is welcome, but it may not take the first's later.
    spec.producers[2].config.insert("transactional.id".into(), ConfigValue::from("sink2-tx"));
    let mut world = World::new(&spec, 21).unwrap();
    let taken = world.apply(Action::SetProducerConfig { producer: "sink2".into(), key: "transactional.id".into(), value: ConfigValue::from("sink-tx") });
    let taken = taken.err().map(|e| e.0).unwrap_or_default();
    assert!(taken.contains("processor 'proc' already writes with transactional.id 'sink-tx'"), "{taken}");
}

#[test]
fn a_transactional_producer_fenced_by_its_coordinator_says_so_and_stops() {
    // Cut off past its transaction.timeout.ms, the producer's transaction is aborted and its epoch
    // bumped; its next call to the coordinator is answered PRODUCER_FENCED. The producer used to
    // stop without a word (the transaction manager had already noted the fence, so the producer
    // thought it had said so), holding its unsent records.
    let mut spec = spec(vec![transactional("p", "orders", 5, None, 100_000)], vec![]);
    spec.producers[0].config.insert("transaction.timeout.ms".into(), ConfigValue::from(3_000));
    let mut world = World::new(&spec, 21).unwrap();
    let brokers: Vec<NodeRef> = (1..=3).map(NodeRef::Broker).collect();
    world.schedule(Tick(2_000), Action::CutNetwork { side_a: vec![NodeRef::Producer("p".into())], side_b: brokers });
    world.schedule(Tick(20_000), Action::HealNetwork { cut: None });
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    let fenced: Vec<&Event> = events.iter().filter(|e| matches!(e.kind, EventKind::ProducerFenced { producer: 0, .. })).collect();
    assert_eq!(fenced.len(), 1, "said once");
    assert!(!events.iter().any(|e| e.at > fenced[0].at && matches!(e.kind, EventKind::ProduceAcked { producer: 0, .. })), "nothing written after the fence");
    assert_eq!(world.producers[0].records_queued(), 0, "what it held failed");
}
