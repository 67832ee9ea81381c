//! The controller quorum, in the words of the `kraft-metadata` lesson.

use super::*;

fn cluster(controllers: u32) -> ClusterSpec {
    ClusterSpec {
        controllers,
        topics: vec![TopicSpec { name: "orders".into(), partitions: Some(3), replication_factor: Some(3), ..TopicSpec::default() }],
        ..ClusterSpec::default()
    }
}

fn drain(world: &mut World) -> Vec<Event> {
    std::iter::from_fn(|| world.poll_event()).collect()
}

fn elected(events: &[Event]) -> Vec<(u32, u32)> {
    events.iter().filter_map(|e| match e.kind { EventKind::ControllerElected { controller, epoch } => Some((controller, epoch)), _ => None }).collect()
}

#[test]
fn when_the_active_controller_dies_another_is_elected_and_partition_elections_go_on() {
    let mut world = World::new(&cluster(3), 1).unwrap();
    world.run_until(Tick(1_000));
    world.apply(Action::KillController { controller: 0 }).unwrap();
    world.run_until(Tick(6_000));
    let events = drain(&mut world);
    let winners = elected(&events);
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_ne!(winners[0].0, 0);
    assert!(winners[0].1 >= 2, "a new epoch");
    // The new active controller still fences a dead broker and moves its partitions' leadership.
    let leader_of_0 = world.metadata().partition(PartitionIndex(0)).leader.unwrap();
    world.apply(Action::KillBroker { broker: leader_of_0.0, lose_page_cache: false }).unwrap();
    world.run_until(Tick(20_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::BrokerFenced { broker, .. } if broker == leader_of_0)));
    let new_leader = world.metadata().partition(PartitionIndex(0)).leader;
    assert!(new_leader.is_some() && new_leader != Some(leader_of_0));
}

#[test]
fn an_isolated_leader_steps_down_and_one_leader_per_epoch_holds_after_healing() {
    let mut world = World::new(&cluster(3), 2).unwrap();
    world.run_until(Tick(500));
    world
        .apply(Action::CutNetwork {
            side_a: vec![NodeRef::Controller(0)],
            side_b: vec![NodeRef::Controller(1), NodeRef::Controller(2), NodeRef::Broker(1), NodeRef::Broker(2), NodeRef::Broker(3)],
        })
        .unwrap();
    world.run_until(Tick(8_000));
    let events = drain(&mut world);
    assert!(events.iter().any(|e| matches!(e.kind, EventKind::ControllerResigned { controller: 0, .. })), "controller 0 lost its majority");
    let winners = elected(&events);
    assert!(!winners.is_empty() && winners.iter().all(|(c, _)| *c != 0), "{winners:?}");
    world.apply(Action::HealNetwork { cut: None }).unwrap();
    world.run_until(Tick(15_000));
    let mut all = events;
    all.extend(drain(&mut world));
    let mut by_epoch: SortedMap<u32, SortedSet<u32>> = SortedMap::new();
    for (c, e) in elected(&all) {
        by_epoch.entry(e).or_default().insert(c);
    }
    assert!(by_epoch.values().all(|c| c.len() == 1), "one leader per epoch: {by_epoch:?}");
    assert!(world.controllers.iter().filter(|c| c.is_leader()).count() == 1);
}

#[test]
fn without_a_majority_there_is_no_active_controller_and_admin_requests_are_refused() {
    let mut world = World::new(&cluster(3), 3).unwrap();
    world.apply(Action::KillController { controller: 0 }).unwrap();
    world.apply(Action::KillController { controller: 1 }).unwrap();
    world.run_until(Tick(10_000));
    let topic = TopicSpec { name: "late".into(), partitions: Some(1), replication_factor: Some(1), ..TopicSpec::default() };
    let refused = world.apply(Action::CreateTopic { spec: topic.clone() }).unwrap_err();
    assert!(refused.0.contains("no active controller"), "{refused}");
    world.apply(Action::RestartController { controller: 1 }).unwrap();
    world.run_until(Tick(20_000));
    world.apply(Action::CreateTopic { spec: topic }).unwrap();
}

#[test]
fn a_controller_left_alone_asks_for_pre_votes_and_never_raises_the_epoch() {
    // Kafka 4.0's pre-vote (KIP-996): without a majority saying they would vote, no election starts.
    // Before it, a lone controller started election after election, each in a new epoch.
    let mut world = World::new(&cluster(3), 3).unwrap();
    world.apply(Action::KillController { controller: 0 }).unwrap();
    world.apply(Action::KillController { controller: 1 }).unwrap();
    world.run_until(Tick(30_000));
    let events = drain(&mut world);
    assert!(!events.iter().any(|e| matches!(e.kind, EventKind::ControllerElectionStarted { .. })), "no election without pre-votes");
    assert_eq!(world.controllers[2].epoch, 1, "the epoch stays where it was");
    // A second voter back: a pre-vote majority, then an election, in the next epoch only.
    world.apply(Action::RestartController { controller: 1 }).unwrap();
    world.run_until(Tick(40_000));
    let events = drain(&mut world);
    let winners = elected(&events);
    assert_eq!(winners.len(), 1, "{winners:?}");
    assert_eq!(winners[0].1, 2, "one new epoch, not one per attempt");
}

#[test]
fn a_single_controller_restarts_and_leads_again() {
    let mut world = World::new(&cluster(1), 4).unwrap();
    world.apply(Action::KillController { controller: 0 }).unwrap();
    world.run_until(Tick(1_000));
    world.apply(Action::RestartController { controller: 0 }).unwrap();
    world.run_until(Tick(6_000));
    let events = drain(&mut world);
    assert_eq!(elected(&events), vec![(0, 2)]);
    assert_eq!(world.metadata().topics.len(), 1, "the committed log came back from disk");
}
