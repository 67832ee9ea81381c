//! `cooperative-sticky`: Kafka's `CooperativeStickyAssignor` (KIP-429, SEMANTICS §3.4).
//!
//! It computes the sticky assignment, then withholds every partition that would move from one
//! member to another: the old owner keeps consuming it until it sees its new assignment without
//! that partition, revokes it, and rejoins. The follow-up rebalance hands the partition over, now
//! that nobody owns it. No partition is ever owned by two members at once, and partitions that do
//! not move are never paused: that is the point of the cooperative protocol.

use super::sticky::{self, BuilderPath, StickyFlavor};
use super::{AssignError, Assignment, AssignmentInput, Transfers};
use crate::kafka::ids::TopicPartition;

/// One rebalance of the cooperative protocol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CooperativeRound {
    /// What this rebalance hands each member: the sticky result minus the withheld partitions.
    pub assignment: Assignment,
    /// The withheld partitions and the member each will go to after the follow-up rebalance.
    pub partitions_transferring_ownership: Transfers,
    pub path: BuilderPath,
}

/// A cooperative rebalance followed through to the end.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CooperativeRebalances {
    /// The rebalance triggered by the change.
    pub first_round: CooperativeRound,
    /// The assignment once every revoked partition has found its new owner.
    pub converged: Assignment,
    /// How many rebalances that took, the first included.
    pub rebalance_count: usize,
}

/// A bound on follow-up rebalances; the sticky assignor needs one, and a loop would be a bug.
const REBALANCE_COUNT_MAX: usize = 16;

/// Runs one cooperative rebalance.
pub fn assign(input: &AssignmentInput) -> Result<CooperativeRound, AssignError> {
    let outcome = sticky::run(input, StickyFlavor::Cooperative)?;
    let transfers = match outcome.partitions_transferring_ownership {
        Some(transfers) => transfers,
        None => transfers_from_owned_partitions(input, &outcome.assignment),
    };
    let mut assignment = outcome.assignment;
    withhold(&mut assignment, &transfers);
    Ok(CooperativeRound { assignment, partitions_transferring_ownership: transfers, path: outcome.path })
}

/// `computePartitionsTransferringOwnership`, used after the general builder: partitions that some
/// member gains and some member (by its own report) loses.
pub fn transfers_from_owned_partitions(input: &AssignmentInput, assignment: &Assignment) -> Transfers {
    let mut added = Transfers::new();
    let mut revoked = crate::sim::sorted::SortedSet::new();
    for member in &input.members {
        let assigned = assignment.get(&member.member_id).map_or(&[][..], Vec::as_slice);
        for partition in assigned.iter().filter(|p| !member.owned_partitions.contains(p)) {
            added.insert(partition.clone(), member.member_id.clone());
        }
        revoked.extend(member.owned_partitions.iter().filter(|p| !assigned.contains(p)).cloned());
    }
    added.retain(|partition, _| revoked.contains(partition));
    added
}

/// `adjustAssignment`: takes each transferring partition out of its new owner's list.
fn withhold(assignment: &mut Assignment, transfers: &Transfers) {
    for (partition, new_owner) in transfers {
        if let Some(list) = assignment.get_mut(new_owner)
            && let Some(at) = list.iter().position(|p| p == partition)
        {
            list.remove(at);
        }
    }
}

/// Whether any member must revoke something it owned: then it rejoins and triggers a follow-up.
fn anything_revoked(input: &AssignmentInput, assignment: &Assignment) -> bool {
    input.members.iter().any(|member| {
        let assigned = assignment.get(&member.member_id).map_or(&[][..], Vec::as_slice);
        !revoked_by(&member.owned_partitions, assigned).is_empty()
    })
}

/// The next rebalance's input: each member now owns what the last round gave it, all in the new
/// generation.
pub fn follow_up_input(input: &AssignmentInput, round: &Assignment, generation: i32) -> AssignmentInput {
    let mut next = input.clone();
    for member in &mut next.members {
        member.owned_partitions = round.get(&member.member_id).cloned().unwrap_or_default();
        member.generation = Some(generation);
    }
    next
}

/// Runs the first rebalance and the follow-ups: members that revoked something rejoin, until a
/// round revokes nothing. The first round is always followed by one more, which is where withheld
/// partitions reach their new owners (and where each member reports its partitions again, which
/// settles their order).
pub fn assign_until_converged(input: &AssignmentInput) -> Result<CooperativeRebalances, AssignError> {
    let first_round = assign(input)?;
    let mut generation = input.members.iter().filter_map(|m| m.generation).max().unwrap_or(-1);
    let mut current_input = input.clone();
    let mut last = first_round.assignment.clone();
    for rebalance_count in 2..=REBALANCE_COUNT_MAX {
        generation = generation.saturating_add(1);
        let next_input = follow_up_input(&current_input, &last, generation);
        let round = assign(&next_input)?;
        let revoked = anything_revoked(&next_input, &round.assignment);
        last = round.assignment;
        current_input = next_input;
        if !revoked {
            return Ok(CooperativeRebalances { first_round, converged: last, rebalance_count });
        }
    }
    Err(AssignError::KafkaThrows {
        assignor: "cooperative-sticky",
        reason: format!("members were still revoking partitions after {REBALANCE_COUNT_MAX} rebalances"),
    })
}

/// The partitions a member gives up in a round: owned before, not assigned now.
pub fn revoked_by(member_owned: &[TopicPartition], assigned: &[TopicPartition]) -> Vec<TopicPartition> {
    member_owned.iter().filter(|p| !assigned.contains(p)).cloned().collect()
}

#[cfg(test)]
mod tests;
