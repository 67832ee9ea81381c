//! Kafka's sticky assignor tests (`AbstractStickyAssignorTest`, `StickyAssignorTest`), ported.
//! Where Kafka asserts exact lists, so do these; where it asserts properties (validity, balance,
//! stickiness), these assert the same properties.

use crate::sim::sorted::{SortedMap, SortedSet};

use super::*;
use crate::kafka::group::assignor::MemberSubscription as Member;
use crate::kafka::group::assignor::test_support::{all_of, input, parse, sorted_string, tps};
use crate::sim::rng::Rng;

const GENERATION: Option<i32> = Some(1);

fn eager(input: &AssignmentInput) -> StickyOutcome {
    run(input, StickyFlavor::Eager).expect("the sticky assignor accepts this input")
}

fn set(list: &[TopicPartition]) -> SortedSet<TopicPartition> {
    list.iter().cloned().collect()
}

fn owning(member: &str, topics: &[&str], owned: &[TopicPartition], generation: Option<i32>) -> Member {
    Member { owned_partitions: owned.to_vec(), generation, ..Member::new(member, topics) }
}

/// The next rebalance as Kafka's tests build it: every member reports its last assignment in
/// `generation`.
fn rejoin(input: &AssignmentInput, assignment: &Assignment, generation: Option<i32>) -> AssignmentInput {
    let mut next = input.clone();
    for member in &mut next.members {
        member.owned_partitions = assignment.get(&member.member_id).cloned().unwrap_or_default();
        member.generation = generation;
    }
    next
}

fn is_fully_balanced(assignment: &Assignment) -> bool {
    let loads: Vec<usize> = assignment.values().map(Vec::len).collect();
    match (loads.iter().min(), loads.iter().max()) {
        (Some(min), Some(max)) => max - min <= 1,
        _ => true,
    }
}

/// Kafka's `verifyValidityAndBalance`: every member appears and only holds partitions of topics it
/// subscribes to, no partition is held twice, and two members whose loads differ by two or more
/// share no topic (otherwise a partition could have moved).
fn verify_validity_and_balance(input: &AssignmentInput, assignment: &Assignment) {
    assert_eq!(assignment.len(), input.members.len(), "every member is in the assignment");
    let mut seen = SortedSet::new();
    for member in &input.members {
        for partition in &assignment[&member.member_id] {
            assert!(
                member.topics.contains(&partition.topic),
                "{partition} given to {} which does not subscribe",
                member.member_id
            );
            assert!(seen.insert(partition.clone()), "{partition} is assigned twice");
        }
    }
    let topics_of = |m: &str| assignment[m].iter().map(|p| p.topic.clone()).collect::<SortedSet<_>>();
    for (a, list_a) in assignment {
        for (b, list_b) in assignment {
            if a < b && list_a.len().abs_diff(list_b.len()) > 1 {
                assert!(
                    topics_of(a).is_disjoint(&topics_of(b)),
                    "{a} and {b} are unbalanced over a shared topic: {assignment:?}"
                );
            }
        }
    }
}

/// Kafka's `CooperativeStickyAssignorTest.verifyValidityAndBalance`: no round hands out a partition
/// that another member is revoking in the same round, and the converged result is valid and
/// balanced.
fn verify_cooperative(input: &AssignmentInput) -> Assignment {
    let rebalances =
        crate::kafka::group::assignor::cooperative_sticky::assign_until_converged(input).expect("converges");
    let mut round_input = input.clone();
    let mut round = rebalances.first_round.assignment.clone();
    loop {
        let mut added = SortedSet::new();
        let mut revoked = SortedSet::new();
        for member in &round_input.members {
            let assigned = &round[&member.member_id];
            added.extend(assigned.iter().filter(|p| !member.owned_partitions.contains(p)).cloned());
            revoked.extend(member.owned_partitions.iter().filter(|p| !assigned.contains(p)).cloned());
        }
        assert!(
            added.is_disjoint(&revoked),
            "partitions handed over while still being revoked: {:?}",
            added.intersection(&revoked).collect::<Vec<_>>()
        );
        if revoked.is_empty() {
            break;
        }
        round_input = rejoin(&round_input, &round, GENERATION);
        round = crate::kafka::group::assignor::cooperative_sticky::assign(&round_input).unwrap().assignment;
    }
    verify_validity_and_balance(input, &rebalances.converged);
    rebalances.converged
}

/// Runs eager sticky, checks it like Kafka does, and returns it.
fn checked_eager(input: &AssignmentInput) -> StickyOutcome {
    let outcome = eager(input);
    verify_validity_and_balance(input, &outcome.assignment);
    outcome
}

fn topic_name(i: usize, max: usize) -> String {
    format!("t{i:0width$}", width = max.to_string().len())
}

fn consumer_name(i: usize, max: usize) -> String {
    format!("c{i:0width$}", width = max.to_string().len())
}

// ---- Single consumer ------------------------------------------------------------------------

#[test]
fn one_consumer_with_no_subscription_gets_nothing() {
    // AbstractStickyAssignorTest#testOneConsumerNoTopic
    let outcome = checked_eager(&input(&[], vec![Member::new("consumer", &[])]));
    assert_eq!(outcome.assignment["consumer"], vec![]);
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn one_consumer_of_a_missing_topic_gets_nothing() {
    // AbstractStickyAssignorTest#testOneConsumerNonexistentTopic
    let outcome = checked_eager(&input(&[], vec![Member::new("consumer", &["topic"])]));
    assert_eq!(outcome.assignment["consumer"], vec![]);
}

#[test]
fn one_consumer_takes_the_whole_topic_in_order() {
    // AbstractStickyAssignorTest#testOneConsumerOneTopic
    let outcome = checked_eager(&input(&[("topic", 3)], vec![Member::new("consumer", &["topic"])]));
    assert_eq!(outcome.assignment["consumer"], tps(&[("topic", 0), ("topic", 1), ("topic", 2)]));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn owned_partitions_of_unsubscribed_topics_are_dropped() {
    // AbstractStickyAssignorTest#testOnlyAssignsPartitionsFromSubscribedTopics
    for flavor in [StickyFlavor::Eager, StickyFlavor::Cooperative] {
        let owned = tps(&[("topic", 0), ("topic", 1), ("other", 0), ("other", 1)]);
        let outcome =
            run(&input(&[("topic", 2)], vec![owning("consumer", &["topic"], &owned, GENERATION)]), flavor).unwrap();
        assert_eq!(outcome.assignment["consumer"], tps(&[("topic", 0), ("topic", 1)]));
        assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
    }
}

#[test]
fn one_consumer_takes_all_topics_sorted() {
    // AbstractStickyAssignorTest#testOneConsumerMultipleTopics
    let outcome =
        checked_eager(&input(&[("topic1", 1), ("topic2", 2)], vec![Member::new("consumer", &["topic1", "topic2"])]));
    assert_eq!(outcome.assignment["consumer"], tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
}

// ---- Fresh groups ---------------------------------------------------------------------------

#[test]
fn two_consumers_one_partition_one_of_them_gets_it() {
    // AbstractStickyAssignorTest#testTwoConsumersOneTopicOnePartition
    let outcome = checked_eager(&input(
        &[("topic", 1)],
        vec![Member::new("consumer1", &["topic"]), Member::new("consumer2", &["topic"])],
    ));
    assert!(is_fully_balanced(&outcome.assignment));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn two_consumers_two_partitions_one_each() {
    // AbstractStickyAssignorTest#testTwoConsumersOneTopicTwoPartitions
    let outcome = checked_eager(&input(
        &[("topic", 2)],
        vec![Member::new("consumer1", &["topic"]), Member::new("consumer2", &["topic"])],
    ));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic", 0)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic", 1)]));
}

