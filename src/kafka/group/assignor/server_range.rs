//! The broker-side `range` assignor of the KIP-848 `consumer` protocol (group coordinator
//! `RangeAssignor`, SEMANTICS §3.5).
//!
//! Members are sorted as the client assignors sort them (static by instance id first, then
//! dynamic by member id). For each topic, its subscribers take contiguous ranges in that order and
//! the first `n % k` take one extra. In this Kafka snapshot it ignores current assignments: it is not
//! sticky (KAFKA-16944 rewrote it).

use crate::sim::sorted::SortedMap;

use super::AssignError;
use super::range::ranges;
use super::server_spec::{ServerAssignment, ServerGroupSpec};

/// Runs the server-side range assignor. Homogeneous and heterogeneous groups give the same result:
/// the homogeneous shortcut just skips counting subscribers per topic.
pub fn assign(spec: &ServerGroupSpec) -> Result<ServerAssignment, AssignError> {
    spec.validate()?;
    let mut assignment = spec.empty_assignment();
    let sorted = spec.members_sorted();
    let mut subscriber_count: SortedMap<&str, usize> = SortedMap::new();
    for member in &sorted {
        for topic in member.topics.iter().filter(|t| spec.partition_count(t).is_some()) {
            *subscriber_count.entry(topic).or_default() += 1;
        }
    }
    // Each topic hands out its ranges in member order, one per subscriber.
    let mut next_range: SortedMap<&str, std::vec::IntoIter<std::ops::Range<u32>>> = subscriber_count
        .iter()
        .map(|(topic, count)| (*topic, ranges(spec.partition_count(topic).unwrap_or(0), *count).into_iter()))
        .collect();
    for member in sorted {
        for topic in &member.topics {
            let Some(range) = next_range.get_mut(topic.as_str()).and_then(Iterator::next) else { continue };
            if !range.is_empty()
                && let Some(target) = assignment.get_mut(&member.member_id)
            {
                target.insert(topic.clone(), range.collect());
            }
        }
    }
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::group::assignor::server_spec::{ServerMember as Member, TopicPartitions};

    fn spec(topics: &[(&str, u32)], members: Vec<Member>) -> ServerGroupSpec {
        ServerGroupSpec {
            topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
            members,
            ..ServerGroupSpec::default()
        }
    }

    fn partitions(entries: &[(&str, &[u32])]) -> TopicPartitions {
        entries.iter().map(|(t, ps)| (t.to_string(), ps.iter().copied().collect())).collect()
    }

    #[test]
    fn one_member_with_no_subscription_gets_nothing() {
        // RangeAssignorTest (server)#testOneMemberNoTopic
        let result = assign(&spec(&[("topic1", 3)], vec![Member::new("memberA", &[])])).unwrap();
        assert_eq!(result["memberA"], TopicPartitions::new());
    }

    #[test]
    fn a_subscription_to_a_topic_without_metadata_gets_nothing() {
        // RangeAssignorTest (server)#testOneMemberSubscribedToNonExistentTopic throws when handed a
        // topic id missing from metadata. Members subscribe by name, and the coordinator only turns
        // names that exist into ids, so a name without metadata simply contributes nothing.
        let result = assign(&spec(&[("topic1", 3)], vec![Member::new("memberA", &["topic2"])])).unwrap();
        assert_eq!(result["memberA"], TopicPartitions::new());
    }

    #[test]
    fn two_members_two_topics_the_first_takes_the_extras() {
        // RangeAssignorTest (server)#testFirstAssignmentTwoMembersTwoTopicsSameSubscriptions
        let members = vec![Member::new("A", &["topic1", "topic3"]), Member::new("B", &["topic1", "topic3"])];
        let result = assign(&spec(&[("topic1", 3), ("topic3", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1]), ("topic3", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[2]), ("topic3", &[1])]));
    }

    #[test]
    fn each_topic_is_split_over_its_own_subscribers() {
        // RangeAssignorTest (server)#testFirstAssignmentThreeMembersThreeTopicsDifferentSubscriptions
        let members = vec![
            Member::new("A", &["topic1", "topic2"]),
            Member::new("B", &["topic3"]),
            Member::new("C", &["topic2", "topic3"]),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3), ("topic3", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1, 2]), ("topic2", &[0, 1])]));
        assert_eq!(result["B"], partitions(&[("topic3", &[0])]));
        assert_eq!(result["C"], partitions(&[("topic2", &[2]), ("topic3", &[1])]));
    }

    #[test]
    fn more_members_than_partitions_leaves_the_last_member_short() {
        // RangeAssignorTest (server)#testFirstAssignmentNumMembersGreaterThanNumPartitions
        let all = ["topic1", "topic3"];
        let members = vec![Member::new("A", &all), Member::new("B", &all), Member::new("C", &all)];
        let result = assign(&spec(&[("topic1", 3), ("topic3", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0]), ("topic3", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1]), ("topic3", &[1])]));
        assert_eq!(result["C"], partitions(&[("topic1", &[2])]));
    }

    #[test]
    fn a_static_member_keeps_its_range_under_a_new_member_id() {
        // RangeAssignorTest (server)#testStaticMembership
        let topics = [("topic1", 3)];
        let before = assign(&spec(
            &topics,
            vec![
                Member::new("A", &["topic1"]).with_instance_id("instanceA"),
                Member::new("B", &["topic1"]).with_instance_id("instanceB"),
            ],
        ))
        .unwrap();
        let after = assign(&spec(
            &topics,
            vec![
                Member::new("B", &["topic1"]).with_instance_id("instanceB"),
                Member::new("A1", &["topic1"]).with_instance_id("instanceA"),
            ],
        ))
        .unwrap();
        assert_eq!(before["A"], after["A1"]);
        assert_eq!(before["B"], after["B"]);
    }

    #[test]
    fn static_members_go_first_and_keep_their_ranges() {
        // RangeAssignorTest (server)#testMixedStaticMembership
        let topics = [("topic1", 5)];
        let before = assign(&spec(
            &topics,
            vec![
                Member::new("A", &["topic1"]).with_instance_id("instanceA"),
                Member::new("C", &["topic1"]).with_instance_id("instanceC"),
                Member::new("B", &["topic1"]),
            ],
        ))
        .unwrap();
        assert_eq!(before["A"], partitions(&[("topic1", &[0, 1])]));
        assert_eq!(before["C"], partitions(&[("topic1", &[2, 3])]));
        assert_eq!(before["B"], partitions(&[("topic1", &[4])]));
        let after = assign(&spec(
            &topics,
            vec![
                Member::new("A1", &["topic1"]).with_instance_id("instanceA"),
                Member::new("C", &["topic1"]).with_instance_id("instanceC"),
                Member::new("B", &["topic1"]),
            ],
        ))
        .unwrap();
        assert_eq!(before["A"], after["A1"]);
        assert_eq!(before["B"], after["B"]);
        assert_eq!(before["C"], after["C"]);
    }

    #[test]
    fn a_new_member_beyond_the_partition_count_gets_nothing() {
        // RangeAssignorTest (server)#testReassignmentNumMembersGreaterThanNumPartitionsWhenOneMemberAdded
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0]).assigned("topic2", &[0]),
            Member::new("B", &all).assigned("topic1", &[1]).assigned("topic2", &[1]),
            Member::new("C", &all),
        ];
        let result = assign(&spec(&[("topic1", 2), ("topic2", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0]), ("topic2", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1]), ("topic2", &[1])]));
        assert_eq!(result["C"], TopicPartitions::new());
    }

    #[test]
    fn an_added_partition_shifts_the_ranges() {
        // RangeAssignorTest (server)#testReassignmentWhenOnePartitionAddedForTwoMembersTwoTopics
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0, 1]).assigned("topic2", &[0, 1]),
            Member::new("B", &all).assigned("topic1", &[2]).assigned("topic2", &[2]),
        ];
        let result = assign(&spec(&[("topic1", 4), ("topic2", 4)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1]), ("topic2", &[0, 1])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[2, 3]), ("topic2", &[2, 3])]));
    }

    #[test]
    fn an_added_member_is_not_sticky_it_just_takes_its_range() {
        // RangeAssignorTest (server)#testReassignmentWhenOneMemberAddedAfterInitialAssignmentWithTwoMembersTwoTopics
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0, 1]).assigned("topic2", &[0, 1]),
            Member::new("B", &all).assigned("topic1", &[2]).assigned("topic2", &[2]),
            Member::new("C", &all),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0]), ("topic2", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1]), ("topic2", &[1])]));
        assert_eq!(result["C"], partitions(&[("topic1", &[2]), ("topic2", &[2])]));
    }

    #[test]
    fn an_added_member_and_partition() {
        // RangeAssignorTest (server)#testReassignmentWhenOneMemberAddedAndOnePartitionAfterInitialAssignmentWithTwoMembersTwoTopics
        let members = vec![
            Member::new("A", &["topic1", "topic2"]).assigned("topic1", &[0, 1]).assigned("topic2", &[0, 1]),
            Member::new("B", &["topic1", "topic2"]).assigned("topic1", &[2]).assigned("topic2", &[2]),
            Member::new("C", &["topic1"]),
        ];
        let result = assign(&spec(&[("topic1", 4), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1]), ("topic2", &[0, 1])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[2]), ("topic2", &[2])]));
        assert_eq!(result["C"], partitions(&[("topic1", &[3])]));
    }

    #[test]
    fn a_removed_member_leaves_everything_to_the_other() {
        // RangeAssignorTest (server)#testReassignmentWhenOneMemberRemovedAfterInitialAssignmentWithTwoMembersTwoTopics
        let members = vec![Member::new("B", &["topic1", "topic2"]).assigned("topic1", &[2]).assigned("topic2", &[2])];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["B"], partitions(&[("topic1", &[0, 1, 2]), ("topic2", &[0, 1, 2])]));
    }

    #[test]
    fn changed_subscriptions_recompute_every_range() {
        // RangeAssignorTest (server)#testReassignmentWhenMultipleSubscriptionsRemovedAfterInitialAssignmentWithThreeMembersTwoTopics
        let members = vec![
            Member::new("A", &["topic1"]).assigned("topic1", &[0, 1, 2]).assigned("topic2", &[0]),
            Member::new("B", &["topic1", "topic2", "topic3"]).assigned("topic2", &[1]),
            Member::new("C", &["topic2"]).assigned("topic2", &[2]).assigned("topic3", &[0, 1]),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3), ("topic3", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[2]), ("topic2", &[0, 1]), ("topic3", &[0, 1])]));
        assert_eq!(result["C"], partitions(&[("topic2", &[2])]));
    }
}
