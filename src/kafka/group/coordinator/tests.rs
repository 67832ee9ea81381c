//! The group coordinator on its own: requests in, replies and records out.

use super::*;

const OFFSETS: PartitionIndex = PartitionIndex(7);

fn coordinator() -> GroupCoordinator {
    let mut c = GroupCoordinator::new(BrokerId(1), 3_000, 6_000..=1_800_000, Rng::new(1));
    c.load(Tick(0), OFFSETS, Vec::new());
    c
}

fn join(member_id: Option<Rc<str>>) -> GroupRequest {
    let subscription = Subscription { topics: vec![Rc::from("orders")], owned: Vec::new(), generation: None };
    GroupRequest::JoinGroup {
        member_id,
        instance_id: None,
        session_timeout_ms: 45_000,
        rebalance_timeout_ms: 300_000,
        protocols: vec![(Rc::from("range"), subscription)],
    }
}

fn replies(effects: &[Effect]) -> Vec<(Node, u64, &GroupResponse)> {
    effects.iter().filter_map(|e| match e {
        Effect::Reply { to, request_id, response, .. } => Some((*to, *request_id, response)),
        _ => None,
    }).collect()
}

/// A consumer's JoinGroup, parked while the group waits out group.initial.rebalance.delay.ms.
fn parked_join(c: &mut GroupCoordinator) {
    let group: Rc<str> = Rc::from("shipping");
    let first = c.handle(Tick(10), Node::Consumer(0), 1, group.clone(), OFFSETS, "consumer-0", join(None));
    let member_id = match replies(&first).as_slice() {
        [(_, 1, GroupResponse::JoinGroup(Err((KafkaError::MemberIdRequired, Some(id)))))] => id.clone(),
        other => panic!("a new member is first asked to rejoin with its id (KIP-394), got {other:?}"),
    };
    let second = c.handle(Tick(20), Node::Consumer(0), 2, group, OFFSETS, "consumer-0", join(Some(member_id)));
    assert!(replies(&second).is_empty(), "the join waits for the rebalance delay");
    assert_eq!(c.parked_requests(), vec![(0, 2)]);
}

#[test]
fn a_coordinator_that_loses_its_offsets_partition_answers_its_parked_joins_not_coordinator() {
    // Kafka's onGroupUnloaded: the waiting member hears NOT_COORDINATOR and looks for the new
    // coordinator at once, instead of waiting out its request timeout.
    let mut c = coordinator();
    parked_join(&mut c);
    let fx = c.unload(OFFSETS);
    assert_eq!(replies(&fx), vec![(Node::Consumer(0), 2, &GroupResponse::JoinGroup(Err((KafkaError::NotCoordinator, None))))]);
    assert!(c.groups.is_empty() && c.led.is_empty(), "the group now lives on the new coordinator");
    let late = c.handle(Tick(30), Node::Consumer(0), 3, Rc::from("shipping"), OFFSETS, "consumer-0", GroupRequest::FindCoordinator);
    assert_eq!(replies(&late), vec![(Node::Consumer(0), 3, &GroupResponse::FindCoordinator(Err(KafkaError::CoordinatorNotAvailable)))]);
}

#[test]
fn a_coordinator_that_keeps_its_partition_completes_the_join_after_the_rebalance_delay() {
    let mut c = coordinator();
    parked_join(&mut c);
    // The broker arms a timer for each deadline the coordinator names.
    let mut fx = Vec::new();
    let mut at = Tick(0);
    for _ in 0..5 {
        if !fx.is_empty() {
            break;
        }
        at = c.next_deadline().expect("a parked join has a deadline");
        fx = c.expire(at);
    }
    assert!(
        matches!(replies(&fx).as_slice(), [(Node::Consumer(0), 2, GroupResponse::JoinGroup(Ok(result)))] if result.generation == 1),
        "the lone member leads generation 1: {fx:?}"
    );
    // The first JoinGroup only fetched a member id (KIP-394); the rebalance began with the second.
    assert_eq!(at, Tick(3_020), "the join phase waited group.initial.rebalance.delay.ms from the real join");
}

