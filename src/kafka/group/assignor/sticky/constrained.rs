//! The sticky assignors' fast path for a group whose members all subscribe to the same topics
//! (`AbstractStickyAssignor.ConstrainedAssignmentBuilder`, SEMANTICS §3.4).
//!
//! With `P` partitions and `N` members, everyone ends with `floor(P/N)` (minQuota) or `ceil(P/N)`
//! (maxQuota) partitions, and exactly `P % N` members hold maxQuota.
//!
//! 1. Each member, in the leader's hash-map order, keeps its valid previously owned partitions
//!    (sorted by partition number, then topic): all of them if fewer than minQuota, maxQuota of them
//!    while maxQuota slots remain, otherwise minQuota. The rest may be revoked.
//! 2. The partitions nobody kept, sorted by topic then number, are dealt round-robin: first to the
//!    members under minQuota (sorted by member id), then one each to members at minQuota, in the
//!    order they got there, until `P % N` members hold maxQuota.
//!
//! A partition dealt to someone other than the member that held it is "transferring ownership":
//! the cooperative protocol withholds it for one rebalance.

use std::collections::VecDeque;
use crate::sim::sorted::{SortedMap, SortedSet};

use crate::kafka::group::assignor::{AssignError, Assignment, Transfers};
use crate::kafka::ids::TopicPartition;
use crate::kafka::java::compare_strings;

/// The constrained builder's state (Kafka's field names, in Rust words).
struct Builder<'a> {
    min_quota: usize,
    max_quota: usize,
    /// How many members may hold maxQuota (`P % N`); zero when the split is even.
    expected_members_over_min_quota: usize,
    current_members_over_min_quota: usize,
    assignment: SortedMap<&'a str, Vec<TopicPartition>>,
    /// Owned partitions a member had to give up, and who owned them.
    maybe_revoked: SortedMap<TopicPartition, &'a str>,
    multiple_previous_owners: &'a SortedSet<TopicPartition>,
    transfers: Transfers,
}

/// Builds the assignment. `owned` is every member's valid claim, in the leader's iteration order;
/// `partitions_per_topic` holds the subscribed topics that exist.
pub fn build(
    partitions_per_topic: &SortedMap<&str, u32>,
    owned: &[(&str, Vec<TopicPartition>)],
    multiple_previous_owners: &SortedSet<TopicPartition>,
) -> Result<(Assignment, Transfers), AssignError> {
    let partition_total: usize = partitions_per_topic.values().map(|n| *n as usize).sum();
    let member_count = owned.len().max(1);
    let mut builder = Builder {
        min_quota: partition_total / member_count,
        max_quota: partition_total.div_ceil(member_count),
        expected_members_over_min_quota: partition_total % member_count,
        current_members_over_min_quota: 0,
        assignment: owned.iter().map(|(member, _)| (*member, Vec::new())).collect(),
        maybe_revoked: SortedMap::new(),
        multiple_previous_owners,
        transfers: Transfers::new(),
    };
    let (mut under_min_quota, mut at_min_quota) = builder.keep_owned_partitions(owned);
    let unassigned = builder.unassigned_partitions(partitions_per_topic);
    crate::sim::sorted::sort_by(&mut under_min_quota, |a, b| compare_strings(a, b));
    crate::sim::sorted::sort_by(at_min_quota.make_contiguous(), |a, b| compare_strings(a, b));
    let still_unfilled = builder.deal_round_robin(&unassigned, under_min_quota, at_min_quota)?;
    builder.verify_unfilled_members(&still_unfilled)?;
    let assignment = builder.assignment.into_iter().map(|(m, list)| (m.to_string(), list)).collect();
    Ok((assignment, builder.transfers))
}

