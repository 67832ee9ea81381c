//! `range`: Kafka's `RangeAssignor` (SEMANTICS §3.2), without rack awareness.
//!
//! Each topic is split on its own: its subscribers, in Kafka's member order, take contiguous ranges
//! of `n / k` partitions, and the first `n % k` of them take one more. Because every topic starts
//! again from the first member, a group subscribed to many topics piles the extras on the same few
//! members: that imbalance is the lesson of this assignor.
//!
//! Member lists come out topic by topic, in the order Kafka's leader iterates its
//! `partitionsPerTopic` Java hash map, with each topic's range ascending.

use std::ops::Range;

use crate::kafka::java::hash_order::strings_in_hash_order;
use super::member_order::{self, MemberInfo};
use super::{AssignError, Assignment, AssignmentInput};
use crate::kafka::ids::TopicPartition;

/// Runs the range assignor.
pub fn assign(input: &AssignmentInput) -> Result<Assignment, AssignError> {
    input.validate()?;
    let mut assignment = input.empty_assignment();
    for topic in topics_in_kafka_order(input) {
        // The topic exists: topics_in_kafka_order only yields topics with partitions.
        let partition_count = input.partition_count(topic).unwrap_or(0);
        let mut subscribers: Vec<MemberInfo> =
            input.members.iter().filter(|m| m.topics.iter().any(|t| t == topic)).map(|m| m.info()).collect();
        member_order::sort(&mut subscribers);
        for (member, range) in subscribers.iter().zip(ranges(partition_count, subscribers.len())) {
            if let Some(list) = assignment.get_mut(member.member_id) {
                list.extend(range.map(|p| TopicPartition::new(topic, p)));
            }
        }
    }
    Ok(assignment)
}

/// The subscribed topics that exist, in the order Kafka's leader iterates them: it collects every
/// subscribed topic into a Java hash set (members in subscription-map order), then puts those with
/// metadata into the `partitionsPerTopic` Java hash map.
fn topics_in_kafka_order(input: &AssignmentInput) -> Vec<&str> {
    let members = input.members_in_subscription_order();
    let subscribed = strings_in_hash_order(members.iter().flat_map(|m| m.topics.iter().map(String::as_str)));
    strings_in_hash_order(subscribed.into_iter().filter(|t| input.partition_count(t).is_some()))
}

