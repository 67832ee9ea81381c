//! `sticky`: Kafka's `StickyAssignor` (eager protocol), and the logic it shares with
//! `cooperative-sticky` (`AbstractStickyAssignor`, SEMANTICS §3.4).
//!
//! A sticky assignor balances the group like round-robin would, but starts from what each member
//! owned before, so a rebalance moves as few partitions as it can.
//!
//! Before building, the leader checks the members' claims ([`validate_claims`]): claims on topics
//! that no longer exist are dropped; when two members claim the same partition, the one with the
//! higher generation keeps it, and when their generations are equal neither does. Then:
//!
//! * if every member subscribes to the same topics, the [`constrained`] builder runs;
//! * otherwise the [`general`] builder runs.
//!
//! The two assignors differ in where a member's previous partitions come from. The eager
//! `StickyAssignor` reads them from its own user data, which groups them by topic (in Java hash-map
//! order of topic names); `CooperativeStickyAssignor` reads the subscription's owned partitions as
//! the member listed them.

use crate::sim::sorted::{SortedMap, SortedSet};

use crate::kafka::java::hash_order::strings_in_compute_if_absent_order;
use super::{AssignError, Assignment, AssignmentInput, MemberSubscription, Transfers};
use crate::kafka::ids::TopicPartition;

pub mod constrained;
pub mod general;
pub mod partition_movements;

/// Kafka's `DEFAULT_GENERATION`.
const GENERATION_DEFAULT: i32 = -1;

/// Which sticky assignor is running: they read previous ownership differently.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StickyFlavor {
    /// `StickyAssignor`: previous partitions from user data, grouped by topic.
    Eager,
    /// `CooperativeStickyAssignor`: previous partitions from the subscription, as listed.
    Cooperative,
}

/// Which builder produced the assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BuilderPath {
    /// All members subscribe to the same topics.
    Constrained,
    /// Subscriptions differ.
    General,
}

/// A sticky assignor's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StickyOutcome {
    /// Each member's partitions, in the order Kafka's builder adds them.
    pub assignment: Assignment,
    /// Kafka's `partitionsTransferringOwnership`. The constrained builder tracks it; the general
    /// builder leaves it null (`None`), and the cooperative assignor then works it out from the
    /// owned partitions instead.
    pub partitions_transferring_ownership: Option<Transfers>,
    pub path: BuilderPath,
    /// Kafka's `isSticky()` for the general path: no partitions of a topic were swapped back and
    /// forth between two members while balancing. Always true for the constrained path.
    pub sticky: bool,
}

/// What the assignor reads as a member's previous ownership (`MemberData`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberData {
    pub partitions: Vec<TopicPartition>,
    pub generation: Option<i32>,
}

/// The leader's view of the claims after checking them (`allSubscriptionsEqual`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claims<'a> {
    /// Whether every member subscribes to the same topics.
    pub all_subscriptions_equal: bool,
    /// Each member's surviving claims, in the leader's hash-map order of members.
    pub owned: Vec<(&'a str, Vec<TopicPartition>)>,
    /// Partitions two members of the same generation both claimed: nobody keeps them.
    pub multiple_previous_owners: SortedSet<TopicPartition>,
    /// The highest generation any member reported (-1 if none did).
    pub max_generation: i32,
}

/// Runs the eager `StickyAssignor`.
pub fn assign(input: &AssignmentInput) -> Result<StickyOutcome, AssignError> {
    run(input, StickyFlavor::Eager)
}

/// Runs the shared sticky logic for either assignor.
pub fn run(input: &AssignmentInput, flavor: StickyFlavor) -> Result<StickyOutcome, AssignError> {
    input.validate()?;
    let subscriptions = input.members_in_subscription_order();
    let partitions_per_topic = subscribed_topics_that_exist(input);
    if subscriptions.is_empty() {
        return Ok(StickyOutcome {
            assignment: Assignment::new(),
            partitions_transferring_ownership: Some(Transfers::new()),
            path: BuilderPath::Constrained,
            sticky: true,
        });
    }
    let member_data: Vec<MemberData> = subscriptions.iter().map(|m| member_data(m, flavor)).collect();
    let with_data: Vec<(&MemberSubscription, &MemberData)> = subscriptions.iter().copied().zip(&member_data).collect();
    let claims = validate_claims(&with_data, &partitions_per_topic);
    if claims.all_subscriptions_equal {
        let (assignment, transfers) =
            constrained::build(&partitions_per_topic, &claims.owned, &claims.multiple_previous_owners)?;
        return Ok(StickyOutcome {
            assignment,
            partitions_transferring_ownership: Some(transfers),
            path: BuilderPath::Constrained,
            sticky: true,
        });
    }
    let outcome = general::build(general::GeneralInput {
        partitions_per_topic: &partitions_per_topic,
        subscriptions: with_data,
        owned: claims.owned,
        max_generation: claims.max_generation,
    })?;
    Ok(StickyOutcome {
        assignment: outcome.assignment,
        partitions_transferring_ownership: None,
        path: BuilderPath::General,
        sticky: outcome.sticky,
    })
}

