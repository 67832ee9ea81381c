//! The KRaft controllers: the cluster's metadata as a replicated log of records, brokers
//! registering and heartbeating, fencing brokers that go silent, electing partition leaders, and
//! committing the ISR changes leaders ask for (AlterPartition).
//!
//! The controllers form a quorum (`quorum.rs` has its rules). The leader is the active controller:
//! it decides, appends records to its log and applies them to its working image at once; the
//! followers fetch the log from it. A record is committed when a majority has it: only then is it
//! reported, and only then do brokers (which long-poll the leader) see it. When the leader goes
//! silent a follower is elected in a new epoch and carries on from the committed log.

pub mod quorum;

use crate::kafka::config::{BrokerConfig, TopicConfig};
use crate::kafka::ids::{BrokerId, Node, PartitionIndex, TopicIndex};
use crate::kafka::metadata::{ChangeReason, MetadataImage, MetadataRecord, PartitionImage};
use crate::kafka::protocol::{AlterPartitionError, KafkaError, Message, QuorumFetchResult};
use crate::kafka::replication::election::LeaderRecoveryState;
use crate::kafka::replication::election::kraft::{self, Election, MetadataVersion, PartitionRegistration};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::{Rng, Tick};
use quorum::QuorumRole;
use crate::sim::sorted::{SortedMap, SortedSet};
use std::rc::Rc;

/// How often the controller looks for brokers whose session expired.
const SESSION_CHECK_INTERVAL_MS: u64 = 500;
/// At most this many records go in one metadata fetch answer.
const METADATA_FETCH_MAX_RECORDS: usize = 1000;
/// A follower controller long-polls its leader like brokers do.
const QUORUM_FETCH_MAX_WAIT_MS: u64 = 500;
/// After a failed fetch a follower tries again this much later.
const QUORUM_FETCH_RETRY_MS: u64 = 100;

#[derive(Clone, Debug)]
struct ParkedPoll {
    from: Node,
    request_id: u64,
    from_offset: u64,
    /// A follower controller's fetch (answered with quorum records) rather than a broker's.
    quorum: bool,
}

/// Why an admin request could not be carried out by the controllers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NoActiveController;

#[derive(Clone, Debug)]
pub struct Controller {
    pub id: u32,
    pub up: bool,
    pub incarnation: u64,
    /// Every record of the log applied: what the leader decides from.
    pub image: MetadataImage,
    /// The records up to the quorum high watermark applied: the cluster's truth.
    pub committed: MetadataImage,
    log: Vec<MetadataRecord>,
    /// The epoch each record of the log was written in.
    log_epochs: Vec<u32>,
    pub epoch: u32,
    pub role: QuorumRole,
    voted_for: Option<u32>,
    pub high_watermark: u64,
    voters: Vec<u32>,
    /// Leader: how far each follower's log matches, and when it last fetched.
    follower_ends: SortedMap<u32, u64>,
    last_fetch_from: SortedMap<u32, Tick>,
    /// Follower: its fetch in flight, and when it last heard from its leader.
    fetch_in_flight: Option<(u64, Tick)>,
    last_leader_contact: Tick,
    /// Candidate: when the election is given up and a new one starts.
    election_deadline: Tick,
    /// The one quorum check that counts (earlier-armed ones are stale).
    quorum_check_at: Tick,
    vote_requests: SortedSet<u64>,
    last_heartbeat: SortedMap<BrokerId, Tick>,
    /// The metadata offset at which each broker registered: it is unfenced once it has read that far.
    registered_at: SortedMap<BrokerId, u64>,
    /// Each registered broker's incarnation (a restarted process is a new incarnation).
    incarnations: SortedMap<BrokerId, u64>,
    config: Rc<BrokerConfig>,
    parked_polls: SortedMap<u64, ParkedPoll>,
    next_key: u64,
    rng: Rng,
}

impl Controller {
    pub fn new(id: u32, voters: Vec<u32>, config: Rc<BrokerConfig>, rng: Rng) -> Controller {
        Controller {
            id,
            up: false,
            incarnation: 0,
            image: MetadataImage::default(),
            committed: MetadataImage::default(),
            log: Vec::new(),
            log_epochs: Vec::new(),
            epoch: 0,
            role: QuorumRole::Unattached,
            voted_for: None,
            high_watermark: 0,
            voters,
            follower_ends: SortedMap::new(),
            last_fetch_from: SortedMap::new(),
            fetch_in_flight: None,
            last_leader_contact: Tick::ZERO,
            election_deadline: Tick::ZERO,
            quorum_check_at: Tick::ZERO,
            vote_requests: SortedSet::new(),
            last_heartbeat: SortedMap::new(),
            registered_at: SortedMap::new(),
            incarnations: SortedMap::new(),
            config,
            parked_polls: SortedMap::new(),
            next_key: 1,
            rng,
        }
    }

