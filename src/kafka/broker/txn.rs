//! The broker's side of transactions: answering FindCoordinator for a transactional id, running the
//! transaction coordinator for the `__transaction_state` partitions it leads, and writing commit and
//! abort markers into the partitions it leads.
//!
//! The coordinator's answers and its markers wait until the state they follow from is replicated:
//! a coordinator that dies after PrepareCommit reached its followers leaves a successor that finishes
//! the commit; one that dies before leaves nothing anyone acted on.

use super::internal_write::InternalBatch;
use super::{Broker, Completion, INTER_BROKER_REQUEST_TIMEOUT_MS};
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::{KafkaError, Message, TxnRequest, TxnResponse};
use crate::kafka::record::Value;
use crate::kafka::runtime::{Outbox, Timer};
use crate::kafka::txn::coordinator::{TRANSACTION_STATE_TOPIC, TxnEffect, partition_for};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use std::rc::Rc;

/// How often a coordinator sends again the markers not yet written.
const TXN_CHECK_INTERVAL_MS: u64 = 1_000;

impl Broker {
    /// The `__transaction_state` partition holding `transactional_id`, if the topic exists.
    fn txn_state_partition(&self, transactional_id: &str) -> Option<PartitionIndex> {
        let topic = self.image.topic_index(TRANSACTION_STATE_TOPIC)?;
        let count = self.image.topics[topic.get()].partitions.len() as u32;
        self.image.partition_of(topic, partition_for(transactional_id, count))
    }

    pub(super) fn is_txn_state_partition(&self, partition: PartitionIndex) -> bool {
        let topic = self.image.partition(partition).topic;
        &*self.image.topics[topic.get()].name == TRANSACTION_STATE_TOPIC
    }

    pub(super) fn on_txn_request(&mut self, now: Tick, from: Node, request_id: u64, transactional_id: Rc<str>, request: TxnRequest, out: &mut Outbox) {
        let Some(partition) = self.txn_state_partition(&transactional_id) else {
            let response = TxnResponse::FindCoordinator(Err(KafkaError::CoordinatorNotAvailable));
            out.send(self.node(), from, Message::TxnResponse { request_id, transactional_id, response: Box::new(response) });
            return;
        };
        // Any broker answers where the coordinator is: the leader of the id's partition.
        if request == TxnRequest::FindCoordinator {
            let leader = self.image.partition(partition).leader.ok_or(KafkaError::CoordinatorNotAvailable);
            out.send(self.node(), from, Message::TxnResponse { request_id, transactional_id, response: Box::new(TxnResponse::FindCoordinator(leader)) });
            return;
        }
        let image = self.image.clone();
        let mut next_producer_id = self.next_producer_id;
        let mut allocate = || {
            let id = next_producer_id;
            next_producer_id += 1;
            id
        };
        let effects = self.txn.handle(now, from, request_id, transactional_id, partition, request, &image, &mut allocate);
        self.next_producer_id = next_producer_id;
        self.apply_txn_effects(now, effects, out);
    }

    /// Carries out what the transaction coordinator asked for. Events go out at once; state is
    /// appended to `__transaction_state`; answers and markers that follow a state change wait until
    /// it is replicated.
    pub(super) fn apply_txn_effects(&mut self, now: Tick, effects: Vec<TxnEffect>, out: &mut Outbox) {
        let mut deferred = Vec::new();
        // The last state record appended: (partition, offset it must be replicated to, its base).
        let mut written: Option<(PartitionIndex, u64, u64)> = None;
        let mut failed = false;
        for effect in effects {
            match effect {
                TxnEffect::Event(kind) => out.event(kind),
                TxnEffect::Persist { partition, key, value } => match self.append_internal(now, partition, InternalBatch::text(vec![(key, value)]), out) {
                    Ok((base, required)) => written = Some((partition, required, base)),
                    Err(_) => failed = true,
                },
                TxnEffect::Reply { .. } | TxnEffect::WriteMarkers { .. } if written.is_some() || failed => deferred.push(effect),
                TxnEffect::Reply { to, request_id, transactional_id, response } => {
                    out.send(self.node(), to, Message::TxnResponse { request_id, transactional_id, response: Box::new(response) });
                }
                TxnEffect::WriteMarkers { transactional_id, leader, producer_id, producer_epoch, commit, partitions } => {
                    let request_id = self.request_id();
                    let deadline = now.plus_ms(INTER_BROKER_REQUEST_TIMEOUT_MS);
                    self.txn.markers_in_flight.insert(request_id, (transactional_id, partitions.clone(), deadline));
                    let partitions: Rc<[PartitionIndex]> = partitions.into();
                    out.send(self.node(), Node::Broker(leader), Message::WriteTxnMarkers { request_id, producer_id, producer_epoch, commit, partitions });
                }
            }
        }
        if failed {
            // This broker no longer leads the state partition: the client looks for the new coordinator.
            for effect in deferred {
                if let TxnEffect::Reply { to, request_id, transactional_id, response } = effect {
                    let response = not_coordinator(response);
                    out.send(self.node(), to, Message::TxnResponse { request_id, transactional_id, response: Box::new(response) });
                }
            }
        } else if let Some((partition, required, base)) = written {
            let timeout_ms = INTER_BROKER_REQUEST_TIMEOUT_MS;
            self.park_internal(now, self.node(), 0, vec![(partition, required, base, None)], timeout_ms, Completion::Txn { then: deferred }, out);
        }
        // Markers are sent again each second; open transactions wait for the next scheduled check.
        let markers = self.txn.has_markers_work().then(|| now.plus_ms(TXN_CHECK_INTERVAL_MS));
        let timeouts = self.txn.has_work().then(|| self.txn.next_abort_check(now));
        if let Some(deadline) = markers.into_iter().chain(timeouts).min() {
            self.arm(now, deadline, Timer::TxnCheck, out);
        }
    }