/// The topics the leader assigns: subscribed by someone and present in metadata
/// (`AbstractPartitionAssignor.assign` builds `partitionsPerTopic` this way).
fn subscribed_topics_that_exist(input: &AssignmentInput) -> SortedMap<&str, u32> {
    input
        .members
        .iter()
        .flat_map(|m| m.topics.iter())
        .filter_map(|t| input.partition_count(t).map(|count| (t.as_str(), count)))
        .collect()
}

/// What each assignor reads as the member's previous ownership.
pub fn member_data(member: &MemberSubscription, flavor: StickyFlavor) -> MemberData {
    match flavor {
        StickyFlavor::Cooperative => {
            MemberData { partitions: member.owned_partitions.clone(), generation: subscription_generation(member) }
        }
        // StickyAssignor reads the generation from its own user data, which keeps the number as the
        // member wrote it, negative or not. (No generation and -1 behave alike everywhere.)
        StickyFlavor::Eager => MemberData {
            partitions: grouped_by_topic_as_user_data(&member.owned_partitions),
            generation: member.generation,
        },
    }
}

/// The generation the member's `Subscription` carries: Kafka's `Subscription` treats a negative
/// generation id as no generation at all.
fn subscription_generation(member: &MemberSubscription) -> Option<i32> {
    member.generation.filter(|g| *g >= 0)
}

/// The eager assignor serializes its previous assignment per topic, walking a Java hash map of
/// topic names, and reads it back in that order: topics in hash order, each topic's partitions in
/// the order the member listed them. The map is filled with `computeIfAbsent`
/// (`CollectionUtils.groupPartitionsByTopic`), which puts colliding topics in reverse order.
fn grouped_by_topic_as_user_data(partitions: &[TopicPartition]) -> Vec<TopicPartition> {
    let topics = strings_in_compute_if_absent_order(partitions.iter().map(|p| p.topic.as_str()));
    topics.iter().flat_map(|topic| partitions.iter().filter(move |p| p.topic == *topic).cloned()).collect()
}

/// Kafka's `allSubscriptionsEqual`, which also settles the claims: members are visited in the
/// leader's hash-map order, and a partition already claimed goes to the claimant with the higher
/// generation; equal generations void both claims. Kafka reads the other member's generation from
/// its subscription rather than its member data: for the eager assignor the two differ when a
/// generation is negative (user data keeps it, the subscription drops it).
pub fn validate_claims<'a>(
    subscriptions: &[(&'a MemberSubscription, &MemberData)],
    topics_that_exist: &SortedMap<&str, u32>,
) -> Claims<'a> {
    let mut all_subscriptions_equal = true;
    let mut first_topics: SortedSet<&str> = SortedSet::new();
    let mut owned: Vec<(&'a str, Vec<TopicPartition>)> = Vec::new();
    let mut claimant: SortedMap<TopicPartition, usize> = SortedMap::new();
    let mut multiple_previous_owners = SortedSet::new();
    let mut max_generation = GENERATION_DEFAULT;
    // `owned[i]` belongs to `subscriptions[i]`; `claimant` only holds indices already pushed.
    for (index, (member, data)) in subscriptions.iter().enumerate() {
        // Kafka compares against the first non-empty subscription it met: an empty subscription
        // met first does not count as different.
        if first_topics.is_empty() {
            first_topics.extend(member.topics.iter().map(String::as_str));
        } else if all_subscriptions_equal
            && !(member.topics.len() == first_topics.len()
                && member.topics.iter().all(|t| first_topics.contains(t.as_str())))
        {
            all_subscriptions_equal = false;
        }
        let generation = data.generation.unwrap_or(GENERATION_DEFAULT);
        max_generation = max_generation.max(generation);
        owned.push((member.member_id.as_str(), Vec::new()));
        for partition in data.partitions.iter().filter(|p| topics_that_exist.contains_key(p.topic.as_str())) {
            let Some(&other) = claimant.get(partition) else {
                owned[index].1.push(partition.clone());
                claimant.insert(partition.clone(), index);
                continue;
            };
            let other_generation = subscription_generation(subscriptions[other].0).unwrap_or(GENERATION_DEFAULT);
            if generation >= other_generation {
                if generation == other_generation {
                    multiple_previous_owners.insert(partition.clone());
                } else {
                    owned[index].1.push(partition.clone());
                }
                remove_first(&mut owned[other].1, partition);
                claimant.insert(partition.clone(), index);
            }
        }
    }
    Claims { all_subscriptions_equal, owned, multiple_previous_owners, max_generation }
}

fn remove_first(list: &mut Vec<TopicPartition>, partition: &TopicPartition) {
    if let Some(at) = list.iter().position(|p| p == partition) {
        list.remove(at);
    }
}

#[cfg(test)]
mod tests;
