//! The KRaft controller: the cluster's metadata as a log of records, brokers registering and
//! heartbeating, fencing brokers that go silent, electing partition leaders, and committing the ISR
//! changes leaders ask for (AlterPartition).
//!
//! Every decision becomes a metadata record; brokers long-poll the log and apply the same records.

use crate::kafka::config::{BrokerConfig, TopicConfig};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex, TopicIndex};
use crate::kafka::metadata::{ChangeReason, MetadataImage, MetadataRecord, PartitionImage};
use crate::kafka::protocol::{AlterPartitionError, KafkaError, Message};
use crate::kafka::replication::election::LeaderRecoveryState;
use crate::kafka::replication::election::kraft::{self, Election, MetadataVersion, PartitionRegistration};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// How often the controller looks for brokers whose session expired.
const SESSION_CHECK_INTERVAL_MS: u64 = 500;
/// At most this many records go in one metadata fetch answer.
const METADATA_FETCH_MAX_RECORDS: usize = 1000;

#[derive(Clone, Debug)]
struct ParkedPoll {
    from: Node,
    request_id: u64,
    from_offset: u64,
}

#[derive(Clone, Debug)]
pub struct Controller {
    pub id: u32,
    pub up: bool,
    pub incarnation: u64,
    pub image: MetadataImage,
    log: Vec<MetadataRecord>,
    last_heartbeat: BTreeMap<BrokerId, Tick>,
    /// The metadata offset at which each broker registered: it is unfenced once it has read that far.
    registered_at: BTreeMap<BrokerId, u64>,
    /// Each registered broker's incarnation (a restarted process is a new incarnation).
    incarnations: BTreeMap<BrokerId, u64>,
    config: Rc<BrokerConfig>,
    parked_polls: BTreeMap<u64, ParkedPoll>,
    next_key: u64,
}

impl Controller {
    pub fn new(id: u32, config: Rc<BrokerConfig>) -> Controller {
        Controller {
            id,
            up: false,
            incarnation: 0,
            image: MetadataImage::default(),
            log: Vec::new(),
            last_heartbeat: BTreeMap::new(),
            registered_at: BTreeMap::new(),
            incarnations: BTreeMap::new(),
            config,
            parked_polls: BTreeMap::new(),
            next_key: 1,
        }
    }

    pub fn node(&self) -> Node {
        Node::Controller(self.id)
    }

    pub fn records(&self) -> &[MetadataRecord] {
        &self.log
    }

    pub fn start(&mut self, now: Tick, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        for at in self.last_heartbeat.values_mut() {
            *at = now;
        }
        out.timer(now.plus_ms(SESSION_CHECK_INTERVAL_MS), self.node(), Timer::SessionCheck);
        if self.config.auto_leader_rebalance_enable {
            out.timer(now.plus_ms(self.config.leader_imbalance_check_interval_seconds * 1000), self.node(), Timer::ImbalanceCheck);
        }
    }

    /// Commits records: applies them, reports what they change, and answers brokers waiting for them.
    pub fn commit(&mut self, now: Tick, records: Vec<MetadataRecord>, out: &mut Outbox) {
        for record in records {
            self.report(now, &record, out);
            self.image.apply(&record);
            self.log.push(record);
        }
        let keys: Vec<u64> = self.parked_polls.keys().copied().collect();
        for key in keys {
            self.answer_poll(now, key, out);
        }
    }

    /// Narration for a record about to be applied (it compares against the current image).
    fn report(&self, now: Tick, record: &MetadataRecord, out: &mut Outbox) {
        match record {
            MetadataRecord::FenceBroker { broker, .. } => {
                let silent_ms = now.since(self.last_heartbeat.get(broker).copied().unwrap_or(Tick::ZERO));
                out.event(EventKind::BrokerFenced { broker: *broker, silent_ms });
            }
            MetadataRecord::UnfenceBroker { broker, .. } => out.event(EventKind::BrokerUnfenced { broker: *broker }),
            MetadataRecord::PartitionChange { partition, leader, isr, leader_epoch, reason, .. } => {
                if let Some(before) = self.image.partitions.get(partition.get()) {
                    if before.leader != *leader || before.leader_epoch != *leader_epoch && before.leader_epoch >= 0 {
                        out.event(EventKind::LeaderChanged {
                            partition: *partition,
                            leader: *leader,
                            previous: before.leader,
                            epoch: *leader_epoch,
                            reason: reason.clone(),
                        });
                    }
                    if before.isr != *isr && !before.isr.is_empty() {
                        out.event(EventKind::IsrChanged { partition: *partition, isr: isr.as_slice().into(), previous: before.isr.as_slice().into(), reason: reason.clone() });
                    }
                }
            }
            _ => {}
        }
    }