    pub fn node(&self) -> Node {
        Node::Controller(self.id)
    }

    pub fn records(&self) -> &[MetadataRecord] {
        &self.log
    }

    pub fn is_leader(&self) -> bool {
        self.up && self.role == QuorumRole::Leader
    }

    /// The leader this controller knows of.
    pub fn leader(&self) -> Option<u32> {
        match self.role {
            QuorumRole::Leader => Some(self.id),
            QuorumRole::Follower { leader } => Some(leader),
            _ => None,
        }
    }

    fn key(&mut self) -> u64 {
        let key = self.next_key;
        self.next_key += 1;
        key
    }

    /// Starts (or restarts) the process. Its log, epoch and vote were on disk; everything else is
    /// rebuilt: the image from the log, the committed part once a leader says how far that is.
    pub fn start(&mut self, now: Tick, out: &mut Outbox) {
        self.up = true;
        self.incarnation += 1;
        self.role = QuorumRole::Unattached;
        self.parked_polls.clear();
        self.fetch_in_flight = None;
        self.vote_requests.clear();
        self.follower_ends.clear();
        self.image = MetadataImage::default();
        for record in &self.log {
            self.image.apply(record);
        }
        self.committed = MetadataImage::default();
        self.high_watermark = 0;
        self.last_leader_contact = now;
        out.timer(now.plus_ms(SESSION_CHECK_INTERVAL_MS), self.node(), Timer::SessionCheck);
        if self.config.auto_leader_rebalance_enable {
            out.timer(now.plus_ms(self.config.leader_imbalance_check_interval_seconds * 1000), self.node(), Timer::ImbalanceCheck);
        }
        self.arm_quorum_check(now, out);
    }

    /// The process dies. Its log, epoch and vote survive on disk.
    pub fn crash(&mut self) {
        self.up = false;
        self.role = QuorumRole::Unattached;
        self.parked_polls.clear();
        self.fetch_in_flight = None;
    }

    /// The run's first moment: this controller leads epoch 1 (as if just elected).
    pub fn bootstrap_as_leader(&mut self, now: Tick, out: &mut Outbox) {
        self.epoch = 1;
        self.voted_for = Some(self.id);
        self.role = QuorumRole::Leader;
        self.last_fetch_from = self.voters.iter().map(|v| (*v, now)).collect();
        self.arm_quorum_check(now, out);
    }

    /// The run's first moment, for the other voters: they already hold the leader's log.
    pub fn bootstrap_as_follower(&mut self, now: Tick, leader: &Controller, out: &mut Outbox) {
        self.log = leader.log.clone();
        self.log_epochs = leader.log_epochs.clone();
        self.image = leader.image.clone();
        self.epoch = leader.epoch;
        self.voted_for = Some(leader.id);
        self.become_follower(now, leader.id, out);
    }

    /// The leader learns that the bootstrapped followers hold its whole log.
    pub fn bootstrap_followers_caught_up(&mut self, now: Tick, out: &mut Outbox) {
        let end = self.log.len() as u64;
        for &v in &self.voters.clone() {
            if v != self.id {
                self.follower_ends.insert(v, end);
                self.last_fetch_from.insert(v, now);
            }
        }
        self.advance_high_watermark(now, out);
    }

    /// The active controller's decision: appends records to the log (leader only) and commits what
    /// a majority holds. Returns false when this controller does not lead.
    pub fn commit(&mut self, now: Tick, records: Vec<MetadataRecord>, out: &mut Outbox) -> bool {
        if !self.is_leader() {
            return false;
        }
        for record in records {
            self.image.apply(&record);
            self.log.push(record);
            self.log_epochs.push(self.epoch);
        }
        self.advance_high_watermark(now, out);
        true
    }