#[test]
fn different_subscriptions_give_the_sole_subscriber_its_topic_first() {
    // AbstractStickyAssignorTest#testMultipleConsumersMixedTopicSubscriptions (general path): topic2
    // has one potential consumer so it is handed out first; topic1 then goes to the least loaded.
    let members = vec![
        Member::new("consumer1", &["topic1"]),
        Member::new("consumer2", &["topic1", "topic2"]),
        Member::new("consumer3", &["topic1"]),
    ];
    for flavor in [StickyFlavor::Eager, StickyFlavor::Cooperative] {
        let outcome = run(&input(&[("topic1", 3), ("topic2", 2)], members.clone()), flavor).unwrap();
        assert_eq!(outcome.path, BuilderPath::General);
        assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0), ("topic1", 2)]));
        assert_eq!(outcome.assignment["consumer2"], tps(&[("topic2", 0), ("topic2", 1)]));
        assert_eq!(outcome.assignment["consumer3"], tps(&[("topic1", 1)]));
        assert_eq!(outcome.partitions_transferring_ownership, None);
    }
}

#[test]
fn a_fresh_equal_group_is_dealt_round_robin() {
    // AbstractStickyAssignorTest#testTwoConsumersTwoTopicsSixPartitions
    let all = ["topic1", "topic2"];
    let outcome = checked_eager(&input(
        &[("topic1", 3), ("topic2", 3)],
        vec![Member::new("consumer1", &all), Member::new("consumer2", &all)],
    ));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));
}

// ---- Quotas with owned partitions (constrained path) ----------------------------------------

#[test]
fn a_member_at_min_quota_takes_the_extra_partition() {
    // AbstractStickyAssignorTest#testConsumerOwningMinQuotaExpectedMaxQuota
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0), ("topic2", 1)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1), ("topic2", 2)]), GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic1", 2), ("topic2", 3)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0), ("topic2", 1), ("topic2", 0)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn when_two_members_own_max_quota_the_hash_order_decides_who_keeps_it() {
    // AbstractStickyAssignorTest#testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers: only
    // one member may keep 2; consumer2 is met first in Java hash order, so consumer1 gives up
    // topic2-0, which transfers to consumer3.
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0), ("topic2", 0)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1), ("topic2", 1)]), GENERATION),
        owning("consumer3", &all, &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic1", 2), ("topic2", 2)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic1", 1), ("topic2", 1)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic2", 0)]));
    let transfers = Transfers::from([(TopicPartition::new("topic2", 0), "consumer3".to_string())]);
    assert_eq!(outcome.partitions_transferring_ownership, Some(transfers));
}

