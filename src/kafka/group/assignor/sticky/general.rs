//! The sticky assignors' path for members with different subscriptions
//! (`AbstractStickyAssignor.GeneralAssignmentBuilder`), without rack awareness.
//!
//! 1. Keep every valid owned partition whose topic the member still subscribes to.
//! 2. Hand out the rest one by one: topics with the fewest potential consumers first (then by name),
//!    each partition to the least-loaded member that subscribes to it (ties by member id).
//! 3. Balance: walk the partitions that could move (topics with two or more potential consumers) and
//!    move any partition whose owner has at least two more partitions than another subscriber, to
//!    the least-loaded subscriber; a partition whose previous-generation owner now has two fewer
//!    goes back to that owner. Repeat until a pass moves nothing or the group is balanced.
//! 4. If members kept partitions from before and the moves did not lower the balance score (the sum
//!    of load differences over all member pairs), undo them all.
//!
//! A move that would reverse an earlier one of the same topic moves the earlier partition back
//! instead ([`super::partition_movements`]).

use std::cmp::Ordering;
use crate::sim::sorted::{SortedMap, SortedSet};

use super::MemberData;
use super::partition_movements::PartitionMovements;
use crate::kafka::group::assignor::{AssignError, Assignment, MemberSubscription};
use crate::kafka::ids::TopicPartition;
use crate::kafka::java::compare_strings;

/// Kafka's `DEFAULT_GENERATION`: what a member without a generation counts as.
const GENERATION_DEFAULT: i32 = -1;

/// What the general builder starts from.
pub struct GeneralInput<'a> {
    /// The subscribed topics that exist, with their partition counts.
    pub partitions_per_topic: &'a SortedMap<&'a str, u32>,
    /// The members in the leader's hash-map order, with what each reported owning.
    pub subscriptions: Vec<(&'a MemberSubscription, &'a MemberData)>,
    /// Each member's claims that survived validation, in the same order.
    pub owned: Vec<(&'a str, Vec<TopicPartition>)>,
    /// The highest generation any member reported.
    pub max_generation: i32,
}

/// The result of a general build: the assignment, and whether the balancer's moves kept every
/// topic free of back-and-forth swaps (Kafka's `isSticky()`).
pub struct GeneralOutcome {
    pub assignment: Assignment,
    pub sticky: bool,
}

/// A member's place in Kafka's `sortedCurrentSubscriptions` tree set: by partition count, then
/// member id in Java string order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ByLoad<'a> {
    count: usize,
    member: &'a str,
}

impl Ord for ByLoad<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.count.cmp(&other.count).then_with(|| compare_strings(self.member, other.member))
    }
}

impl PartialOrd for ByLoad<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Who owned a partition in an older generation than the newest (`ConsumerGenerationPair`).
#[derive(Clone, Debug)]
struct PreviousOwner<'a> {
    member: &'a str,
    generation: i32,
}

struct Builder<'a> {
    partitions_per_topic: &'a SortedMap<&'a str, u32>,
    partition_total: usize,
    /// Every member's full subscription, existing or not (Kafka's `subscription.topics()`).
    subscribed: SortedMap<&'a str, SortedSet<&'a str>>,
    /// `topic2AllPotentialConsumers`: members subscribed to each existing topic, in map order.
    topic_consumers: SortedMap<&'a str, Vec<&'a str>>,
    /// `consumer2AllPotentialTopics`: each member's existing subscribed topics, in its own order.
    consumer_topics: SortedMap<&'a str, Vec<&'a str>>,
    /// `currentAssignment`; members that cannot take part in balancing leave it while it runs.
    current: SortedMap<&'a str, Vec<TopicPartition>>,
    /// `currentPartitionConsumer`.
    partition_owner: SortedMap<TopicPartition, &'a str>,
    sorted_all_partitions: Vec<TopicPartition>,
    /// `sortedCurrentSubscriptions`. Like Kafka, a member is taken out before its count changes
    /// and put back after.
    by_load: SortedSet<ByLoad<'a>>,
    revocation_required: bool,
    movements: PartitionMovements,
    /// Partition moves made while balancing, bounded by [`Builder::moves_max`].
    moves: usize,
}

