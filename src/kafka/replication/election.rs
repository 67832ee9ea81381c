//! Partition leader election (SEMANTICS §5): who leads a partition after a broker fails, shuts down,
//! comes back, or a reassignment finishes, and what happens to the ISR and the leader epoch.
//!
//! Two generations of Kafka's rules live here, as pure functions of the partition's state:
//! - [`zk`]: the ZooKeeper-era controller's `PartitionLeaderElectionAlgorithms` and the state changes
//!   its `Election` object made (offline, reassign, preferred, controlled shutdown).
//! - [`kraft`]: the KRaft controller's `PartitionChangeBuilder` (ONLINE, UNCLEAN, PREFERRED), the
//!   default in Kafka 4.0. Eligible leader replicas (KIP-966) are an option of the builder; the
//!   simulation keeps them off, as Kafka 4.0 ships.
//!
//! Both always walk replicas in assignment order: the new leader is the first suitable replica in
//! the partition's replica list, never the most up-to-date one. That is why an acks=1 write the old
//! leader acknowledged can vanish.

/// Whether the leader's log may be missing acknowledged records (KIP-704). An unclean election makes
/// the new leader RECOVERING; it stays so until the leader reports that it has recovered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum LeaderRecoveryState {
    Recovered,
    Recovering,
}

impl LeaderRecoveryState {
    /// Kafka's name for the state, as metadata records and tools print it.
    pub fn name(self) -> &'static str {
        match self {
            LeaderRecoveryState::Recovered => "RECOVERED",
            LeaderRecoveryState::Recovering => "RECOVERING",
        }
    }
}

/// The ZooKeeper-era controller's election rules (`PartitionLeaderElectionAlgorithms` and `Election`
/// in `core/src/main/scala/kafka/controller`, removed with ZooKeeper in Kafka 4.0).
pub mod zk {
    use super::LeaderRecoveryState;
    use crate::kafka::BrokerId;
    use crate::sim::sorted::SortedSet;

