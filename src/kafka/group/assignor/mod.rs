//! Consumer group assignors, exactly as Kafka computes them (SEMANTICS §3).
//!
//! The group leader runs one assignor over every member's subscription and the topic metadata it
//! knows. Each assignor here is a pure function of an [`AssignmentInput`]; each member's list comes
//! back in the order Kafka's assignor builds it, because a learner comparing with a real cluster (or
//! with Kafka's own tests) sees that order.
//!
//! * [`range`]: per topic, contiguous ranges; the first `n % k` members get one extra.
//! * [`round_robin`]: all partitions dealt over all members in turn.
//! * [`sticky`]: balanced, keeping as many previously owned partitions as it can (eager protocol).
//! * [`cooperative_sticky`]: the sticky result, minus partitions that must first be revoked
//!   (cooperative protocol, KIP-429).
//! * [`server_range`] and [`server_uniform`]: the broker-side assignors of the KIP-848 protocol.

use crate::sim::sorted::{SortedMap, SortedSet};
use std::fmt;

use crate::kafka::ids::TopicPartition;

pub mod cooperative_sticky;
pub mod member_order;
pub mod range;
pub mod round_robin;
pub mod server_range;
pub mod server_spec;
pub mod server_uniform;
pub mod sticky;
#[cfg(test)]
mod test_support;

/// What one member sends in JoinGroup: its subscription and what it owned before this rebalance.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberSubscription {
    pub member_id: String,
    /// `group.instance.id`: set for static members (KIP-345).
    pub group_instance_id: Option<String>,
    /// Subscribed topic names, in the order the member lists them.
    pub topics: Vec<String>,
    /// Partitions the member owned in its last generation, in the order it reports them. Only the
    /// sticky assignors read them.
    pub owned_partitions: Vec<TopicPartition>,
    /// The generation those partitions were owned in; `None` means unknown (Kafka's -1).
    pub generation: Option<i32>,
}

impl MemberSubscription {
    /// A dynamic member with no history, subscribed to `topics`.
    pub fn new(member_id: &str, topics: &[&str]) -> MemberSubscription {
        MemberSubscription {
            member_id: member_id.to_string(),
            group_instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            owned_partitions: Vec::new(),
            generation: None,
        }
    }

    /// The same member, static with this `group.instance.id`.
    pub fn with_instance_id(mut self, group_instance_id: &str) -> MemberSubscription {
        self.group_instance_id = Some(group_instance_id.to_string());
        self
    }

    /// The same member, reporting that it owned `partitions` in `generation`.
    pub fn owning(mut self, partitions: &[(&str, u32)], generation: Option<i32>) -> MemberSubscription {
        self.owned_partitions = partitions.iter().map(|(t, p)| TopicPartition::new(*t, *p)).collect();
        self.generation = generation;
        self
    }

    fn info(&self) -> member_order::MemberInfo<'_> {
        member_order::MemberInfo { member_id: &self.member_id, group_instance_id: self.group_instance_id.as_deref() }
    }
}

/// Everything an assignor sees: the topic metadata and the members, in the order the coordinator
/// listed them in the JoinGroup response (the leader puts them into a Java hash map in that order).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignmentInput {
    /// Partition count per topic. A topic absent here (or with 0 partitions) does not exist (yet):
    /// it is skipped.
    pub topics: SortedMap<String, u32>,
    pub members: Vec<MemberSubscription>,
}

/// Each member's partitions, in the order Kafka's assignor returns them. Every member appears.
pub type Assignment = SortedMap<String, Vec<TopicPartition>>;

/// Partitions that move from a previous owner to a new one, keyed by partition, valued by the new
/// owner. The cooperative protocol withholds them for one rebalance.
pub type Transfers = SortedMap<TopicPartition, String>;

/// The client-side assignors a consumer can name in `partition.assignment.strategy`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum AssignorName {
    Range,
    RoundRobin,
    Sticky,
    CooperativeSticky,
}

