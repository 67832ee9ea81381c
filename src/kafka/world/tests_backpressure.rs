//! A producer faster than its cluster, in the words of the lesson: `send()` blocks the application
//! while buffer.memory is full, and throws after max.block.ms, instead of queueing without end.

use super::*;
use crate::kafka::config::ConfigValue;
use crate::kafka::world::spec::Workload;

fn drain(world: &mut World) -> Vec<Event> {
    std::iter::from_fn(|| world.poll_event()).collect()
}

/// One producer at `rate` records a second (100-byte values, no keys) to a three-partition topic,
/// with these producer configs.
fn cluster(rate: u32, configs: &[(&str, i64)]) -> ClusterSpec {
    ClusterSpec {
        topics: vec![TopicSpec { name: "orders".into(), partitions: Some(3), replication_factor: Some(1), ..TopicSpec::default() }],
        producers: vec![ProducerSpec {
            name: "p".into(),
            topic: "orders".into(),
            config: configs.iter().map(|(k, v)| (k.to_string(), ConfigValue::from(*v))).collect(),
            workload: Some(Workload { rate_per_sec: rate, ..Workload::default() }),
            ..ProducerSpec::default()
        }],
        ..ClusterSpec::default()
    }
}

fn timeouts(events: &[Event]) -> Vec<(u64, u64, bool)> {
    events
        .iter()
        .filter_map(|e| match e.kind { EventKind::SendTimedOut { records, buffer_full, .. } => Some((e.at.ms(), records, buffer_full)), _ => None })
        .collect()
}

/// Cuts the producer off from every broker.
fn isolate_producer() -> Action {
    Action::CutNetwork { side_a: vec![NodeRef::Producer("p".into())], side_b: vec![NodeRef::Broker(1), NodeRef::Broker(2), NodeRef::Broker(3)] }
}

#[test]
fn a_producer_faster_than_its_buffer_blocks_the_application_instead_of_queueing_without_end() {
    // A million records a second, for a minute, into a network that carries about two thousand:
    // the application used to keep every record it could not hand over, and the run ran out of
    // memory. Now send() blocks while buffer.memory is full, so the producer holds at most what
    // buffer.memory has room for.
    let buffer_memory = 100_000u64;
    let mut spec = cluster(RATE_PER_SEC_MAX, &[("buffer.memory", buffer_memory as i64)]);
    spec.network.bandwidth_bytes_per_ms = 200;
    let mut world = World::new(&spec, 3).unwrap();
    // Every record takes at least its 100 value bytes of buffer.memory; one more may go past the
    // line, and one more may wait in send().
    let bound = buffer_memory / 100 + 2;
    let mut most = 0;
    for t in (100..=60_000).step_by(100) {
        world.run_until(Tick(t));
        drain(&mut world);
        most = most.max(world.producers[0].records_queued());
    }
    assert!(most <= bound, "the producer held {most} records, more than buffer.memory has room for ({bound})");
    assert!(most >= bound / 2, "the buffer did fill ({most} records held)");
    let p = &world.producers[0];
    let made = p.workload.as_ref().unwrap().generated;
    assert!(p.stats.records_acked > 50_000, "the cluster kept taking records: {:?}", p.stats);
    assert!(made < p.stats.records_acked + bound, "the application made only what the producer took: {made} made, {:?}", p.stats);
    assert_eq!(p.stats.records_failed, 0, "no send() waited as long as max.block.ms (60 s)");
    // Quick to simulate: the work follows what the cluster takes, not the million a second asked for.
    assert!(world.event_count() < 50_000, "{} events", world.event_count());
}

#[test]
fn a_send_blocked_for_max_block_ms_throws_and_its_record_never_reaches_the_producer() {
    // The producer is cut off once its buffer has begun to fill: its batches wait (delivery.timeout.ms
    // is two minutes), buffer.memory fills, and the application's send() blocks. After max.block.ms it
    // throws a TimeoutException; the next send() blocks again, for max.block.ms again.
    let mut world = World::new(&cluster(1_000, &[("buffer.memory", 20_000), ("max.block.ms", 5_000)]), 1).unwrap();
    world.run_until(Tick(1_000));
    world.apply(isolate_producer()).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    let thrown = timeouts(&events);
    assert!(thrown.len() >= 3, "{thrown:?}");
    assert!(thrown.iter().all(|(_, records, buffer_full)| *records == 1 && *buffer_full), "one record at a time, for want of buffer memory: {thrown:?}");
    assert!(thrown.windows(2).all(|w| w[1].0 - w[0].0 >= 5_000), "each send() waits max.block.ms of its own: {thrown:?}");
    assert_eq!(world.producers[0].stats.records_failed, thrown.len() as u64);
    assert!(world.producers[0].records_queued() <= 20_000 / 100 + 2);
}

#[test]
fn a_send_waiting_for_metadata_that_never_comes_throws_after_max_block_ms() {
    // Cut off from the start, the producer never learns where its topic's partitions are: the first
    // send() waits for metadata (Kafka's waitOnMetadata) and throws after max.block.ms.
    let mut world = World::new(&cluster(1_000, &[("max.block.ms", 2_000)]), 1).unwrap();
    world.apply(isolate_producer()).unwrap();
    world.run_until(Tick(5_000));
    let thrown = timeouts(&drain(&mut world));
    assert_eq!(thrown, vec![(2_000, 1, false), (4_000, 1, false)], "the first record's send() threw at 2 s, the second's at 4 s");
    assert!(world.producers[0].records_queued() <= 1, "the application waits in send(): it queued nothing more");
}

#[test]
fn with_max_block_ms_0_every_send_that_would_block_throws_at_once() {
    let mut world = World::new(&cluster(1_000, &[("buffer.memory", 20_000), ("max.block.ms", 0)]), 1).unwrap();
    world.run_until(Tick(1_000));
    world.apply(isolate_producer()).unwrap();
    world.run_until(Tick(10_000));
    let thrown = timeouts(&drain(&mut world));
    let lost: u64 = thrown.iter().map(|(_, records, _)| records).sum();
    // About 9,000 records fell due while the buffer was full; all but the ~200 that filled it failed.
    assert!((8_000..=9_000).contains(&lost), "{lost} records failed: {thrown:?}");
    let p = &world.producers[0];
    assert_eq!(p.stats.records_failed, lost);
    assert!(p.workload.as_ref().unwrap().generated >= 9_900, "the application did not fall behind: nothing blocked it");
}

#[test]
fn a_slow_application_blocked_in_send_still_throws_on_time() {
    // One record a second: the application wakes for its next record only once a second, but a
    // send() that blocks throws when max.block.ms is up, not at the next record's moment.
    let mut world = World::new(&cluster(1, &[("max.block.ms", 400)]), 1).unwrap();
    world.apply(isolate_producer()).unwrap();
    world.run_until(Tick(4_000));
    let thrown: Vec<u64> = timeouts(&drain(&mut world)).iter().map(|(at, _, _)| *at).collect();
    assert_eq!(thrown, vec![400, 1_400, 2_400, 3_400], "each second's record waits 400 ms for metadata, then its send() throws");
}