    /// A partition's leadership as the ZooKeeper controller stored it.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct LeaderAndIsr {
        pub leader: Option<BrokerId>,
        pub leader_epoch: i32,
        pub isr: Vec<BrokerId>,
        pub leader_recovery_state: LeaderRecoveryState,
    }

    impl LeaderAndIsr {
        /// A new leader always means a new leader epoch, even when the same broker is re-elected.
        fn with_leader(&self, leader: BrokerId, isr: Vec<BrokerId>, recovery: LeaderRecoveryState) -> LeaderAndIsr {
            LeaderAndIsr {
                leader: Some(leader),
                leader_epoch: self.leader_epoch + 1,
                isr,
                leader_recovery_state: recovery,
            }
        }
    }

    /// The leader for a partition whose leader went offline: the first replica in assignment order
    /// that is alive and in the ISR. With none, and only if unclean election is enabled, the first
    /// live replica in assignment order, in sync or not.
    pub fn offline_partition_leader(
        assignment: &[BrokerId],
        isr: &[BrokerId],
        live: &SortedSet<BrokerId>,
        unclean_leader_election_enabled: bool,
    ) -> Option<BrokerId> {
        let clean = assignment.iter().find(|id| live.contains(id) && isr.contains(id));
        let unclean = || assignment.iter().find(|id| live.contains(id)).filter(|_| unclean_leader_election_enabled);
        clean.or_else(unclean).copied()
    }

    /// The leader when a reassignment moves the partition: the first target replica that is alive and
    /// in the ISR.
    pub fn reassign_partition_leader(
        reassignment: &[BrokerId],
        isr: &[BrokerId],
        live: &SortedSet<BrokerId>,
    ) -> Option<BrokerId> {
        reassignment.iter().find(|id| live.contains(id) && isr.contains(id)).copied()
    }

    /// Preferred leader election: only the head of the assignment, and only if it is alive and in the
    /// ISR. Anything else means no election at all.
    pub fn preferred_replica_leader(
        assignment: &[BrokerId],
        isr: &[BrokerId],
        live: &SortedSet<BrokerId>,
    ) -> Option<BrokerId> {
        assignment.first().filter(|id| live.contains(id) && isr.contains(id)).copied()
    }

    /// The leader when brokers shut down politely: the first replica that is alive, in the ISR and not
    /// itself shutting down.
    pub fn controlled_shutdown_leader(
        assignment: &[BrokerId],
        isr: &[BrokerId],
        live: &SortedSet<BrokerId>,
        shutting_down: &SortedSet<BrokerId>,
    ) -> Option<BrokerId> {
        assignment.iter().find(|id| live.contains(id) && isr.contains(id) && !shutting_down.contains(id)).copied()
    }

    /// The whole state change for an offline partition (`Election.leaderForOffline`). `None` means no
    /// leader could be elected and the state stays as it was.
    ///
    /// A leader from the ISR keeps the ISR's live members. A leader from outside the ISR (unclean)
    /// becomes the whole ISR and, from metadata version 3.2 (`leader_recovery_supported`), RECOVERING.
    pub fn elect_for_offline(
        state: &LeaderAndIsr,
        assignment: &[BrokerId],
        live: &SortedSet<BrokerId>,
        unclean_leader_election_enabled: bool,
        leader_recovery_supported: bool,
    ) -> Option<LeaderAndIsr> {
        let live_replicas: SortedSet<BrokerId> = assignment.iter().filter(|id| live.contains(id)).copied().collect();
        let leader = offline_partition_leader(assignment, &state.isr, &live_replicas, unclean_leader_election_enabled)?;
        if state.isr.contains(&leader) {
            let isr = state.isr.iter().filter(|id| live.contains(id)).copied().collect();
            Some(state.with_leader(leader, isr, state.leader_recovery_state))
        } else {
            let recovery =
                if leader_recovery_supported { LeaderRecoveryState::Recovering } else { state.leader_recovery_state };
            Some(state.with_leader(leader, vec![leader], recovery))
        }
    }

    /// The state change when a reassignment finishes moving replicas: the ISR is kept.
    pub fn elect_for_reassign(
        state: &LeaderAndIsr,
        target_replicas: &[BrokerId],
        live: &SortedSet<BrokerId>,
    ) -> Option<LeaderAndIsr> {
        let leader = reassign_partition_leader(target_replicas, &state.isr, live)?;
        Some(state.with_leader(leader, state.isr.clone(), state.leader_recovery_state))
    }

    /// The state change for a preferred leader election: the ISR is kept.
    pub fn elect_preferred(
        state: &LeaderAndIsr,
        assignment: &[BrokerId],
        live: &SortedSet<BrokerId>,
    ) -> Option<LeaderAndIsr> {
        let leader = preferred_replica_leader(assignment, &state.isr, live)?;
        Some(state.with_leader(leader, state.isr.clone(), state.leader_recovery_state))
    }

    /// The state change for a controlled shutdown: brokers shutting down leave the ISR. `live` counts
    /// brokers that are shutting down as alive, as the controller does here.
    pub fn elect_for_controlled_shutdown(
        state: &LeaderAndIsr,
        assignment: &[BrokerId],
        live: &SortedSet<BrokerId>,
        shutting_down: &SortedSet<BrokerId>,
    ) -> Option<LeaderAndIsr> {
        let leader = controlled_shutdown_leader(assignment, &state.isr, live, shutting_down)?;
        let isr = state.isr.iter().filter(|id| !shutting_down.contains(id)).copied().collect();
        Some(state.with_leader(leader, isr, state.leader_recovery_state))
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn ids(list: &[u32]) -> Vec<BrokerId> {
            list.iter().map(|&id| BrokerId(id)).collect()
        }

        fn set(list: &[u32]) -> SortedSet<BrokerId> {
            list.iter().map(|&id| BrokerId(id)).collect()
        }

        // PartitionLeaderElectionAlgorithmsTest (read from the parent of Kafka commit 7c429f3514d).

        #[test]
        fn offline_election_picks_first_live_isr_member_in_assignment_order() {
            // testOfflinePartitionLeaderElection.
            let leader = offline_partition_leader(&ids(&[2, 4]), &ids(&[2, 4]), &set(&[4]), false);
            assert_eq!(leader, Some(BrokerId(4)));
        }

        #[test]
        fn offline_election_without_unclean_leaves_the_partition_leaderless_when_the_last_isr_member_is_down() {
            // testOfflinePartitionLeaderElectionLastIsrOfflineUncleanLeaderElectionDisabled.
            assert_eq!(offline_partition_leader(&ids(&[2, 4]), &ids(&[2]), &set(&[4]), false), None);
        }

        #[test]
        fn offline_election_with_unclean_enabled_takes_a_live_replica_outside_the_isr() {
            // testOfflinePartitionLeaderElectionLastIsrOfflineUncleanLeaderElectionEnabled.
            let leader = offline_partition_leader(&ids(&[2, 4]), &ids(&[2]), &set(&[4]), true);
            assert_eq!(leader, Some(BrokerId(4)));
        }

        #[test]
        fn reassignment_election_picks_the_first_live_isr_member_of_the_new_replicas() {
            // testReassignPartitionLeaderElection.
            assert_eq!(reassign_partition_leader(&ids(&[2, 4]), &ids(&[2, 4]), &set(&[4])), Some(BrokerId(4)));
        }

        #[test]
        fn reassignment_election_fails_with_no_live_isr_member() {
            // testReassignPartitionLeaderElectionWithNoLiveIsr.
            assert_eq!(reassign_partition_leader(&ids(&[2, 4]), &ids(&[2]), &set(&[])), None);
        }

        #[test]
        fn reassignment_election_fails_with_an_empty_isr() {
            // testReassignPartitionLeaderElectionWithEmptyIsr.
            assert_eq!(reassign_partition_leader(&ids(&[2, 4]), &ids(&[]), &set(&[2])), None);
        }

        #[test]
        fn preferred_election_restores_the_head_of_the_assignment() {
            // testPreferredReplicaPartitionLeaderElection.
            assert_eq!(preferred_replica_leader(&ids(&[2, 4]), &ids(&[2, 4]), &set(&[2, 4])), Some(BrokerId(2)));
        }

        #[test]
        fn preferred_election_does_nothing_when_the_preferred_replica_is_down() {
            // testPreferredReplicaPartitionLeaderElectionPreferredReplicaInIsrNotLive.
            assert_eq!(preferred_replica_leader(&ids(&[2, 4]), &ids(&[2]), &set(&[])), None);
        }

        #[test]
        fn preferred_election_does_nothing_when_the_preferred_replica_is_out_of_sync() {
            // testPreferredReplicaPartitionLeaderElectionPreferredReplicaNotInIsrLive: it never falls
            // back to another replica, even a live in-sync one.
            assert_eq!(preferred_replica_leader(&ids(&[2, 4]), &ids(&[4]), &set(&[2, 4])), None);
        }

        #[test]
        fn preferred_election_does_nothing_when_the_preferred_replica_is_down_and_out_of_sync() {
            // testPreferredReplicaPartitionLeaderElectionPreferredReplicaNotInIsrNotLive.
            assert_eq!(preferred_replica_leader(&ids(&[2, 4]), &ids(&[]), &set(&[])), None);
        }

        #[test]
        fn controlled_shutdown_moves_leadership_to_an_isr_member_that_stays() {
            // testControlledShutdownPartitionLeaderElection.
            let leader = controlled_shutdown_leader(&ids(&[2, 4]), &ids(&[2, 4]), &set(&[2, 4]), &set(&[2]));
            assert_eq!(leader, Some(BrokerId(4)));
        }

        #[test]
        fn controlled_shutdown_of_the_last_isr_member_finds_no_leader() {
            // testControlledShutdownPartitionLeaderElectionLastIsrShuttingDown.
            let leader = controlled_shutdown_leader(&ids(&[2, 4]), &ids(&[2]), &set(&[2, 4]), &set(&[2]));
            assert_eq!(leader, None);
        }

        #[test]
        fn controlled_shutdown_of_every_isr_member_at_once_finds_no_leader() {
            // testControlledShutdownPartitionLeaderElectionAllIsrSimultaneouslyShutdown.
            let leader = controlled_shutdown_leader(&ids(&[2, 4]), &ids(&[2, 4]), &set(&[2, 4]), &set(&[2, 4]));
            assert_eq!(leader, None);
        }

        fn state(leader: u32, epoch: i32, isr: &[u32]) -> LeaderAndIsr {
            LeaderAndIsr {
                leader: Some(BrokerId(leader)),
                leader_epoch: epoch,
                isr: ids(isr),
                leader_recovery_state: LeaderRecoveryState::Recovered,
            }
        }

        #[test]
        fn a_clean_offline_election_bumps_the_epoch_and_drops_dead_brokers_from_the_isr() {
            let before = state(1, 7, &[1, 2, 3]);
            let after = elect_for_offline(&before, &ids(&[1, 2, 3]), &set(&[2, 3]), false, true).unwrap();
            assert_eq!(after, state(2, 8, &[2, 3]));
        }

        #[test]
        fn an_unclean_offline_election_makes_the_new_leader_the_whole_isr_and_recovering() {
            let before = state(1, 7, &[1]);
            let after = elect_for_offline(&before, &ids(&[1, 2, 3]), &set(&[3]), true, true).unwrap();
            assert_eq!(after.leader, Some(BrokerId(3)));
            assert_eq!(after.isr, ids(&[3]));
            assert_eq!(after.leader_epoch, 8);
            assert_eq!(after.leader_recovery_state, LeaderRecoveryState::Recovering);
            // Before metadata version 3.2 there is no recovery state to set.
            let old = elect_for_offline(&before, &ids(&[1, 2, 3]), &set(&[3]), true, false).unwrap();
            assert_eq!(old.leader_recovery_state, LeaderRecoveryState::Recovered);
        }

        #[test]
        fn a_controlled_shutdown_removes_the_departing_brokers_from_the_isr() {
            let before = state(2, 3, &[2, 4, 5]);
            let after = elect_for_controlled_shutdown(&before, &ids(&[2, 4, 5]), &set(&[2, 4, 5]), &set(&[2])).unwrap();
            assert_eq!((after.leader, after.leader_epoch, after.isr), (Some(BrokerId(4)), 4, ids(&[4, 5])));
        }

        #[test]
        fn preferred_and_reassign_elections_keep_the_isr() {
            let before = state(4, 3, &[2, 4]);
            let preferred = elect_preferred(&before, &ids(&[2, 4]), &set(&[2, 4])).unwrap();
            assert_eq!((preferred.leader, preferred.leader_epoch, preferred.isr), (Some(BrokerId(2)), 4, ids(&[2, 4])));
            let reassigned = elect_for_reassign(&before, &ids(&[4, 2]), &set(&[2, 4])).unwrap();
            assert_eq!((reassigned.leader, reassigned.isr), (Some(BrokerId(4)), ids(&[2, 4])));
            assert_eq!(reassigned.leader_epoch, 4, "even re-electing the same broker starts a new epoch");
        }
    }
}

/// The KRaft controller's partition changes (`PartitionChangeBuilder`). Eligible leader replicas
/// (KIP-966) can be switched on per builder ([`PartitionChangeBuilder::with_eligible_leader_replicas`]);
/// they are off by default, which is Kafka 4.0's default.
///
/// Eligible leader replicas in short: when the ISR falls below `min.insync.replicas`, the members that
/// left it but still hold every committed record (they left only because the ISR could no longer
/// commit without them) are kept in the ELR, and may lead when the ISR is empty. The "last known ELR"
/// remembers brokers that might still have the data; by default Kafka uses it only to remember the last
/// leader of a partition whose ISR emptied, and elects that leader again (as an unclean election) if it
/// is the only hope.
pub mod kraft {
    use super::LeaderRecoveryState;
    use crate::kafka::BrokerId;
    use crate::kafka::java::hash_order::JavaHashOrder;
    use crate::sim::sorted::SortedSet;

    /// A partition's registration in the controller's metadata (the fields elections touch).
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct PartitionRegistration {
        /// All replicas, preferred leader first; during a reassignment, target replicas then removing ones.
        pub replicas: Vec<BrokerId>,
        pub isr: Vec<BrokerId>,
        pub removing_replicas: Vec<BrokerId>,
        pub adding_replicas: Vec<BrokerId>,
        pub leader: Option<BrokerId>,
        pub leader_recovery_state: LeaderRecoveryState,
        pub leader_epoch: i32,
        pub partition_epoch: i32,
        /// Eligible leader replicas (KIP-966): left the ISR while it was below min ISR, still clean.
        pub elr: Vec<BrokerId>,
        /// Brokers that may still have the data although they are in neither the ISR nor the ELR; by
        /// default only the partition's last leader. `None` is Kafka's "no leader" (-1), which Kafka
        /// writes here when a partition that already had no leader loses its last ISR member.
        pub last_known_elr: Vec<Option<BrokerId>>,
    }