fn join_with_timeouts(member_id: Option<Rc<str>>, session_timeout_ms: u64, rebalance_timeout_ms: u64) -> GroupRequest {
    let GroupRequest::JoinGroup { instance_id, protocols, .. } = join(None) else { unreachable!("join builds a JoinGroup") };
    GroupRequest::JoinGroup { member_id, instance_id, session_timeout_ms, rebalance_timeout_ms, protocols }
}

#[test]
fn a_join_is_refused_outside_group_min_and_max_session_timeout_inclusive() {
    // The bounds themselves are allowed (Kafka refuses only below the minimum or above the maximum);
    // an allowed first join is answered MEMBER_ID_REQUIRED (KIP-394), which is not the refusal.
    let group: Rc<str> = Rc::from("shipping");
    for (session_timeout_ms, refused) in [(5_999, true), (6_000, false), (1_800_000, false), (1_800_001, true)] {
        let mut c = coordinator();
        let fx = c.handle(Tick(10), Node::Consumer(0), 1, group.clone(), OFFSETS, "consumer-0", join_with_timeouts(None, session_timeout_ms, 10_000));
        let error = match replies(&fx).as_slice() {
            [(_, 1, GroupResponse::JoinGroup(Err((error, _))))] => *error,
            other => panic!("one answer: {other:?}"),
        };
        assert_eq!(error == KafkaError::InvalidSessionTimeout, refused, "session.timeout.ms = {session_timeout_ms}: {error:?}");
        assert_eq!(c.groups.contains_key(&group), !refused, "a refused join creates no group");
    }
}

/// `n` consumers join group "shipping" (session 45 s, rebalance timeout 10 s) and the join phase
/// completes: their member ids (consumer i's at i), the leader's consumer, and when it completed.
fn formed_group(c: &mut GroupCoordinator, n: u32) -> (Vec<Rc<str>>, u32, Tick) {
    let group: Rc<str> = Rc::from("shipping");
    let mut ids = Vec::new();
    for i in 0..n {
        let client = format!("consumer-{i}");
        let first = c.handle(Tick(10), Node::Consumer(i), 100 + u64::from(i), group.clone(), OFFSETS, &client, join_with_timeouts(None, 45_000, 10_000));
        let [(_, _, GroupResponse::JoinGroup(Err((KafkaError::MemberIdRequired, Some(id)))))] = replies(&first).as_slice() else { panic!("KIP-394 first: {first:?}") };
        ids.push(id.clone());
        c.handle(Tick(20), Node::Consumer(i), 200 + u64::from(i), group.clone(), OFFSETS, &client, join_with_timeouts(Some(id.clone()), 45_000, 10_000));
    }
    for _ in 0..5 {
        let at = c.next_deadline().expect("the join phase has a deadline");
        let fx = c.expire(at);
        let answers = replies(&fx);
        if !answers.is_empty() {
            assert_eq!(answers.len(), n as usize, "every member is answered: {fx:?}");
            let GroupResponse::JoinGroup(Ok(result)) = answers[0].2 else { panic!("{fx:?}") };
            let leader = ids.iter().position(|id| *id == result.leader).expect("the leader is a member") as u32;
            return (ids, leader, at);
        }
    }
    panic!("the join phase never completed");
}

fn removed(effects: &[Effect]) -> Vec<u32> {
    effects.iter().filter_map(|e| match e { Effect::Event(EventKind::MemberRemoved { consumer, .. }) => Some(*consumer), _ => None }).collect()
}

fn rebalances_started(effects: &[Effect]) -> usize {
    effects.iter().filter(|e| matches!(e, Effect::Event(EventKind::RebalanceStarted { .. }))).count()
}

fn sync(generation: i32, member_id: &Rc<str>, assignments: Vec<(Rc<str>, Vec<TopicPartition>)>) -> GroupRequest {
    GroupRequest::SyncGroup { generation, member_id: member_id.clone(), assignments }
}

