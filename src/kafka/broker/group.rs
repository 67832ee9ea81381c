//! The broker's side of consumer groups: answering FindCoordinator, running the coordinator for the
//! `__consumer_offsets` partitions it leads, and persisting what the coordinator asks for.

use super::replica::Role;
use super::{Broker, Completion, ParkedProduce};
use crate::kafka::group::coordinator::{Effect, OFFSETS_TOPIC, partition_for};
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::{GroupRequest, GroupResponse, KafkaError, Message};
use crate::kafka::record::{Batch, BatchBuilder, ProducerStamp, RecordId, Value};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use std::rc::Rc;

/// Internal records (commits, group metadata) carry this producer number.
pub const COORDINATOR_PRODUCER: u32 = u32::MAX;

impl Broker {
    /// The `__consumer_offsets` partition holding `group`, if the topic exists.
    pub(super) fn offsets_partition(&self, group: &str) -> Option<PartitionIndex> {
        let topic = self.image.topic_index(OFFSETS_TOPIC)?;
        let count = self.image.topics[topic.get()].partitions.len() as u32;
        self.image.partition_of(topic, partition_for(group, count))
    }

    pub(super) fn on_group_request(&mut self, now: Tick, from: Node, request_id: u64, group: Rc<str>, request: GroupRequest, out: &mut Outbox) {
        let Some(partition) = self.offsets_partition(&group) else {
            let response = match request {
                GroupRequest::FindCoordinator => GroupResponse::FindCoordinator(Err(KafkaError::CoordinatorNotAvailable)),
                _ => GroupResponse::Heartbeat(Err(KafkaError::CoordinatorNotAvailable)),
            };
            out.send(self.node(), from, Message::GroupResponse { request_id, group, response: Box::new(response) });
            return;
        };
        if request == GroupRequest::FindCoordinator {
            let leader = self.image.partition(partition).leader.ok_or(KafkaError::CoordinatorNotAvailable);
            out.send(self.node(), from, Message::GroupResponse { request_id, group, response: Box::new(GroupResponse::FindCoordinator(leader)) });
            return;
        }
        let client = match from {
            Node::Consumer(c) => format!("consumer-{c}"),
            _ => "client".to_string(),
        };
        let effects = self.coordinator.handle(now, from, request_id, group, partition, &client, request);
        self.apply_group_effects(now, effects, out);
    }

    /// Carries out what the coordinator asked for, then re-arms its deadline timer.
    pub(super) fn apply_group_effects(&mut self, now: Tick, effects: Vec<Effect>, out: &mut Outbox) {
        for effect in effects {
            match effect {
                Effect::Reply { to, request_id, group, response } => out.send(self.node(), to, Message::GroupResponse { request_id, group, response: Box::new(response) }),
                Effect::Event(kind) => out.event(kind),
                Effect::Persist { partition, records, then, after } => self.persist(now, partition, records, then, after, out),
            }
        }
        if let Some(at) = self.coordinator.next_deadline() {
            self.arm(now, at.max(now), Timer::GroupDeadlines, out);
        }
    }

    /// Appends coordinator records to `partition` as its leader; the reply and events wait until the
    /// records are replicated (offsets.commit.required.acks = -1).
    fn persist(&mut self, now: Tick, partition: PartitionIndex, records: Vec<(String, String)>, then: Option<(Node, u64, Rc<str>, GroupResponse)>, after: Vec<EventKind>, out: &mut Outbox) {
        let broker = self.id;
        let sequence = self.next_key;
        let leader = self.replicas.get_mut(&partition).filter(|r| matches!(r.role, Role::Leader(_)));
        let Some(replica) = leader else {
            if let Some((to, request_id, group, response)) = then {
                out.send(self.node(), to, Message::GroupResponse { request_id, group, response: Box::new(failed(response, KafkaError::NotCoordinator)) });
            }
            return;
        };
        let mut builder = BatchBuilder::new();
        for (i, (key, value)) in records.into_iter().enumerate() {
            let id = RecordId { producer: COORDINATOR_PRODUCER, sequence: sequence + i as u64 };
            builder.push(id, now.ms(), Some(Rc::from(key)), Value::Text(Rc::from(value)), Rc::from([]));
        }
        let (records, size_bytes, max_timestamp_ms) = builder.finish();
        let base_offset = replica.log.log_end_offset();
        let batch = Batch {
            base_offset,
            partition_leader_epoch: replica.leader_epoch,
            producer: ProducerStamp::NONE,
            transactional: false,
            control: None,
            max_timestamp_ms,
            size_bytes,
            records,
        };
        let last_offset = batch.last_offset();
        let leader_epoch = replica.leader_epoch;
        if let Some(reason) = replica.log.append(batch, now) {
            out.event(EventKind::SegmentRolled { broker, partition, base_offset, reason });
        }
        self.page_cache.write(replica.file, last_offset + 1, now);
        self.disk.append(now, u64::from(size_bytes));
        out.event(EventKind::Appended { broker, partition, base_offset, last_offset, leader_epoch, as_leader: true });
        let key = self.key();
        let deadline = now.plus_ms(self.config.offsets_commit_timeout_ms);
        self.waiting_on.entry(partition).or_default().push_back((last_offset + 1, key));
        self.parked_produces.insert(
            key,
            ParkedProduce { from: self.node(), request_id: 0, parts: vec![(partition, last_offset + 1, base_offset, None)], pending: 1, deadline, completion: Completion::Group { reply: then, events: after } },
        );
        self.arm(now, deadline, Timer::ProduceExpiries, out);
        self.after_append(now, partition, out);
    }

    /// The broker became leader of an offsets partition: load its groups from the log.
    pub(super) fn load_groups(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let Some(replica) = self.replicas.get(&partition) else { return };
        let records: Vec<(Rc<str>, Rc<str>)> = replica
            .log
            .batches()
            .flat_map(|b| b.records.iter())
            .filter_map(|r| match (&r.key, &r.value) {
                (Some(k), Value::Text(v)) => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect();
        let effects = self.coordinator.load(now, partition, records);
        self.apply_group_effects(now, effects, out);
    }
}

/// The error version of a response, for a request whose persistence failed.
pub(super) fn failed(response: GroupResponse, error: KafkaError) -> GroupResponse {
    match response {
        GroupResponse::OffsetCommit(_) => GroupResponse::OffsetCommit(Err(error)),
        GroupResponse::SyncGroup(_) => GroupResponse::SyncGroup(Err(error)),
        GroupResponse::JoinGroup(_) => GroupResponse::JoinGroup(Err((error, None))),
        GroupResponse::Heartbeat(_) => GroupResponse::Heartbeat(Err(error)),
        GroupResponse::LeaveGroup(_) => GroupResponse::LeaveGroup(Err(error)),
        GroupResponse::OffsetFetch(_) => GroupResponse::OffsetFetch(Err(error)),
        GroupResponse::FindCoordinator(_) => GroupResponse::FindCoordinator(Err(error)),
    }
}
