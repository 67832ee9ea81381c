//! The broker's side of consumer groups: answering FindCoordinator, running the coordinator for the
//! `__consumer_offsets` partitions it leads, and persisting what the coordinator asks for.

use super::internal_write::InternalBatch;
use super::{Broker, Completion};
use crate::kafka::group::coordinator::{Effect, LoadedRecord, OFFSETS_TOPIC, partition_for};
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::{GroupRequest, GroupResponse, KafkaError, Message};
use crate::kafka::record::{ControlKind, ProducerStamp, Value};
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use std::rc::Rc;

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
                Effect::Persist { partition, records, transactional, then, after } => self.persist(now, partition, records, transactional, then, after, out),
            }
        }
        if let Some(at) = self.coordinator.next_deadline() {
            self.arm(now, at.max(now), Timer::GroupDeadlines, out);
        }
    }

    /// Appends coordinator records to `partition` as its leader; the reply and events wait until the
    /// records are replicated (offsets.commit.required.acks = -1).
    #[allow(clippy::too_many_arguments)]
    fn persist(
        &mut self,
        now: Tick,
        partition: PartitionIndex,
        records: Vec<(String, String)>,
        transactional: Option<(i64, i16)>,
        then: Option<(Node, u64, Rc<str>, GroupResponse)>,
        after: Vec<EventKind>,
        out: &mut Outbox,
    ) {
        let mut batch = InternalBatch::text(records);
        if let Some((producer_id, producer_epoch)) = transactional {
            batch.producer = ProducerStamp { producer_id, producer_epoch, base_sequence: -1 };
            batch.transactional = true;
        }
        match self.append_internal(now, partition, batch, out) {
            Ok((base_offset, required)) => {
                let parts = vec![(partition, required, base_offset, None)];
                let timeout_ms = self.config.offsets_commit_timeout_ms;
                self.park_internal(now, self.node(), 0, parts, timeout_ms, Completion::Group { reply: then, events: after }, out);
            }
            Err(_) => {
                if let Some((to, request_id, group, response)) = then {
                    out.send(self.node(), to, Message::GroupResponse { request_id, group, response: Box::new(failed(response, KafkaError::NotCoordinator)) });
                }
            }
        }
    }

    /// The broker became leader of an offsets partition: load its groups from the log.
    pub(super) fn load_groups(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
        let Some(replica) = self.replicas.get(&partition) else { return };
        let mut records = Vec::new();
        for batch in replica.log.batches() {
            let producer_id = batch.producer.producer_id;
            if let Some(kind) = batch.control {
                records.push(LoadedRecord::Marker { producer_id, commit: kind == ControlKind::Commit });
                continue;
            }
            for r in batch.records.iter() {
                if let (Some(key), Value::Text(value)) = (&r.key, &r.value) {
                    let (key, value) = (key.clone(), value.clone());
                    records.push(if batch.transactional { LoadedRecord::Transactional { producer_id, key, value } } else { LoadedRecord::Plain { key, value } });
                }
            }
        }
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
        GroupResponse::TxnOffsetCommit(_) => GroupResponse::TxnOffsetCommit(Err(error)),
    }
}