/// Kafka's `NullPointerException`s, which its balancer hits on a few inputs it did not expect.
fn kafka_throws(reason: &str) -> AssignError {
    AssignError::KafkaThrows { assignor: "sticky", reason: reason.to_string() }
}

/// Builds the assignment.
pub fn build(input: GeneralInput) -> Result<GeneralOutcome, AssignError> {
    let mut builder = Builder::new(&input);
    let previous_owners = previous_owners(&input);
    let assigned = builder.keep_owned_partitions();
    let unassigned = builder.unassigned_partitions(&assigned);
    let members: Vec<&str> = builder.current.keys().copied().collect();
    for member in members {
        builder.insert_by_load(member);
    }
    builder.balance(&previous_owners, unassigned)?;
    let sticky = builder.movements.is_sticky();
    let assignment = builder.current.into_iter().map(|(m, list)| (m.to_string(), list)).collect();
    Ok(GeneralOutcome { assignment, sticky })
}

/// `prepopulateCurrentAssignments`: for each partition, the newest owner among members whose
/// generation is older than the newest one (members without a generation count as -1, but only
/// when someone has a generation). The first such member in map order wins a tie.
fn previous_owners<'a>(input: &GeneralInput<'a>) -> SortedMap<TopicPartition, PreviousOwner<'a>> {
    let mut owners: SortedMap<TopicPartition, PreviousOwner<'a>> = SortedMap::new();
    for (member, data) in &input.subscriptions {
        let generation = match data.generation {
            Some(generation) if generation < input.max_generation => generation,
            None if input.max_generation > GENERATION_DEFAULT => GENERATION_DEFAULT,
            _ => continue,
        };
        for partition in &data.partitions {
            let newer = owners.get(partition).is_none_or(|owner| generation > owner.generation);
            if newer {
                owners.insert(partition.clone(), PreviousOwner { member: &member.member_id, generation });
            }
        }
    }
    owners
}