/// How members give up partitions during a rebalance (`ConsumerPartitionAssignor.RebalanceProtocol`).
/// The order matters: Kafka picks the highest protocol every configured assignor supports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum RebalanceProtocol {
    /// Revoke everything before rejoining.
    Eager,
    /// Keep partitions through the rebalance; revoke only what moves (KIP-429).
    Cooperative,
}

/// The consumer default `partition.assignment.strategy` (`ConsumerConfig`): range first, so a group
/// of default consumers uses range, with the EAGER protocol.
pub const DEFAULT_PARTITION_ASSIGNMENT_STRATEGY: [AssignorName; 2] =
    [AssignorName::Range, AssignorName::CooperativeSticky];

impl AssignorName {
    pub const ALL: [AssignorName; 4] =
        [AssignorName::Range, AssignorName::RoundRobin, AssignorName::Sticky, AssignorName::CooperativeSticky];

    /// The name Kafka's assignor reports (`name()`), which is also what the CLI accepts.
    pub fn kafka_name(self) -> &'static str {
        match self {
            AssignorName::Range => "range",
            AssignorName::RoundRobin => "roundrobin",
            AssignorName::Sticky => "sticky",
            AssignorName::CooperativeSticky => "cooperative-sticky",
        }
    }

    /// The assignor Kafka calls `name`, if there is one.
    pub fn from_kafka_name(name: &str) -> Option<AssignorName> {
        AssignorName::ALL.into_iter().find(|a| a.kafka_name() == name)
    }

    /// `supportedProtocols()`: only cooperative-sticky supports COOPERATIVE.
    pub fn supported_protocols(self) -> &'static [RebalanceProtocol] {
        match self {
            AssignorName::CooperativeSticky => &[RebalanceProtocol::Cooperative, RebalanceProtocol::Eager],
            _ => &[RebalanceProtocol::Eager],
        }
    }
}

impl fmt::Display for AssignorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kafka_name())
    }
}

/// The protocol a consumer configured with `strategies` uses (`ConsumerCoordinator`): the highest one
/// all of them support, or `None` when they share none (Kafka refuses to start such a consumer).
pub fn rebalance_protocol(strategies: &[AssignorName]) -> Option<RebalanceProtocol> {
    let (first, rest) = strategies.split_first()?;
    first
        .supported_protocols()
        .iter()
        .copied()
        .filter(|p| rest.iter().all(|a| a.supported_protocols().contains(p)))
        .max()
}

/// Why an assignment could not be computed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssignError {
    /// Two members share a member id; the coordinator never lets that happen.
    DuplicateMemberId { member_id: String },
    /// Two members share a `group.instance.id`; the coordinator fences the older one instead.
    DuplicateGroupInstanceId { group_instance_id: String, member_ids: [String; 2] },
    /// A member lists the same topic twice in its subscription.
    TopicSubscribedTwice { member_id: String, topic: String },
    /// A member claims a partition number its (existing) topic does not have.
    OwnedPartitionDoesNotExist { member_id: String, partition: TopicPartition, partition_count: u32 },
    /// A member claims the same partition twice.
    OwnedPartitionListedTwice { member_id: String, partition: TopicPartition },
    /// A partition number Kafka cannot represent (partitions are Java ints).
    PartitionNumberTooLarge { member_id: String, partition: TopicPartition },
    /// Two members' current assignments share a partition; a target assignment never does.
    PartitionInTwoAssignments { partition: TopicPartition, member_ids: [String; 2] },
    /// Kafka's own assignor throws on this input, so there is no answer to give.
    KafkaThrows { assignor: &'static str, reason: String },
    /// A part of Kafka this lab does not simulate.
    NotPorted { what: &'static str },
}

impl fmt::Display for AssignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AssignError::DuplicateMemberId { member_id } => {
                write!(f, "member id '{member_id}' appears twice; every member of a group has its own member.id")
            }
            AssignError::DuplicateGroupInstanceId { group_instance_id, member_ids: [a, b] } => write!(
                f,
                "members '{a}' and '{b}' both use group.instance.id '{group_instance_id}'; the coordinator keeps \
                 only the newest member with a given instance id, so give each static member its own"
            ),
            AssignError::TopicSubscribedTwice { member_id, topic } => {
                write!(f, "member '{member_id}' subscribes to topic '{topic}' twice; list each topic once")
            }
            AssignError::OwnedPartitionDoesNotExist { member_id, partition, partition_count } => write!(
                f,
                "member '{member_id}' claims partition {partition}, but topic '{}' has {partition_count} partition(s), \
                 numbered 0 to {}",
                partition.topic,
                partition_count.saturating_sub(1)
            ),
            AssignError::OwnedPartitionListedTwice { member_id, partition } => {
                write!(f, "member '{member_id}' claims partition {partition} twice; list each owned partition once")
            }
            AssignError::PartitionNumberTooLarge { member_id, partition } => write!(
                f,
                "member '{member_id}' claims partition {partition}; Kafka partition numbers are at most {}",
                i32::MAX
            ),
            AssignError::PartitionInTwoAssignments { partition, member_ids: [a, b] } => write!(
                f,
                "partition {partition} is in the current assignment of both '{a}' and '{b}'; the coordinator gives \
                 each partition to one member at a time"
            ),
            AssignError::KafkaThrows { assignor, reason } => {
                write!(f, "Kafka's {assignor} assignor fails on this input: {reason}")
            }
            AssignError::NotPorted { what } => write!(f, "kafka-lab does not simulate {what} yet"),
        }
    }
}