/// The contiguous range each of `member_count` subscribers takes from `partition_count` partitions:
/// `n / k` each, plus one for the first `n % k`. Members past the last partition get empty ranges.
pub fn ranges(partition_count: u32, member_count: usize) -> Vec<Range<u32>> {
    if member_count == 0 {
        return Vec::new();
    }
    // A group has far fewer than 2^32 members; saturating keeps the arithmetic total anyway.
    let members = u32::try_from(member_count).unwrap_or(u32::MAX);
    let quota = partition_count / members;
    let extra = partition_count % members;
    let mut start = 0;
    (0..members)
        .map(|index| {
            let length = quota + u32::from(index < extra);
            let range = start..start + length;
            start += length;
            range
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::group::assignor::MemberSubscription as Member;
    use crate::kafka::group::assignor::test_support::{input, parse, sorted_strings, tps};
    use crate::sim::sorted::SortedMap;

    fn set(list: &[TopicPartition]) -> Vec<TopicPartition> {
        let mut sorted = list.to_vec();
        crate::sim::sorted::sort_by(&mut sorted, |a, b| a.cmp(b));
        sorted
    }

    #[test]
    fn one_consumer_with_no_subscription_gets_an_empty_list() {
        // RangeAssignorTest#testOneConsumerNoTopic
        let result = assign(&input(&[], vec![Member::new("consumer1", &[])])).unwrap();
        assert_eq!(result, SortedMap::from([("consumer1".to_string(), vec![])]));
    }

    #[test]
    fn a_topic_missing_from_metadata_is_skipped() {
        // RangeAssignorTest#testOneConsumerNonexistentTopic
        let result = assign(&input(&[], vec![Member::new("consumer1", &["topic1"])])).unwrap();
        assert_eq!(result["consumer1"], vec![]);
    }

    #[test]
    fn one_consumer_takes_every_partition_of_its_topic() {
        // RangeAssignorTest#testOneConsumerOneTopic
        let result = assign(&input(&[("topic1", 3)], vec![Member::new("consumer1", &["topic1"])])).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 1), ("topic1", 2)]));
    }

    #[test]
    fn topics_nobody_subscribes_to_are_left_alone() {
        // RangeAssignorTest#testOnlyAssignsPartitionsFromSubscribedTopics
        let result =
            assign(&input(&[("topic1", 3), ("other", 3)], vec![Member::new("consumer1", &["topic1"])])).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 1), ("topic1", 2)]));
    }

    #[test]
    fn one_consumer_takes_all_its_topics() {
        // RangeAssignorTest#testOneConsumerMultipleTopics
        let result =
            assign(&input(&[("topic1", 1), ("topic2", 2)], vec![Member::new("consumer1", &["topic1", "topic2"])]))
                .unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic2", 0), ("topic2", 1)]));
    }

    #[test]
    fn two_consumers_one_partition_the_second_gets_nothing() {
        // RangeAssignorTest#testTwoConsumersOneTopicOnePartition
        let members = vec![Member::new("consumer1", &["topic1"]), Member::new("consumer2", &["topic1"])];
        let result = assign(&input(&[("topic1", 1)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(result["consumer2"], vec![]);
    }

    #[test]
    fn two_consumers_two_partitions_one_each() {
        // RangeAssignorTest#testTwoConsumersOneTopicTwoPartitions
        let members = vec![Member::new("consumer1", &["topic1"]), Member::new("consumer2", &["topic1"])];
        let result = assign(&input(&[("topic1", 2)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 1)]));
    }

    #[test]
    fn each_topic_is_split_over_its_own_subscribers_only() {
        // RangeAssignorTest#testMultipleConsumersMixedTopics
        let members = vec![
            Member::new("consumer1", &["topic1"]),
            Member::new("consumer2", &["topic1", "topic2"]),
            Member::new("consumer3", &["topic1"]),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 2)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0)]));
        assert_eq!(set(&result["consumer2"]), tps(&[("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(result["consumer3"], tps(&[("topic1", 2)]));
    }

    #[test]
    fn two_consumers_two_topics_three_partitions_each_the_first_gets_both_extras() {
        // RangeAssignorTest#testTwoConsumersTwoTopicsSixPartitions: the lesson of range. Each topic's
        // odd partition goes to the same first member.
        let members =
            vec![Member::new("consumer1", &["topic1", "topic2"]), Member::new("consumer2", &["topic1", "topic2"])];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 2), ("topic2", 2)]));
    }

    #[test]
    fn static_members_are_ordered_by_instance_id_not_member_id() {
        // RangeAssignorTest#testTwoStaticConsumersTwoTopicsSixPartitions
        let members = vec![
            Member::new("consumer-b", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer-a", &["topic1", "topic2"]).with_instance_id("instance2"),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer-b"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(result["consumer-a"], tps(&[("topic1", 2), ("topic2", 2)]));
    }

    #[test]
    fn a_static_member_goes_before_a_dynamic_one() {
        // RangeAssignorTest#testOneStaticConsumerAndOneDynamicConsumerTwoTopicsSixPartitions
        let members = vec![
            Member::new("consumer-b", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer-a", &["topic1", "topic2"]),
        ];
        let result = assign(&input(&[("topic1", 3), ("topic2", 3)], members)).unwrap();
        assert_eq!(result["consumer-b"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(result["consumer-a"], tps(&[("topic1", 2), ("topic2", 2)]));
    }

    #[test]
    fn static_members_keep_their_ranges_when_a_dynamic_member_is_replaced() {
        // RangeAssignorTest#testStaticMemberRangeAssignmentPersistent (exact lists: Kafka compares
        // the whole map, so the order topic1 then topic2 comes from the Java hash map).
        let statics = [("consumer1", "instance1"), ("consumer2", "instance2"), ("consumer3", "instance3")];
        let mut members: Vec<Member> =
            statics.iter().map(|(m, i)| Member::new(m, &["topic1", "topic2"]).with_instance_id(i)).collect();
        members.push(Member::new("consumer4", &["topic1", "topic2"]));
        let topics = [("topic1", 5), ("topic2", 4)];
        let result = assign(&input(&topics, members.clone())).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0)]));
        assert_eq!(result["consumer2"], tps(&[("topic1", 2), ("topic2", 1)]));
        assert_eq!(result["consumer3"], tps(&[("topic1", 3), ("topic2", 2)]));
        assert_eq!(result["consumer4"], tps(&[("topic1", 4), ("topic2", 3)]));

        members.pop();
        members.push(Member::new("consumer5", &["topic1", "topic2"]));
        let result = assign(&input(&topics, members)).unwrap();
        assert_eq!(result["consumer1"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0)]));
        assert_eq!(result["consumer5"], tps(&[("topic1", 4), ("topic2", 3)]));
    }

    #[test]
    fn static_members_keep_their_ranges_when_their_member_ids_change() {
        // RangeAssignorTest#testStaticMemberRangeAssignmentPersistentAfterMemberIdChanges
        let topics = [("topic1", 5), ("topic2", 5)];
        let by_instance = |members: Vec<Member>| {
            let result = assign(&input(&topics, members.clone())).unwrap();
            members
                .iter()
                .map(|m| (m.group_instance_id.clone().unwrap_or_default(), set(&result[&m.member_id])))
                .collect::<SortedMap<_, _>>()
        };
        let before = by_instance(vec![
            Member::new("consumer1", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer2", &["topic1", "topic2"]).with_instance_id("instance2"),
            Member::new("consumer3", &["topic1", "topic2"]).with_instance_id("instance3"),
        ]);
        assert_eq!(before["instance1"], tps(&[("topic1", 0), ("topic1", 1), ("topic2", 0), ("topic2", 1)]));
        assert_eq!(before["instance2"], tps(&[("topic1", 2), ("topic1", 3), ("topic2", 2), ("topic2", 3)]));
        assert_eq!(before["instance3"], tps(&[("topic1", 4), ("topic2", 4)]));
        let after = by_instance(vec![
            Member::new("consumer1", &["topic1", "topic2"]).with_instance_id("instance1"),
            Member::new("consumer5", &["topic1", "topic2"]).with_instance_id("instance2"),
            Member::new("consumer4", &["topic1", "topic2"]).with_instance_id("instance3"),
        ]);
        assert_eq!(before, after);
    }

    /// Runs Kafka's rack-test layout without racks: members consumer0.., each with its topics.
    fn rack_test_layout(topics: &[(&str, u32)], subscriptions: &[&[&str]]) -> SortedMap<String, String> {
        let members =
            subscriptions.iter().enumerate().map(|(i, topics)| Member::new(&format!("consumer{i}"), topics)).collect();
        sorted_strings(&assign(&input(topics, members)).unwrap())
    }

    fn expect(lists: &[&str]) -> SortedMap<String, String> {
        lists
            .iter()
            .enumerate()
            .map(|(i, l)| (format!("consumer{i}"), super::super::test_support::sorted_string(&parse(l))))
            .collect()
    }

    #[test]
    fn without_racks_uniform_subscriptions_give_plain_ranges() {
        // RangeAssignorTest#testRackAwareAssignmentWithUniformSubscription, non-rack-aware part.
        let all: &[&str] = &["t1", "t2", "t3"];
        let got = rack_test_layout(&[("t1", 6), ("t2", 7), ("t3", 2)], &[all, all, all]);
        assert_eq!(
            got,
            expect(&["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0", "t1-2, t1-3, t2-3, t2-4, t3-1", "t1-4, t1-5, t2-5, t2-6"])
        );
    }

    #[test]
    fn without_racks_a_member_missing_a_topic_leaves_it_to_the_others() {
        // RangeAssignorTest#testRackAwareAssignmentWithNonEqualSubscription, non-rack-aware part.
        let all: &[&str] = &["t1", "t2", "t3"];
        let got = rack_test_layout(&[("t1", 6), ("t2", 7), ("t3", 2)], &[all, all, &["t1", "t3"]]);
        let want =
            expect(&["t1-0, t1-1, t2-0, t2-1, t2-2, t2-3, t3-0", "t1-2, t1-3, t2-4, t2-5, t2-6, t3-1", "t1-4, t1-5"]);
        assert_eq!(got, want);
    }

    #[test]
    fn topics_with_equal_partition_counts_stay_co_partitioned() {
        // RangeAssignorTest#testRackAwareAssignmentWithUniformPartitions, non-rack-aware part:
        // partition i of every topic goes to the same member.
        let all: &[&str] = &["t1", "t2", "t3"];
        let got = rack_test_layout(&[("t1", 5), ("t2", 5), ("t3", 5)], &[all, all, all]);
        assert_eq!(
            got,
            expect(&["t1-0, t1-1, t2-0, t2-1, t3-0, t3-1", "t1-2, t1-3, t2-2, t2-3, t3-2, t3-3", "t1-4, t2-4, t3-4"])
        );
        let got = rack_test_layout(&[("t1", 5), ("t2", 5), ("t3", 5)], &[all, all, &["t1", "t3"]]);
        assert_eq!(
            got,
            expect(&["t1-0, t1-1, t2-0, t2-1, t2-2, t3-0, t3-1", "t1-2, t1-3, t2-3, t2-4, t3-2, t3-3", "t1-4, t3-4"])
        );
    }

    #[test]
    fn co_partitioning_holds_for_groups_with_disjoint_subscriptions() {
        // RangeAssignorTest#testRackAwareAssignmentWithCoPartitioning, non-rack-aware parts.
        let topics = [("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2)];
        let got = rack_test_layout(&topics, &[&["t1", "t2"], &["t1", "t2"], &["t3", "t4"], &["t3", "t4"]]);
        assert_eq!(
            got,
            expect(&[
                "t1-0, t1-1, t1-2, t2-0, t2-1, t2-2",
                "t1-3, t1-4, t1-5, t2-3, t2-4, t2-5",
                "t3-0, t4-0",
                "t3-1, t4-1"
            ])
        );
        let all: &[&str] = &["t1", "t2", "t3", "t4"];
        let got = rack_test_layout(&topics, &[all, all, all, all]);
        assert_eq!(
            got,
            expect(&[
                "t1-0, t1-1, t2-0, t2-1, t3-0, t4-0",
                "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1",
                "t1-4, t2-4",
                "t1-5, t2-5"
            ])
        );
    }

    #[test]
    fn subscribed_topics_missing_from_metadata_do_not_shift_the_others() {
        // RangeAssignorTest#testCoPartitionedAssignmentWithSameSubscription, non-rack-aware part:
        // t7..t9 do not exist.
        let topics = [("t1", 6), ("t2", 6), ("t3", 2), ("t4", 2), ("t5", 4), ("t6", 4)];
        let all: &[&str] = &["t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"];
        let got = rack_test_layout(&topics, &[all, all, all]);
        let want = expect(&[
            "t1-0, t1-1, t2-0, t2-1, t3-0, t4-0, t5-0, t5-1, t6-0, t6-1",
            "t1-2, t1-3, t2-2, t2-3, t3-1, t4-1, t5-2, t6-2",
            "t1-4, t1-5, t2-4, t2-5, t5-3, t6-3",
        ]);
        assert_eq!(got, want);
    }

    #[test]
    fn ranges_give_the_first_n_mod_k_members_one_extra() {
        assert_eq!(ranges(7, 3), vec![0..3, 3..5, 5..7]);
        assert_eq!(ranges(1, 2), vec![0..1, 1..1]);
        assert_eq!(ranges(3, 0), vec![]);
    }
}
