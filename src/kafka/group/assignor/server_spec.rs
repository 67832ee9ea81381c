//! What the broker-side assignors of the KIP-848 `consumer` protocol see (`GroupSpec`), SEMANTICS §3.5.
//!
//! In the new protocol the group coordinator, not a member, computes the assignment. It knows each
//! member's subscription and current assignment, and works in topic ids; here topics are named.

use crate::sim::sorted::{SortedMap, SortedSet};

use super::member_order::{self, MemberInfo};
use super::{AssignError, MemberSubscription};
use crate::kafka::ids::TopicPartition;
use crate::kafka::java::compare_strings;

/// Per topic, a set of partition numbers (Kafka's `Map<Uuid, Set<Integer>>`).
pub type TopicPartitions = SortedMap<String, SortedSet<u32>>;

/// Each member's target assignment. Topics with no partitions for a member are left out.
pub type ServerAssignment = SortedMap<String, TopicPartitions>;

/// One member as the coordinator sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerMember {
    pub member_id: String,
    pub group_instance_id: Option<String>,
    pub topics: Vec<String>,
    pub current_assignment: TopicPartitions,
}

impl ServerMember {
    pub fn new(member_id: &str, topics: &[&str]) -> ServerMember {
        ServerMember {
            member_id: member_id.to_string(),
            group_instance_id: None,
            topics: topics.iter().map(|t| t.to_string()).collect(),
            current_assignment: TopicPartitions::new(),
        }
    }

    pub fn with_instance_id(mut self, group_instance_id: &str) -> ServerMember {
        self.group_instance_id = Some(group_instance_id.to_string());
        self
    }

    /// The same member, currently assigned these partitions of `topic`.
    pub fn assigned(mut self, topic: &str, partitions: &[u32]) -> ServerMember {
        self.current_assignment.entry(topic.to_string()).or_default().extend(partitions.iter().copied());
        self
    }
}

/// The group as the broker-side assignor receives it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerGroupSpec {
    /// Partition count per existing topic.
    pub topics: SortedMap<String, u32>,
    pub members: Vec<ServerMember>,
    /// The order `groupSpec.memberIds()` iterates in; Kafka's tests use a TreeMap (sorted ids),
    /// which is the default here.
    pub member_iteration_order: Option<Vec<String>>,
    /// The order Kafka's hash set of subscribed topic ids iterates in, which depends on the ids'
    /// hash codes; by default, the first member's subscription order.
    pub topic_iteration_order: Option<Vec<String>>,
}

impl ServerGroupSpec {
    /// The same checks as for the client assignors, plus: no partition is in two members' current
    /// assignments.
    pub fn validate(&self) -> Result<(), AssignError> {
        let as_client = super::AssignmentInput {
            topics: self.topics.clone(),
            members: self
                .members
                .iter()
                .map(|m| MemberSubscription {
                    member_id: m.member_id.clone(),
                    group_instance_id: m.group_instance_id.clone(),
                    topics: m.topics.clone(),
                    owned_partitions: owned_list(&m.current_assignment),
                    generation: None,
                })
                .collect(),
        };
        as_client.validate()?;
        let mut holder: SortedMap<TopicPartition, &str> = SortedMap::new();
        for member in &self.members {
            for partition in owned_list(&member.current_assignment) {
                if let Some(other) = holder.insert(partition.clone(), &member.member_id) {
                    return Err(AssignError::PartitionInTwoAssignments {
                        partition,
                        member_ids: [other.to_string(), member.member_id.clone()],
                    });
                }
            }
        }
        Ok(())
    }

    /// Members sorted the way the server range assignor sorts them: static by instance id first,
    /// then dynamic by member id.
    pub fn members_sorted(&self) -> Vec<&ServerMember> {
        let mut infos: Vec<MemberInfo> = self
            .members
            .iter()
            .map(|m| MemberInfo { member_id: &m.member_id, group_instance_id: m.group_instance_id.as_deref() })
            .collect();
        member_order::sort(&mut infos);
        infos.iter().filter_map(|info| self.member(info.member_id)).collect()
    }

    /// Members in `groupSpec.memberIds()` order: the given order, else sorted by member id.
    pub fn members_in_iteration_order(&self) -> Vec<&ServerMember> {
        match &self.member_iteration_order {
            Some(order) => {
                let mut members: Vec<&ServerMember> = order.iter().filter_map(|id| self.member(id)).collect();
                // Members the order does not mention follow, sorted, so none is lost.
                let mut rest: Vec<&ServerMember> =
                    self.members.iter().filter(|m| !order.contains(&m.member_id)).collect();
                crate::sim::sorted::sort_by(&mut rest, |a, b| compare_strings(&a.member_id, &b.member_id));
                members.extend(rest);
                members
            }
            None => {
                let mut members: Vec<&ServerMember> = self.members.iter().collect();
                crate::sim::sorted::sort_by(&mut members, |a, b| compare_strings(&a.member_id, &b.member_id));
                members
            }
        }
    }

    /// `topics` (the ones that exist) in topic iteration order.
    pub fn in_topic_order<'a>(&self, topics: &[&'a str]) -> Vec<&'a str> {
        let Some(order) = &self.topic_iteration_order else {
            return topics.to_vec();
        };
        let mut ordered: Vec<&str> = order.iter().filter_map(|t| topics.iter().copied().find(|x| x == t)).collect();
        ordered.extend(topics.iter().copied().filter(|t| !order.iter().any(|o| o == t)));
        ordered
    }

    pub fn member(&self, member_id: &str) -> Option<&ServerMember> {
        self.members.iter().find(|m| m.member_id == member_id)
    }

    pub fn partition_count(&self, topic: &str) -> Option<u32> {
        self.topics.get(topic).copied().filter(|n| *n > 0)
    }

    /// HOMOGENEOUS when every subscribed topic has every member as a subscriber
    /// (`ModernGroup.subscriptionType`).
    pub fn is_homogeneous(&self) -> bool {
        let mut subscribers: SortedMap<&str, usize> = SortedMap::new();
        for topic in self.members.iter().flat_map(|m| m.topics.iter()) {
            *subscribers.entry(topic).or_default() += 1;
        }
        subscribers.values().all(|count| *count == self.members.len())
    }

    /// An empty assignment for every member of the group, ready to fill.
    pub fn empty_assignment(&self) -> ServerAssignment {
        self.members.iter().map(|m| (m.member_id.clone(), TopicPartitions::new())).collect()
    }
}

fn owned_list(assignment: &TopicPartitions) -> Vec<TopicPartition> {
    assignment.iter().flat_map(|(t, ps)| ps.iter().map(move |p| TopicPartition::new(t.as_str(), *p))).collect()
}