impl std::error::Error for AssignError {}

impl AssignmentInput {
    /// Checks the things Kafka's coordinator and metadata guarantee before an assignor ever runs.
    /// Owned partitions of topics that no longer exist are fine: the sticky assignors drop them. A
    /// topic listed with 0 partitions counts as missing, as Kafka skips topics without partitions.
    pub fn validate(&self) -> Result<(), AssignError> {
        let mut member_ids = SortedSet::new();
        let mut instance_owners: SortedMap<&str, &str> = SortedMap::new();
        for member in &self.members {
            if !member_ids.insert(member.member_id.as_str()) {
                return Err(AssignError::DuplicateMemberId { member_id: member.member_id.clone() });
            }
            if let Some(instance) = member.group_instance_id.as_deref()
                && let Some(other) = instance_owners.insert(instance, &member.member_id)
            {
                return Err(AssignError::DuplicateGroupInstanceId {
                    group_instance_id: instance.to_string(),
                    member_ids: [other.to_string(), member.member_id.clone()],
                });
            }
            self.validate_member(member)?;
        }
        Ok(())
    }

    fn validate_member(&self, member: &MemberSubscription) -> Result<(), AssignError> {
        let mut topics = SortedSet::new();
        for topic in &member.topics {
            if !topics.insert(topic) {
                return Err(AssignError::TopicSubscribedTwice {
                    member_id: member.member_id.clone(),
                    topic: topic.clone(),
                });
            }
        }
        let mut owned = SortedSet::new();
        for partition in &member.owned_partitions {
            if partition.partition > i32::MAX as u32 {
                return Err(AssignError::PartitionNumberTooLarge {
                    member_id: member.member_id.clone(),
                    partition: partition.clone(),
                });
            }
            if let Some(partition_count) = self.partition_count(&partition.topic)
                && partition.partition >= partition_count
            {
                return Err(AssignError::OwnedPartitionDoesNotExist {
                    member_id: member.member_id.clone(),
                    partition: partition.clone(),
                    partition_count,
                });
            }
            if !owned.insert(partition) {
                return Err(AssignError::OwnedPartitionListedTwice {
                    member_id: member.member_id.clone(),
                    partition: partition.clone(),
                });
            }
        }
        Ok(())
    }