    impl PartitionRegistration {
        /// Applies a change record, as brokers and the controller do when they replay it: a record
        /// that names a leader (even the same one) starts a new leader epoch; every record starts a new
        /// partition epoch.
        pub fn merge(&self, record: &PartitionChangeRecord) -> PartitionRegistration {
            let (leader, leader_epoch) = match record.leader {
                LeaderChange::Unchanged => (self.leader, self.leader_epoch),
                LeaderChange::To(leader) => (leader, self.leader_epoch.wrapping_add(1)),
            };
            PartitionRegistration {
                replicas: record.replicas.clone().unwrap_or_else(|| self.replicas.clone()),
                isr: record.isr.clone().unwrap_or_else(|| self.isr.clone()),
                removing_replicas: record.removing_replicas.clone().unwrap_or_else(|| self.removing_replicas.clone()),
                adding_replicas: record.adding_replicas.clone().unwrap_or_else(|| self.adding_replicas.clone()),
                leader,
                leader_recovery_state: record.leader_recovery_state.unwrap_or(self.leader_recovery_state),
                leader_epoch,
                // Java's int arithmetic: an epoch at the int maximum wraps to the minimum.
                partition_epoch: self.partition_epoch.wrapping_add(1),
                elr: record.elr.clone().unwrap_or_else(|| self.elr.clone()),
                last_known_elr: record.last_known_elr.clone().unwrap_or_else(|| self.last_known_elr.clone()),
            }
        }
    }