    /// The run's first moment: every broker registered and unfenced, every topic created with its
    /// preferred replica leading and every replica in sync.
    pub fn bootstrap(&mut self, now: Tick, brokers: &[(BrokerId, Option<Rc<str>>)], out: &mut Outbox) {
        let mut records = Vec::new();
        for (broker, rack) in brokers {
            let epoch = self.log.len() as u64 + records.len() as u64;
            records.push(MetadataRecord::RegisterBroker { broker: *broker, epoch, rack: rack.clone() });
            records.push(MetadataRecord::UnfenceBroker { broker: *broker, epoch });
            self.registered_at.insert(*broker, epoch);
            self.incarnations.insert(*broker, 1);
            self.last_heartbeat.insert(*broker, now);
        }
        self.commit(now, records, out);
    }

    /// Creates a topic with explicit replica assignments (placement already decided).
    pub fn create_topic(&mut self, now: Tick, name: &str, config: TopicConfig, assignments: Vec<Vec<BrokerId>>, out: &mut Outbox) -> TopicIndex {
        let topic = TopicIndex(self.image.topics.len() as u32);
        let partitions = assignments.len() as u32;
        let replication_factor = assignments.first().map_or(0, Vec::len) as u32;
        self.commit(now, vec![MetadataRecord::CreateTopic { name: name.into(), config: Rc::new(config) }], out);
        self.add_partitions(now, topic, assignments, out);
        out.event(EventKind::TopicCreated { topic: topic.0, name: name.to_string(), partitions, replication_factor });
        topic
    }

    /// Adds partitions with these assignments to `topic`, each led by its first live replica.
    pub fn add_partitions(&mut self, now: Tick, topic: TopicIndex, assignments: Vec<Vec<BrokerId>>, out: &mut Outbox) {
        let first = self.image.partitions.len() as u32;
        self.commit(now, vec![MetadataRecord::CreatePartitions { topic, assignments: assignments.clone() }], out);
        let mut records = Vec::new();
        for (i, replicas) in assignments.into_iter().enumerate() {
            let partition = PartitionIndex(first + i as u32);
            let isr: Vec<BrokerId> = replicas.iter().copied().filter(|b| self.image.is_alive(*b)).collect();
            let leader = isr.first().copied();
            records.push(MetadataRecord::PartitionChange {
                partition,
                leader,
                isr: if isr.is_empty() { replicas.clone() } else { isr },
                leader_epoch: 0,
                partition_epoch: 0,
                recovering: false,
                reason: ChangeReason::Created,
            });
        }
        self.commit(now, records, out);
    }

    pub fn set_topic_config(&mut self, now: Tick, topic: TopicIndex, config: TopicConfig, out: &mut Outbox) {
        let unclean_now = config.unclean_leader_election_enable;
        self.commit(now, vec![MetadataRecord::TopicConfig { topic, config: Rc::new(config) }], out);
        if unclean_now {
            // Turning unclean election on elects leaders for leaderless partitions right away.
            let partitions: Vec<PartitionIndex> = self.image.topics[topic.get()].partitions.clone();
            let records = self.elections(&partitions, None, None, ChangeReason::UncleanElection);
            self.commit(now, records, out);
        }
    }