#[test]
fn a_leader_that_rejoins_unchanged_while_the_group_awaits_its_assignment_gets_the_same_generation_back() {
    // The leader may have missed its JoinGroup answer. Kafka answers it again with the current
    // generation and everyone's subscriptions, instead of starting the rebalance over.
    let mut c = coordinator();
    let (ids, leader, at) = formed_group(&mut c, 2);
    let fx = c.handle(at.plus_ms(5), Node::Consumer(leader), 300, Rc::from("shipping"), OFFSETS, "consumer-0", join_with_timeouts(Some(ids[leader as usize].clone()), 45_000, 10_000));
    match replies(&fx).as_slice() {
        [(_, 300, GroupResponse::JoinGroup(Ok(result)))] => {
            assert_eq!(result.generation, 1, "the same generation");
            assert_eq!(result.members.len(), 2, "the leader gets both subscriptions again, to assign them");
        }
        other => panic!("answered at once, got {other:?}"),
    }
    assert_eq!(rebalances_started(&fx), 0, "no new rebalance");
    assert_eq!(c.groups["shipping"].state, GroupState::CompletingRebalance);
}

#[test]
fn members_that_never_send_sync_group_are_removed_together_when_the_rebalance_timeout_passes() {
    // Kafka's expirePendingSync: the leader crashed before sending the assignment, and so did a
    // follower. Both go at once and the group starts over one time; the follower that did sync is
    // told to rejoin.
    let mut c = coordinator();
    let (ids, leader, at) = formed_group(&mut c, 3);
    let waiting = (0..3).find(|i| *i != leader).expect("three members, one leader");
    let fx = c.handle(at.plus_ms(5), Node::Consumer(waiting), 300, Rc::from("shipping"), OFFSETS, "consumer", sync(1, &ids[waiting as usize], Vec::new()));
    assert!(replies(&fx).is_empty(), "a follower's SyncGroup waits for the leader's assignment");
    assert_eq!(c.next_deadline(), Some(at.plus_ms(10_000)), "the sync phase lasts the rebalance timeout");
    let fx = c.expire(at.plus_ms(10_000));
    let mut gone = removed(&fx);
    gone.sort_unstable();
    let mut unsynced: Vec<u32> = (0..3).filter(|i| *i != waiting).collect();
    unsynced.sort_unstable();
    assert_eq!(gone, unsynced, "both members that never synced are removed: {fx:?}");
    assert_eq!(rebalances_started(&fx), 1, "one rebalance for both");
    assert_eq!(replies(&fx), vec![(Node::Consumer(waiting), 300, &GroupResponse::SyncGroup(Err(KafkaError::RebalanceInProgress)))]);
}

#[test]
fn a_follower_that_never_syncs_is_removed_after_the_rebalance_timeout_even_once_the_group_is_stable() {
    // The leader's assignment made the group stable, but one follower never asked for its share:
    // its partitions would be read by nobody. Kafka removes it when the rebalance timeout passes,
    // without waiting for its session to expire.
    let mut c = coordinator();
    let (ids, leader, at) = formed_group(&mut c, 2);
    let follower = 1 - leader;
    let assignments = vec![(ids[0].clone(), vec![TopicPartition::new("orders", 0)]), (ids[1].clone(), vec![TopicPartition::new("orders", 1)])];
    let fx = c.handle(at.plus_ms(5), Node::Consumer(leader), 300, Rc::from("shipping"), OFFSETS, "consumer", sync(1, &ids[leader as usize], assignments));
    assert_eq!(replies(&fx).len(), 1, "the leader gets its assignment");
    assert_eq!(c.groups["shipping"].state, GroupState::Stable);
    let fx = c.expire(at.plus_ms(10_000));
    assert_eq!(removed(&fx), vec![follower], "removed at the rebalance timeout (session.timeout.ms is 45 s): {fx:?}");
    assert_eq!(rebalances_started(&fx), 1);
}

#[test]
fn a_group_whose_members_all_synced_has_no_sync_deadline_left() {
    let mut c = coordinator();
    let (ids, leader, at) = formed_group(&mut c, 2);
    let follower = 1 - leader;
    c.handle(at.plus_ms(5), Node::Consumer(follower), 300, Rc::from("shipping"), OFFSETS, "consumer", sync(1, &ids[follower as usize], Vec::new()));
    c.handle(at.plus_ms(6), Node::Consumer(leader), 301, Rc::from("shipping"), OFFSETS, "consumer", sync(1, &ids[leader as usize], Vec::new()));
    assert_eq!(c.next_deadline(), Some(at.plus_ms(5 + 45_000)), "only the members' sessions are left to watch (from the first SyncGroup on)");
    assert!(removed(&c.expire(at.plus_ms(10_000))).is_empty());
}