    /// What a change record says about the leader.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum LeaderChange {
        /// The record leaves the leader (and the leader epoch) alone.
        Unchanged,
        /// The record sets the leader (`None` = no leader) and so starts a new leader epoch.
        To(Option<BrokerId>),
    }

    /// A `PartitionChangeRecord`: only the fields that change are set.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct PartitionChangeRecord {
        pub leader: LeaderChange,
        pub isr: Option<Vec<BrokerId>>,
        pub replicas: Option<Vec<BrokerId>>,
        pub removing_replicas: Option<Vec<BrokerId>>,
        pub adding_replicas: Option<Vec<BrokerId>>,
        pub leader_recovery_state: Option<LeaderRecoveryState>,
        pub elr: Option<Vec<BrokerId>>,
        pub last_known_elr: Option<Vec<Option<BrokerId>>>,
    }

    impl PartitionChangeRecord {
        fn empty() -> PartitionChangeRecord {
            PartitionChangeRecord {
                leader: LeaderChange::Unchanged,
                isr: None,
                replicas: None,
                removing_replicas: None,
                adding_replicas: None,
                leader_recovery_state: None,
                elr: None,
                last_known_elr: None,
            }
        }

        fn is_no_op(&self) -> bool {
            *self == PartitionChangeRecord::empty()
        }
    }

    /// The kinds of election the controller runs.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub enum Election {
        /// Restore the preferred replica (the first) if it can lead.
        Preferred,
        /// Keep the partition online from the ISR (the usual case).
        Online,
        /// As ONLINE, but when no ISR member can lead, take any acceptable replica (may lose data).
        Unclean,
    }

    /// The metadata-version behaviours that change the outcome of a partition change.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MetadataVersion {
        /// From 3.2 (`IBP_3_2_IV0`), an unclean election marks the leader RECOVERING.
        pub leader_recovery_supported: bool,
        /// Before 3.6 (`IBP_3_6_IV0`), an ISR shrink also started a new leader epoch (KAFKA-15021).
        pub leader_epoch_bump_on_isr_shrink: bool,
    }

    impl MetadataVersion {
        /// Metadata versions 3.0 and 3.1.
        pub const V3_1: MetadataVersion =
            MetadataVersion { leader_recovery_supported: false, leader_epoch_bump_on_isr_shrink: true };
        /// Metadata versions 3.2 up to 3.5.
        pub const V3_5: MetadataVersion =
            MetadataVersion { leader_recovery_supported: true, leader_epoch_bump_on_isr_shrink: true };
        /// Metadata version 3.6 and later, including Kafka 4.0.
        pub const V3_6_AND_LATER: MetadataVersion =
            MetadataVersion { leader_recovery_supported: true, leader_epoch_bump_on_isr_shrink: false };
    }

    /// The winner of an election and whether it came from outside the ISR.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct ElectionResult {
        pub leader: Option<BrokerId>,
        pub unclean: bool,
    }

    /// How a builder treats eligible leader replicas (KIP-966). The default is Kafka 4.0's: off.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ElrSettings {
        pub enabled: bool,
        /// The topic's `min.insync.replicas`: an ISR smaller than this keeps its leavers in the ELR,
        /// an ISR at least this big needs no ELR.
        pub min_isr: i32,
        /// Kafka's default (on): the last known ELR remembers only the last leader of a partition whose
        /// ISR emptied, and that leader may be elected again. Off, it holds every broker that left while
        /// the ISR was short (for a different kind of unclean recovery). Kafka reads this flag even
        /// with ELR off.
        pub use_last_known_leader: bool,
        /// Brokers that came back from an unclean shutdown (they may have lost records), which can never
        /// be eligible. `None` when the event does not say.
        pub unclean_shutdown_replicas: Option<Vec<BrokerId>>,
    }

    impl ElrSettings {
        /// Whether eligible leader replicas are on. The simulation runs with them off, as Kafka 4.0
        /// ships, and only the CLI's conformance runner turns them on; in the browser build this is
        /// therefore a constant false, which leaves the ELR code out of the page (about 1.4 KB gzip).
        pub fn on(&self) -> bool {
            cfg!(not(target_arch = "wasm32")) && self.enabled
        }
    }

    impl Default for ElrSettings {
        fn default() -> ElrSettings {
            ElrSettings { enabled: false, min_isr: 1, use_last_known_leader: true, unclean_shutdown_replicas: None }
        }
    }

    /// Works out the change record for a partition from its registration and the targets a controller
    /// event sets (a new ISR from AlterPartition or a fenced broker, new replicas from a reassignment,
    /// the election kind from the topic's `unclean.leader.election.enable`).
    pub struct PartitionChangeBuilder<'a> {
        partition: &'a PartitionRegistration,
        /// May this broker lead? (The controller's test: registered, unfenced, not shutting down, log
        /// directory online.)
        is_acceptable_leader: &'a dyn Fn(BrokerId) -> bool,
        metadata_version: MetadataVersion,
        pub election: Election,
        pub target_isr: Vec<BrokerId>,
        pub target_replicas: Vec<BrokerId>,
        pub target_removing: Vec<BrokerId>,
        pub target_adding: Vec<BrokerId>,
        pub target_leader_recovery_state: LeaderRecoveryState,
        pub elr_settings: ElrSettings,
        target_elr: Vec<BrokerId>,
        target_last_known_elr: Vec<Option<BrokerId>>,
    }

    impl<'a> PartitionChangeBuilder<'a> {
        /// A builder whose targets start as the partition's current values and whose election is ONLINE.
        pub fn new(
            partition: &'a PartitionRegistration,
            is_acceptable_leader: &'a dyn Fn(BrokerId) -> bool,
            metadata_version: MetadataVersion,
        ) -> PartitionChangeBuilder<'a> {
            PartitionChangeBuilder {
                partition,
                is_acceptable_leader,
                metadata_version,
                election: Election::Online,
                target_isr: partition.isr.clone(),
                target_replicas: partition.replicas.clone(),
                target_removing: partition.removing_replicas.clone(),
                target_adding: partition.adding_replicas.clone(),
                target_leader_recovery_state: partition.leader_recovery_state,
                elr_settings: ElrSettings::default(),
                target_elr: partition.elr.clone(),
                target_last_known_elr: partition.last_known_elr.clone(),
            }
        }

        pub fn with_election(mut self, election: Election) -> PartitionChangeBuilder<'a> {
            self.election = election;
            self
        }

        pub fn with_target_isr(mut self, isr: Vec<BrokerId>) -> PartitionChangeBuilder<'a> {
            self.target_isr = isr;
            self
        }

        pub fn with_target_replicas(mut self, replicas: Vec<BrokerId>) -> PartitionChangeBuilder<'a> {
            self.target_replicas = replicas;
            self
        }

        pub fn with_target_removing(mut self, removing: Vec<BrokerId>) -> PartitionChangeBuilder<'a> {
            self.target_removing = removing;
            self
        }

        pub fn with_target_adding(mut self, adding: Vec<BrokerId>) -> PartitionChangeBuilder<'a> {
            self.target_adding = adding;
            self
        }

        pub fn with_target_leader_recovery_state(mut self, state: LeaderRecoveryState) -> PartitionChangeBuilder<'a> {
            self.target_leader_recovery_state = state;
            self
        }

        pub fn with_eligible_leader_replicas(mut self, settings: ElrSettings) -> PartitionChangeBuilder<'a> {
            self.elr_settings = settings;
            self
        }

        /// A replica may become leader if it is acceptable and in the target ISR, or, when the target
        /// ISR is empty, in the target ELR. (Kafka consults the ELR here even with ELR switched off,
        /// so a registration still carrying one from before can elect from it.)
        fn is_valid_new_leader(&self, replica: Option<BrokerId>) -> bool {
            replica.is_some_and(|r| {
                let eligible = self.target_isr.contains(&r) || (self.target_isr.is_empty() && self.target_elr.contains(&r));
                eligible && (self.is_acceptable_leader)(r)
            })
        }

        /// With ELR on and both the ISR and the ELR empty, the partition's last leader (kept as the only
        /// member of the last known ELR) may lead again. Kafka does not ask whether that broker is
        /// acceptable here (it only logs it), so neither do we.
        fn last_known_leader(&self) -> Option<Option<BrokerId>> {
            let settings = &self.elr_settings;
            let usable = settings.on()
                && settings.use_last_known_leader
                && self.target_elr.is_empty()
                && self.target_isr.is_empty()
                && self.partition.last_known_elr.len() == 1;
            usable.then(|| self.partition.last_known_elr[0])
        }

        /// Runs the election the builder is set up for, without building a record.
        ///
        /// PREFERRED: the first replica if it can lead, else the current leader if it still can, else
        /// the next replica in order that can. ONLINE and UNCLEAN: the current leader if it still can
        /// lead (no needless failover), else the first replica in order that can. Then, with ELR on,
        /// the last known leader (counted as unclean). UNCLEAN then falls back to the first acceptable
        /// replica even outside the ISR.
        pub fn elect_leader(&self) -> ElectionResult {
            let clean = |leader: Option<BrokerId>| ElectionResult { leader, unclean: false };
            let replicas = &self.target_replicas;
            if self.election == Election::Preferred {
                // Kafka reads the first target replica unconditionally; an empty list simply has none.
                let preferred = replicas.first().copied();
                if self.is_valid_new_leader(preferred) {
                    return clean(preferred);
                }
                if self.is_valid_new_leader(self.partition.leader) {
                    return clean(self.partition.leader);
                }
                if let Some(other) = replicas.iter().skip(1).copied().find(|&r| self.is_valid_new_leader(Some(r))) {
                    return clean(Some(other));
                }
                if let Some(last) = self.last_known_leader() {
                    return ElectionResult { leader: last, unclean: true };
                }
                return clean(None);
            }
            if self.is_valid_new_leader(self.partition.leader) {
                return clean(self.partition.leader);
            }
            if let Some(online) = replicas.iter().copied().find(|&r| self.is_valid_new_leader(Some(r))) {
                return clean(Some(online));
            }
            if let Some(last) = self.last_known_leader() {
                return ElectionResult { leader: last, unclean: true };
            }
            if self.election == Election::Unclean
                && let Some(unclean) = replicas.iter().copied().find(|&r| (self.is_acceptable_leader)(r))
            {
                return ElectionResult { leader: Some(unclean), unclean: true };
            }
            clean(None)
        }

        /// When the ISR holds every replica of an ongoing reassignment, the reassignment completes: the
        /// removing replicas leave both the replica list and the ISR. It never completes into an empty
        /// ISR or replica list.
        fn complete_reassignment_if_needed(&mut self) {
            if self.target_removing.is_empty() && self.target_adding.is_empty() {
                return;
            }
            let removing = &self.target_removing;
            let mut isr = self.target_isr.clone();
            let mut replicas = self.target_replicas.clone();
            if !removing.is_empty() {
                isr.retain(|r| !removing.contains(r));
                if isr.is_empty() {
                    return;
                }
                replicas.retain(|r| !removing.contains(r));
                if replicas.is_empty() {
                    return;
                }
            }
            if !replicas.iter().all(|r| isr.contains(r)) {
                return;
            }
            self.target_isr = isr;
            self.target_replicas = replicas;
            self.target_removing = Vec::new();
            self.target_adding = Vec::new();
        }

        /// With ELR on, before the election: an ISR at min ISR or above needs no ELR and no last known
        /// ELR. A shorter one keeps as eligible every broker that was in the ISR or the ELR and is not
        /// in the new ISR (minus brokers back from an unclean shutdown), and as last known ELR whatever
        /// else it knew of that is in neither.
        ///
        /// Kafka gathers both from a Java hash set of broker ids, so the lists come out in that set's
        /// iteration order (ascending for small ids, bucket order for large ones), which we replay.
        fn populate_target_elr(&mut self) {
            if !self.elr_settings.on() {
                return;
            }
            // Java compares the list's size, an int, with the int min ISR.
            if i64::try_from(self.target_isr.len()).unwrap_or(i64::MAX) >= i64::from(self.elr_settings.min_isr) {
                self.target_elr = Vec::new();
                self.target_last_known_elr = Vec::new();
                return;
            }
            let in_new_isr: SortedSet<BrokerId> = self.target_isr.iter().copied().collect();
            let mut candidates: JavaHashOrder<Option<BrokerId>> = JavaHashOrder::for_copy_of(self.target_elr.len());
            for &r in self.target_elr.iter().chain(&self.partition.isr) {
                candidates.insert(java_hash_code(Some(r)), Some(r));
            }
            let unclean_shutdown = self.elr_settings.unclean_shutdown_replicas.as_deref().unwrap_or(&[]);
            self.target_elr = candidates
                .iter()
                .flatten()
                .copied()
                .filter(|r| !in_new_isr.contains(r) && !unclean_shutdown.contains(r))
                .collect();
            for &r in &self.target_last_known_elr {
                candidates.insert(java_hash_code(r), r);
            }
            let target_elr = &self.target_elr;
            self.target_last_known_elr = candidates
                .iter()
                .copied()
                .filter(|r| r.is_none_or(|r| !in_new_isr.contains(&r) && !target_elr.contains(&r)))
                .collect();
        }

        fn try_election(&mut self, record: &mut PartitionChangeRecord) {
            let result = self.elect_leader();
            if result.leader == self.partition.leader {
                return;
            }
            if let Some(leader) = result.leader
                && self.target_elr.contains(&leader)
            {
                // An eligible replica takes over an empty ISR: it alone is the ISR now, and no longer ELR.
                self.target_isr = vec![leader];
                self.target_elr.retain(|&r| r != leader);
            }
            record.leader = LeaderChange::To(result.leader);
            if result.unclean {
                // The new leader was not in sync: it alone is the ISR now, and data may be lost. (Kafka
                // writes an ISR of [-1] if the last known leader it re-elects is "no leader"; that needs
                // a last known ELR of [-1] on a partition that has a leader, which Kafka never writes.)
                record.isr = Some(result.leader.into_iter().collect());
                if self.partition.leader_recovery_state != LeaderRecoveryState::Recovering
                    && self.metadata_version.leader_recovery_supported
                {
                    record.leader_recovery_state = Some(LeaderRecoveryState::Recovering);
                }
            }
        }

        /// Replicas leaving the partition must stop acting on the old epoch, so a replica list that drops
        /// any old replica starts a new leader epoch even when the leader stays.
        pub(crate) fn trigger_leader_epoch_bump_for_replica_reassignment(&self, record: &mut PartitionChangeRecord) {
            if record.leader != LeaderChange::Unchanged {
                return;
            }
            if !contains_all(&self.target_replicas, &self.partition.replicas) {
                record.leader = LeaderChange::To(self.partition.leader);
            }
        }

        /// Before metadata version 3.6, an ISR that lost a member also started a new leader epoch.
        pub(crate) fn trigger_leader_epoch_bump_for_isr_shrink(&self, record: &mut PartitionChangeRecord) {
            if !self.metadata_version.leader_epoch_bump_on_isr_shrink || record.leader != LeaderChange::Unchanged {
                return;
            }
            let Some(isr) = &record.isr else { return };
            if !contains_all(isr, &self.partition.isr) {
                record.leader = LeaderChange::To(self.partition.leader);
            }
        }

        /// Writes the ELR into the record. An unclean election (the record's ISR already set) or ELR
        /// off clears both lists. With the last-known-leader mode, a partition left (or staying)
        /// without a leader keeps its remembered leader, and the last known ELR is written later by
        /// [`Self::update_last_known_leader`].
        fn update_record_elr(&mut self, record: &mut PartitionChangeRecord) {
            let clean_election = record.isr.is_none();
            if !clean_election || !self.elr_settings.on() {
                self.target_elr = Vec::new();
                self.target_last_known_elr = Vec::new();
            }
            if self.target_elr != self.partition.elr {
                record.elr = Some(self.target_elr.clone());
            }
            let use_last_known_leader = self.elr_settings.use_last_known_leader;
            let leaderless = record.leader == LeaderChange::To(None)
                || (record.leader == LeaderChange::Unchanged && self.partition.leader.is_none());
            if use_last_known_leader && self.partition.last_known_elr.len() == 1 && leaderless {
                self.target_last_known_elr = self.partition.last_known_elr.clone();
            }
            if use_last_known_leader {
                return;
            }
            if self.target_last_known_elr != self.partition.last_known_elr {
                record.last_known_elr = Some(self.target_last_known_elr.clone());
            }
        }

        /// With ELR on and the last-known-leader mode: the first time the ISR is emptied, remember the
        /// leader it had (Kafka's "no leader" included); once the partition has, or keeps, a leader,
        /// forget it.
        fn update_last_known_leader(&self, record: &mut PartitionChangeRecord) {
            if !self.elr_settings.use_last_known_leader || !self.elr_settings.on() {
                return;
            }
            let partition = self.partition;
            let isr_emptied = record.isr.as_ref().is_some_and(Vec::is_empty);
            let already_remembered =
                partition.last_known_elr.len() == 1 && partition.last_known_elr[0] == partition.leader;
            let has_leader = matches!(record.leader, LeaderChange::To(Some(_)))
                || (partition.leader.is_some() && record.leader != LeaderChange::To(None));
            if isr_emptied && !already_remembered {
                record.last_known_elr = Some(vec![partition.leader]);
            } else if has_leader && !partition.last_known_elr.is_empty() {
                record.last_known_elr = Some(Vec::new());
            }
        }

        /// The change record, or `None` when nothing changes.
        ///
        /// With ELR off, the ISR is never set empty: when the last ISR member goes, the record leaves
        /// the ISR alone, so it keeps that member while the partition has no leader. That member's
        /// return then makes it leader again without data loss. With ELR on, the ISR may empty, and
        /// the ELR says who may lead without loss.
        pub fn build(mut self) -> Option<PartitionChangeRecord> {
            let mut record = PartitionChangeRecord::empty();
            self.complete_reassignment_if_needed();
            self.populate_target_elr();
            self.try_election(&mut record);
            self.trigger_leader_epoch_bump_for_replica_reassignment(&mut record);
            self.update_record_elr(&mut record);
            let isr_may_be_set = !self.target_isr.is_empty() || self.elr_settings.on();
            if record.isr.is_none() && isr_may_be_set && self.target_isr != self.partition.isr {
                record.isr = Some(self.target_isr.clone());
            }
            self.trigger_leader_epoch_bump_for_isr_shrink(&mut record);
            self.update_last_known_leader(&mut record);
            let partition = self.partition;
            if !self.target_replicas.is_empty() && self.target_replicas != partition.replicas {
                record.replicas = Some(self.target_replicas.clone());
            }
            if self.target_removing != partition.removing_replicas {
                record.removing_replicas = Some(std::mem::take(&mut self.target_removing));
            }
            if self.target_adding != partition.adding_replicas {
                record.adding_replicas = Some(std::mem::take(&mut self.target_adding));
            }
            if self.target_leader_recovery_state != partition.leader_recovery_state {
                record.leader_recovery_state = Some(self.target_leader_recovery_state);
            }
            (!record.is_no_op()).then_some(record)
        }
    }

    /// Java's `Integer.hashCode` of a broker id, with Kafka's "no leader" as -1.
    fn java_hash_code(broker: Option<BrokerId>) -> i32 {
        // Broker ids are Java ints in Kafka, so the id's bits are the hash code.
        broker.map_or(-1, |b| b.0 as i32)
    }

    /// Kafka's `Replicas.contains(a, b)`: does `a` hold every member of `b`?
    fn contains_all(a: &[BrokerId], b: &[BrokerId]) -> bool {
        let a: SortedSet<&BrokerId> = a.iter().collect();
        b.iter().all(|r| a.contains(r))
    }

    /// The outcome of one controller step on a partition, after the record (if any) is applied.
    #[derive(Clone, Debug, PartialEq, Eq)]
    pub struct ElectionOutcome {
        /// The partition after the change (unchanged when no record was written).
        pub partition: PartitionRegistration,
        /// Whether the leader came from outside the ISR.
        pub unclean: bool,
        /// Whether a new leader epoch started.
        pub leader_epoch_bumped: bool,
    }

    /// Runs one election on `partition`: `target_isr` is the ISR the event asks for (the controller
    /// removes a fenced broker from it), `acceptable` the brokers that may lead.
    pub fn elect(
        partition: &PartitionRegistration,
        election: Election,
        target_isr: Vec<BrokerId>,
        acceptable: &SortedSet<BrokerId>,
        metadata_version: MetadataVersion,
    ) -> ElectionOutcome {
        let is_acceptable = |r: BrokerId| acceptable.contains(&r);
        let builder = PartitionChangeBuilder::new(partition, &is_acceptable, metadata_version)
            .with_election(election)
            .with_target_isr(target_isr);
        let unclean = builder.elect_leader().unclean;
        let after = builder.build().map_or_else(|| partition.clone(), |record| partition.merge(&record));
        ElectionOutcome {
            unclean: unclean && after.leader != partition.leader,
            leader_epoch_bumped: after.leader_epoch != partition.leader_epoch,
            partition: after,
        }
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        fn ids(list: &[u32]) -> Vec<BrokerId> {
            list.iter().map(|&id| BrokerId(id)).collect()
        }

        fn registration(replicas: &[u32], isr: &[u32], leader: Option<u32>) -> PartitionRegistration {
            PartitionRegistration {
                replicas: ids(replicas),
                isr: ids(isr),
                removing_replicas: Vec::new(),
                adding_replicas: Vec::new(),
                leader: leader.map(BrokerId),
                leader_recovery_state: LeaderRecoveryState::Recovered,
                leader_epoch: 100,
                partition_epoch: 200,
                elr: Vec::new(),
                last_known_elr: Vec::new(),
            }
        }

        // Fixtures and cases of PartitionChangeBuilderTest, for the record versions with eligible
        // leader replicas off. FOO: replicas [2,1,3], ISR [2,1,3], leader 1; broker 3 may not lead.
        fn foo() -> PartitionRegistration {
            registration(&[2, 1, 3], &[2, 1, 3], Some(1))
        }

        // BAR: a reassignment in flight from [1,2,3] to [2,3,4]; ISR [1,2,3], leader 1.
        fn bar() -> PartitionRegistration {
            PartitionRegistration {
                removing_replicas: ids(&[1]),
                adding_replicas: ids(&[4]),
                ..registration(&[1, 2, 3, 4], &[1, 2, 3], Some(1))
            }
        }

        // BAZ: replicas [2,1,3], ISR [1,3], leader 3; every broker may lead.
        fn baz() -> PartitionRegistration {
            registration(&[2, 1, 3], &[1, 3], Some(3))
        }

        // OFFLINE: replicas [2,1,3], ISR [3], no leader; only broker 1 may lead.
        fn offline() -> PartitionRegistration {
            registration(&[2, 1, 3], &[3], None)
        }

        const NOT_3: &dyn Fn(BrokerId) -> bool = &|r| r != BrokerId(3);
        const ANY: &dyn Fn(BrokerId) -> bool = &|_| true;
        const NONE: &dyn Fn(BrokerId) -> bool = &|_| false;
        const ONLY_1: &dyn Fn(BrokerId) -> bool = &|r| r == BrokerId(1);
        const LATEST: MetadataVersion = MetadataVersion::V3_6_AND_LATER;

        fn result(leader: Option<u32>, unclean: bool) -> ElectionResult {
            ElectionResult { leader: leader.map(BrokerId), unclean }
        }

        fn record() -> PartitionChangeRecord {
            PartitionChangeRecord::empty()
        }

        #[test]
        fn elections_keep_a_valid_leader_prefer_the_first_replica_and_go_unclean_only_when_asked() {
            // testElectLeader.
            let foo = foo();
            let build = |election, isr: Option<&[u32]>| {
                let b = PartitionChangeBuilder::new(&foo, NOT_3, LATEST).with_election(election);
                match isr {
                    Some(isr) => b.with_target_isr(ids(isr)),
                    None => b,
                }
            };
            assert_eq!(build(Election::Preferred, None).elect_leader(), result(Some(2), false));
            assert_eq!(build(Election::Online, None).elect_leader(), result(Some(1), false));
            assert_eq!(build(Election::Unclean, None).elect_leader(), result(Some(1), false));
            assert_eq!(build(Election::Online, Some(&[1, 3])).elect_leader(), result(Some(1), false));
            assert_eq!(build(Election::Unclean, Some(&[1, 3])).elect_leader(), result(Some(1), false));
            assert_eq!(build(Election::Online, Some(&[3])).elect_leader(), result(None, false));
            assert_eq!(build(Election::Unclean, Some(&[3])).elect_leader(), result(Some(2), true));
            let new_replica = build(Election::Unclean, Some(&[4])).with_target_replicas(ids(&[2, 1, 3, 4]));
            assert_eq!(new_replica.elect_leader(), result(Some(4), false));

            let baz = baz();
            let build = |election| PartitionChangeBuilder::new(&baz, ANY, LATEST).with_election(election);
            assert_eq!(build(Election::Preferred).elect_leader(), result(Some(3), false));
            assert_eq!(build(Election::Online).elect_leader(), result(Some(3), false));
            assert_eq!(build(Election::Unclean).elect_leader(), result(Some(3), false));
        }

        /// testTriggerLeaderEpochBumpIfNeeded's helper: both bump triggers, with the target ISR as the record's.
        fn bump_triggers(builder: &PartitionChangeBuilder) -> LeaderChange {
            let mut record = record();
            builder.trigger_leader_epoch_bump_for_replica_reassignment(&mut record);
            record.isr = Some(builder.target_isr.clone());
            builder.trigger_leader_epoch_bump_for_isr_shrink(&mut record);
            record.leader
        }

        #[test]
        fn nothing_changing_bumps_no_epoch() {
            // testNoLeaderEpochBumpIfNothingChanged.
            let foo = foo();
            for version in [MetadataVersion::V3_5, LATEST] {
                assert_eq!(bump_triggers(&PartitionChangeBuilder::new(&foo, NOT_3, version)), LeaderChange::Unchanged);
            }
        }

        #[test]
        fn an_isr_shrink_bumps_the_leader_epoch_only_before_metadata_version_3_6() {
            // testNoLeaderEpochBumpOnIsrShrink and testLeaderEpochBumpOnIsrShrink (KAFKA-15021).
            let foo = foo();
            let shrink = |version| PartitionChangeBuilder::new(&foo, NOT_3, version).with_target_isr(ids(&[2, 1]));
            assert_eq!(bump_triggers(&shrink(LATEST)), LeaderChange::Unchanged);
            assert_eq!(bump_triggers(&shrink(MetadataVersion::V3_5)), LeaderChange::To(Some(BrokerId(1))));
        }

        #[test]
        fn an_isr_expansion_never_bumps_the_leader_epoch() {
            // testNoLeaderEpochBumpOnIsrExpansion.
            let foo = foo();
            for version in [MetadataVersion::V3_5, LATEST] {
                let grow = PartitionChangeBuilder::new(&foo, NOT_3, version).with_target_isr(ids(&[2, 1, 3, 4]));
                assert_eq!(bump_triggers(&grow), LeaderChange::Unchanged);
            }
        }

        #[test]
        fn dropping_an_old_replica_from_the_replica_set_always_bumps_the_leader_epoch() {
            // testLeaderEpochBumpOnNewReplicaSetDisjoint.
            let foo = foo();
            for version in [MetadataVersion::V3_5, LATEST] {
                let moved = PartitionChangeBuilder::new(&foo, NOT_3, version).with_target_replicas(ids(&[2, 1, 4]));
                assert_eq!(bump_triggers(&moved), LeaderChange::To(Some(BrokerId(1))));
            }
        }

        #[test]
        fn an_isr_that_is_not_being_set_never_counts_as_a_shrink() {
            // testNoLeaderEpochBumpOnEmptyTargetIsr (KAFKA-16624).
            let partition = registration(&[2], &[2], Some(2));
            for version in [MetadataVersion::V3_5, LATEST] {
                let builder = PartitionChangeBuilder::new(&partition, ANY, version).with_target_replicas(Vec::new());
                let mut record = record();
                builder.trigger_leader_epoch_bump_for_isr_shrink(&mut record);
                assert_eq!(record.leader, LeaderChange::Unchanged);
            }
        }

        #[test]
        fn a_partition_that_already_matches_its_targets_needs_no_record() {
            // testNoChange.
            let (foo, bar, baz) = (foo(), bar(), baz());
            assert_eq!(PartitionChangeBuilder::new(&foo, NOT_3, LATEST).build(), None);
            assert_eq!(PartitionChangeBuilder::new(&foo, NOT_3, LATEST).with_election(Election::Unclean).build(), None);
            assert_eq!(PartitionChangeBuilder::new(&bar, NOT_3, LATEST).build(), None);
            assert_eq!(PartitionChangeBuilder::new(&bar, NOT_3, LATEST).with_election(Election::Unclean).build(), None);
            assert_eq!(PartitionChangeBuilder::new(&baz, ANY, LATEST).with_election(Election::Preferred).build(), None);
        }

        #[test]
        fn an_isr_change_alone_does_not_bump_the_leader_epoch() {
            // testIsrChangeDoesntBumpLeaderEpoch.
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST).with_target_isr(ids(&[2, 1])).build();
            assert_eq!(got, Some(PartitionChangeRecord { isr: Some(ids(&[2, 1])), ..record() }));
        }

        #[test]
        fn a_leader_leaving_the_isr_hands_leadership_to_the_first_replica_still_in_it() {
            // testIsrChangeAndLeaderChange.
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST).with_target_isr(ids(&[2, 3])).build();
            let want = PartitionChangeRecord {
                isr: Some(ids(&[2, 3])),
                leader: LeaderChange::To(Some(BrokerId(2))),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn reordering_replicas_changes_only_the_replica_list() {
            // testReassignmentRearrangesReplicas.
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST).with_target_replicas(ids(&[3, 2, 1])).build();
            assert_eq!(got, Some(PartitionChangeRecord { replicas: Some(ids(&[3, 2, 1])), ..record() }));
        }

        #[test]
        fn an_isr_holding_every_target_replica_completes_the_reassignment_and_moves_leadership() {
            // testIsrEnlargementCompletesReassignment.
            let bar = bar();
            let got = PartitionChangeBuilder::new(&bar, NOT_3, LATEST).with_target_isr(ids(&[1, 2, 3, 4])).build();
            let want = PartitionChangeRecord {
                replicas: Some(ids(&[2, 3, 4])),
                isr: Some(ids(&[2, 3, 4])),
                leader: LeaderChange::To(Some(BrokerId(2))),
                removing_replicas: Some(Vec::new()),
                adding_replicas: Some(Vec::new()),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn reverting_a_reassignment_restores_the_old_replicas_and_bumps_the_epoch() {
            // testRevertReassignment: PartitionReassignmentRevert(BAR) gives replicas and ISR [1,2,3].
            let bar = bar();
            let got = PartitionChangeBuilder::new(&bar, NOT_3, LATEST)
                .with_target_replicas(ids(&[1, 2, 3]))
                .with_target_isr(ids(&[1, 2, 3]))
                .with_target_removing(Vec::new())
                .with_target_adding(Vec::new())
                .build();
            let want = PartitionChangeRecord {
                replicas: Some(ids(&[1, 2, 3])),
                leader: LeaderChange::To(Some(BrokerId(1))),
                removing_replicas: Some(Vec::new()),
                adding_replicas: Some(Vec::new()),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn removing_a_replica_that_is_in_sync_completes_at_once() {
            // testRemovingReplicaReassignment: FOO [2,1,3] → [1,2]; the reassignment lists [1,2,3], removing 3.
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST)
                .with_target_replicas(ids(&[1, 2, 3]))
                .with_target_removing(ids(&[3]))
                .build();
            let want = PartitionChangeRecord {
                replicas: Some(ids(&[1, 2])),
                isr: Some(ids(&[2, 1])),
                leader: LeaderChange::To(Some(BrokerId(1))),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn adding_a_replica_waits_for_it_to_join_the_isr() {
            // testAddingReplicaReassignment: FOO [2,1,3] → [1,2,3,4]; adding 4.
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST)
                .with_target_replicas(ids(&[1, 2, 3, 4]))
                .with_target_adding(ids(&[4]))
                .build();
            let want = PartitionChangeRecord {
                replicas: Some(ids(&[1, 2, 3, 4])),
                adding_replicas: Some(ids(&[4])),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn an_unclean_election_makes_the_leader_the_only_isr_member_and_recovering() {
            // testUncleanLeaderElection (the record versions without eligible leader replicas).
            let recovering = |leader: u32| PartitionChangeRecord {
                isr: Some(ids(&[leader])),
                leader: LeaderChange::To(Some(BrokerId(leader))),
                leader_recovery_state: Some(LeaderRecoveryState::Recovering),
                ..record()
            };
            let foo = foo();
            let got = PartitionChangeBuilder::new(&foo, NOT_3, LATEST)
                .with_election(Election::Unclean)
                .with_target_isr(ids(&[3]))
                .build();
            assert_eq!(got, Some(recovering(2)));
            let offline = offline();
            let got = PartitionChangeBuilder::new(&offline, ONLY_1, LATEST).with_election(Election::Unclean).build();
            assert_eq!(got, Some(recovering(1)));
            let got = PartitionChangeBuilder::new(&offline, ONLY_1, LATEST)
                .with_election(Election::Unclean)
                .with_target_isr(ids(&[2]))
                .build();
            assert_eq!(got, Some(recovering(1)));
        }

        #[test]
        fn losing_and_regaining_the_last_isr_member_keeps_the_isr_and_the_recovery_state() {
            // testChangeInLeadershipDoesNotChangeRecoveryState, with and without leader recovery support.
            for version in [MetadataVersion::V3_1, MetadataVersion::V3_5] {
                let mut partition = PartitionRegistration {
                    leader_recovery_state: LeaderRecoveryState::Recovering,
                    ..registration(&[1, 2, 3], &[1], Some(1))
                };
                // The leader goes offline: the target ISR is empty, which is never written.
                let change = PartitionChangeBuilder::new(&partition, NONE, version).with_target_isr(Vec::new()).build();
                let change = change.expect("the leader changes to none");
                assert_eq!(change.leader_recovery_state, None);
                assert_eq!(change.leader, LeaderChange::To(None));
                partition = partition.merge(&change);
                assert_eq!(partition.leader, None);
                assert_eq!(partition.isr, ids(&[1]), "the ISR keeps its last member");
                assert_eq!(partition.leader_recovery_state, LeaderRecoveryState::Recovering);

                // It comes back: the only ISR member leads again, still recovering.
                let change = PartitionChangeBuilder::new(&partition, ANY, version).build().expect("a new leader");
                assert_eq!(change.leader_recovery_state, None);
                partition = partition.merge(&change);
                assert_eq!(partition.leader, Some(BrokerId(1)));
                assert_eq!(partition.isr, ids(&[1]));
                assert_eq!(partition.leader_recovery_state, LeaderRecoveryState::Recovering);
            }
        }

        #[test]
        fn an_unclean_election_sets_recovering_only_where_the_metadata_version_supports_it() {
            // testUncleanSetsLeaderRecoveringState.
            for (version, expected) in [
                (MetadataVersion::V3_5, LeaderRecoveryState::Recovering),
                (MetadataVersion::V3_1, LeaderRecoveryState::Recovered),
            ] {
                let partition = registration(&[1, 2, 3], &[2, 3], None);
                let change = PartitionChangeBuilder::new(&partition, ONLY_1, version)
                    .with_election(Election::Unclean)
                    .build()
                    .expect("an unclean leader");
                assert_eq!(change.leader, LeaderChange::To(Some(BrokerId(1))));
                assert_eq!(change.isr, Some(ids(&[1])));
                let after = partition.merge(&change);
                assert_eq!((after.leader, after.isr.clone()), (Some(BrokerId(1)), ids(&[1])));
                assert_eq!(after.leader_recovery_state, expected);
            }
        }

        #[test]
        fn a_leader_being_reassigned_away_steps_down_even_with_no_one_to_replace_it() {
            // testStoppedLeaderIsDemotedAfterReassignmentCompletesEvenIfNoNewEligibleLeaders.
            let partition = PartitionRegistration {
                removing_replicas: ids(&[0, 1]),
                adding_replicas: ids(&[2, 3]),
                leader_epoch: 0,
                partition_epoch: 0,
                ..registration(&[2, 3, 0, 1], &[0, 1], Some(0))
            };
            let got = PartitionChangeBuilder::new(&partition, NONE, MetadataVersion::V3_1)
                .with_target_isr(ids(&[0, 1, 2, 3]))
                .build();
            let want = PartitionChangeRecord {
                replicas: Some(ids(&[2, 3])),
                isr: Some(ids(&[2, 3])),
                removing_replicas: Some(Vec::new()),
                adding_replicas: Some(Vec::new()),
                leader: LeaderChange::To(None),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn fencing_the_last_isr_member_leaves_no_leader_and_an_isr_of_that_member() {
            let partition = registration(&[1, 2, 3], &[1], Some(1));
            let acceptable: SortedSet<BrokerId> = ids(&[2, 3]).into_iter().collect();
            let outcome = elect(&partition, Election::Online, Vec::new(), &acceptable, LATEST);
            assert_eq!(outcome.partition.leader, None);
            assert_eq!(outcome.partition.isr, ids(&[1]));
            assert!(outcome.leader_epoch_bumped);
            assert_eq!(outcome.partition.leader_epoch, 101);

            // With unclean election on, an out-of-sync survivor takes over and data may be lost.
            let unclean = elect(&partition, Election::Unclean, Vec::new(), &acceptable, LATEST);
            assert_eq!(unclean.partition.leader, Some(BrokerId(2)));
            assert_eq!(unclean.partition.isr, ids(&[2]));
            assert_eq!(unclean.partition.leader_recovery_state, LeaderRecoveryState::Recovering);
            assert!(unclean.unclean);
        }

        #[test]
        fn a_healthy_leader_is_kept_even_when_it_is_not_the_preferred_replica() {
            let partition = registration(&[1, 2, 3], &[1, 2, 3], Some(3));
            let everyone: SortedSet<BrokerId> = ids(&[1, 2, 3]).into_iter().collect();
            let online = elect(&partition, Election::Online, ids(&[1, 2, 3]), &everyone, LATEST);
            assert_eq!((online.partition.leader, online.leader_epoch_bumped), (Some(BrokerId(3)), false));
            let preferred = elect(&partition, Election::Preferred, ids(&[1, 2, 3]), &everyone, LATEST);
            assert_eq!((preferred.partition.leader, preferred.leader_epoch_bumped), (Some(BrokerId(1)), true));
        }

        #[test]
        fn epochs_at_the_java_int_maximum_wrap_to_the_minimum_as_in_kafka() {
            // Kafka adds one to a Java int; a debug build of ours would otherwise panic here.
            let partition = PartitionRegistration {
                leader_epoch: i32::MAX,
                partition_epoch: i32::MAX,
                ..registration(&[1, 2], &[1, 2], Some(1))
            };
            let after = partition.merge(&PartitionChangeRecord { leader: LeaderChange::To(Some(BrokerId(2))), ..record() });
            assert_eq!((after.leader_epoch, after.partition_epoch), (i32::MIN, i32::MIN));
        }

        // Eligible leader replicas (KIP-966), from the ELR cases of PartitionChangeBuilderTest.

        fn elr_on(min_isr: i32, use_last_known_leader: bool) -> ElrSettings {
            ElrSettings { enabled: true, min_isr, use_last_known_leader, unclean_shutdown_replicas: None }
        }

        fn with_elr(partition: PartitionRegistration, elr: &[u32], last_known_elr: &[u32]) -> PartitionRegistration {
            PartitionRegistration {
                elr: ids(elr),
                last_known_elr: ids(last_known_elr).into_iter().map(Some).collect(),
                ..partition
            }
        }

        #[test]
        fn an_isr_shrinking_below_min_isr_keeps_the_leavers_eligible() {
            // testEligibleLeaderReplicas_IsrShrinkBelowMinISR: min ISR 3, ISR [1,2,3,4] → [1,2]. The two
            // that left still have every committed record, so they may lead if the ISR empties.
            let partition = registration(&[1, 2, 3, 4], &[1, 2, 3, 4], Some(1));
            let got = PartitionChangeBuilder::new(&partition, NOT_3, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(elr_on(3, false))
                .with_target_isr(ids(&[1, 2]))
                .build();
            let want = PartitionChangeRecord { isr: Some(ids(&[1, 2])), elr: Some(ids(&[3, 4])), ..record() };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn an_isr_back_at_min_isr_clears_both_eligible_lists() {
            // testEligibleLeaderReplicas_IsrExpandAboveMinISR.
            let partition = with_elr(registration(&[1, 2, 3, 4], &[1, 2], Some(1)), &[3], &[4]);
            let got = PartitionChangeBuilder::new(&partition, NOT_3, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(elr_on(3, false))
                .with_target_isr(ids(&[1, 2, 3]))
                .build();
            let want = PartitionChangeRecord {
                isr: Some(ids(&[1, 2, 3])),
                elr: Some(Vec::new()),
                last_known_elr: Some(Vec::new()),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn a_replica_joining_a_short_isr_leaves_the_eligible_lists_alone() {
            // testEligibleLeaderReplicas_IsrAddNewMemberNotInELR: ISR [1] → [1,4], still below min ISR 3.
            let partition = with_elr(registration(&[1, 2, 3, 4], &[1], Some(1)), &[3], &[2]);
            let got = PartitionChangeBuilder::new(&partition, NOT_3, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(elr_on(3, false))
                .with_target_isr(ids(&[1, 4]))
                .build();
            assert_eq!(got, Some(PartitionChangeRecord { isr: Some(ids(&[1, 4])), ..record() }));
        }

        #[test]
        fn a_replica_back_from_an_unclean_shutdown_is_no_longer_eligible() {
            // testEligibleLeaderReplicas_RemoveUncleanShutdownReplicasFromElr: it may have lost records,
            // so it leaves the ELR and is only remembered in the last known ELR.
            let partition = with_elr(registration(&[1, 2, 3, 4], &[1], Some(1)), &[2, 3], &[]);
            let settings = ElrSettings { unclean_shutdown_replicas: Some(ids(&[3])), ..elr_on(3, false) };
            let got = PartitionChangeBuilder::new(&partition, NOT_3, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(settings)
                .build();
            let want =
                PartitionChangeRecord { elr: Some(ids(&[2])), last_known_elr: Some(vec![Some(BrokerId(3))]), ..record() };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn an_eligible_replica_leads_when_the_isr_empties() {
            // testEligibleLeaderReplicas_ElrCanBeElected: leader 1 goes offline and the ISR empties; ELR
            // member 3 becomes leader and the whole ISR, and 1 becomes eligible in its place.
            for use_last_known_leader in [true, false] {
                let last_known: &[u32] = if use_last_known_leader { &[] } else { &[2] };
                let partition = with_elr(registration(&[1, 2, 3, 4], &[1], Some(1)), &[3], last_known);
                let got = PartitionChangeBuilder::new(&partition, &|r| r != BrokerId(1), LATEST)
                    .with_election(Election::Preferred)
                    .with_eligible_leader_replicas(elr_on(3, use_last_known_leader))
                    .with_target_isr(Vec::new())
                    .build();
                let want = PartitionChangeRecord {
                    isr: Some(ids(&[3])),
                    elr: Some(ids(&[1])),
                    leader: LeaderChange::To(Some(BrokerId(3))),
                    ..record()
                };
                assert_eq!(got, Some(want));
            }
        }

        #[test]
        fn an_isr_may_empty_with_elr_on_and_the_last_leader_is_remembered() {
            // testEligibleLeaderReplicas_IsrCanShrinkToZero: every replica offline. The ISR is written
            // empty (with ELR off it would keep its last member), everyone is eligible, and in the
            // last-known-leader mode leader 1 is remembered.
            for use_last_known_leader in [true, false] {
                let partition = registration(&[1, 2, 3, 4], &[1, 2, 3, 4], Some(1));
                let got = PartitionChangeBuilder::new(&partition, NONE, LATEST)
                    .with_election(Election::Preferred)
                    .with_eligible_leader_replicas(elr_on(3, use_last_known_leader))
                    .with_target_isr(Vec::new())
                    .build();
                let want = PartitionChangeRecord {
                    isr: Some(Vec::new()),
                    leader: LeaderChange::To(None),
                    elr: Some(ids(&[1, 2, 3, 4])),
                    last_known_elr: use_last_known_leader.then(|| vec![Some(BrokerId(1))]),
                    ..record()
                };
                assert_eq!(got, Some(want.clone()));
                if use_last_known_leader {
                    // A later event does not write the remembered leader again.
                    let after = partition.merge(&want);
                    let settings = ElrSettings { unclean_shutdown_replicas: Some(ids(&[2])), ..elr_on(3, true) };
                    let next = PartitionChangeBuilder::new(&after, NONE, LATEST)
                        .with_election(Election::Preferred)
                        .with_eligible_leader_replicas(settings)
                        .build()
                        .expect("broker 2 leaves the ELR");
                    assert_eq!(next.last_known_elr, None);
                }
            }
        }

        #[test]
        fn the_last_known_leader_is_elected_again_as_an_unclean_leader() {
            // testEligibleLeaderReplicas_ElectLastKnownLeader: empty ISR and ELR, last leader 1.
            let partition = PartitionRegistration {
                leader_epoch: 100,
                ..with_elr(registration(&[1, 2, 3, 4], &[], None), &[], &[1])
            };
            let got = PartitionChangeBuilder::new(&partition, ANY, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(elr_on(3, true))
                .with_target_isr(Vec::new())
                .build();
            let want = PartitionChangeRecord {
                isr: Some(ids(&[1])),
                leader: LeaderChange::To(Some(BrokerId(1))),
                leader_recovery_state: Some(LeaderRecoveryState::Recovering),
                last_known_elr: Some(Vec::new()),
                ..record()
            };
            assert_eq!(got, Some(want));
        }

        #[test]
        fn the_last_known_leader_waits_while_an_eligible_replica_exists() {
            // testEligibleLeaderReplicas_ElectLastKnownLeaderShouldFail: ELR [3] (not acceptable) blocks it.
            let partition = with_elr(registration(&[1, 2, 3, 4], &[], None), &[3], &[1]);
            let got = PartitionChangeBuilder::new(&partition, NOT_3, LATEST)
                .with_election(Election::Preferred)
                .with_eligible_leader_replicas(elr_on(3, true))
                .with_target_isr(Vec::new())
                .build();
            assert_eq!(got, None);
        }

        #[test]
        fn eligible_replicas_come_out_in_java_hash_set_order() {
            // Kafka collects the ELR in a Java hash set of 16 buckets: 17 and 1 share bucket 1 and keep
            // the order they were added in (the old ISR's), so the ELR is [17, 1], not sorted.
            let partition = registration(&[17, 1, 5], &[17, 1, 5], Some(5));
            let got = PartitionChangeBuilder::new(&partition, ANY, LATEST)
                .with_eligible_leader_replicas(elr_on(2, true))
                .with_target_isr(ids(&[5]))
                .build()
                .expect("an ISR shrink");
            assert_eq!(got.elr, Some(ids(&[17, 1])));
        }

        #[test]
        fn with_elr_off_a_leftover_elr_is_cleared_but_the_last_known_leader_kept() {
            // A registration from when ELR was on: Kafka drops its ELR at the next change, but in the
            // default last-known-leader mode never writes the last known ELR while ELR is off.
            let partition = with_elr(registration(&[1, 2, 3], &[1], Some(1)), &[2], &[3]);
            let got = PartitionChangeBuilder::new(&partition, ANY, LATEST).build();
            assert_eq!(got, Some(PartitionChangeRecord { elr: Some(Vec::new()), ..record() }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_states_print_kafkas_names() {
        assert_eq!(LeaderRecoveryState::Recovered.name(), "RECOVERED");
        assert_eq!(LeaderRecoveryState::Recovering.name(), "RECOVERING");
    }
}
