//! `roundrobin`: Kafka's `RoundRobinAssignor` (SEMANTICS §3.3).
//!
//! Every subscribed topic, sorted by name, lists its partitions in order; the members, in Kafka's
//! member order, take turns around a circle. A member not subscribed to the current partition's
//! topic is skipped (the turn passes it by). With equal subscriptions this balances the whole group
//! to within one partition, which range does not.

use crate::sim::sorted::{SortedMap, SortedSet};

use super::member_order::{self, MemberInfo};
use super::{AssignError, Assignment, AssignmentInput};
use crate::kafka::ids::TopicPartition;
use crate::kafka::java::compare_strings;

/// Runs the round-robin assignor.
pub fn assign(input: &AssignmentInput) -> Result<Assignment, AssignError> {
    input.validate()?;
    let mut assignment = input.empty_assignment();
    let mut members: Vec<MemberInfo> = input.members.iter().map(|m| m.info()).collect();
    member_order::sort(&mut members);
    if members.is_empty() {
        return Ok(assignment);
    }
    let topics_by_member: SortedMap<&str, SortedSet<&str>> =
        input.members.iter().map(|m| (m.member_id.as_str(), m.topics.iter().map(String::as_str).collect())).collect();
    let subscribed = |member: &MemberInfo, topic: &str| {
        topics_by_member.get(member.member_id).is_some_and(|topics| topics.contains(topic))
    };
    // The circle: the index of the member whose turn is next.
    let mut next = 0;
    for partition in all_partitions_sorted(input) {
        // Some member subscribes to every listed topic, so this finds one within one lap.
        let Some(offset) =
            (0..members.len()).find(|k| subscribed(&members[(next + k) % members.len()], &partition.topic))
        else {
            continue;
        };
        let taker = (next + offset) % members.len();
        next = (taker + 1) % members.len();
        if let Some(list) = assignment.get_mut(members[taker].member_id) {
            list.push(partition);
        }
    }
    Ok(assignment)
}