#[test]
fn members_under_min_quota_keep_theirs_and_fill_up() {
    // AbstractStickyAssignorTest#testAllConsumersAreUnderMinQuota
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1)]), GENERATION),
        owning("consumer3", &all, &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic1", 2), ("topic2", 3)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic2", 0)]));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn members_that_reach_their_quota_are_considered_filled() {
    // AbstractStickyAssignorTest#testAllConsumersReachExpectedQuotaAndAreConsideredFilled
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), GENERATION),
        owning("consumer2", &["topic"], &tps(&[("topic", 2)]), GENERATION),
        owning("consumer3", &["topic"], &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic", 4)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic", 0), ("topic", 1)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic", 3)]));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn adding_then_removing_a_consumer_of_one_topic() {
    // AbstractStickyAssignorTest#testAddRemoveConsumerOneTopic
    let first = input(&[("topic", 3)], vec![Member::new("consumer1", &["topic"])]);
    let round1 = checked_eager(&first).assignment;
    assert_eq!(round1["consumer1"], all_of("topic", 3));

    let mut second = rejoin(&first, &round1, GENERATION);
    second.members.push(owning("consumer2", &["topic"], &[], GENERATION));
    let round2 = checked_eager(&second);
    assert_eq!(round2.assignment["consumer1"], tps(&[("topic", 0), ("topic", 1)]));
    assert_eq!(round2.assignment["consumer2"], tps(&[("topic", 2)]));
    let transfers = Transfers::from([(TopicPartition::new("topic", 2), "consumer2".to_string())]);
    assert_eq!(round2.partitions_transferring_ownership, Some(transfers));

    let mut third = rejoin(&second, &round2.assignment, GENERATION);
    third.members.retain(|m| m.member_id == "consumer2");
    let round3 = checked_eager(&third);
    assert_eq!(set(&round3.assignment["consumer2"]), set(&all_of("topic", 3)));
    assert_eq!(round3.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn each_member_keeps_half_of_each_topic_as_the_group_grows_and_shrinks() {
    // AbstractStickyAssignorTest#testTopicBalanceAfterReassignment
    let all = ["topic1", "topic2"];
    let topics = [("topic1", 12), ("topic2", 12)];
    let per_topic = |a: &Assignment, topic: &str| {
        a.values().map(|l| l.iter().filter(|p| p.topic == topic).count()).collect::<Vec<_>>()
    };
    let first = input(&topics, vec![Member::new("consumer1", &all)]);
    let round1 = checked_eager(&first).assignment;

    let mut second = rejoin(&first, &round1, GENERATION);
    second.members.push(owning("consumer2", &all, &[], GENERATION));
    let round2 = checked_eager(&second).assignment;
    assert_eq!(per_topic(&round2, "topic1"), vec![6, 6]);
    assert_eq!(per_topic(&round2, "topic2"), vec![6, 6]);

    let mut third = rejoin(&second, &round2, GENERATION);
    third.members.push(owning("consumer3", &all, &[], GENERATION));
    third.members.push(owning("consumer4", &all, &[], GENERATION));
    let round3 = checked_eager(&third).assignment;
    assert_eq!(per_topic(&round3, "topic1"), vec![3, 3, 3, 3]);
    assert_eq!(per_topic(&round3, "topic2"), vec![3, 3, 3, 3]);

    let mut fourth = rejoin(&third, &round3, GENERATION);
    fourth.members.retain(|m| m.member_id == "consumer3" || m.member_id == "consumer4");
    let round4 = checked_eager(&fourth);
    assert_eq!(per_topic(&round4.assignment, "topic1"), vec![6, 6]);
    assert_eq!(per_topic(&round4.assignment, "topic2"), vec![6, 6]);
    assert_eq!(round4.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn adding_and_removing_two_consumers_of_two_topics() {
    // AbstractStickyAssignorTest#testAddRemoveTwoConsumersTwoTopics (exact lists throughout)
    let all = ["topic1", "topic2"];
    let topics = [("topic1", 3), ("topic2", 4)];
    let first = input(&topics, vec![Member::new("consumer1", &all), Member::new("consumer2", &all)]);
    let round1 = checked_eager(&first).assignment;
    assert_eq!(round1["consumer1"], tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)]));
    assert_eq!(round1["consumer2"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));

    let mut second = rejoin(&first, &round1, GENERATION);
    second.members.push(owning("consumer3", &all, &[], GENERATION));
    second.members.push(owning("consumer4", &all, &[], GENERATION));
    let round2 = checked_eager(&second);
    let transfers = Transfers::from([
        (TopicPartition::new("topic1", 2), "consumer3".to_string()),
        (TopicPartition::new("topic2", 3), "consumer3".to_string()),
        (TopicPartition::new("topic2", 2), "consumer4".to_string()),
    ]);
    assert_eq!(round2.partitions_transferring_ownership, Some(transfers));
    assert_eq!(round2.assignment["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
    assert_eq!(round2.assignment["consumer2"], tps(&[("topic2", 0), ("topic1", 1)]));
    assert_eq!(round2.assignment["consumer3"], tps(&[("topic1", 2), ("topic2", 3)]));
    assert_eq!(round2.assignment["consumer4"], tps(&[("topic2", 2)]));

    let mut third = rejoin(&second, &round2.assignment, GENERATION);
    third.members.retain(|m| m.member_id == "consumer3" || m.member_id == "consumer4");
    let round3 = checked_eager(&third);
    assert_eq!(round3.assignment["consumer3"], tps(&[("topic1", 2), ("topic2", 3), ("topic1", 0), ("topic2", 1)]));
    assert_eq!(round3.assignment["consumer4"], tps(&[("topic2", 2), ("topic1", 1), ("topic2", 0)]));
    assert_eq!(round3.partitions_transferring_ownership, Some(Transfers::new()));
}

// ---- Generations and conflicting claims -----------------------------------------------------

#[test]
fn a_stale_generation_loses_its_claims() {
    // AbstractStickyAssignorTest#testOwnedPartitionsAreInvalidatedForConsumerWithStaleGeneration
    let all = ["topic", "topic2"];
    let claim = tps(&[("topic", 0), ("topic", 2), ("topic2", 1)]);
    for other_generation in [Some(9), None] {
        // ...and #testOwnedPartitionsAreInvalidatedForConsumerWithNoGeneration
        let members =
            vec![owning("consumer1", &all, &claim, Some(10)), owning("consumer2", &all, &claim, other_generation)];
        let outcome = checked_eager(&input(&[("topic", 3), ("topic2", 3)], members));
        assert_eq!(set(&outcome.assignment["consumer1"]), set(&claim));
        assert_eq!(set(&outcome.assignment["consumer2"]), set(&tps(&[("topic", 1), ("topic2", 0), ("topic2", 2)])));
        assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
    }
}

#[test]
fn a_partition_claimed_twice_in_one_generation_transfers_to_whoever_gets_it() {
    // AbstractStickyAssignorTest#testPartitionsTransferringOwnershipIncludeThePartitionClaimedByMultipleConsumersInSameGeneration
    // and StickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), GENERATION),
        owning("consumer2", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), GENERATION),
        owning("consumer3", &["topic"], &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic", 3)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic", 1)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic", 0)]));
    let transfers = Transfers::from([(TopicPartition::new("topic", 0), "consumer3".to_string())]);
    assert_eq!(outcome.partitions_transferring_ownership, Some(transfers));
}

#[test]
fn a_doubly_claimed_partition_with_unequal_shares() {
    // StickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), GENERATION),
        owning("consumer2", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), GENERATION),
        owning("consumer3", &["topic"], &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic", 4)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic", 1), ("topic", 3)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic", 0)]));
}

