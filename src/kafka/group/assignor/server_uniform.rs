//! The broker-side `uniform` assignor of the KIP-848 `consumer` protocol, for groups whose members
//! all subscribe to the same topics (`UniformHomogeneousAssignmentBuilder`, SEMANTICS §3.5). It is
//! the default of `group.consumer.assignors`.
//!
//! With `P` partitions and `N` members, the first `P % N` members (in `groupSpec.memberIds()` order)
//! may hold `P / N + 1` partitions, the others `P / N`. Each member keeps its current partitions up
//! to that quota and gives up the rest; then the members still short are filled, in member order,
//! from a list of the partitions nobody holds (per topic, in topic iteration order) followed by the
//! ones just given up.
//!
//! Both orders come from Java hash structures keyed by topic ids and member ids that a name-based
//! model cannot derive, so [`ServerGroupSpec`] carries them (Kafka's tests iterate members sorted,
//! which is the default). A member's current topics are walked in name order.

use crate::sim::sorted::SortedSet;

use super::AssignError;
use super::server_spec::{ServerAssignment, ServerGroupSpec};
use crate::kafka::ids::TopicPartition;

/// Runs the uniform assignor. Heterogeneous groups use a different builder, not simulated here.
pub fn assign(spec: &ServerGroupSpec) -> Result<ServerAssignment, AssignError> {
    spec.validate()?;
    if !spec.is_homogeneous() {
        return Err(AssignError::NotPorted {
            what: "the uniform assignor for members with different subscriptions (UniformHeterogeneousAssignmentBuilder)",
        });
    }
    let mut assignment = spec.empty_assignment();
    let members = spec.members_in_iteration_order();
    let Some(first) = members.first() else {
        return Ok(assignment);
    };
    let existing: Vec<&str> =
        first.topics.iter().map(String::as_str).filter(|t| spec.partition_count(t).is_some()).collect();
    let subscribed: SortedSet<&str> = existing.iter().copied().collect();
    if subscribed.is_empty() {
        return Ok(assignment);
    }
    let held: SortedSet<TopicPartition> = spec
        .members
        .iter()
        .flat_map(|m| {
            m.current_assignment.iter().flat_map(|(t, ps)| ps.iter().map(move |p| TopicPartition::new(t.as_str(), *p)))
        })
        .collect();
    let mut unassigned = Vec::new();
    let mut partition_total = 0usize;
    for topic in spec.in_topic_order(&existing) {
        let count = spec.partition_count(topic).unwrap_or(0);
        partition_total += count as usize;
        unassigned.extend((0..count).map(|p| TopicPartition::new(topic, p)).filter(|p| !held.contains(p)));
    }

    let min_quota = partition_total / members.len();
    let mut extra_slots = partition_total % members.len();
    let mut unfilled: Vec<(&str, usize)> = Vec::new();
    for member in &members {
        let mut quota = min_quota;
        if extra_slots > 0 {
            quota += 1;
            extra_slots -= 1;
        }
        let mut kept = member.current_assignment.clone();
        for (topic, partitions) in &member.current_assignment {
            if !subscribed.contains(topic.as_str()) {
                kept.remove(topic);
            } else if partitions.len() <= quota {
                quota -= partitions.len();
            } else {
                for partition in partitions {
                    if quota > 0 {
                        quota -= 1;
                    } else {
                        if let Some(set) = kept.get_mut(topic) {
                            set.remove(partition);
                        }
                        unassigned.push(TopicPartition::new(topic.as_str(), *partition));
                    }
                }
                kept.retain(|_, set| !set.is_empty());
            }
        }
        if quota > 0 {
            unfilled.push((&member.member_id, quota));
        }
        assignment.insert(member.member_id.clone(), kept);
    }

    let mut next = unassigned.iter();
    for (member, quota) in unfilled {
        let Some(target) = assignment.get_mut(member) else { continue };
        for partition in next.by_ref().take(quota) {
            target.entry(partition.topic.clone()).or_default().insert(partition.partition);
        }
    }
    if next.next().is_some() {
        return Err(AssignError::KafkaThrows {
            assignor: "uniform",
            reason: "partitions were left unassigned (PartitionAssignorException)".to_string(),
        });
    }
    Ok(assignment)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::group::assignor::server_spec::{ServerMember as Member, TopicPartitions};

    /// Kafka's test topic ids iterate topic2, topic3, topic1 in a Java hash set.
    fn spec(topics: &[(&str, u32)], members: Vec<Member>) -> ServerGroupSpec {
        ServerGroupSpec {
            topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(),
            members,
            member_iteration_order: None,
            topic_iteration_order: Some(vec!["topic2".into(), "topic3".into(), "topic1".into()]),
        }
    }

    fn partitions(entries: &[(&str, &[u32])]) -> TopicPartitions {
        entries.iter().map(|(t, ps)| (t.to_string(), ps.iter().copied().collect())).collect()
    }

    #[test]
    fn one_member_with_no_subscription_gets_nothing() {
        // OptimizedUniformAssignmentBuilderTest#testOneMemberNoTopicSubscription
        let result = assign(&spec(&[("topic1", 3)], vec![Member::new("A", &[])])).unwrap();
        assert_eq!(result["A"], TopicPartitions::new());
    }

    #[test]
    fn first_assignment_fills_members_from_the_topic_iteration_order() {
        // OptimizedUniformAssignmentBuilderTest#testFirstAssignmentTwoMembersTwoTopicsNoMemberRacks:
        // topic3 comes before topic1, and A (first in member order) has the extra slot.
        let all = ["topic1", "topic3"];
        let result =
            assign(&spec(&[("topic1", 3), ("topic3", 2)], vec![Member::new("A", &all), Member::new("B", &all)]))
                .unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0]), ("topic3", &[0, 1])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1, 2])]));
    }

    #[test]
    fn more_members_than_partitions_leaves_the_last_member_empty() {
        // OptimizedUniformAssignmentBuilderTest#testFirstAssignmentNumMembersGreaterThanTotalNumPartitions
        let members = vec![Member::new("A", &["topic3"]), Member::new("B", &["topic3"]), Member::new("C", &["topic3"])];
        let result = assign(&spec(&[("topic3", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic3", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic3", &[1])]));
        assert_eq!(result["C"], TopicPartitions::new());
    }

    #[test]
    fn an_over_quota_member_gives_up_its_last_partitions() {
        // OptimizedUniformAssignmentBuilderTest#testReassignmentForTwoMembersTwoTopicsGivenUnbalancedPrevAssignment
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0, 1]).assigned("topic2", &[0, 1]),
            Member::new("B", &all).assigned("topic1", &[2]).assigned("topic2", &[2]),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1]), ("topic2", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[2]), ("topic2", &[1, 2])]));
    }

    #[test]
    fn added_partitions_go_to_members_in_order() {
        // OptimizedUniformAssignmentBuilderTest#testReassignmentWhenPartitionsAreAddedForTwoMembersTwoTopics
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0, 2]).assigned("topic2", &[0]),
            Member::new("B", &all).assigned("topic1", &[1]).assigned("topic2", &[1, 2]),
        ];
        let result = assign(&spec(&[("topic1", 6), ("topic2", 5)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 2, 3]), ("topic2", &[0, 3, 4])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1, 4, 5]), ("topic2", &[1, 2])]));
    }

    #[test]
    fn an_added_member_receives_what_the_others_give_up() {
        // OptimizedUniformAssignmentBuilderTest#testReassignmentWhenOneMemberAddedAfterInitialAssignmentWithTwoMembersTwoTopics
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0, 2]).assigned("topic2", &[0]),
            Member::new("B", &all).assigned("topic1", &[1]).assigned("topic2", &[1, 2]),
            Member::new("C", &all),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 2])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1]), ("topic2", &[1])]));
        assert_eq!(result["C"], partitions(&[("topic2", &[0, 2])]));
    }

    #[test]
    fn a_removed_members_partitions_go_to_the_others() {
        // OptimizedUniformAssignmentBuilderTest#testReassignmentWhenOneMemberRemovedAfterInitialAssignmentWithThreeMembersTwoTopics
        let all = ["topic1", "topic2"];
        let members = vec![
            Member::new("A", &all).assigned("topic1", &[0]).assigned("topic2", &[0]),
            Member::new("B", &all).assigned("topic1", &[1]).assigned("topic2", &[1]),
        ];
        let result = assign(&spec(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0]), ("topic2", &[0, 2])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[1, 2]), ("topic2", &[1])]));
    }

    #[test]
    fn an_unsubscribed_topic_is_dropped_entirely() {
        // OptimizedUniformAssignmentBuilderTest#testReassignmentWhenOneSubscriptionRemovedAfterInitialAssignmentWithTwoMembersTwoTopics
        let members = vec![
            Member::new("A", &["topic2"]).assigned("topic1", &[0]).assigned("topic2", &[0]),
            Member::new("B", &["topic2"]).assigned("topic1", &[1]).assigned("topic2", &[1]),
        ];
        let result = assign(&spec(&[("topic1", 2), ("topic2", 2)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic2", &[0])]));
        assert_eq!(result["B"], partitions(&[("topic2", &[1])]));
    }

    #[test]
    fn a_large_group_is_balanced_and_valid() {
        // OptimizedUniformAssignmentBuilderTest#testValidityAndBalanceForLargeSampleSet: 99 topics of
        // 3 partitions, 49 members; every partition assigned once, loads differ by at most one.
        let topics: Vec<(String, u32)> = (1..100).map(|i| (format!("topic{i}"), 3)).collect();
        let names: Vec<&str> = topics.iter().map(|(t, _)| t.as_str()).collect();
        let members: Vec<Member> = (1..50).map(|i| Member::new(&format!("member{i}"), &names)).collect();
        let spec = ServerGroupSpec {
            topics: topics.iter().cloned().collect(),
            members,
            member_iteration_order: None,
            topic_iteration_order: None,
        };
        let result = assign(&spec).unwrap();
        let loads: Vec<usize> = result.values().map(|a| a.values().map(SortedSet::len).sum()).collect();
        assert_eq!(loads.iter().sum::<usize>(), 297);
        assert!(loads.iter().max().unwrap() - loads.iter().min().unwrap() <= 1);
        let all: SortedSet<(String, u32)> = result
            .values()
            .flat_map(|a| a.iter().flat_map(|(t, ps)| ps.iter().map(move |p| (t.clone(), *p))))
            .collect();
        assert_eq!(all.len(), 297);
    }

    #[test]
    fn different_subscriptions_are_not_simulated() {
        let members = vec![Member::new("A", &["topic1"]), Member::new("B", &["topic2"])];
        assert!(matches!(assign(&spec(&[("topic1", 1), ("topic2", 1)], members)), Err(AssignError::NotPorted { .. })));
    }
}
