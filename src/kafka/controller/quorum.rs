//! The controller quorum's rules (KRaft, Kafka's Raft): who may become leader, when a record is
//! committed, and where a follower's log parts from its leader's.
//!
//! The metadata log is replicated among the controllers. One of them leads an epoch; the others
//! fetch from it. A record is committed once a majority of voters has it (the quorum's high
//! watermark); brokers only ever see committed records. A follower that stops hearing from its
//! leader for `controller.quorum.fetch.timeout.ms` first asks for pre-votes (Kafka 4.0, KIP-996) and,
//! once a majority would vote for it, stands for election in a new epoch. It wins with a majority of
//! votes, granted only to a candidate whose log is at least as complete as the voter's.

use crate::sim::sorted::{SortedMap, SortedSet};

/// A controller's place in the quorum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum QuorumRole {
    Leader,
    Follower { leader: u32 },
    Candidate { votes: SortedSet<u32> },
    /// Asking for pre-votes (KIP-996, Kafka 4.0) before standing: the epoch is raised only once a
    /// majority says it would vote, so a controller cut off from the others does not keep raising it.
    /// `leader`: the leader it followed, if any; when the pre-votes fail, it goes back to fetching
    /// from it (it may only have been cut off for a while).
    Prospective { votes: SortedSet<u32>, leader: Option<u32> },
    /// Knows of no leader in its epoch (after a restart, or after voting for another candidate).
    Unattached,
}

/// How many voters make a majority.
pub fn majority(voters: usize) -> usize {
    voters / 2 + 1
}

/// Raft's vote rule: a voter grants its vote for `candidate_epoch` if it has not voted for someone
/// else in that epoch and the candidate's log ends at least where its own does, comparing the last
/// record's epoch first, then the log length.
pub fn may_grant_vote(my_epoch: u32, voted_for: Option<u32>, my_last: (u32, u64), candidate: u32, candidate_epoch: u32, candidate_last: (u32, u64)) -> bool {
    if candidate_epoch < my_epoch {
        return false;
    }
    let free = candidate_epoch > my_epoch || voted_for.is_none_or(|v| v == candidate);
    free && candidate_last >= my_last
}

/// KIP-996's pre-vote rule: a voter says it would vote for a replica whose log is at least as complete
/// as its own, unless it is the leader or a follower that has heard from its leader within the fetch
/// timeout (the leader is not gone for it). A pre-vote records nothing.
pub fn may_grant_pre_vote(my_last: (u32, u64), candidate_last: (u32, u64), leader_alive: bool) -> bool {
    !leader_alive && candidate_last >= my_last
}

/// The quorum high watermark: the largest offset a majority of voters (the leader included) has.
pub fn high_watermark(leader_end: u64, follower_ends: &SortedMap<u32, u64>, voters: usize) -> u64 {
    let mut ends: Vec<u64> = follower_ends.values().copied().collect();
    ends.push(leader_end);
    crate::sim::sorted::sort_by(&mut ends, |a, b| b.cmp(a));
    ends.get(majority(voters) - 1).copied().unwrap_or(0)
}

/// Where a follower fetching at `fetch_offset`, whose last record has epoch `last_fetched_epoch`,
/// must truncate to match the leader whose records have epochs `leader_epochs`. `None`: the logs
/// agree up to `fetch_offset`.
pub fn divergence(leader_epochs: &[u32], fetch_offset: u64, last_fetched_epoch: u32) -> Option<u64> {
    if fetch_offset == 0 {
        return None;
    }
    let at = (fetch_offset - 1) as usize;
    if leader_epochs.get(at) == Some(&last_fetched_epoch) {
        return None;
    }
    // The leader's end offset for the follower's last epoch: after its last record of an epoch no
    // later than that one.
    let end = leader_epochs.iter().rposition(|e| *e <= last_fetched_epoch).map_or(0, |i| i as u64 + 1);
    Some(end.min(fetch_offset - 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn three_voters_need_two_and_five_need_three() {
        assert_eq!(majority(1), 1);
        assert_eq!(majority(3), 2);
        assert_eq!(majority(5), 3);
    }

    #[test]
    fn a_record_is_committed_once_a_majority_has_it() {
        let followers: SortedMap<u32, u64> = [(1, 7), (2, 3)].into();
        assert_eq!(high_watermark(10, &followers, 3), 7, "leader and controller 1 have 7 records");
        let lagging: SortedMap<u32, u64> = [(1, 2), (2, 3)].into();
        assert_eq!(high_watermark(10, &lagging, 3), 3);
        assert_eq!(high_watermark(10, &SortedMap::new(), 1), 10, "a quorum of one commits at once");
    }

    #[test]
    fn a_vote_goes_only_to_a_candidate_whose_log_is_at_least_as_complete() {
        assert!(may_grant_vote(3, None, (3, 10), 1, 4, (3, 10)));
        assert!(!may_grant_vote(3, None, (3, 10), 1, 4, (3, 9)), "shorter log of the same epoch");
        assert!(may_grant_vote(3, None, (2, 10), 1, 4, (3, 5)), "a later last epoch wins over length");
        assert!(!may_grant_vote(4, Some(2), (3, 10), 1, 4, (3, 10)), "already voted for 2 in epoch 4");
        assert!(!may_grant_vote(5, None, (3, 10), 1, 4, (3, 10)), "a stale epoch");
    }

    #[test]
    fn a_follower_with_records_of_a_deposed_leader_truncates_to_where_the_epochs_agree() {
        // Leader: epochs 1,1,2,2,3. The follower has 1,1,2,2,2,2 (two records from epoch 2 the
        // leader never had): it fetches at 6 with last epoch 2 and must cut back to 4.
        let leader = [1, 1, 2, 2, 3];
        assert_eq!(divergence(&leader, 6, 2), Some(4));
        assert_eq!(divergence(&leader, 4, 2), None, "agrees up to 4");
        assert_eq!(divergence(&leader, 0, 0), None);
    }
}