#[test]
fn partitions_stay_with_the_highest_generation() {
    // AbstractStickyAssignorTest#testEnsurePartitionsAssignedToHighestGeneration
    let all = ["topic", "topic2", "topic3"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic", 0), ("topic2", 0), ("topic3", 0)]), Some(10)),
        owning("consumer2", &all, &tps(&[("topic", 1), ("topic2", 1), ("topic3", 1)]), Some(9)),
        owning("consumer3", &all, &tps(&[("topic2", 1), ("topic3", 0), ("topic3", 2)]), Some(8)),
    ];
    let outcome = checked_eager(&input(&[("topic", 3), ("topic2", 3), ("topic3", 3)], members));
    assert_eq!(set(&outcome.assignment["consumer1"]), set(&tps(&[("topic", 0), ("topic2", 0), ("topic3", 0)])));
    assert_eq!(set(&outcome.assignment["consumer2"]), set(&tps(&[("topic", 1), ("topic2", 1), ("topic3", 1)])));
    assert_eq!(set(&outcome.assignment["consumer3"]), set(&tps(&[("topic", 2), ("topic2", 2), ("topic3", 2)])));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn current_members_keep_their_partitions_when_a_member_without_generation_joins() {
    // AbstractStickyAssignorTest#testNoReassignmentOnCurrentMembers
    let all = ["topic", "topic2", "topic3", "topic1"];
    let members = vec![
        owning("consumer1", &all, &[], None),
        owning("consumer2", &all, &tps(&[("topic", 0), ("topic2", 0), ("topic1", 0)]), Some(9)),
        owning("consumer3", &all, &tps(&[("topic3", 2), ("topic2", 2), ("topic1", 1)]), Some(8)),
        owning("consumer4", &all, &tps(&[("topic3", 1), ("topic", 1), ("topic", 2)]), Some(7)),
    ];
    let outcome = checked_eager(&input(&[("topic", 3), ("topic1", 3), ("topic2", 3), ("topic3", 3)], members));
    assert_eq!(set(&outcome.assignment["consumer1"]), set(&tps(&[("topic1", 2), ("topic2", 1), ("topic3", 0)])));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
    assert!(is_fully_balanced(&outcome.assignment));
}

#[test]
fn a_claim_from_two_generations_ago_is_overridden() {
    // AbstractStickyAssignorTest#testOwnedPartitionsAreInvalidatedForConsumerWithMultipleGeneration
    let all = ["topic", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic", 0), ("topic2", 1), ("topic", 1)]), Some(10)),
        owning("consumer2", &all, &tps(&[("topic", 0), ("topic2", 1), ("topic2", 2)]), Some(8)),
    ];
    let outcome = checked_eager(&input(&[("topic", 3), ("topic2", 3)], members));
    assert_eq!(set(&outcome.assignment["consumer1"]), set(&tps(&[("topic", 0), ("topic2", 1), ("topic", 1)])));
    assert_eq!(set(&outcome.assignment["consumer2"]), set(&tps(&[("topic", 2), ("topic2", 2), ("topic2", 0)])));
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn members_from_older_protocol_versions_keep_their_partitions() {
    // StickyAssignorTest#testAssignorWithOldVersionSubscriptions: every version carries the owned
    // partitions and generation in user data.
    let members = vec![
        owning("consumer1", &["topic1"], &tps(&[("topic1", 0)]), GENERATION),
        owning("consumer2", &["topic1"], &tps(&[("topic1", 1)]), GENERATION),
        owning("consumer3", &["topic1"], &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic1", 3)], members));
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic1", 1)]));
    assert_eq!(outcome.assignment["consumer3"], tps(&[("topic1", 2)]));
}

#[test]
fn a_member_with_the_old_schema_and_no_generation_still_keeps_what_it_can() {
    // StickyAssignorTest#testSchemaBackwardCompatibility
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), Some(1)),
        owning("consumer2", &["topic"], &tps(&[("topic", 1)]), None),
        Member::new("consumer3", &["topic"]),
    ];
    let outcome = checked_eager(&input(&[("topic", 3)], members));
    assert!(outcome.assignment.values().all(|l| l.len() == 1));
    assert!(set(&tps(&[("topic", 0), ("topic", 2)])).is_superset(&set(&outcome.assignment["consumer1"])));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("topic", 1)]));
}