    pub fn handle_message(&mut self, now: Tick, from: Node, message: Message, out: &mut Outbox) {
        match message {
            Message::MetadataFetch { request_id, from_offset } => {
                let key = self.next_key;
                self.next_key += 1;
                self.parked_polls.insert(key, ParkedPoll { from, request_id, from_offset });
                if !self.answer_poll(now, key, out) {
                    let wait = crate::kafka::broker::METADATA_POLL_MAX_WAIT_MS;
                    out.timer(now.plus_ms(wait), self.node(), Timer::MetadataPollExpire { key });
                }
            }
            Message::BrokerRegistration { request_id, incarnation } => {
                let Node::Broker(broker) = from else { return };
                // Kafka's `registerBroker`: while the previous incarnation's session is still valid, a
                // different incarnation is refused; it retries until that session expires.
                let session_valid = self.image.is_alive(broker)
                    && now.since(self.last_heartbeat.get(&broker).copied().unwrap_or(Tick::ZERO)) <= self.config.broker_session_timeout_ms;
                if session_valid && self.incarnations.get(&broker).is_some_and(|i| *i != incarnation) {
                    out.send(self.node(), from, Message::BrokerRegistrationResponse { request_id, result: Err(KafkaError::DuplicateBrokerRegistration) });
                    return;
                }
                let epoch = self.log.len() as u64;
                let rack = self.image.brokers.get(&broker).and_then(|b| b.rack.clone());
                self.registered_at.insert(broker, epoch);
                self.incarnations.insert(broker, incarnation);
                self.last_heartbeat.insert(broker, now);
                // A registration is fenced until the broker has caught up with the metadata log.
                let mut records = Vec::new();
                if self.image.is_alive(broker) {
                    records.extend(self.fence_records(broker, now));
                }
                records.push(MetadataRecord::RegisterBroker { broker, epoch, rack });
                self.commit(now, records, out);
                out.send(self.node(), from, Message::BrokerRegistrationResponse { request_id, result: Ok(epoch) });
            }
            Message::BrokerHeartbeat { request_id, broker_epoch, metadata_offset } => {
                let Node::Broker(broker) = from else { return };
                let current = self.image.brokers.get(&broker).map(|b| b.epoch);
                if current != Some(broker_epoch) {
                    return;
                }
                self.last_heartbeat.insert(broker, now);
                let fenced = self.image.brokers.get(&broker).is_some_and(|b| b.fenced);
                let caught_up = self.registered_at.get(&broker).is_some_and(|&at| metadata_offset > at);
                if fenced && caught_up {
                    self.unfence(now, broker, broker_epoch, out);
                }
                let fenced = self.image.brokers.get(&broker).is_some_and(|b| b.fenced);
                out.send(self.node(), from, Message::BrokerHeartbeatResponse { request_id, fenced });
            }
            Message::AlterPartition { request_id, partition, leader_epoch, partition_epoch, new_isr, .. } => {
                let Node::Broker(leader) = from else { return };
                let result = self.alter_partition(now, leader, partition, leader_epoch, partition_epoch, new_isr, out);
                out.send(self.node(), from, Message::AlterPartitionResponse { request_id, partition, result });
            }
            _ => {}
        }
    }

    pub fn handle_timer(&mut self, now: Tick, timer: Timer, out: &mut Outbox) {
        match timer {
            Timer::SessionCheck => {
                out.timer(now.plus_ms(SESSION_CHECK_INTERVAL_MS), self.node(), Timer::SessionCheck);
                self.fence_silent_brokers(now, out);
            }
            Timer::ImbalanceCheck => {
                out.timer(now.plus_ms(self.config.leader_imbalance_check_interval_seconds * 1000), self.node(), Timer::ImbalanceCheck);
                self.elect_preferred_leaders(now, out);
            }
            Timer::MetadataPollExpire { key } => {
                if let Some(poll) = self.parked_polls.remove(&key) {
                    out.send(
                        self.node(),
                        poll.from,
                        Message::MetadataFetchResponse { request_id: poll.request_id, from_offset: poll.from_offset, records: Rc::from([]) },
                    );
                }
            }
            _ => {}
        }
    }

    /// Answers a parked metadata poll if there are records after its offset.
    fn answer_poll(&mut self, _now: Tick, key: u64, out: &mut Outbox) -> bool {
        let Some(poll) = self.parked_polls.get(&key) else { return false };
        let from = poll.from_offset as usize;
        if from >= self.log.len() {
            return false;
        }
        let Some(poll) = self.parked_polls.remove(&key) else { return false };
        let end = self.log.len().min(from + METADATA_FETCH_MAX_RECORDS);
        let records: Rc<[MetadataRecord]> = self.log[from..end].into();
        out.send(self.node(), poll.from, Message::MetadataFetchResponse { request_id: poll.request_id, from_offset: poll.from_offset, records });
        true
    }

