//! Small builders that keep the ported Kafka test cases close to how Kafka's tests read.

use crate::sim::sorted::SortedMap;

use super::{Assignment, AssignmentInput, MemberSubscription};
use crate::kafka::ids::TopicPartition;

/// Metadata with these partition counts, and these members in JoinGroup order.
pub fn input(topics: &[(&str, u32)], members: Vec<MemberSubscription>) -> AssignmentInput {
    AssignmentInput { topics: topics.iter().map(|(t, n)| (t.to_string(), *n)).collect(), members }
}

/// A partition list, in the given order.
pub fn tps(partitions: &[(&str, u32)]) -> Vec<TopicPartition> {
    partitions.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect()
}

/// Parses Kafka's test notation `"t1-0, t1-3, t2-0"` into partitions, keeping the order.
pub fn parse(list: &str) -> Vec<TopicPartition> {
    list.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let (topic, partition) = s.rsplit_once('-').expect("test notation is topic-partition");
            TopicPartition::new(topic, partition.parse().expect("test notation has a partition number"))
        })
        .collect()
}

/// A member's list as Kafka's rack tests print it: sorted by topic then partition, comma-separated.
pub fn sorted_string(partitions: &[TopicPartition]) -> String {
    let mut sorted = partitions.to_vec();
    sorted.sort();
    sorted.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// Every member's list as [`sorted_string`].
pub fn sorted_strings(assignment: &Assignment) -> SortedMap<String, String> {
    assignment.iter().map(|(m, list)| (m.clone(), sorted_string(list))).collect()
}

/// `count` partitions of `topic`, for owned-partition lists.
pub fn all_of(topic: &str, count: u32) -> Vec<TopicPartition> {
    (0..count).map(|p| TopicPartition::new(topic, p)).collect()
}