#[test]
fn the_eager_assignor_reads_owned_partitions_grouped_by_topic() {
    // StickyAssignor serializes its previous assignment through a Java hash map of topics; the
    // general builder keeps that order. "topic1" comes before "topic2" in Java hash order.
    let owned = tps(&[("topic2", 0), ("topic1", 0), ("topic2", 1)]);
    let data = member_data(&owning("c", &["topic1"], &owned, GENERATION), StickyFlavor::Eager);
    assert_eq!(data.partitions, tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    let data = member_data(&owning("c", &["topic1"], &owned, GENERATION), StickyFlavor::Cooperative);
    assert_eq!(data.partitions, owned);
}

#[test]
fn the_eager_assignor_reads_colliding_topics_back_to_front() {
    // Kafka's user data groups partitions with computeIfAbsent, which puts a new topic at the front
    // of its hash bucket: "topic3" and "topic10" share bucket 6 of 16, so the member's report starts
    // with topic10 although it listed topic3 first, and the general builder keeps that order.
    // Kafka 4.0 (through the real StickyAssignor) gives consumer1 [topic10-1, topic3-0, topic10-0].
    let members = vec![
        owning("consumer1", &["topic3", "topic10"], &tps(&[("topic3", 0), ("topic10", 1)]), GENERATION),
        owning("consumer2", &["orders"], &[], GENERATION),
    ];
    let outcome = checked_eager(&input(&[("topic3", 1), ("topic10", 2), ("orders", 1)], members));
    assert_eq!(outcome.path, BuilderPath::General);
    assert_eq!(outcome.assignment["consumer1"], tps(&[("topic10", 1), ("topic3", 0), ("topic10", 0)]));
    assert_eq!(outcome.assignment["consumer2"], tps(&[("orders", 0)]));
}

#[test]
fn the_eager_assignor_keeps_a_negative_generation_from_its_user_data() {
    // StickyAssignor takes a member's generation from its user data, where -3 stays -3, but compares
    // a claim with the earlier claimant's subscription, whose missing generation counts as -1. The
    // leader meets c1 before c2 (hash order c3, c1, c2), so c2's older claim on t-0 loses to c1
    // instead of voiding both, as it would if -3 were read as no generation. Kafka's own
    // StickyAssignor gives c1 [t-0, t-1], c2 [t-2], c3 [u-0].
    let members = vec![
        owning("c1", &["t"], &tps(&[("t", 0), ("t", 1)]), None),
        owning("c2", &["t"], &tps(&[("t", 0)]), Some(-3)),
        owning("c3", &["t", "u"], &[], None),
    ];
    let outcome = checked_eager(&input(&[("t", 3), ("u", 1)], members));
    assert_eq!(outcome.assignment["c1"], tps(&[("t", 0), ("t", 1)]));
    assert_eq!(outcome.assignment["c2"], tps(&[("t", 2)]));
    assert_eq!(outcome.assignment["c3"], tps(&[("u", 0)]));
}

// ---- Different subscriptions (general path) --------------------------------------------------

#[test]
fn a_scenario_round_robin_handles_poorly_is_balanced() {
    // AbstractStickyAssignorTest#testPoorRoundRobinAssignmentScenario
    let topics: Vec<(String, u32)> = (1..=5).map(|i| (format!("topic{i}"), (i % 2) + 1)).collect();
    let topic_refs: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let five = ["topic1", "topic2", "topic3", "topic4", "topic5"];
    let three = ["topic1", "topic3", "topic5"];
    let members = vec![
        Member::new("consumer1", &five),
        Member::new("consumer2", &three),
        Member::new("consumer3", &three),
        Member::new("consumer4", &five),
    ];
    let outcome = checked_eager(&input(&topic_refs, members.clone()));
    assert_eq!(outcome.path, BuilderPath::General);
    assert!(outcome.assignment.values().all(|l| l.len() == 2), "{:?}", outcome.assignment);
    verify_cooperative(&input(&topic_refs, members));
}

#[test]
fn adding_and_removing_a_topic_keeps_what_each_consumer_had() {
    // AbstractStickyAssignorTest#testAddRemoveTopicTwoConsumers
    let first =
        input(&[("topic", 3)], vec![Member::new("consumer1", &["topic"]), Member::new("consumer2", &["topic"])]);
    let round1 = checked_eager(&first).assignment;
    assert!(is_fully_balanced(&round1));

    let mut second = rejoin(&first, &round1, GENERATION);
    second.topics.insert("topic2".to_string(), 3);
    for m in &mut second.members {
        m.topics = vec!["topic".to_string(), "topic2".to_string()];
    }
    let round2 = checked_eager(&second);
    assert_eq!(round2.partitions_transferring_ownership, Some(Transfers::new()));
    assert!(round2.assignment.values().all(|l| l.len() == 3));
    for member in ["consumer1", "consumer2"] {
        assert!(set(&round2.assignment[member]).is_superset(&set(&round1[member])));
    }

    let mut third = rejoin(&second, &round2.assignment, GENERATION);
    third.topics.remove("topic");
    for m in &mut third.members {
        m.topics = vec!["topic2".to_string()];
    }
    let round3 = checked_eager(&third);
    assert!(is_fully_balanced(&round3.assignment));
    for member in ["consumer1", "consumer2"] {
        assert!(set(&round2.assignment[member]).is_superset(&set(&round3.assignment[member])));
    }
}

/// 19 topics t01..t19 (topic i has i partitions) and 19 consumers; consumer i subscribes to t01..ti.
fn staircase_group() -> AssignmentInput {
    let topics: Vec<String> = (1..20).map(|i| topic_name(i, 20)).collect();
    let members = (1..20)
        .map(|i| {
            let subscription: Vec<&str> = topics[..i].iter().map(String::as_str).collect();
            Member::new(&consumer_name(i, 20), &subscription)
        })
        .collect();
    AssignmentInput { topics: topics.iter().enumerate().map(|(i, t)| (t.clone(), i as u32 + 1)).collect(), members }
}

#[test]
fn a_leaving_consumer_moves_only_its_partitions_without_swaps() {
    // AbstractStickyAssignorTest#testReassignmentAfterOneConsumerLeaves
    let first = staircase_group();
    let round1 = checked_eager(&first).assignment;
    let mut second = rejoin(&first, &round1, GENERATION);
    second.members.retain(|m| m.member_id != "c10");
    let round2 = checked_eager(&second);
    assert!(round2.sticky, "no partitions swapped back and forth");
    for member in &second.members {
        let kept = set(&round1[&member.member_id]);
        let now = set(&round2.assignment[&member.member_id]);
        assert!(kept.is_subset(&now) || kept.len() > now.len(), "{} lost partitions needlessly", member.member_id);
    }
    let mut cooperative = first.clone();
    cooperative.members.retain(|m| m.member_id != "c10");
    verify_cooperative(&cooperative);
}

#[test]
fn an_added_consumer_of_one_topic_takes_a_fair_share() {
    // AbstractStickyAssignorTest#testReassignmentAfterOneConsumerAdded
    let members: Vec<Member> = (1..10).map(|i| Member::new(&consumer_name(i, 10), &["topic"])).collect();
    let first = input(&[("topic", 20)], members);
    let round1 = checked_eager(&first);
    assert_eq!(round1.partitions_transferring_ownership, Some(Transfers::new()));
    let mut second = first.clone();
    second.members.push(Member::new(&consumer_name(10, 10), &["topic"]));
    let round2 = checked_eager(&second);
    assert_eq!(round2.partitions_transferring_ownership, Some(Transfers::new()));
    assert!(is_fully_balanced(&round2.assignment));
}

#[test]
fn equal_subscriptions_stay_valid_when_a_consumer_leaves() {
    // AbstractStickyAssignorTest#testSameSubscriptions
    let topics: Vec<String> = (1..15).map(|i| topic_name(i, 15)).collect();
    let refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let first = AssignmentInput {
        topics: topics.iter().enumerate().map(|(i, t)| (t.clone(), i as u32 + 1)).collect(),
        members: (1..9).map(|i| Member::new(&consumer_name(i, 9), &refs)).collect(),
    };
    let round1 = checked_eager(&first);
    assert_eq!(round1.partitions_transferring_ownership, Some(Transfers::new()));
    let mut second = rejoin(&first, &round1.assignment, GENERATION);
    second.members.retain(|m| m.member_id != "c5");
    let round2 = checked_eager(&second);
    assert_eq!(round2.partitions_transferring_ownership, Some(Transfers::new()));
    assert!(is_fully_balanced(&round2.assignment));
}

#[test]
fn a_new_subscription_is_picked_up_without_swaps() {
    // AbstractStickyAssignorTest#testNewSubscription
    let topics: Vec<String> = (1..5).map(|i| topic_name(i, 5)).collect();
    let members: Vec<Member> = (0..3_usize)
        .map(|i| {
            let subscription: Vec<&str> =
                (i..=(3 * i).saturating_sub(2_usize)).filter(|j| *j >= 1).map(|j| topics[j - 1].as_str()).collect();
            Member::new(&consumer_name(i, 3), &subscription)
        })
        .collect();
    let first = AssignmentInput { topics: topics.iter().map(|t| (t.clone(), 1)).collect(), members };
    let round1 = checked_eager(&first).assignment;
    let mut second = first.clone();
    second.members[0].topics.push(topic_name(1, 5));
    let round2 = checked_eager(&second);
    assert!(round2.sticky);
    // The eager group rejoined without history here, exactly like Kafka's test.
    assert_eq!(round1.len(), round2.assignment.len());
}

#[test]
fn existing_assignments_are_kept_when_subscriptions_differ() {
    // AbstractStickyAssignorTest#testMoveExistingAssignments
    let topics: Vec<(String, u32)> = (1..=6).map(|i| (format!("topic{i}"), 1)).collect();
    let refs: Vec<(&str, u32)> = topics.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    let members = vec![
        owning("consumer1", &["topic1", "topic2"], &tps(&[("topic1", 0)]), GENERATION),
        owning(
            "consumer2",
            &["topic1", "topic2", "topic3", "topic4"],
            &tps(&[("topic2", 0), ("topic3", 0)]),
            GENERATION,
        ),
        owning(
            "consumer3",
            &["topic2", "topic3", "topic4", "topic5", "topic6"],
            &tps(&[("topic4", 0), ("topic5", 0), ("topic6", 0)]),
            GENERATION,
        ),
    ];
    let outcome = checked_eager(&input(&refs, members.clone()));
    assert_eq!(outcome.partitions_transferring_ownership, None);
    verify_cooperative(&input(&refs, members));
}

#[test]
fn removing_the_leader_keeps_everyone_elses_partition() {
    // AbstractStickyAssignorTest#testStickiness
    let members: Vec<Member> = (1..=4).map(|i| Member::new(&format!("consumer{i}"), &["topic1"])).collect();
    let first = input(&[("topic1", 3)], members);
    let round1 = checked_eager(&first);
    assert_eq!(round1.partitions_transferring_ownership, Some(Transfers::new()));
    assert!(round1.assignment.values().all(|l| l.len() <= 1));
    let mut second = rejoin(&first, &round1.assignment, GENERATION);
    second.members.retain(|m| m.member_id != "consumer1");
    let round2 = checked_eager(&second);
    assert_eq!(round2.partitions_transferring_ownership, Some(Transfers::new()));
    for (member, list) in &round2.assignment {
        assert_eq!(list.len(), 1);
        if let Some(previous) = round1.assignment[member].first() {
            assert!(list.contains(previous), "{member} kept its partition");
        }
    }
}

#[test]
fn a_deleted_topic_is_left_out() {
    // AbstractStickyAssignorTest#testAssignmentUpdatedForDeletedTopic
    let outcome = checked_eager(&input(
        &[("topic1", 1), ("topic3", 100)],
        vec![Member::new("consumer", &["topic1", "topic2", "topic3"])],
    ));
    assert_eq!(outcome.assignment["consumer"].len(), 101);
    assert_eq!(outcome.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn deleting_the_only_subscribed_topic_leaves_an_empty_assignment() {
    // AbstractStickyAssignorTest#testNoExceptionThrownWhenOnlySubscribedTopicDeleted
    let first = input(&[("topic", 3)], vec![Member::new("consumer", &["topic"])]);
    let round1 = checked_eager(&first).assignment;
    let mut second = rejoin(&first, &round1, GENERATION);
    second.topics.clear();
    let round2 = checked_eager(&second);
    assert_eq!(round2.assignment["consumer"], vec![]);
    assert_eq!(round2.partitions_transferring_ownership, Some(Transfers::new()));
}

#[test]
fn a_partition_claimed_across_three_generations_is_assigned_once() {
    // AbstractStickyAssignorTest#testSubscriptionNotEqualAndAssignSamePartitionWith3Generation
    for generations in [[1, 2, 3], [1, 3, 2], [2, 1, 3], [2, 3, 1], [3, 1, 2], [3, 2, 1]] {
        let members = vec![
            owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), Some(generations[0])),
            owning("consumer2", &["topic"], &tps(&[("topic", 1), ("topic", 2), ("topic", 3)]), Some(generations[1])),
            owning("consumer3", &["topic"], &tps(&[("topic", 2), ("topic", 4), ("topic", 5)]), Some(generations[2])),
            owning("consumer4", &["topic1"], &tps(&[("topic1", 0)]), Some(2)),
        ];
        let outcome = eager(&input(&[("topic", 6), ("topic1", 1)], members));
        let all: Vec<&TopicPartition> = outcome.assignment.values().flatten().collect();
        assert_eq!(all.len(), all.iter().collect::<SortedSet<_>>().len(), "no partition twice");
        assert!(
            outcome.assignment.values().all(|l| (1..=2).contains(&l.len())),
            "{generations:?}: {:?}",
            outcome.assignment
        );
    }
}

#[test]
fn random_subscriptions_and_changes_stay_valid_balanced_and_sticky() {
    // AbstractStickyAssignorTest#testReassignmentWithRandomSubscriptionsAndChanges, with a seeded
    // generator and fewer rounds.
    let mut rng = Rng::new(20_241_025);
    for _ in 0..12 {
        let topic_count = 10 + rng.below(10) as usize;
        let topics: Vec<String> = (0..topic_count).map(|i| topic_name(i, 20)).collect();
        let member_count = 20 + rng.below(20) as usize;
        let random_sublist = |rng: &mut Rng| {
            let mut chosen = topics.clone();
            let remove = rng.below(chosen.len() as u64) as usize;
            for _ in 0..remove {
                chosen.remove(rng.below(chosen.len() as u64) as usize);
            }
            chosen
        };
        let first = AssignmentInput {
            topics: topics.iter().enumerate().map(|(i, t)| (t.clone(), i as u32 + 1)).collect(),
            members: (0..member_count)
                .map(|i| Member { topics: random_sublist(&mut rng), ..Member::new(&consumer_name(i, 40), &[]) })
                .collect(),
        };
        let round1 = checked_eager(&first).assignment;
        let mut second = rejoin(&first, &round1, GENERATION);
        for member in &mut second.members {
            member.topics = random_sublist(&mut rng);
        }
        let round2 = checked_eager(&second);
        assert!(round2.sticky);
        verify_cooperative(&second);
    }
}

#[test]
fn a_generation_history_over_three_rounds_stays_balanced() {
    // StickyAssignorTest#testAssignmentWithMultipleGenerations1, both subscription modes.
    for all_subscriptions_equal in [true, false] {
        let all = ["topic", "topic2"];
        let consumer2_topics: &[&str] = if all_subscriptions_equal { &all } else { &["topic"] };
        let topics = [("topic", 6), ("topic2", 6)];
        let first = input(
            &topics,
            vec![
                Member::new("consumer1", &all),
                Member::new("consumer2", consumer2_topics),
                Member::new("consumer3", &all),
            ],
        );
        let r1 = checked_eager(&first).assignment;
        assert!(r1.values().all(|l| l.len() == 4));

        let mut second = rejoin(&first, &r1, GENERATION);
        second.members.retain(|m| m.member_id != "consumer3");
        let r2 = checked_eager(&second).assignment;
        assert!(r2.values().all(|l| l.len() == 6));
        if all_subscriptions_equal {
            assert!(set(&r2["consumer1"]).is_superset(&set(&r1["consumer1"])));
        }
        assert!(set(&r2["consumer2"]).is_superset(&set(&r1["consumer2"])));
        assert!(!set(&r2["consumer2"]).is_disjoint(&set(&r1["consumer3"])));

        let third = input(
            &topics,
            vec![
                owning("consumer2", consumer2_topics, &r2["consumer2"], Some(2)),
                owning("consumer3", &all, &r1["consumer3"], Some(1)),
            ],
        );
        let r3 = checked_eager(&third).assignment;
        assert!(r3.values().all(|l| l.len() == 6));
        assert!(set(&r3["consumer2"]).is_disjoint(&set(&r3["consumer3"])));
    }
}

#[test]
fn a_returning_generation_keeps_its_partitions() {
    // StickyAssignorTest#testAssignmentWithMultipleGenerations2, both subscription modes.
    for all_subscriptions_equal in [true, false] {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if all_subscriptions_equal { &all } else { &["topic"] };
        let c3_topics: &[&str] = if all_subscriptions_equal { &all } else { &["topic", "topic2"] };
        let topics = [("topic", 4), ("topic2", 4), ("topic3", 4)];
        let first = input(
            &topics,
            vec![
                Member::new("consumer1", c1_topics),
                Member::new("consumer2", &all),
                Member::new("consumer3", c3_topics),
            ],
        );
        let r1 = checked_eager(&first).assignment;
        assert!(r1.values().all(|l| l.len() == 4));

        let second = input(&topics, vec![owning("consumer2", &all, &r1["consumer2"], Some(1))]);
        let r2 = checked_eager(&second).assignment;
        assert_eq!(r2["consumer2"].len(), 12);
        assert!(set(&r2["consumer2"]).is_superset(&set(&r1["consumer2"])));

        let third = input(
            &topics,
            vec![
                owning("consumer1", c1_topics, &r1["consumer1"], Some(1)),
                owning("consumer2", &all, &r2["consumer2"], Some(2)),
                owning("consumer3", c3_topics, &r1["consumer3"], Some(1)),
            ],
        );
        let r3 = checked_eager(&third).assignment;
        assert!(r3.values().all(|l| l.len() == 4), "{r3:?}");
    }
}

#[test]
fn conflicting_previous_generations_resolve_to_the_newest() {
    // StickyAssignorTest#testAssignmentWithConflictingPreviousGenerations, both subscription modes.
    for all_subscriptions_equal in [true, false] {
        let all = ["topic", "topic2", "topic3"];
        let c1_topics: &[&str] = if all_subscriptions_equal { &all } else { &["topic"] };
        let c2_topics: &[&str] = if all_subscriptions_equal { &all } else { &["topic", "topic2"] };
        let c1_owned = if all_subscriptions_equal {
            parse("topic-0, topic-1, topic-2, topic2-2, topic2-3, topic3-0")
        } else {
            parse("topic-0, topic-1, topic-2, topic-3")
        };
        let c2_owned = parse("topic-0, topic-1, topic2-0, topic2-1, topic2-2, topic2-3");
        let c3_owned = parse("topic-2, topic-3, topic3-0, topic3-1, topic3-2, topic3-3");
        let members = vec![
            owning("consumer1", c1_topics, &c1_owned, Some(1)),
            owning("consumer2", c2_topics, &c2_owned, Some(2)),
            owning("consumer3", &all, &c3_owned, Some(2)),
        ];
        let outcome = checked_eager(&input(&[("topic", 4), ("topic2", 4), ("topic3", 4)], members));
        assert!(outcome.assignment.values().all(|l| l.len() == 4));
        assert!(set(&c2_owned).is_superset(&set(&outcome.assignment["consumer2"])));
        assert!(set(&c3_owned).is_superset(&set(&outcome.assignment["consumer3"])));
    }
}

// ---- Kafka's rack tests, where racks play no part -------------------------------------------

fn rack_layout(subscriptions: &[&[&str]], owned: Option<&[&str]>) -> AssignmentInput {
    let members = subscriptions
        .iter()
        .enumerate()
        .map(|(i, topics)| {
            owning(&format!("consumer{i}"), topics, &owned.map(|o| parse(o[i])).unwrap_or_default(), None)
        })
        .collect();
    input(&[("t1", 6), ("t2", 7), ("t3", 2)], members)
}

fn as_strings(assignment: &Assignment) -> Vec<String> {
    assignment.values().map(|l| sorted_string(l)).collect()
}

#[test]
fn without_racks_equal_subscriptions_are_dealt_round_robin() {
    // AbstractStickyAssignorTest#testRackAwareAssignmentWithUniformSubscription, non-rack part,
    // without and with the same partitions owned.
    let all: &[&str] = &["t1", "t2", "t3"];
    let expected = ["t1-0, t1-3, t2-0, t2-3, t2-6", "t1-1, t1-4, t2-1, t2-4, t3-0", "t1-2, t1-5, t2-2, t2-5, t3-1"];
    for flavor in [StickyFlavor::Eager, StickyFlavor::Cooperative] {
        for owned in [None, Some(&expected[..])] {
            let outcome = run(&rack_layout(&[all, all, all], owned), flavor).unwrap();
            assert_eq!(as_strings(&outcome.assignment), expected);
        }
    }
}

#[test]
fn without_racks_different_subscriptions_balance_through_the_general_builder() {
    // AbstractStickyAssignorTest#testRackAwareAssignmentWithNonEqualSubscription, non-rack part,
    // without and with the same partitions owned.
    let all: &[&str] = &["t1", "t2", "t3"];
    let subscriptions: &[&[&str]] = &[all, all, &["t1", "t3"]];
    let expected = ["t1-5, t2-0, t2-2, t2-4, t2-6", "t1-3, t2-1, t2-3, t2-5, t3-0", "t1-0, t1-1, t1-2, t1-4, t3-1"];
    for flavor in [StickyFlavor::Eager, StickyFlavor::Cooperative] {
        for owned in [None, Some(&expected[..])] {
            let outcome = run(&rack_layout(subscriptions, owned), flavor).unwrap();
            assert_eq!(outcome.path, BuilderPath::General);
            assert_eq!(as_strings(&outcome.assignment), expected, "{flavor:?} owned={owned:?}");
        }
    }
}

#[test]
fn without_user_data_the_eager_assignor_ignores_owned_partitions() {
    // AbstractStickyAssignorTest#testRackAwareAssignmentWithNonEqualSubscription, "same as
    // non-rack-aware if all racks match", StickyAssignor branch: Kafka's helper puts owned
    // partitions in the subscription but no user data, which is all the eager assignor reads, so it
    // answers as for a fresh group.
    let all: &[&str] = &["t1", "t2", "t3"];
    let fresh = eager(&rack_layout(&[all, all, &["t1", "t3"]], None));
    assert_eq!(
        as_strings(&fresh.assignment),
        ["t1-5, t2-0, t2-2, t2-4, t2-6", "t1-3, t2-1, t2-3, t2-5, t3-0", "t1-0, t1-1, t1-2, t1-4, t3-1"]
    );
}

#[test]
fn claims_are_settled_in_the_leaders_hash_map_order() {
    // Three claims on one partition: consumer1 (gen 1), consumer2 (gen 1), consumer3 (gen 2). In
    // hash order consumer3 comes first and keeps it outright; nothing is doubly claimed.
    let p = tps(&[("t", 0)]);
    let members = vec![
        owning("consumer1", &["t"], &p, Some(1)),
        owning("consumer2", &["t"], &p, Some(1)),
        owning("consumer3", &["t"], &p, Some(2)),
    ];
    let subscriptions = AssignmentInput { topics: SortedMap::from([("t".to_string(), 1)]), members: members.clone() };
    let ordered = subscriptions.members_in_subscription_order();
    let data: Vec<MemberData> = ordered.iter().map(|m| member_data(m, StickyFlavor::Cooperative)).collect();
    let with_data: Vec<(&Member, &MemberData)> = ordered.iter().copied().zip(&data).collect();
    let claims = validate_claims(&with_data, &SortedMap::from([("t", 1)]));
    assert!(claims.multiple_previous_owners.is_empty());
    assert_eq!(claims.owned.iter().find(|(m, _)| *m == "consumer3").unwrap().1, p);
    assert_eq!(claims.max_generation, 2);
}

#[test]
fn random_groups_with_conflicting_claims_always_get_a_valid_answer() {
    // Not a Kafka test: random topics, subscriptions and claims (some doubled, some stale), to check
    // both builders always finish with every partition handed out exactly once.
    let mut rng = Rng::new(7);
    let mut kafka_failures = 0;
    for round in 0..300 {
        let topic_count = 1 + rng.below(5) as usize;
        let topics: Vec<(String, u32)> = (0..topic_count).map(|i| (format!("t{i}"), 1 + rng.below(6) as u32)).collect();
        let member_count = 1 + rng.below(6) as usize;
        let members: Vec<Member> = (0..member_count)
            .map(|i| {
                let subscription: Vec<&str> =
                    topics.iter().filter(|_| rng.below(3) > 0).map(|(t, _)| t.as_str()).collect();
                let mut owned = Vec::new();
                for (topic, count) in &topics {
                    for p in 0..*count {
                        if rng.below(4) == 0 {
                            owned.push(TopicPartition::new(topic.as_str(), p));
                        }
                    }
                }
                let generation = match rng.below(4) {
                    0 => None,
                    g => Some(g as i32),
                };
                owning(&format!("m{i}"), &subscription, &owned, generation)
            })
            .collect();
        let mut group = AssignmentInput { topics: topics.iter().cloned().collect(), members };
        if round % 2 == 0 {
            for member in &mut group.members {
                member.generation = GENERATION;
            }
        }
        for flavor in [StickyFlavor::Eager, StickyFlavor::Cooperative] {
            let outcome = match run(&group, flavor) {
                Ok(outcome) => outcome,
                Err(AssignError::KafkaThrows { reason, .. }) => {
                    kafka_failures += 1;
                    eprintln!("round {round} {flavor:?}: {reason}\n{group:?}");
                    continue;
                }
                Err(other) => panic!("round {round}: {other}"),
            };
            let handed_out: Vec<&TopicPartition> = outcome.assignment.values().flatten().collect();
            let unique: SortedSet<&TopicPartition> = handed_out.iter().copied().collect();
            assert_eq!(handed_out.len(), unique.len(), "round {round}: a partition twice");
            let subscribed: SortedSet<&str> =
                group.members.iter().flat_map(|m| m.topics.iter().map(String::as_str)).collect();
            let expected: usize =
                topics.iter().filter(|(t, _)| subscribed.contains(t.as_str())).map(|(_, n)| *n as usize).sum();
            assert_eq!(handed_out.len(), expected, "round {round}: every subscribed partition once");
            // With mixed generations Kafka may hand a partition back to a stale owner that no longer
            // subscribes to it (see the test below), so validity is only checked without them.
            let one_generation = group.members.iter().all(|m| m.generation == group.members[0].generation);
            if outcome.path == BuilderPath::General && one_generation {
                verify_validity_and_balance(&group, &outcome.assignment);
            }
        }
    }
    assert_eq!(kafka_failures, 0);
}

#[test]
fn a_stale_previous_owner_can_get_back_a_partition_it_no_longer_subscribes_to() {
    // Kafka's balancer moves a partition back to its previous-generation owner without checking
    // that owner's subscription. C claimed t-0 in generation 1 but now subscribes only to u; A (in
    // generation 2) holds all of t, so balancing sends t-0 back to C. The consumer then sees a
    // partition outside its subscription and rejoins.
    let members = vec![
        owning("A", &["t"], &all_of("t", 4), Some(2)),
        owning("B", &["t"], &[], Some(2)),
        owning("C", &["u"], &tps(&[("t", 0)]), Some(1)),
        owning("D", &["u"], &[], Some(2)),
    ];
    let outcome = eager(&input(&[("t", 4), ("u", 2)], members));
    assert_eq!(outcome.path, BuilderPath::General);
    assert_eq!(outcome.assignment["A"], tps(&[("t", 2), ("t", 3)]));
    assert_eq!(outcome.assignment["B"], tps(&[("t", 1)]));
    assert_eq!(outcome.assignment["C"], tps(&[("u", 0), ("t", 0)]));
    assert_eq!(outcome.assignment["D"], tps(&[("u", 1)]));
}

#[test]
fn a_stale_previous_owner_that_sits_out_balancing_makes_kafka_fail() {
    // As above, but C holds all of u alone, so it sits out balancing; Kafka then looks up its load
    // in a map it was removed from and throws a NullPointerException.
    let members = vec![
        owning("A", &["t"], &all_of("t", 4), Some(2)),
        owning("B", &["t"], &[], Some(2)),
        owning("C", &["u"], &tps(&[("t", 0)]), Some(1)),
    ];
    let result = run(&input(&[("t", 4), ("u", 1)], members), StickyFlavor::Eager);
    assert!(matches!(result, Err(AssignError::KafkaThrows { .. })), "{result:?}");
}
