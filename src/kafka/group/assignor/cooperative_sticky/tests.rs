//! Kafka's cooperative-sticky tests (`CooperativeStickyAssignorTest` and the shared
//! `AbstractStickyAssignorTest` cases as the cooperative assignor answers them), ported.

use super::*;
use crate::kafka::group::assignor::MemberSubscription as Member;
use crate::kafka::group::assignor::test_support::{input, parse, sorted_string, tps};

const GENERATION: Option<i32> = Some(1);

fn owning(member: &str, topics: &[&str], owned: &[TopicPartition], generation: Option<i32>) -> Member {
    Member { owned_partitions: owned.to_vec(), generation, ..Member::new(member, topics) }
}

#[test]
fn a_partition_claimed_twice_is_withheld_until_both_revoke_it() {
    // CooperativeStickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithEqualPartitionsPerConsumer
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), GENERATION),
        owning("consumer2", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), GENERATION),
        owning("consumer3", &["topic"], &[], GENERATION),
    ];
    let group = input(&[("topic", 3)], members);
    let round = assign(&group).unwrap();
    assert_eq!(round.assignment["consumer1"], tps(&[("topic", 1)]));
    assert_eq!(round.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(round.assignment["consumer3"], vec![]);
    let converged = assign_until_converged(&group).unwrap();
    assert_eq!(converged.converged["consumer3"], tps(&[("topic", 0)]));
    assert_eq!(converged.rebalance_count, 2);
}

#[test]
fn a_doubly_claimed_partition_with_unequal_shares_is_withheld() {
    // CooperativeStickyAssignorTest#testAllConsumersHaveOwnedPartitionInvalidatedWhenClaimedByMultipleConsumersInSameGenerationWithUnequalPartitionsPerConsumer
    let members = vec![
        owning("consumer1", &["topic"], &tps(&[("topic", 0), ("topic", 1)]), GENERATION),
        owning("consumer2", &["topic"], &tps(&[("topic", 0), ("topic", 2)]), GENERATION),
        owning("consumer3", &["topic"], &[], GENERATION),
    ];
    let round = assign(&input(&[("topic", 4)], members)).unwrap();
    assert_eq!(round.assignment["consumer1"], tps(&[("topic", 1), ("topic", 3)]));
    assert_eq!(round.assignment["consumer2"], tps(&[("topic", 2)]));
    assert_eq!(round.assignment["consumer3"], vec![]);
}

#[test]
fn members_from_older_protocol_versions_keep_their_partitions() {
    // CooperativeStickyAssignorTest#testAssignorWithOldVersionSubscriptions
    let members = vec![
        owning("consumer1", &["topic1"], &tps(&[("topic1", 0)]), GENERATION),
        owning("consumer2", &["topic1"], &tps(&[("topic1", 1)]), GENERATION),
        owning("consumer3", &["topic1"], &[], GENERATION),
    ];
    let round = assign(&input(&[("topic1", 3)], members)).unwrap();
    assert_eq!(round.assignment["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(round.assignment["consumer2"], tps(&[("topic1", 1)]));
    assert_eq!(round.assignment["consumer3"], tps(&[("topic1", 2)]));
}

#[test]
fn the_partition_a_max_quota_owner_gives_up_waits_one_rebalance() {
    // AbstractStickyAssignorTest#testMaxQuotaConsumerMoreThanNumExpectedMaxCapacityMembers, as the
    // cooperative assignor answers it: topic2-0 moves from consumer1 to consumer3, so consumer3
    // gets nothing until consumer1 has revoked it.
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0), ("topic2", 0)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1), ("topic2", 1)]), GENERATION),
        owning("consumer3", &all, &[], GENERATION),
    ];
    let group = input(&[("topic1", 2), ("topic2", 2)], members);
    let rebalances = assign_until_converged(&group).unwrap();
    let first = &rebalances.first_round;
    assert_eq!(first.assignment["consumer1"], tps(&[("topic1", 0)]));
    assert_eq!(first.assignment["consumer2"], tps(&[("topic1", 1), ("topic2", 1)]));
    assert_eq!(first.assignment["consumer3"], vec![]);
    assert_eq!(
        first.partitions_transferring_ownership,
        Transfers::from([(TopicPartition::new("topic2", 0), "consumer3".to_string())])
    );
    assert_eq!(rebalances.converged["consumer3"], tps(&[("topic2", 0)]));
    assert_eq!(rebalances.converged["consumer2"], tps(&[("topic1", 1), ("topic2", 1)]));
}

