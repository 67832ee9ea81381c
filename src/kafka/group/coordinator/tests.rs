//! The group coordinator on its own: requests in, replies and records out.

use super::*;

const OFFSETS: PartitionIndex = PartitionIndex(7);

fn coordinator() -> GroupCoordinator {
    let mut c = GroupCoordinator::new(BrokerId(1), 3_000, Rng::new(1));
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