    /// Brokers silent for broker.session.timeout.ms are fenced: they leave every ISR and lose
    /// leadership, which moves to the first live in-sync replica in assignment order.
    fn fence_silent_brokers(&mut self, now: Tick, out: &mut Outbox) {
        let timeout_ms = self.config.broker_session_timeout_ms;
        let silent: Vec<(BrokerId, u64)> = self
            .image
            .brokers
            .iter()
            .filter(|(_, b)| !b.fenced)
            .filter_map(|(id, _)| {
                let last = self.last_heartbeat.get(id).copied().unwrap_or(Tick::ZERO);
                (now.since(last) > timeout_ms).then(|| (*id, now.since(last)))
            })
            .collect();
        for (broker, silent_ms) in silent {
            let records = self.fence_records_with(broker, ChangeReason::BrokerFenced { broker, silent_ms });
            self.commit(now, records, out);
        }
    }

    fn fence_records(&self, broker: BrokerId, now: Tick) -> Vec<MetadataRecord> {
        let silent_ms = now.since(self.last_heartbeat.get(&broker).copied().unwrap_or(Tick::ZERO));
        self.fence_records_with(broker, ChangeReason::BrokerFenced { broker, silent_ms })
    }

    /// Kafka's `handleBrokerFenced`: the fence record, then leader and ISR updates for every
    /// partition whose ISR holds the broker.
    fn fence_records_with(&self, broker: BrokerId, reason: ChangeReason) -> Vec<MetadataRecord> {
        let Some(epoch) = self.image.brokers.get(&broker).map(|b| b.epoch) else { return Vec::new() };
        let mut records = vec![MetadataRecord::FenceBroker { broker, epoch }];
        let affected: Vec<PartitionIndex> = self
            .image
            .partitions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.isr.contains(&broker))
            .map(|(i, _)| PartitionIndex(i as u32))
            .collect();
        records.extend(self.elections(&affected, Some(broker), None, reason));
        records
    }

    /// Kafka's `handleBrokerUnfenced`: unfence, then elect leaders for leaderless partitions.
    fn unfence(&mut self, now: Tick, broker: BrokerId, epoch: u64, out: &mut Outbox) {
        let leaderless: Vec<PartitionIndex> = self
            .image
            .partitions
            .iter()
            .enumerate()
            .filter(|(_, p)| p.leader.is_none())
            .map(|(i, _)| PartitionIndex(i as u32))
            .collect();
        let mut records = vec![MetadataRecord::UnfenceBroker { broker, epoch }];
        records.extend(self.elections(&leaderless, None, Some(broker), ChangeReason::BrokerUnfenced { broker }));
        self.commit(now, records, out);
    }

    /// Kafka's `generateLeaderAndIsrUpdates`: for each partition, an ONLINE election (UNCLEAN when the
    /// topic allows it) with `remove` taken out of the ISR and never acceptable, `add` acceptable even
    /// though the image still shows it fenced.
    fn elections(&self, partitions: &[PartitionIndex], remove: Option<BrokerId>, add: Option<BrokerId>, reason: ChangeReason) -> Vec<MetadataRecord> {
        let acceptable: BTreeSet<BrokerId> = self
            .image
            .brokers
            .iter()
            .filter(|(id, b)| Some(**id) != remove && (!b.fenced || Some(**id) == add))
            .map(|(id, _)| *id)
            .collect();
        let mut records = Vec::new();
        for &partition in partitions {
            let image = self.image.partition(partition);
            let unclean_allowed = self.image.topics[image.topic.get()].config.unclean_leader_election_enable;
            let election = if unclean_allowed { Election::Unclean } else { Election::Online };
            let target_isr: Vec<BrokerId> = image.isr.iter().copied().filter(|b| Some(*b) != remove).collect();
            let registration = registration_of(image);
            let outcome = kraft::elect(&registration, election, target_isr, &acceptable, MetadataVersion::V3_6_AND_LATER);
            if let Some(record) = change_record(partition, image, &outcome.partition, if outcome.unclean { ChangeReason::UncleanElection } else { reason.clone() }) {
                records.push(record);
            }
        }
        records
    }

    /// Preferred leader election: leadership goes back to the first assigned replica where it is
    /// alive and in sync.
    pub fn elect_preferred_leaders(&mut self, now: Tick, out: &mut Outbox) {
        let acceptable: BTreeSet<BrokerId> = self.image.brokers.iter().filter(|(_, b)| !b.fenced).map(|(id, _)| *id).collect();
        let mut records = Vec::new();
        for (i, image) in self.image.partitions.iter().enumerate() {
            let preferred = image.replicas.first().copied();
            if image.leader == preferred {
                continue;
            }
            let registration = registration_of(image);
            let outcome = kraft::elect(&registration, Election::Preferred, image.isr.clone(), &acceptable, MetadataVersion::V3_6_AND_LATER);
            if outcome.partition.leader == preferred
                && let Some(record) = change_record(PartitionIndex(i as u32), image, &outcome.partition, ChangeReason::PreferredElection)
            {
                records.push(record);
            }
        }
        self.commit(now, records, out);
    }

    /// Kafka's AlterPartition handling: the leader must be current (epochs match) and new ISR members
    /// must be eligible (registered and unfenced).
    fn alter_partition(
        &mut self,
        now: Tick,
        leader: BrokerId,
        partition: PartitionIndex,
        leader_epoch: i32,
        partition_epoch: i32,
        new_isr: Vec<BrokerId>,
        out: &mut Outbox,
    ) -> Result<(Vec<BrokerId>, i32, i32), AlterPartitionError> {
        let Some(image) = self.image.partitions.get(partition.get()) else { return Err(AlterPartitionError::InvalidUpdateVersion) };
        if image.leader != Some(leader) || leader_epoch != image.leader_epoch {
            return Err(AlterPartitionError::FencedLeaderEpoch);
        }
        if partition_epoch != image.partition_epoch {
            return Err(AlterPartitionError::InvalidUpdateVersion);
        }
        if new_isr.iter().any(|b| !image.isr.contains(b) && !self.image.is_alive(*b)) {
            return Err(AlterPartitionError::IneligibleReplica);
        }
        if new_isr == image.isr {
            return Ok((image.isr.clone(), image.leader_epoch, image.partition_epoch));
        }
        let record = MetadataRecord::PartitionChange {
            partition,
            leader: image.leader,
            isr: new_isr.clone(),
            leader_epoch: image.leader_epoch,
            partition_epoch: image.partition_epoch + 1,
            recovering: image.recovering,
            reason: ChangeReason::AlterPartition { requested_by: leader },
        };
        let epochs = (image.leader_epoch, image.partition_epoch + 1);
        self.commit(now, vec![record], out);
        Ok((new_isr, epochs.0, epochs.1))
    }

    /// Brokers currently registered and unfenced.
    pub fn live_brokers(&self) -> Vec<BrokerId> {
        self.image.brokers.iter().filter(|(_, b)| !b.fenced).map(|(id, _)| *id).collect()
    }
}

fn registration_of(image: &PartitionImage) -> PartitionRegistration {
    PartitionRegistration {
        replicas: image.replicas.clone(),
        isr: image.isr.clone(),
        removing_replicas: Vec::new(),
        adding_replicas: Vec::new(),
        leader: image.leader,
        leader_recovery_state: if image.recovering { LeaderRecoveryState::Recovering } else { LeaderRecoveryState::Recovered },
        leader_epoch: image.leader_epoch,
        partition_epoch: image.partition_epoch,
    }
}

/// The metadata record for an election's outcome, or `None` when nothing changed.
fn change_record(partition: PartitionIndex, before: &PartitionImage, after: &PartitionRegistration, reason: ChangeReason) -> Option<MetadataRecord> {
    let recovering = after.leader_recovery_state == LeaderRecoveryState::Recovering;
    if after.leader == before.leader && after.isr == before.isr && after.leader_epoch == before.leader_epoch && recovering == before.recovering {
        return None;
    }
    Some(MetadataRecord::PartitionChange {
        partition,
        leader: after.leader,
        isr: after.isr.clone(),
        leader_epoch: after.leader_epoch,
        partition_epoch: before.partition_epoch + 1,
        recovering,
        reason,
    })
}