#[test]
fn nothing_moves_so_nothing_is_withheld_and_the_follow_up_reorders_by_partition() {
    // AbstractStickyAssignorTest#testConsumerOwningMinQuotaExpectedMaxQuota: consumer1 gains a
    // free partition in the first round. In the next rebalance it reports its partitions again and
    // the builder sorts them by partition number, then topic.
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0), ("topic2", 1)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1), ("topic2", 2)]), GENERATION),
    ];
    let rebalances = assign_until_converged(&input(&[("topic1", 2), ("topic2", 3)], members)).unwrap();
    assert_eq!(rebalances.first_round.assignment["consumer1"], tps(&[("topic1", 0), ("topic2", 1), ("topic2", 0)]));
    assert_eq!(rebalances.converged["consumer1"], tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    assert_eq!(rebalances.converged["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
}

#[test]
fn two_new_consumers_wait_for_all_three_moving_partitions() {
    // AbstractStickyAssignorTest#testAddRemoveTwoConsumersTwoTopics, second round, cooperatively.
    let all = ["topic1", "topic2"];
    let members = vec![
        owning("consumer1", &all, &tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1), ("topic2", 3)]), GENERATION),
        owning("consumer2", &all, &tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]), GENERATION),
        owning("consumer3", &all, &[], GENERATION),
        owning("consumer4", &all, &[], GENERATION),
    ];
    let rebalances = assign_until_converged(&input(&[("topic1", 3), ("topic2", 4)], members)).unwrap();
    let first = &rebalances.first_round.assignment;
    assert_eq!(first["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
    assert_eq!(first["consumer2"], tps(&[("topic2", 0), ("topic1", 1)]));
    assert_eq!(first["consumer3"], vec![]);
    assert_eq!(first["consumer4"], vec![]);
    let converged = &rebalances.converged;
    assert_eq!(converged["consumer3"].len() + converged["consumer4"].len(), 3);
    assert!(converged.values().all(|l| (1..=2).contains(&l.len())));
}

#[test]
fn different_subscriptions_withhold_what_another_member_still_owns() {
    // AbstractStickyAssignorTest#testRackAwareAssignmentWithNonEqualSubscription, "same as
    // non-rack-aware if all racks match", cooperative branch (no generation, owned partitions in
    // the subscription): the first round keeps only what each member already had...
    let all = ["t1", "t2", "t3"];
    let owned = ["t1-0, t1-1, t1-2, t1-3, t1-4", "t1-5, t2-0, t2-1, t2-2, t2-3", "t2-4, t2-5, t2-6, t3-0, t3-1"];
    let subscriptions: [&[&str]; 3] = [&all, &all, &["t1", "t3"]];
    let members = (0..3).map(|i| owning(&format!("consumer{i}"), subscriptions[i], &parse(owned[i]), None)).collect();
    let group = input(&[("t1", 6), ("t2", 7), ("t3", 2)], members);
    let first = assign(&group).unwrap();
    let strings: Vec<String> = first.assignment.values().map(|l| sorted_string(l)).collect();
    assert_eq!(strings, ["t1-2, t1-3, t1-4", "t2-0, t2-1, t2-2, t2-3", "t3-0, t3-1"]);
    // ...and the follow-up hands over the rest.
    let members =
        (0..3).map(|i| owning(&format!("consumer{i}"), subscriptions[i], &parse(&strings[i]), None)).collect();
    let second = assign(&input(&[("t1", 6), ("t2", 7), ("t3", 2)], members)).unwrap();
    let strings: Vec<String> = second.assignment.values().map(|l| sorted_string(l)).collect();
    assert_eq!(
        strings,
        ["t1-2, t1-3, t1-4, t2-4, t2-5", "t2-0, t2-1, t2-2, t2-3, t2-6", "t1-0, t1-1, t1-5, t3-0, t3-1"]
    );
    let rebalances = assign_until_converged(&group).unwrap();
    let converged: Vec<String> = rebalances.converged.values().map(|l| sorted_string(l)).collect();
    assert_eq!(converged, strings);
}

#[test]
fn transfers_after_the_general_builder_come_from_owned_partitions() {
    // computePartitionsTransferringOwnership: a partition counts only if some member reported
    // owning it and now loses it.
    let group = input(
        &[("t", 2)],
        vec![owning("a", &["t"], &tps(&[("t", 0), ("t", 1)]), GENERATION), owning("b", &["t", "u"], &[], GENERATION)],
    );
    let assignment = Assignment::from([("a".to_string(), tps(&[("t", 0)])), ("b".to_string(), tps(&[("t", 1)]))]);
    let transfers = transfers_from_owned_partitions(&group, &assignment);
    assert_eq!(transfers, Transfers::from([(TopicPartition::new("t", 1), "b".to_string())]));
    assert_eq!(revoked_by(&group.members[0].owned_partitions, &assignment["a"]), tps(&[("t", 1)]));
}