/// Every partition of every subscribed topic that exists: topics in Java string order (a TreeSet),
/// partitions ascending.
fn all_partitions_sorted(input: &AssignmentInput) -> Vec<TopicPartition> {
    let topics: SortedSet<&str> = input.members.iter().flat_map(|m| m.topics.iter().map(String::as_str)).collect();
    let mut topics: Vec<&str> = topics.into_iter().collect();
    crate::sim::sorted::sort_by(&mut topics, |a, b| compare_strings(a, b));
    topics
        .into_iter()
        .flat_map(|topic| (0..input.partition_count(topic).unwrap_or(0)).map(move |p| TopicPartition::new(topic, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::group::assignor::MemberSubscription as Member;
    use crate::kafka::group::assignor::test_support::{input, tps};
    use crate::sim::sorted::SortedMap;

    #[test]
    fn one_consumer_with_no_subscription_gets_an_empty_list() {
        // RoundRobinAssignorTest#testOneConsumerNoTopic
        let result = assign(&input(&[], vec![Member::new("consumer", &[])])).unwrap();
        assert_eq!(result, SortedMap::from([("consumer".to_string(), vec![])]));
    }

    #[test]
    fn a_topic_missing_from_metadata_is_skipped() {
        // RoundRobinAssignorTest#testOneConsumerNonexistentTopic
        let result = assign(&input(&[], vec![Member::new("consumer", &["topic"])])).unwrap();
        assert_eq!(result["consumer"], vec![]);
    }

    #[test]
    fn one_consumer_takes_every_partition_in_order() {
        // RoundRobinAssignorTest#testOneConsumerOneTopic
        let result = assign(&input(&[("topic", 3)], vec![Member::new("consumer", &["topic"])])).unwrap();
        assert_eq!(result["consumer"], tps(&[("topic", 0), ("topic", 1), ("topic", 2)]));
    }

    #[test]
    fn topics_nobody_subscribes_to_are_left_alone() {
        // RoundRobinAssignorTest#testOnlyAssignsPartitionsFromSubscribedTopics
        let result = assign(&input(&[("topic", 3), ("other", 3)], vec![Member::new("consumer", &["topic"])])).unwrap();
        assert_eq!(result["consumer"], tps(&[("topic", 0), ("topic", 1), ("topic", 2)]));
    }

    #[test]
    fn one_consumer_takes_topics_in_name_order() {
        // RoundRobinAssignorTest#testOneConsumerMultipleTopics
        let result =
            assign(&input(&[("topic1", 1), ("topic2", 2)], vec![Member::new("consumer", &["topic2", "topic1"])]))
                .unwrap();
        assert_eq!(result["consumer"], tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    }

    #[test]
    fn two_consumers_one_partition_the_first_in_order_takes_it() {
        // RoundRobinAssignorTest#testTwoConsumersOneTopicOnePartition
        let members = vec![Member::new("consumer1", &["topic"]), Member::new("consumer2", &["topic"])];
        let result = assign(&input(&[("topic", 1)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic", 0)]));
        assert_eq!(result["consumer2"], vec![]);
    }

    #[test]
    fn two_consumers_two_partitions_one_each() {
        // RoundRobinAssignorTest#testTwoConsumersOneTopicTwoPartitions
        let members = vec![Member::new("consumer1", &["topic"]), Member::new("consumer2", &["topic"])];
        let result = assign(&input(&[("topic", 2)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic", 0)]));
        assert_eq!(result["consumer2"], tps(&[("topic", 1)]));
    }

    #[test]
    fn members_not_subscribed_to_a_topic_are_skipped_in_turn() {
        // RoundRobinAssignorTest#testMultipleConsumersMixedTopics
        let members = vec![
            Member::new("consumer1", &["topic1"]),
            Member::new("consumer2", &["topic1", "topic2"]),
            Member::new("consumer3", &["topic1"]),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 2)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(result["consumer3"], tps(&[("topic1", 2)]));
    }

    #[test]
    fn two_consumers_two_topics_alternate_across_topic_boundaries() {
        // RoundRobinAssignorTest#testTwoDynamicConsumersTwoTopicsSixPartitions
        let members =
            vec![Member::new("consumer1", &["topic1", "topic2"]), Member::new("consumer2", &["topic1", "topic2"])];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));
    }

    #[test]
    fn static_members_take_turns_by_instance_id() {
        // RoundRobinAssignorTest#testTwoStaticConsumersTwoTopicsSixPartitions
        let members = vec![
            Member::new("consumer-b", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer-a", &["topic1", "topic2"]).with_instance_id("instance2"),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer-b"], tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]));
        assert_eq!(result["consumer-a"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));
    }

    #[test]
    fn a_static_member_takes_its_turn_before_a_dynamic_one() {
        // RoundRobinAssignorTest#testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions
        let members = vec![
            Member::new("consumer-b", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer-a", &["topic1", "topic2"]),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer-b"], tps(&[("topic1", 0), ("topic1", 2), ("topic2", 1)]));
        assert_eq!(result["consumer-a"], tps(&[("topic1", 1), ("topic2", 0), ("topic2", 2)]));
    }

    #[test]
    fn static_members_keep_their_turns_when_a_dynamic_member_is_replaced() {
        // RoundRobinAssignorTest#testStaticMemberRoundRobinAssignmentPersistent
        let statics = [("consumer1", "instance1"), ("consumer2", "instance2"), ("consumer3", "instance3")];
        let mut members: Vec<Member> =
            statics.iter().map(|(m, i)| Member::new(m, &["topic1", "topic2"]).with_instance_id(i)).collect();
        members.push(Member::new("consumer4", &["topic1", "topic2"]));
        let topics = [("topic1", 3), ("topic2", 3)];
        let result = assign(&input(&topics, members.clone())).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 1), ("topic2", 2)]));
        assert_eq!(result["consumer3"], tps(&[("topic1", 2)]));
        assert_eq!(result["consumer4"], tps(&[("topic2", 0)]));
        members.pop();
        members.push(Member::new("consumer5", &["topic1", "topic2"]));
        let result = assign(&input(&topics, members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic2", 1)]));
        assert_eq!(result["consumer5"], tps(&[("topic2", 0)]));
    }

    #[test]
    fn static_members_keep_their_turns_when_their_member_ids_change() {
        // RoundRobinAssignorTest#testStaticMemberRoundRobinAssignmentPersistentAfterMemberIdChanges
        let topics = [("topic1", 5), ("topic2", 5)];
        let by_instance = |members: Vec<Member>| {
            let result = assign(&input(&topics, members.clone())).unwrap();
            members
                .iter()
                .map(|m| (m.group_instance_id.clone().unwrap_or_default(), result[&m.member_id].clone()))
                .collect::<SortedMap<_, _>>()
        };
        let before = by_instance(vec![
            Member::new("consumer1", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer2", &["topic1", "topic2"]).with_instance_id("instance2"),
            Member::new("consumer3", &["topic1", "topic2"]).with_instance_id("instance3"),
        ]);
        assert_eq!(before["instance1"], tps(&[("topic1", 0), ("topic1", 3), ("topic2", 1), ("topic2", 4)]));
        assert_eq!(before["instance2"], tps(&[("topic1", 1), ("topic1", 4), ("topic2", 2)]));
        assert_eq!(before["instance3"], tps(&[("topic1", 2), ("topic2", 0), ("topic2", 3)]));
        let after = by_instance(vec![
            Member::new("consumer1", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer5", &["topic1", "topic2"]).with_instance_id("instance2"),
            Member::new("consumer4", &["topic1", "topic2"]).with_instance_id("instance3"),
        ]);
        assert_eq!(before, after);
    }

    #[test]
    fn the_javadoc_example_two_consumers_two_topics() {
        // RoundRobinAssignor javadoc: C0 [t0p0, t0p2, t1p1], C1 [t0p1, t1p0, t1p2].
        let members = vec![Member::new("C0", &["t0", "t1"]), Member::new("C1", &["t0", "t1"])];
        let result = assign(&input(&[("t0", 3), ("t1", 3)], members)).unwrap();
        assert_eq!(result["C0"], tps(&[("t0", 0), ("t0", 2), ("t1", 1)]));
        assert_eq!(result["C1"], tps(&[("t0", 1), ("t1", 0), ("t1", 2)]));
    }

    #[test]
    fn the_javadoc_rolling_bounce_shuffles_dynamic_members() {
        // RoundRobinAssignor javadoc: without static membership, new member ids after a rolling
        // bounce (C0 -> C5, C1 -> C3, C2 -> C4) reshuffle every assignment.
        let topics = [("t0", 3), ("t1", 3)];
        let ids = |names: [&str; 3]| names.iter().map(|n| Member::new(n, &["t0", "t1"])).collect::<Vec<_>>();
        let before = assign(&input(&topics, ids(["C0", "C1", "C2"]))).unwrap();
        assert_eq!(before["C0"], tps(&[("t0", 0), ("t1", 0)]));
        assert_eq!(before["C1"], tps(&[("t0", 1), ("t1", 1)]));
        assert_eq!(before["C2"], tps(&[("t0", 2), ("t1", 2)]));
        let after = assign(&input(&topics, ids(["C5", "C3", "C4"]))).unwrap();
        assert_eq!(after["C3"], tps(&[("t0", 0), ("t1", 0)]));
        assert_eq!(after["C4"], tps(&[("t0", 1), ("t1", 1)]));
        assert_eq!(after["C5"], tps(&[("t0", 2), ("t1", 2)]));
    }

    #[test]
    fn the_javadoc_example_with_uneven_subscriptions() {
        // RoundRobinAssignor javadoc: C0 subscribes t0; C1 t0, t1; C2 t0, t1, t2, each topic with
        // 1, 2 and 3 partitions.
        let members =
            vec![Member::new("C0", &["t0"]), Member::new("C1", &["t0", "t1"]), Member::new("C2", &["t0", "t1", "t2"])];
        let result = assign(&input(&[("t0", 1), ("t1", 2), ("t2", 3)], members)).unwrap();
        assert_eq!(result["C0"], tps(&[("t0", 0)]));
        assert_eq!(result["C1"], tps(&[("t1", 0)]));
        assert_eq!(result["C2"], tps(&[("t1", 1), ("t2", 0), ("t2", 1), ("t2", 2)]));
    }
}