    /// A state write finished replicating (or failed): what waited on it goes ahead.
    pub(super) fn complete_txn_write(&mut self, now: Tick, error: Option<KafkaError>, then: Vec<TxnEffect>, out: &mut Outbox) {
        match error {
            None => self.apply_txn_effects(now, then, out),
            Some(_) => {
                for effect in then {
                    if let TxnEffect::Reply { to, request_id, transactional_id, response } = effect {
                        out.send(self.node(), to, Message::TxnResponse { request_id, transactional_id, response: Box::new(not_coordinator(response)) });
                    }
                }
            }
        }
    }

    /// As partition leader: write the coordinator's markers, and answer once they are replicated.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_write_txn_markers(
        &mut self,
        now: Tick,
        from: Node,
        request_id: u64,
        producer_id: i64,
        producer_epoch: i16,
        commit: bool,
        partitions: &[PartitionIndex],
        out: &mut Outbox,
    ) {
        let mut parts = Vec::with_capacity(partitions.len());
        for &partition in partitions {
            match self.append_internal(now, partition, InternalBatch::marker(producer_id, producer_epoch, commit), out) {
                Ok((offset, required)) => {
                    out.event(EventKind::MarkerWritten { broker: self.id, partition, offset, producer_id, commit });
                    parts.push((partition, required, offset, None));
                }
                Err(error) => parts.push((partition, 0, 0, Some(Err(error)))),
            }
        }
        self.park_internal(now, from, request_id, parts, INTER_BROKER_REQUEST_TIMEOUT_MS, Completion::Markers { producer_id, commit }, out);
    }

    /// The markers are replicated (or failed): offsets committed inside the transaction take effect in
    /// the groups this broker coordinates, and the transaction coordinator hears back.
    pub(super) fn complete_markers(
        &mut self,
        now: Tick,
        to: Node,
        request_id: u64,
        producer_id: i64,
        commit: bool,
        results: Vec<(PartitionIndex, Result<(), KafkaError>)>,
        out: &mut Outbox,
    ) {
        for (partition, result) in &results {
            if result.is_ok() && self.coordinator.led.contains(partition) {
                let effects = self.coordinator.complete_transaction(*partition, producer_id, commit);
                self.apply_group_effects(now, effects, out);
            }
        }
        out.send(self.node(), to, Message::WriteTxnMarkersResponse { request_id, results });
    }

    pub(super) fn on_write_txn_markers_response(&mut self, now: Tick, request_id: u64, results: &[(PartitionIndex, Result<(), KafkaError>)], out: &mut Outbox) {
        let effects = self.txn.on_markers_written(request_id, results);
        self.apply_txn_effects(now, effects, out);
    }

    /// A marker request's connection broke: the next check sends the markers again.
    pub(super) fn on_markers_disconnected(&mut self, request_id: u64) {
        self.txn.markers_in_flight.remove(&request_id);
    }

    pub(super) fn on_txn_check(&mut self, now: Tick, out: &mut Outbox) {
        let image = self.image.clone();
        let effects = self.txn.tick(now, &image);
        self.apply_txn_effects(now, effects, out);
    }

    /// The broker became leader of a `__transaction_state` partition: load its transactions.
    pub(super) fn load_transactions(&mut self, now: Tick, partition: PartitionIndex, out: &mut Outbox) {
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
        let image = self.image.clone();
        let effects = self.txn.load(now, partition, records, &image);
        self.apply_txn_effects(now, effects, out);
    }
}

/// The NOT_COORDINATOR version of a response (the coordinator moved while the request waited).
fn not_coordinator(response: TxnResponse) -> TxnResponse {
    let e = KafkaError::NotCoordinator;
    match response {
        TxnResponse::FindCoordinator(_) => TxnResponse::FindCoordinator(Err(KafkaError::CoordinatorNotAvailable)),
        TxnResponse::InitProducerId(_) => TxnResponse::InitProducerId(Err(e)),
        TxnResponse::AddPartitions(_) => TxnResponse::AddPartitions(Err(e)),
        TxnResponse::AddOffsets(_) => TxnResponse::AddOffsets(Err(e)),
        TxnResponse::EndTxn(_) => TxnResponse::EndTxn(Err(e)),
    }
}
