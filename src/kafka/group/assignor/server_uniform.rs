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
//!
//! Groups whose members subscribe to different topics go to [`assign_heterogeneous`]
//! (`UniformHeterogeneousAssignmentBuilder`), which keeps every current partition still subscribed,
//! hands out the free ones to the least loaded subscribers, then moves partitions from the most to
//! the least loaded subscribers of each topic until the loads differ by at most one.

use crate::sim::sorted::{SortedMap, SortedSet};

use super::AssignError;
use crate::kafka::java::hash_order::JavaHashOrder;
use super::server_spec::{ServerAssignment, ServerGroupSpec};
use crate::kafka::ids::TopicPartition;
use crate::kafka::java::compare_strings;

/// Runs the uniform assignor: the homogeneous builder when every member subscribes to the same
/// topics, else [`assign_heterogeneous`].
pub fn assign(spec: &ServerGroupSpec) -> Result<ServerAssignment, AssignError> {
    spec.validate()?;
    if !spec.is_homogeneous() {
        return assign_heterogeneous(spec);
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
                // Kafka keeps the first `quota` partitions its hash set hands back, which is not
                // numeric order once ids reach the set's table size (16 for small sets).
                for partition in java_hash_set_order(partitions) {
                    if quota > 0 {
                        quota -= 1;
                    } else {
                        if let Some(set) = kept.get_mut(topic) {
                            set.remove(&partition);
                        }
                        unassigned.push(TopicPartition::new(topic.as_str(), partition));
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

/// `UniformHeterogeneousAssignmentBuilder`: the uniform assignor for members with different
/// subscriptions.
///
/// Members are numbered in `groupSpec.memberIds()` order. Every member keeps the current partitions
/// of topics it still subscribes to. Topics are then taken in `topicComparator` order: most partitions
/// per subscriber first, then fewer subscribers first, then by topic id (here the name: Kafka's test
/// topic ids order like their names, topic1 < topic2 < topic3 < topic4). Each topic's free partitions
/// go, in partition order, to its subscribers from the least loaded up ([`Balancer`]). Last, for up
/// to 16 passes over the topics with two or more subscribers, partitions move from a topic's most to
/// its least loaded subscribers, until a whole pass moves nothing.
pub fn assign_heterogeneous(spec: &ServerGroupSpec) -> Result<ServerAssignment, AssignError> {
    let members = spec.members_in_iteration_order();
    let mut subscribers: SortedMap<&str, Vec<usize>> = SortedMap::new();
    for (index, member) in members.iter().enumerate() {
        for topic in &member.topics {
            if !spec.topics.contains_key(topic) {
                return Err(AssignError::KafkaThrows {
                    assignor: "uniform",
                    reason: format!("members are subscribed to topic {topic}, which is not in the metadata"),
                });
            }
            let list = subscribers.entry(topic.as_str()).or_default();
            if list.last() != Some(&index) {
                list.push(index);
            }
        }
    }
    let mut builder = Heterogeneous {
        spec,
        member_ids: members.iter().map(|m| m.member_id.as_str()).collect(),
        sizes: vec![0; members.len()],
        owners: subscribers.keys().map(|t| (*t, vec![-1; spec.topics[*t] as usize])).collect(),
        subscribers,
        assignment: ServerAssignment::new(),
    };
    if builder.subscribers.is_empty() {
        return Ok(builder.assignment);
    }

    // maybeRevokePartitions: keep what is still subscribed, drop the rest.
    for (index, member) in members.iter().enumerate() {
        let mut kept = member.current_assignment.clone();
        for (topic, partitions) in &member.current_assignment {
            if !member.topics.contains(topic) {
                kept.remove(topic);
                continue;
            }
            builder.sizes[index] += partitions.len() as i64;
            let owners = builder.owners.get_mut(topic.as_str()).ok_or_else(|| stale(topic, partitions))?;
            for &partition in partitions {
                *owners.get_mut(partition as usize).ok_or_else(|| stale(topic, partitions))? = index as i64;
            }
        }
        builder.assignment.insert(member.member_id.clone(), kept);
    }

    // assignRemainingPartitions: the free partitions, topic by topic.
    let free: Vec<(&str, Vec<u32>)> = builder
        .owners
        .iter()
        .map(|(topic, owners)| (*topic, (0..owners.len()).filter(|&p| owners[p] == -1).map(|p| p as u32).collect()))
        .filter(|(_, free): &(&str, Vec<u32>)| !free.is_empty())
        .collect();
    let mut balancer = Balancer::default();
    for topic in builder.sorted_topics(free.iter().map(|(t, _)| *t).collect()) {
        let partitions = &free.iter().find(|(t, _)| *t == topic).map(|(_, ps)| ps.clone()).unwrap_or_default();
        balancer.initialize(&builder.subscribers[topic], &builder.sizes);
        for &partition in partitions {
            let member = balancer.next_least_loaded(&builder.sizes);
            builder.assign_partition(topic, partition, member);
        }
    }

    // balance: only topics that two or more members share can move.
    let shared: Vec<&str> = builder.subscribers.iter().filter(|(_, s)| s.len() >= 2).map(|(t, _)| *t).collect();
    if !shared.is_empty() {
        let topics = builder.sorted_topics(shared);
        let mut last_rebalanced: Option<usize> = None;
        'passes: for _ in 0..16 {
            for (index, topic) in topics.iter().enumerate() {
                if last_rebalanced == Some(index) {
                    break 'passes;
                }
                if builder.balance_topic(topic, &mut balancer) > 0 || last_rebalanced.is_none() {
                    last_rebalanced = Some(index);
                }
            }
        }
    }
    Ok(builder.assignment)
}

/// A current partition beyond its topic's partition count: Kafka's owner array has no slot for it.
fn stale(topic: &str, partitions: &SortedSet<u32>) -> AssignError {
    AssignError::KafkaThrows {
        assignor: "uniform",
        reason: format!("a current assignment holds {topic} {partitions:?}, past the topic's partitions (ArrayIndexOutOfBoundsException)"),
    }
}

/// The heterogeneous builder's state. Member indexes are positions in `groupSpec.memberIds()`.
struct Heterogeneous<'a> {
    spec: &'a ServerGroupSpec,
    member_ids: Vec<&'a str>,
    /// Each member's partition count in the target assignment so far.
    sizes: Vec<i64>,
    /// Per subscribed topic, each partition's owner index, -1 for none.
    owners: SortedMap<&'a str, Vec<i64>>,
    /// Per subscribed topic, its subscribers' indexes in member order.
    subscribers: SortedMap<&'a str, Vec<usize>>,
    assignment: ServerAssignment,
}

impl<'a> Heterogeneous<'a> {
    /// `sortTopicIds`: most partitions per subscriber first (compared as exact fractions, which the
    /// doubles Kafka divides agree with), then fewer subscribers, then the topic.
    fn sorted_topics(&self, mut topics: Vec<&'a str>) -> Vec<&'a str> {
        let key = |topic: &str| (i64::from(self.spec.topics[topic]), self.subscribers[topic].len() as i64);
        crate::sim::sorted::sort_by(&mut topics, |a, b| {
            let ((pa, sa), (pb, sb)) = (key(a), key(b));
            (pb * sa).cmp(&(pa * sb)).then(sa.cmp(&sb)).then_with(|| compare_strings(a, b))
        });
        topics
    }

    fn assign_partition(&mut self, topic: &str, partition: u32, member: usize) {
        let old = self.owners[topic][partition as usize];
        if old >= 0 {
            let old = old as usize;
            if let Some(partitions) = self.assignment.get_mut(self.member_ids[old]) {
                if let Some(set) = partitions.get_mut(topic) {
                    set.remove(&partition);
                    if set.is_empty() {
                        partitions.remove(topic);
                    }
                }
            }
            self.sizes[old] -= 1;
        }
        self.assignment.entry(self.member_ids[member].to_string()).or_default().entry(topic.to_string()).or_default().insert(partition);
        if let Some(owners) = self.owners.get_mut(topic) {
            owners[partition as usize] = member as i64;
        }
        self.sizes[member] += 1;
    }

    /// `balanceTopic`: moves partitions of `topic`, each time from its most loaded subscriber that
    /// still holds one to its least loaded subscriber, until the subscribers' loads differ by at most
    /// one. Returns how many partitions moved.
    fn balance_topic(&mut self, topic: &str, balancer: &mut Balancer) -> usize {
        let mut moved = 0;
        let imbalance = balancer.initialize(&self.subscribers[topic], &self.sizes);
        if imbalance <= 1 {
            return moved;
        }
        let owners = self.owners[topic].clone();
        // The partitions grouped by owner, each owner's in partition order; each owner gives up its
        // highest remaining partition first.
        let mut partitions: Vec<u32> = (0..owners.len() as u32).collect();
        crate::sim::sorted::sort_by(&mut partitions, |&a, &b| owners[a as usize].cmp(&owners[b as usize]));
        let mut start: SortedMap<i64, usize> = SortedMap::new();
        let mut end: SortedMap<i64, usize> = SortedMap::new();
        for (i, &partition) in partitions.iter().enumerate() {
            let owner = owners[partition as usize];
            start.entry(owner).or_insert(i);
            end.insert(owner, i + 1);
        }
        while !balancer.is_balanced() {
            let mut most_loaded;
            loop {
                most_loaded = balancer.next_most_loaded(&self.sizes);
                let Some(member) = most_loaded else { break };
                let member = member as i64;
                if end.get(&member).zip(start.get(&member)).is_none_or(|(e, s)| e <= s) {
                    balancer.exclude_most_loaded();
                    continue;
                }
                break;
            }
            let Some(most_loaded) = most_loaded else { break };
            let Some(last) = end.get_mut(&(most_loaded as i64)) else { break };
            *last -= 1;
            let partition = partitions[*last];
            let least_loaded = balancer.next_least_loaded(&self.sizes);
            if balancer.is_balanced() {
                break;
            }
            self.assign_partition(topic, partition, least_loaded);
            moved += 1;
        }
        moved
    }
}

/// Kafka's `MemberAssignmentBalancer`: walks one topic's subscribers sorted by load (then index),
/// handing out the least loaded ones round-robin within the lowest load band and the most loaded ones
/// within the highest band, widening each band as loads change. `sizes` is the builder's live load
/// array, passed on each call as Kafka's balancer reads the shared one.
#[derive(Debug, Default)]
struct Balancer {
    sorted: Vec<usize>,
    least_loaded_range_end: usize,
    least_loaded_range_count: i64,
    next_least_loaded: usize,
    most_loaded_range_start: usize,
    most_loaded_range_end: usize,
    most_loaded_range_count: i64,
    next_most_loaded: i64,
}

impl Balancer {
    /// Sorts `members` by load and resets both bands; returns the spread between the extremes.
    fn initialize(&mut self, members: &[usize], sizes: &[i64]) -> i64 {
        self.sorted = members.to_vec();
        crate::sim::sorted::sort_by(&mut self.sorted, |&a, &b| sizes[a].cmp(&sizes[b]).then(a.cmp(&b)));
        let (first, last) = (sizes[self.sorted[0]], sizes[self.sorted[self.sorted.len() - 1]]);
        self.least_loaded_range_end = 0;
        self.least_loaded_range_count = first - 1;
        self.next_least_loaded = 0;
        self.most_loaded_range_start = self.sorted.len();
        self.most_loaded_range_end = self.sorted.len();
        self.most_loaded_range_count = last + 1;
        self.next_most_loaded = self.sorted.len() as i64 - 1;
        last - first
    }

    fn next_least_loaded(&mut self, sizes: &[i64]) -> usize {
        if self.next_least_loaded >= self.least_loaded_range_end {
            self.least_loaded_range_count += 1;
            while self.least_loaded_range_end < self.sorted.len()
                && sizes[self.sorted[self.least_loaded_range_end]] == self.least_loaded_range_count
            {
                self.least_loaded_range_end += 1;
            }
            self.next_least_loaded = 0;
        }
        let member = self.sorted[self.next_least_loaded];
        self.next_least_loaded += 1;
        member
    }

    fn next_most_loaded(&mut self, sizes: &[i64]) -> Option<usize> {
        if self.next_most_loaded < self.most_loaded_range_start as i64 {
            if self.most_loaded_range_end <= self.most_loaded_range_start && self.most_loaded_range_start > 0 {
                self.most_loaded_range_count = sizes[self.sorted[self.most_loaded_range_start - 1]];
            } else {
                self.most_loaded_range_count -= 1;
            }
            while self.most_loaded_range_start > 0
                && sizes[self.sorted[self.most_loaded_range_start - 1]] == self.most_loaded_range_count
            {
                self.most_loaded_range_start -= 1;
            }
            self.next_most_loaded = self.most_loaded_range_end as i64 - 1;
        }
        if self.next_most_loaded < 0 {
            return None;
        }
        let member = self.sorted[self.next_most_loaded as usize];
        self.next_most_loaded -= 1;
        Some(member)
    }

    /// Drops the member just returned by [`Balancer::next_most_loaded`] from the most loaded band,
    /// swapping it to the band's end.
    fn exclude_most_loaded(&mut self) {
        let slot = (self.next_most_loaded + 1) as usize;
        self.sorted.swap(slot, self.most_loaded_range_end - 1);
        self.most_loaded_range_end -= 1;
    }

    fn is_balanced(&self) -> bool {
        self.most_loaded_range_count - self.least_loaded_range_count <= 1
    }
}

/// The order Java iterates a member's current partitions of one topic. Kafka holds them in a Java
/// hash set of Integers made by copying the ascending list (the copy constructor, as its tests and
/// records do), and an Integer's hash code is its value: ids come out bucket by bucket, ascending
/// within a bucket. So {1, 3, 17} iterates 1, 17, 3.
fn java_hash_set_order(partitions: &SortedSet<u32>) -> Vec<u32> {
    let mut set = JavaHashOrder::for_copy_of(partitions.len());
    for &partition in partitions {
        // `as i32` keeps the bits, which is all the bucket index reads.
        set.insert(partition as i32, partition);
    }
    set.iter().copied().collect()
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
    fn an_over_quota_member_keeps_the_partitions_its_java_hash_set_hands_back_first() {
        // Found by differential testing against Kafka: A holds 7 of topic1's 17 partitions with a quota
        // of 6. Its Java hash set (16 buckets) iterates 0, 16, 1, 2, 3, 4, 5, so Kafka keeps 16 and
        // gives up 5, not 16.
        let members = vec![
            Member::new("A", &["topic1"]).assigned("topic1", &[0, 1, 2, 3, 4, 5, 16]),
            Member::new("B", &["topic1"]),
            Member::new("C", &["topic1"]),
        ];
        let result = assign(&spec(&[("topic1", 17)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1, 2, 3, 4, 16])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[6, 7, 8, 9, 10, 11])]));
        assert_eq!(result["C"], partitions(&[("topic1", &[5, 12, 13, 14, 15])]));
    }

    #[test]
    fn java_hash_set_order_is_by_bucket_then_ascending() {
        let set = |ids: &[u32]| ids.iter().copied().collect::<SortedSet<u32>>();
        assert_eq!(java_hash_set_order(&set(&[1, 3, 17])), [1, 17, 3]);
        // 13 ids make a table of 32 buckets, so 16 and 17 stay in order and 32 comes first.
        assert_eq!(java_hash_set_order(&set(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 16, 17, 32]))[..3], [0, 32, 1]);
        // Nine ids in one bucket of a 16-bucket table grow it to 32 instead of making a tree.
        let crowded = set(&[0, 16, 32, 48, 64, 80, 96, 112, 128]);
        assert_eq!(java_hash_set_order(&crowded), [0, 32, 64, 96, 128, 16, 48, 80, 112]);
    }

    #[test]
    fn different_subscriptions_keep_current_partitions_and_even_out_shared_topics() {
        // UniformHeterogeneousAssignmentBuilderTest#testReassignmentForTwoMembersThreeTopicsGivenUnbalancedPrevAssignment:
        // every partition is held and still subscribed, so nothing is free; the balancing passes then
        // move from C (10 partitions) to the least loaded subscriber of each topic C shares: topic1 5
        // to A and topic2 1-3 to B. topic3 is C's alone and stays.
        let members = vec![
            Member::new("A", &["topic1"]).assigned("topic1", &[0, 1, 2]),
            Member::new("B", &["topic1", "topic2"]).assigned("topic1", &[3]).assigned("topic2", &[0]),
            Member::new("C", &["topic1", "topic2", "topic3"])
                .assigned("topic1", &[4, 5])
                .assigned("topic2", &[1, 2, 3])
                .assigned("topic3", &[0, 1, 2, 3]),
        ];
        let result = assign(&spec(&[("topic1", 6), ("topic2", 4), ("topic3", 4)], members)).unwrap();
        assert_eq!(result["A"], partitions(&[("topic1", &[0, 1, 2, 5])]));
        assert_eq!(result["B"], partitions(&[("topic1", &[3]), ("topic2", &[0, 1, 2, 3])]));
        assert_eq!(result["C"], partitions(&[("topic1", &[4]), ("topic3", &[0, 1, 2, 3])]));
    }
}