    /// The members in the order Kafka's leader iterates its `Map<String, Subscription>`: a Java hash
    /// map filled in JoinGroup order. Kafka's sticky and range results can depend on it.
    fn members_in_subscription_order(&self) -> Vec<&MemberSubscription> {
        let by_id: SortedMap<&str, &MemberSubscription> =
            self.members.iter().map(|m| (m.member_id.as_str(), m)).collect();
        let ids = crate::kafka::java::hash_order::strings_in_hash_order(self.members.iter().map(|m| m.member_id.as_str()));
        ids.iter().filter_map(|id| by_id.get(id).copied()).collect()
    }

    /// The partition count of `topic` if it exists with at least one partition.
    fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topics.get(topic).copied().filter(|count| *count > 0)
    }

    /// An assignment with an empty list for every member, as every Kafka assignor starts.
    fn empty_assignment(&self) -> Assignment {
        self.members.iter().map(|m| (m.member_id.clone(), Vec::new())).collect()
    }
}

/// Runs the named client-side assignor and returns what this rebalance hands each member. For
/// cooperative-sticky that is the first round: partitions still owned by another member are withheld
/// until that member has revoked them (see [`cooperative_sticky::assign_until_converged`]).
pub fn assign(strategy: AssignorName, input: &AssignmentInput) -> Result<Assignment, AssignError> {
    match strategy {
        AssignorName::Range => range::assign(input),
        AssignorName::RoundRobin => round_robin::assign(input),
        AssignorName::Sticky => sticky::assign(input).map(|outcome| outcome.assignment),
        AssignorName::CooperativeSticky => cooperative_sticky::assign(input).map(|round| round.assignment),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignor_names_are_kafkas() {
        let names: Vec<&str> = AssignorName::ALL.iter().map(|a| a.kafka_name()).collect();
        assert_eq!(names, vec!["range", "roundrobin", "sticky", "cooperative-sticky"]);
        assert_eq!(AssignorName::from_kafka_name("cooperative-sticky"), Some(AssignorName::CooperativeSticky));
        assert_eq!(AssignorName::from_kafka_name("RangeAssignor"), None);
    }

    #[test]
    fn the_default_strategy_list_runs_range_with_the_eager_protocol() {
        // ConsumerConfig default [RangeAssignor, CooperativeStickyAssignor]: the only protocol both
        // support is EAGER, and every member's first choice is range.
        assert_eq!(DEFAULT_PARTITION_ASSIGNMENT_STRATEGY[0], AssignorName::Range);
        assert_eq!(rebalance_protocol(&DEFAULT_PARTITION_ASSIGNMENT_STRATEGY), Some(RebalanceProtocol::Eager));
    }

    #[test]
    fn only_cooperative_sticky_alone_gives_the_cooperative_protocol() {
        assert_eq!(rebalance_protocol(&[AssignorName::CooperativeSticky]), Some(RebalanceProtocol::Cooperative));
        assert_eq!(rebalance_protocol(&[AssignorName::Sticky]), Some(RebalanceProtocol::Eager));
        assert_eq!(rebalance_protocol(&[]), None);
    }

    #[test]
    fn validation_names_the_member_and_the_rule() {
        let mut input = AssignmentInput {
            topics: SortedMap::from([("t".to_string(), 3)]),
            members: vec![MemberSubscription::new("c1", &["t"]).owning(&[("t", 5)], Some(1))],
        };
        let error = input.validate().unwrap_err();
        assert_eq!(
            error.to_string(),
            "member 'c1' claims partition t-5, but topic 't' has 3 partition(s), numbered 0 to 2"
        );
        input.members = vec![MemberSubscription::new("c1", &["t"]), MemberSubscription::new("c1", &["t"])];
        assert_eq!(input.validate(), Err(AssignError::DuplicateMemberId { member_id: "c1".to_string() }));
    }

    #[test]
    fn owned_partitions_of_deleted_topics_are_accepted() {
        let input = AssignmentInput {
            topics: SortedMap::from([("t".to_string(), 1)]),
            members: vec![MemberSubscription::new("c1", &["t"]).owning(&[("gone", 9)], Some(1))],
        };
        assert_eq!(input.validate(), Ok(()));
    }
}