impl<'a> Builder<'a> {
    /// Step 1. Returns the members still under minQuota and those at exactly minQuota that may
    /// still take one more.
    fn keep_owned_partitions(&mut self, owned: &[(&'a str, Vec<TopicPartition>)]) -> (Vec<&'a str>, VecDeque<&'a str>) {
        let mut under_min_quota = Vec::new();
        let mut at_min_quota = VecDeque::new();
        for (member, partitions) in owned {
            let mut partitions = partitions.clone();
            crate::sim::sorted::sort_by(&mut partitions, |a, b| a.partition.cmp(&b.partition).then_with(|| compare_strings(&a.topic, &b.topic)));
            // Claimed by two members of the same generation: nobody keeps it.
            partitions.retain(|p| !self.multiple_previous_owners.contains(p));
            let keep = if partitions.len() < self.min_quota {
                under_min_quota.push(*member);
                partitions.len()
            } else if partitions.len() >= self.max_quota
                && self.current_members_over_min_quota < self.expected_members_over_min_quota
            {
                self.current_members_over_min_quota += 1;
                if self.current_members_over_min_quota == self.expected_members_over_min_quota {
                    at_min_quota.clear();
                }
                self.max_quota
            } else {
                if self.current_members_over_min_quota < self.expected_members_over_min_quota {
                    at_min_quota.push_back(*member);
                }
                self.min_quota
            };
            for partition in partitions.split_off(keep) {
                self.maybe_revoked.insert(partition, member);
            }
            if let Some(list) = self.assignment.get_mut(member) {
                list.extend(partitions);
            }
        }
        (under_min_quota, at_min_quota)
    }

    /// Every partition nobody kept, topics in Java string order, partitions ascending.
    fn unassigned_partitions(&self, partitions_per_topic: &SortedMap<&str, u32>) -> Vec<TopicPartition> {
        let kept: SortedSet<&TopicPartition> = self.assignment.values().flatten().collect();
        let mut topics: Vec<(&str, u32)> = partitions_per_topic.iter().map(|(t, n)| (*t, *n)).collect();
        crate::sim::sorted::sort_by(&mut topics, |a, b| compare_strings(a.0, b.0));
        topics
            .into_iter()
            .flat_map(|(topic, count)| (0..count).map(move |p| TopicPartition::new(topic, p)))
            .filter(|p| !kept.contains(p))
            .collect()
    }

    /// Step 2, Kafka's `assignRoundRobin`: a cursor walks the under-minQuota list, restarting at its
    /// head when it runs off the end; members leave the list when they reach minQuota. Once the
    /// list is empty, members at minQuota take one more each, in order. Returns the members still
    /// on the under-minQuota list.
    fn deal_round_robin(
        &mut self,
        unassigned: &[TopicPartition],
        mut under_min_quota: Vec<&'a str>,
        mut at_min_quota: VecDeque<&'a str>,
    ) -> Result<Vec<&'a str>, AssignError> {
        let mut cursor = 0;
        for partition in unassigned {
            let (member, from_cursor) = if cursor < under_min_quota.len() {
                cursor += 1;
                (under_min_quota[cursor - 1], true)
            } else if !under_min_quota.is_empty() {
                cursor = 1;
                (under_min_quota[0], true)
            } else if let Some(member) = at_min_quota.pop_front() {
                (member, false)
            } else {
                return Err(AssignError::KafkaThrows {
                    assignor: "sticky",
                    reason: "no more unfilled consumers to be assigned (IllegalStateException)".to_string(),
                });
            };
            let count = self.assign_new_partition(partition, member);
            if count == self.min_quota && from_cursor {
                cursor -= 1;
                under_min_quota.remove(cursor);
                at_min_quota.push_back(member);
            } else if count == self.max_quota {
                self.current_members_over_min_quota += 1;
            }
        }
        Ok(under_min_quota)
    }

    fn assign_new_partition(&mut self, partition: &TopicPartition, member: &'a str) -> usize {
        let moved_from_another_owner = self.maybe_revoked.get(partition).is_some_and(|owner| *owner != member);
        if moved_from_another_owner || self.multiple_previous_owners.contains(partition) {
            self.transfers.insert(partition.clone(), member.to_string());
        }
        match self.assignment.get_mut(member) {
            Some(list) => {
                list.push(partition.clone());
                list.len()
            }
            None => 0,
        }
    }

    /// Kafka's `verifyUnfilledMembers`: members left on the under-minQuota list are only fine if
    /// the maxQuota slots are all taken and they hold exactly minQuota.
    fn verify_unfilled_members(&self, still_unfilled: &[&str]) -> Result<(), AssignError> {
        if still_unfilled.is_empty() {
            return Ok(());
        }
        let reason = if self.current_members_over_min_quota != self.expected_members_over_min_quota {
            "members over minQuota fell short of the expected number with no partitions left (IllegalStateException)"
        } else if still_unfilled.iter().any(|m| self.assignment.get(m).map_or(0, Vec::len) != self.min_quota) {
            "a consumer did not reach minQuota partitions and none are left (IllegalStateException)"
        } else {
            return Ok(());
        };
        Err(AssignError::KafkaThrows { assignor: "sticky", reason: reason.to_string() })
    }
}