    /// Moves the quorum high watermark to what a majority holds: newly committed records are
    /// reported and applied to the committed image, and waiting fetches are answered.
    fn advance_high_watermark(&mut self, now: Tick, out: &mut Outbox) {
        let hw = quorum::high_watermark(self.log.len() as u64, &self.follower_ends, self.voters.len());
        // Raft: only a record of the leader's own epoch commits what comes before it.
        let own_epoch_committed = hw > 0 && self.log_epochs.get(hw as usize - 1) == Some(&self.epoch);
        if hw > self.high_watermark && own_epoch_committed {
            self.apply_committed(now, hw, true, out);
        }
        let keys: Vec<u64> = self.parked_polls.keys().copied().collect();
        for key in keys {
            self.answer_poll(now, key, out);
        }
    }

    /// Applies the log up to `hw` to the committed image (reporting it when this is the leader).
    fn apply_committed(&mut self, now: Tick, hw: u64, report: bool, out: &mut Outbox) {
        let hw = hw.min(self.log.len() as u64);
        while self.high_watermark < hw {
            let record = &self.log[self.high_watermark as usize];
            if report {
                self.report(now, record, out);
            }
            self.committed.apply(record);
            self.high_watermark += 1;
        }
    }

    /// Narration for a committed record (it compares against the committed image before it).
    fn report(&self, now: Tick, record: &MetadataRecord, out: &mut Outbox) {
        match record {
            MetadataRecord::FenceBroker { broker, .. } => {
                let silent_ms = now.since(self.last_heartbeat.get(broker).copied().unwrap_or(Tick::ZERO));
                out.event(EventKind::BrokerFenced { broker: *broker, silent_ms });
            }
            MetadataRecord::UnfenceBroker { broker, .. } => out.event(EventKind::BrokerUnfenced { broker: *broker }),
            MetadataRecord::PartitionChange { partition, leader, isr, leader_epoch, reason, .. } => {
                if let Some(before) = self.committed.partitions.get(partition.get()) {
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
    pub fn create_topic(&mut self, now: Tick, name: &str, config: TopicConfig, assignments: Vec<Vec<BrokerId>>, out: &mut Outbox) -> Result<TopicIndex, NoActiveController> {
        if !self.is_leader() {
            return Err(NoActiveController);
        }
        let topic = TopicIndex(self.image.topics.len() as u32);
        let partitions = assignments.len() as u32;
        let replication_factor = assignments.first().map_or(0, Vec::len) as u32;
        self.commit(now, vec![MetadataRecord::CreateTopic { name: name.into(), config: Rc::new(config) }], out);
        self.add_partitions(now, topic, assignments, out)?;
        out.event(EventKind::TopicCreated { topic: topic.0, name: name.to_string(), partitions, replication_factor });
        Ok(topic)
    }

    /// Adds partitions with these assignments to `topic`, each led by its first live replica.
    pub fn add_partitions(&mut self, now: Tick, topic: TopicIndex, assignments: Vec<Vec<BrokerId>>, out: &mut Outbox) -> Result<(), NoActiveController> {
        if !self.is_leader() {
            return Err(NoActiveController);
        }
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
        Ok(())
    }

    pub fn set_topic_config(&mut self, now: Tick, topic: TopicIndex, config: TopicConfig, out: &mut Outbox) -> Result<(), NoActiveController> {
        let unclean_now = config.unclean_leader_election_enable;
        if !self.commit(now, vec![MetadataRecord::TopicConfig { topic, config: Rc::new(config) }], out) {
            return Err(NoActiveController);
        }
        if unclean_now {
            // Turning unclean election on elects leaders for leaderless partitions right away.
            let partitions: Vec<PartitionIndex> = self.image.topics[topic.get()].partitions.clone();
            let records = self.elections(&partitions, None, None, ChangeReason::UncleanElection);
            self.commit(now, records, out);
        }
        Ok(())
    }

    pub fn handle_message(&mut self, now: Tick, from: Node, message: Message, out: &mut Outbox) {
        match message {
            Message::QuorumFetch { request_id, epoch, fetch_offset, last_fetched_epoch } => {
                self.on_quorum_fetch(now, from, request_id, epoch, fetch_offset, last_fetched_epoch, out);
                return;
            }
            Message::QuorumFetchResponse { request_id, epoch, leader, result } => {
                self.on_quorum_fetch_response(now, request_id, epoch, leader, result, out);
                return;
            }
            Message::Vote { request_id, epoch, last_epoch, last_offset, pre_vote } => {
                self.on_vote(now, from, request_id, epoch, (last_epoch, last_offset), pre_vote, out);
                return;
            }
            Message::VoteResponse { request_id, epoch, granted } => {
                self.on_vote_response(now, from, request_id, epoch, granted, out);
                return;
            }
            Message::BeginQuorumEpoch { epoch } => {
                if let Node::Controller(leader) = from
                    && epoch >= self.epoch
                    && !(epoch == self.epoch && self.role == QuorumRole::Leader)
                {
                    self.epoch = epoch;
                    self.become_follower(now, leader, out);
                }
                return;
            }
            Message::Disconnected { request_id, .. } => {
                if self.fetch_in_flight.is_some_and(|(id, _)| id == request_id) {
                    self.fetch_in_flight = None;
                    out.timer(now.plus_ms(QUORUM_FETCH_RETRY_MS), self.node(), Timer::QuorumFetch);
                }
                return;
            }
            _ => {}
        }
        // Everything else is for the active controller; a follower points the broker to it.
        if !self.is_leader() {
            if let Some(request_id) = message.request_id() {
                out.send(self.node(), from, Message::NotController { request_id, leader: self.leader() });
            }
            return;
        }
        match message {
            Message::MetadataFetch { request_id, from_offset } => {
                let key = self.key();
                self.parked_polls.insert(key, ParkedPoll { from, request_id, from_offset, quorum: false });
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
                if self.is_leader() {
                    self.fence_silent_brokers(now, out);
                }
            }
            Timer::ImbalanceCheck => {
                out.timer(now.plus_ms(self.config.leader_imbalance_check_interval_seconds * 1000), self.node(), Timer::ImbalanceCheck);
                if self.is_leader() {
                    self.elect_preferred_leaders(now, out);
                }
            }
            Timer::MetadataPollExpire { key } => {
                if let Some(poll) = self.parked_polls.remove(&key) {
                    let message = if poll.quorum {
                        let result = QuorumFetchResult::Records { records: Rc::from([]), high_watermark: self.high_watermark };
                        Message::QuorumFetchResponse { request_id: poll.request_id, epoch: self.epoch, leader: self.leader(), result }
                    } else {
                        Message::MetadataFetchResponse { request_id: poll.request_id, from_offset: poll.from_offset, records: Rc::from([]) }
                    };
                    out.send(self.node(), poll.from, message);
                }
            }
            Timer::QuorumCheck => self.check_quorum(now, out),
            Timer::QuorumFetch => self.send_quorum_fetch(now, out),
            _ => {}
        }
    }

    /// Answers a parked poll if there is something new for it: committed records for a broker; any
    /// records, or a higher high watermark, for a follower controller.
    fn answer_poll(&mut self, _now: Tick, key: u64, out: &mut Outbox) -> bool {
        let Some(poll) = self.parked_polls.get(&key) else { return false };
        let from = poll.from_offset as usize;
        if poll.quorum {
            let end = self.log.len();
            let follower = match poll.from {
                Node::Controller(c) => c,
                _ => return false,
            };
            let follower_hw = self.follower_ends.get(&follower).copied().unwrap_or(0).min(self.high_watermark);
            if from >= end && self.high_watermark <= follower_hw {
                return false;
            }
            let Some(poll) = self.parked_polls.remove(&key) else { return false };
            let upto = end.min(from + METADATA_FETCH_MAX_RECORDS);
            let records: Rc<[(u32, MetadataRecord)]> = (from..upto).map(|i| (self.log_epochs[i], self.log[i].clone())).collect();
            let result = QuorumFetchResult::Records { records, high_watermark: self.high_watermark };
            out.send(self.node(), poll.from, Message::QuorumFetchResponse { request_id: poll.request_id, epoch: self.epoch, leader: Some(self.id), result });
            return true;
        }
        let committed = self.high_watermark as usize;
        if from >= committed {
            return false;
        }
        let Some(poll) = self.parked_polls.remove(&key) else { return false };
        let end = committed.min(from + METADATA_FETCH_MAX_RECORDS);
        let records: Rc<[MetadataRecord]> = self.log[from..end].into();
        out.send(self.node(), poll.from, Message::MetadataFetchResponse { request_id: poll.request_id, from_offset: poll.from_offset, records });
        true
    }

    // The quorum.

    fn last_log(&self) -> (u32, u64) {
        (self.log_epochs.last().copied().unwrap_or(0), self.log.len() as u64)
    }

    fn arm_quorum_check(&mut self, now: Tick, out: &mut Outbox) {
        let at = match self.role {
            QuorumRole::Leader => now.plus_ms(self.config.controller_quorum_fetch_timeout_ms / 2),
            QuorumRole::Candidate { .. } | QuorumRole::Prospective { .. } => self.election_deadline,
            QuorumRole::Follower { .. } | QuorumRole::Unattached => {
                self.last_leader_contact.plus_ms(self.config.controller_quorum_fetch_timeout_ms).max(now.plus_ms(1))
            }
        };
        self.quorum_check_at = at;
        out.timer(at, self.node(), Timer::QuorumCheck);
    }

    /// A follower that heard nothing from its leader, or a candidate whose election ran out, stands
    /// (again); a leader no longer fetched from by a majority steps down (Kafka's check-quorum).
    fn check_quorum(&mut self, now: Tick, out: &mut Outbox) {
        if !self.up || now != self.quorum_check_at {
            return;
        }
        let fetch_timeout_ms = self.config.controller_quorum_fetch_timeout_ms;
        match self.role {
            QuorumRole::Leader => {
                let fetching = self.last_fetch_from.iter().filter(|(v, at)| **v != self.id && now.since(**at) < fetch_timeout_ms).count() + 1;
                if fetching < quorum::majority(self.voters.len()) {
                    self.role = QuorumRole::Unattached;
                    self.last_leader_contact = now;
                    out.event(EventKind::ControllerResigned { controller: self.id, epoch: self.epoch });
                }
            }
            QuorumRole::Prospective { leader: Some(leader), .. } => {
                if now >= self.election_deadline {
                    // Not enough yeses: the leader it knew may still be there.
                    self.become_follower(now, leader, out);
                    return;
                }
            }
            QuorumRole::Candidate { .. } | QuorumRole::Prospective { .. } => {
                if now >= self.election_deadline {
                    self.ask_for_pre_votes(now, out);
                    return;
                }
            }
            QuorumRole::Follower { .. } | QuorumRole::Unattached => {
                if self.leader_silent(now) {
                    self.ask_for_pre_votes(now, out);
                    return;
                }
            }
        }
        self.arm_quorum_check(now, out);
    }

    /// Nothing heard from the leader for `controller.quorum.fetch.timeout.ms`.
    fn leader_silent(&self, now: Tick) -> bool {
        now.since(self.last_leader_contact) >= self.config.controller_quorum_fetch_timeout_ms
    }

    /// Kafka 4.0's pre-vote (KIP-996): before a new epoch, ask the others whether they would vote.
    /// Only a majority of yeses starts an election; without one the epoch stays, and it asks again
    /// after the election timeout.
    fn ask_for_pre_votes(&mut self, now: Tick, out: &mut Outbox) {
        if quorum::majority(self.voters.len()) == 1 {
            self.stand_for_election(now, out);
            return;
        }
        self.fetch_in_flight = None;
        let leader = if let QuorumRole::Follower { leader } = self.role { Some(leader) } else { None };
        self.role = QuorumRole::Prospective { votes: [self.id].into(), leader };
        self.draw_election_deadline(now);
        self.send_vote_requests(true, out);
        self.arm_quorum_check(now, out);
    }

    /// When a round of (pre-)votes is given up: the election timeout plus a random backoff, so that
    /// controllers that started together do not go on splitting the vote.
    fn draw_election_deadline(&mut self, now: Tick) {
        let backoff = self.rng.below(self.config.controller_quorum_election_backoff_max_ms + 1);
        self.election_deadline = now.plus_ms(self.config.controller_quorum_election_timeout_ms + backoff);
    }

    fn send_vote_requests(&mut self, pre_vote: bool, out: &mut Outbox) {
        let (last_epoch, last_offset) = self.last_log();
        self.vote_requests.clear();
        for voter in self.voters.clone() {
            if voter != self.id {
                let request_id = self.key();
                self.vote_requests.insert(request_id);
                out.send(self.node(), Node::Controller(voter), Message::Vote { request_id, epoch: self.epoch, last_epoch, last_offset, pre_vote });
            }
        }
    }

    /// A new epoch with this controller as candidate: it votes for itself and asks the others.
    fn stand_for_election(&mut self, now: Tick, out: &mut Outbox) {
        self.epoch += 1;
        self.voted_for = Some(self.id);
        self.fetch_in_flight = None;
        self.role = QuorumRole::Candidate { votes: [self.id].into() };
        self.draw_election_deadline(now);
        if quorum::majority(self.voters.len()) == 1 {
            self.become_leader(now, out);
            return;
        }
        self.send_vote_requests(false, out);
        out.event(EventKind::ControllerElectionStarted { controller: self.id, epoch: self.epoch });
        self.arm_quorum_check(now, out);
    }

    fn become_leader(&mut self, now: Tick, out: &mut Outbox) {
        self.role = QuorumRole::Leader;
        self.follower_ends.clear();
        self.last_fetch_from = self.voters.iter().map(|v| (*v, now)).collect();
        // The new active controller gives every broker a fresh session and learns registrations
        // from the log.
        self.last_heartbeat = self.image.brokers.keys().map(|b| (*b, now)).collect();
        self.registered_at = self.image.brokers.iter().map(|(id, b)| (*id, b.epoch)).collect();
        out.event(EventKind::ControllerElected { controller: self.id, epoch: self.epoch });
        for voter in self.voters.clone() {
            if voter != self.id {
                out.send(self.node(), Node::Controller(voter), Message::BeginQuorumEpoch { epoch: self.epoch });
            }
        }
        let record = MetadataRecord::LeaderChange { controller: self.id, epoch: self.epoch };
        self.commit(now, vec![record], out);
        self.arm_quorum_check(now, out);
    }

    fn become_follower(&mut self, now: Tick, leader: u32, out: &mut Outbox) {
        let was_leader = self.role == QuorumRole::Leader;
        self.role = QuorumRole::Follower { leader };
        self.last_leader_contact = now;
        self.fetch_in_flight = None;
        if was_leader {
            // Brokers and followers waiting on this controller go and find the new leader.
            let polls: Vec<ParkedPoll> = std::mem::take(&mut self.parked_polls).into_values().collect();
            for poll in polls {
                out.send(self.node(), poll.from, Message::NotController { request_id: poll.request_id, leader: Some(leader) });
            }
        }
        self.send_quorum_fetch(now, out);
        self.arm_quorum_check(now, out);
    }

    /// A message from a later epoch: this controller's epoch is over.
    fn observe_epoch(&mut self, now: Tick, epoch: u32, leader: Option<u32>, out: &mut Outbox) {
        if epoch > self.epoch {
            self.epoch = epoch;
            self.voted_for = None;
            match leader {
                Some(l) if l != self.id => self.become_follower(now, l, out),
                _ => self.role = QuorumRole::Unattached,
            }
        }
    }

    fn send_quorum_fetch(&mut self, now: Tick, out: &mut Outbox) {
        let QuorumRole::Follower { leader } = self.role else { return };
        if self.fetch_in_flight.is_some() || !self.up {
            return;
        }
        let request_id = self.key();
        let deadline = now.plus_ms(self.config.controller_quorum_fetch_timeout_ms);
        self.fetch_in_flight = Some((request_id, deadline));
        let (last_fetched_epoch, fetch_offset) = self.last_log();
        out.send(self.node(), Node::Controller(leader), Message::QuorumFetch { request_id, epoch: self.epoch, fetch_offset, last_fetched_epoch });
    }

    #[allow(clippy::too_many_arguments)]
    fn on_quorum_fetch(&mut self, now: Tick, from: Node, request_id: u64, epoch: u32, fetch_offset: u64, last_fetched_epoch: u32, out: &mut Outbox) {
        let Node::Controller(follower) = from else { return };
        if epoch > self.epoch {
            self.observe_epoch(now, epoch, None, out);
        }
        if !self.is_leader() || epoch < self.epoch {
            let result = QuorumFetchResult::NotLeader;
            out.send(self.node(), from, Message::QuorumFetchResponse { request_id, epoch: self.epoch, leader: self.leader(), result });
            return;
        }
        self.last_fetch_from.insert(follower, now);
        if let Some(truncate_to) = quorum::divergence(&self.log_epochs, fetch_offset, last_fetched_epoch) {
            let result = QuorumFetchResult::Diverging { truncate_to };
            out.send(self.node(), from, Message::QuorumFetchResponse { request_id, epoch: self.epoch, leader: Some(self.id), result });
            return;
        }
        let fetch_offset = fetch_offset.min(self.log.len() as u64);
        self.follower_ends.insert(follower, fetch_offset);
        let key = self.key();
        self.parked_polls.insert(key, ParkedPoll { from, request_id, from_offset: fetch_offset, quorum: true });
        self.advance_high_watermark(now, out);
        if self.parked_polls.contains_key(&key) {
            out.timer(now.plus_ms(QUORUM_FETCH_MAX_WAIT_MS), self.node(), Timer::MetadataPollExpire { key });
        }
    }

    fn on_quorum_fetch_response(&mut self, now: Tick, request_id: u64, epoch: u32, leader: Option<u32>, result: QuorumFetchResult, out: &mut Outbox) {
        if self.fetch_in_flight.map(|(id, _)| id) != Some(request_id) {
            return;
        }
        self.fetch_in_flight = None;
        if epoch > self.epoch {
            self.observe_epoch(now, epoch, leader, out);
            return;
        }
        match result {
            QuorumFetchResult::NotLeader => {
                self.role = QuorumRole::Unattached;
                return;
            }
            QuorumFetchResult::Diverging { truncate_to } => {
                // Records a deposed leader wrote that the quorum never committed: gone.
                let keep = (truncate_to as usize).max(self.high_watermark as usize).min(self.log.len());
                self.log.truncate(keep);
                self.log_epochs.truncate(keep);
                self.image = MetadataImage::default();
                for record in &self.log {
                    self.image.apply(record);
                }
            }
            QuorumFetchResult::Records { records, high_watermark } => {
                for (record_epoch, record) in records.iter() {
                    self.image.apply(record);
                    self.log.push(record.clone());
                    self.log_epochs.push(*record_epoch);
                }
                self.apply_committed(now, high_watermark, false, out);
            }
        }
        self.last_leader_contact = now;
        self.send_quorum_fetch(now, out);
    }

    #[allow(clippy::too_many_arguments)]
    fn on_vote(&mut self, now: Tick, from: Node, request_id: u64, epoch: u32, candidate_last: (u32, u64), pre_vote: bool, out: &mut Outbox) {
        let Node::Controller(candidate) = from else { return };
        if epoch > self.epoch {
            self.observe_epoch(now, epoch, None, out);
        }
        if pre_vote {
            let leader_alive = match self.role {
                QuorumRole::Leader => true,
                QuorumRole::Follower { .. } => !self.leader_silent(now),
                _ => false,
            };
            let granted = epoch >= self.epoch && quorum::may_grant_pre_vote(self.last_log(), candidate_last, leader_alive);
            out.send(self.node(), from, Message::VoteResponse { request_id, epoch: self.epoch, granted });
            return;
        }
        let granted = quorum::may_grant_vote(self.epoch, self.voted_for, self.last_log(), candidate, epoch, candidate_last)
            && !matches!(self.role, QuorumRole::Leader | QuorumRole::Follower { .. });
        if granted {
            self.voted_for = Some(candidate);
            // Voting restarts the wait before standing itself.
            self.last_leader_contact = now;
        }
        out.send(self.node(), from, Message::VoteResponse { request_id, epoch: self.epoch, granted });
    }

    fn on_vote_response(&mut self, now: Tick, from: Node, request_id: u64, epoch: u32, granted: bool, out: &mut Outbox) {
        if !self.vote_requests.remove(&request_id) {
            return;
        }
        if epoch > self.epoch {
            self.observe_epoch(now, epoch, None, out);
            return;
        }
        let Node::Controller(voter) = from else { return };
        let majority = quorum::majority(self.voters.len());
        if !granted || epoch != self.epoch {
            return;
        }
        let (QuorumRole::Candidate { votes } | QuorumRole::Prospective { votes, .. }) = &mut self.role else { return };
        votes.insert(voter);
        if votes.len() >= majority {
            // A majority of votes elects; a majority of pre-votes starts the election.
            if matches!(self.role, QuorumRole::Candidate { .. }) {
                self.become_leader(now, out);
            } else {
                self.stand_for_election(now, out);
            }
        }
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
        let acceptable: SortedSet<BrokerId> = self
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
        let acceptable: SortedSet<BrokerId> = self.image.brokers.iter().filter(|(_, b)| !b.fenced).map(|(id, _)| *id).collect();
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
        // The simulation runs with eligible leader replicas off, as Kafka 4.0 ships.
        elr: Vec::new(),
        last_known_elr: Vec::new(),
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