impl<'a> Builder<'a> {
    fn new(input: &GeneralInput<'a>) -> Builder<'a> {
        let mut topic_consumers: SortedMap<&str, Vec<&str>> =
            input.partitions_per_topic.keys().map(|t| (*t, Vec::new())).collect();
        let mut consumer_topics = SortedMap::new();
        let mut subscribed = SortedMap::new();
        for (member, _) in &input.subscriptions {
            let id = member.member_id.as_str();
            let mut topics = Vec::new();
            for topic in &member.topics {
                if let Some(consumers) = topic_consumers.get_mut(topic.as_str()) {
                    topics.push(topic.as_str());
                    consumers.push(id);
                }
            }
            consumer_topics.insert(id, topics);
            subscribed.insert(id, member.topics.iter().map(String::as_str).collect());
        }
        let current: SortedMap<&str, Vec<TopicPartition>> =
            input.owned.iter().map(|(m, list)| (*m, list.clone())).collect();
        let partition_owner = current.iter().flat_map(|(m, list)| list.iter().map(move |p| (p.clone(), *m))).collect();
        let sorted_all_partitions = sorted_all_partitions(input.partitions_per_topic, &topic_consumers);
        Builder {
            partitions_per_topic: input.partitions_per_topic,
            partition_total: input.partitions_per_topic.values().map(|n| *n as usize).sum(),
            subscribed,
            topic_consumers,
            consumer_topics,
            current,
            partition_owner,
            sorted_all_partitions,
            by_load: SortedSet::new(),
            revocation_required: false,
            movements: PartitionMovements::default(),
            moves: 0,
        }
    }

    fn count(&self, member: &str) -> Result<usize, AssignError> {
        self.current
            .get(member)
            .map(Vec::len)
            .ok_or_else(|| kafka_throws("a member left out of balancing was looked up (NullPointerException)"))
    }

    fn insert_by_load(&mut self, member: &'a str) {
        if let Some(list) = self.current.get(member) {
            self.by_load.insert(ByLoad { count: list.len(), member });
        }
    }

    fn remove_by_load(&mut self, member: &'a str) -> Result<(), AssignError> {
        let count = self.count(member)?;
        self.by_load.remove(&ByLoad { count, member });
        Ok(())
    }

    /// `assignOwnedPartitions`: drops claims on topics the member no longer subscribes to (which
    /// forces a revocation) and returns the partitions kept.
    fn keep_owned_partitions(&mut self) -> Vec<TopicPartition> {
        let mut kept = Vec::new();
        for (member, list) in self.current.iter_mut() {
            let Some(subscribed) = self.subscribed.get(member) else { continue };
            let mut index = 0;
            while index < list.len() {
                let partition = &list[index];
                if !self.topic_consumers.contains_key(partition.topic.as_str()) {
                    self.partition_owner.remove(partition);
                    list.remove(index);
                } else if !subscribed.contains(partition.topic.as_str()) {
                    // Kafka leaves the stale owner entry behind; assigning the partition overwrites it.
                    list.remove(index);
                    self.revocation_required = true;
                } else {
                    kept.push(partition.clone());
                    index += 1;
                }
            }
        }
        kept
    }

    /// The partitions nobody kept, in `sortedAllPartitions` order.
    fn unassigned_partitions(&self, assigned: &[TopicPartition]) -> Vec<TopicPartition> {
        let assigned: SortedSet<&TopicPartition> = assigned.iter().collect();
        self.sorted_all_partitions.iter().filter(|p| !assigned.contains(p)).cloned().collect()
    }

    fn max_assignment_size(&self, topics: &[&str]) -> usize {
        if topics.len() == self.partitions_per_topic.len() {
            self.partition_total
        } else {
            topics.iter().map(|t| self.partitions_per_topic.get(t).map_or(0, |n| *n as usize)).sum()
        }
    }

    fn topic_can_move(&self, topic: &str) -> bool {
        self.topic_consumers.get(topic).is_some_and(|consumers| consumers.len() >= 2)
    }

    /// `canConsumerParticipateInReassignment`: a member that could take more, or holds a partition
    /// of a topic someone else could take.
    fn member_can_move(&self, member: &str) -> bool {
        let Some(list) = self.current.get(member) else { return false };
        let topics = self.consumer_topics.get(member).map_or(&[][..], Vec::as_slice);
        list.len() < self.max_assignment_size(topics) || list.iter().any(|p| self.topic_can_move(&p.topic))
    }

    fn subscribes(&self, member: &str, topic: &str) -> bool {
        self.consumer_topics.get(member).is_some_and(|topics| topics.contains(&topic))
    }

    /// `maybeAssignPartition`: the least-loaded member subscribed to the partition's topic takes it.
    fn assign_to_least_loaded(&mut self, partition: &TopicPartition) -> Result<(), AssignError> {
        let Some(taker) = self.by_load.iter().map(|entry| entry.member).find(|m| self.subscribes(m, &partition.topic))
        else {
            return Ok(());
        };
        self.remove_by_load(taker)?;
        if let Some(list) = self.current.get_mut(taker) {
            list.push(partition.clone());
        }
        self.partition_owner.insert(partition.clone(), taker);
        self.insert_by_load(taker);
        Ok(())
    }

    fn balance(
        &mut self,
        previous_owners: &SortedMap<TopicPartition, PreviousOwner<'a>>,
        mut unassigned: Vec<TopicPartition>,
    ) -> Result<(), AssignError> {
        let initializing = match self.by_load.last() {
            Some(most_loaded) => self.count(most_loaded.member)? == 0,
            None => true,
        };
        for partition in &unassigned {
            if self.topic_consumers.get(partition.topic.as_str()).is_some_and(|c| !c.is_empty()) {
                self.assign_to_least_loaded(partition)?;
            }
        }

        // Partitions of topics only one member subscribes to cannot move, and members holding
        // nothing movable (and all they could hold) sit out.
        let fixed_topics: SortedSet<&str> =
            self.topic_consumers.keys().copied().filter(|t| !self.topic_can_move(t)).collect();
        self.sorted_all_partitions.retain(|p| !fixed_topics.contains(p.topic.as_str()));
        unassigned.retain(|p| !fixed_topics.contains(p.topic.as_str()));
        let members: Vec<&'a str> = self.consumer_topics.keys().copied().collect();
        let mut fixed_members = Vec::new();
        for member in members {
            if !self.member_can_move(member) {
                self.remove_by_load(member)?;
                if let Some(list) = self.current.remove(member) {
                    fixed_members.push((member, list));
                }
            }
        }

        let before_balancing = (self.current.clone(), self.partition_owner.clone());
        if !self.revocation_required {
            self.perform_reassignments(&unassigned, previous_owners)?;
        }
        let sorted_all_partitions = self.sorted_all_partitions.clone();
        let reassigned = self.perform_reassignments(&sorted_all_partitions, previous_owners)?;
        if !initializing && reassigned && balance_score(&self.current) >= balance_score(&before_balancing.0) {
            (self.current, self.partition_owner) = before_balancing;
        }
        self.current.extend(fixed_members);
        Ok(())
    }

    /// `performReassignments`: passes over `partitions` until one moves nothing; each pass stops
    /// early once the group is balanced. Returns whether anything moved.
    fn perform_reassignments(
        &mut self,
        partitions: &[TopicPartition],
        previous_owners: &SortedMap<TopicPartition, PreviousOwner<'a>>,
    ) -> Result<bool, AssignError> {
        let mut reassigned = false;
        loop {
            let mut modified = false;
            for partition in partitions {
                if self.is_balanced()? {
                    break;
                }
                let owner = *self
                    .partition_owner
                    .get(partition)
                    .ok_or_else(|| kafka_throws("a partition to balance has no owner (NullPointerException)"))?;
                if let Some(previous) = previous_owners.get(partition)
                    && self.count(owner)? > self.count(previous.member)? + 1
                {
                    self.reassign_partition_to(partition, previous.member)?;
                    reassigned = true;
                    modified = true;
                    continue;
                }
                let consumers = self.topic_consumers.get(partition.topic.as_str()).cloned().unwrap_or_default();
                for other in consumers {
                    if self.count(owner)? > self.count(other)? + 1 {
                        self.reassign_partition(partition)?;
                        reassigned = true;
                        modified = true;
                        break;
                    }
                }
            }
            if !modified {
                return Ok(reassigned);
            }
        }
    }

    /// `isBalanced`: loads differ by at most one, or no member could take a partition it subscribes
    /// to from a member holding at least two more.
    fn is_balanced(&self) -> Result<bool, AssignError> {
        let (Some(least), Some(most)) = (self.by_load.first(), self.by_load.last()) else {
            return Ok(true);
        };
        if self.count(least.member)? + 1 >= self.count(most.member)? {
            return Ok(true);
        }
        let owners: SortedMap<&TopicPartition, &str> =
            self.current.iter().flat_map(|(m, list)| list.iter().map(move |p| (p, *m))).collect();
        for entry in &self.by_load {
            let member = entry.member;
            let count = self.count(member)?;
            let topics = self.consumer_topics.get(member).map_or(&[][..], Vec::as_slice);
            if count == self.max_assignment_size(topics) {
                continue;
            }
            for topic in topics {
                for number in 0..self.partitions_per_topic.get(topic).copied().unwrap_or(0) {
                    let partition = TopicPartition::new(*topic, number);
                    let owner = owners.get(&partition).copied();
                    if owner == Some(member) {
                        continue;
                    }
                    let owner = owner.ok_or_else(|| {
                        kafka_throws("a partition has no owner while balancing (NullPointerException)")
                    })?;
                    if count + 1 < self.count(owner)? {
                        return Ok(false);
                    }
                }
            }
        }
        Ok(true)
    }

    /// `reassignPartition(partition)`: to the least-loaded member subscribed to its topic.
    fn reassign_partition(&mut self, partition: &TopicPartition) -> Result<(), AssignError> {
        let taker = self
            .by_load
            .iter()
            .map(|entry| entry.member)
            .find(|m| self.subscribes(m, &partition.topic))
            .ok_or_else(|| kafka_throws("no member can take a partition being balanced (NullPointerException)"))?;
        self.reassign_partition_to(partition, taker)
    }

    /// Kafka's loop has no bound; every ordinary move lowers the sum of squared loads, so it ends,
    /// but a move redirected to an earlier partition need not. A partition moving more often than
    /// there are members means it is going round in circles.
    fn moves_max(&self) -> usize {
        self.partition_total.saturating_mul(self.subscribed.len() + 1).max(64)
    }

    fn reassign_partition_to(&mut self, partition: &TopicPartition, taker: &'a str) -> Result<(), AssignError> {
        self.moves += 1;
        if self.moves > self.moves_max() {
            return Err(kafka_throws("balancing keeps moving partitions without settling"));
        }
        let owner = *self
            .partition_owner
            .get(partition)
            .ok_or_else(|| kafka_throws("a partition to move has no owner (NullPointerException)"))?;
        let partition_to_move = self.movements.partition_to_move(partition, owner, taker);
        self.process_partition_movement(&partition_to_move, taker)
    }

    /// `processPartitionMovement`: the partition leaves its owner's list and goes to the end of the
    /// taker's.
    fn process_partition_movement(&mut self, partition: &TopicPartition, taker: &'a str) -> Result<(), AssignError> {
        let owner = *self
            .partition_owner
            .get(partition)
            .ok_or_else(|| kafka_throws("a partition to move has no owner (NullPointerException)"))?;
        self.remove_by_load(owner)?;
        self.remove_by_load(taker)?;
        self.movements.move_partition(partition, owner, taker);
        let from = self
            .current
            .get_mut(owner)
            .ok_or_else(|| kafka_throws("moving from a member left out of balancing (NullPointerException)"))?;
        if let Some(at) = from.iter().position(|p| p == partition) {
            from.remove(at);
        }
        let to = self
            .current
            .get_mut(taker)
            .ok_or_else(|| kafka_throws("moving to a member left out of balancing (NullPointerException)"))?;
        to.push(partition.clone());
        self.partition_owner.insert(partition.clone(), taker);
        self.insert_by_load(taker);
        self.insert_by_load(owner);
        Ok(())
    }
}

/// `sortedAllPartitions`: topics by number of potential consumers, then name; partitions ascending.
fn sorted_all_partitions(
    partitions_per_topic: &SortedMap<&str, u32>,
    topic_consumers: &SortedMap<&str, Vec<&str>>,
) -> Vec<TopicPartition> {
    let mut topics: Vec<&str> = partitions_per_topic.keys().copied().collect();
    let consumer_count = |t: &str| topic_consumers.get(t).map_or(0, Vec::len);
    crate::sim::sorted::sort_by(&mut topics, |a, b| consumer_count(a).cmp(&consumer_count(b)).then_with(|| compare_strings(a, b)));
    topics
        .into_iter()
        .flat_map(|topic| {
            let count = partitions_per_topic.get(topic).copied().unwrap_or(0);
            (0..count).map(move |p| TopicPartition::new(topic, p))
        })
        .collect()
}

/// `getBalanceScore`: the sum of load differences over every pair of members; 0 is perfectly even.
fn balance_score(assignment: &SortedMap<&str, Vec<TopicPartition>>) -> usize {
    let counts: Vec<usize> = assignment.values().map(Vec::len).collect();
    counts.iter().enumerate().flat_map(|(i, a)| counts[i + 1..].iter().map(move |b| a.abs_diff(*b))).sum()
}
