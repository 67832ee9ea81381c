//! The transaction coordinator (Kafka's `TransactionCoordinator`), on the broker that leads the
//! `transactional.id`'s `__transaction_state` partition.
//!
//! InitProducerId gives the id its producer id and bumps the epoch (fencing an older instance, and
//! aborting its open transaction). AddPartitionsToTxn records what a transaction touches. EndTxn
//! persists PrepareCommit or PrepareAbort, answers, then writes a marker into every partition of the
//! transaction; once all are written the transaction is complete. Read_committed consumers see a
//! transaction's records only after its commit marker.

use crate::kafka::ids::{BrokerId, Node, PartitionIndex};
use crate::kafka::java::string_hash_code;
use crate::kafka::metadata::MetadataImage;
use crate::kafka::protocol::{KafkaError, TxnRequest, TxnResponse};
use crate::kafka::world::event::EventKind;
use crate::sim::Tick;
use serde::{Deserialize, Serialize};
use crate::sim::sorted::{SortedMap, SortedSet};
use std::rc::Rc;

pub const TRANSACTION_STATE_TOPIC: &str = "__transaction_state";

/// Kafka's `partitionFor` for a transactional id: `Utils.abs(id.hashCode()) % partitions`.
pub fn partition_for(transactional_id: &str, partitions: u32) -> u32 {
    let hash = string_hash_code(transactional_id);
    let abs = if hash == i32::MIN { 0 } else { hash.unsigned_abs() };
    abs % partitions.max(1)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TxnState {
    Empty,
    Ongoing,
    PrepareCommit,
    PrepareAbort,
    CompleteCommit,
    CompleteAbort,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxnMetadata {
    pub transactional_id: Rc<str>,
    /// The `__transaction_state` partition holding it.
    pub partition: PartitionIndex,
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub state: TxnState,
    pub partitions: SortedSet<PartitionIndex>,
    pub timeout_ms: u64,
    pub started_at: Tick,
    /// Markers not yet confirmed, per partition.
    pub markers_pending: SortedSet<PartitionIndex>,
    /// An InitProducerId waiting for an aborted transaction to finish: answered with
    /// CONCURRENT_TRANSACTIONS so the producer retries.
    pub producer: Option<u32>,
}

/// The record written to `__transaction_state`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxnRecord {
    pub producer_id: i64,
    pub producer_epoch: i16,
    pub state: TxnState,
    pub partitions: Vec<u32>,
    pub timeout_ms: u64,
}

#[derive(Clone, Debug)]
pub enum TxnEffect {
    Reply { to: Node, request_id: u64, transactional_id: Rc<str>, response: TxnResponse },
    Persist { partition: PartitionIndex, key: String, value: String },
    /// Write the markers for `partitions` (all led by `leader`).
    WriteMarkers { transactional_id: Rc<str>, leader: BrokerId, producer_id: i64, producer_epoch: i16, commit: bool, partitions: Vec<PartitionIndex> },
    Event(EventKind),
}

#[derive(Clone, Debug)]
pub struct TxnCoordinator {
    pub broker: BrokerId,
    pub led: SortedSet<PartitionIndex>,
    pub transactions: SortedMap<Rc<str>, TxnMetadata>,
    /// Marker requests in flight: request id → (transactional id, partitions, when given up).
    pub markers_in_flight: SortedMap<u64, (Rc<str>, Vec<PartitionIndex>, Tick)>,
    max_timeout_ms: u64,
    /// When the broker process started: the timed-out transaction check runs every
    /// [`ABORT_CHECK_INTERVAL_MS`] from then.
    pub started_at: Tick,
}

/// `transaction.abort.timed.out.transaction.cleanup.interval.ms` (Kafka's default): the coordinator
/// looks for transactions open longer than their timeout every 10 s from its start, not at the moment
/// one expires, so an abandoned transaction is aborted up to 10 s after its timeout.
pub const ABORT_CHECK_INTERVAL_MS: u64 = 10_000;

impl TxnCoordinator {
    pub fn new(broker: BrokerId, max_timeout_ms: u64) -> TxnCoordinator {
        TxnCoordinator {
            broker,
            led: SortedSet::new(),
            transactions: SortedMap::new(),
            markers_in_flight: SortedMap::new(),
            max_timeout_ms,
            started_at: Tick::ZERO,
        }
    }

    /// The first scheduled timed-out transaction check after `now`.
    pub fn next_abort_check(&self, now: Tick) -> Tick {
        let checks_done = now.since(self.started_at) / ABORT_CHECK_INTERVAL_MS;
        self.started_at.plus_ms((checks_done + 1) * ABORT_CHECK_INTERVAL_MS)
    }

    /// Whether `now` is one of the scheduled timed-out transaction checks.
    fn is_abort_check(&self, now: Tick) -> bool {
        now > self.started_at && now.since(self.started_at).is_multiple_of(ABORT_CHECK_INTERVAL_MS)
    }

    /// Markers are still to be written (they are sent again each second until they are).
    pub fn has_markers_work(&self) -> bool {
        !self.markers_in_flight.is_empty() || self.transactions.values().any(|m| matches!(m.state, TxnState::PrepareCommit | TxnState::PrepareAbort))
    }

    fn record(meta: &TxnMetadata) -> (String, String) {
        let record = TxnRecord {
            producer_id: meta.producer_id,
            producer_epoch: meta.producer_epoch,
            state: meta.state,
            partitions: meta.partitions.iter().map(|p| p.0).collect(),
            timeout_ms: meta.timeout_ms,
        };
        // Plain numbers and an enum: serialization cannot fail.
        (format!("txn/{}", meta.transactional_id), serde_json::to_string(&record).expect("a transaction record serializes"))
    }

    fn persist(meta: &TxnMetadata, fx: &mut Vec<TxnEffect>) {
        let (key, value) = Self::record(meta);
        fx.push(TxnEffect::Persist { partition: meta.partition, key, value });
    }

    /// Handles one request; `allocate_producer_id` hands out a new producer id.
    #[allow(clippy::too_many_arguments)]
    pub fn handle(
        &mut self,
        now: Tick,
        from: Node,
        request_id: u64,
        transactional_id: Rc<str>,
        partition: PartitionIndex,
        request: TxnRequest,
        image: &MetadataImage,
        allocate_producer_id: &mut dyn FnMut() -> i64,
    ) -> Vec<TxnEffect> {
        let mut fx = Vec::new();
        let reply = |fx: &mut Vec<TxnEffect>, response| fx.push(TxnEffect::Reply { to: from, request_id, transactional_id: transactional_id.clone(), response });
        if !self.led.contains(&partition) {
            let e = KafkaError::NotCoordinator;
            let response = match request {
                TxnRequest::FindCoordinator => TxnResponse::FindCoordinator(Err(KafkaError::CoordinatorNotAvailable)),
                TxnRequest::InitProducerId { .. } => TxnResponse::InitProducerId(Err(e)),
                TxnRequest::AddPartitions { .. } => TxnResponse::AddPartitions(Err(e)),
                TxnRequest::AddOffsets { .. } => TxnResponse::AddOffsets(Err(e)),
                TxnRequest::EndTxn { .. } => TxnResponse::EndTxn(Err(e)),
            };
            reply(&mut fx, response);
            return fx;
        }
        let producer = match from {
            Node::Producer(p) => Some(p),
            _ => None,
        };
        match request {
            TxnRequest::FindCoordinator => reply(&mut fx, TxnResponse::FindCoordinator(Ok(self.broker))),
            TxnRequest::InitProducerId { timeout_ms } => {
                let timeout_ms = timeout_ms.min(self.max_timeout_ms);
                match self.transactions.get_mut(&transactional_id) {
                    None => {
                        let meta = TxnMetadata {
                            transactional_id: transactional_id.clone(),
                            partition,
                            producer_id: allocate_producer_id(),
                            producer_epoch: 0,
                            state: TxnState::Empty,
                            partitions: SortedSet::new(),
                            timeout_ms,
                            started_at: now,
                            markers_pending: SortedSet::new(),
                            producer,
                        };
                        Self::persist(&meta, &mut fx);
                        reply(&mut fx, TxnResponse::InitProducerId(Ok((meta.producer_id, meta.producer_epoch))));
                        self.transactions.insert(transactional_id.clone(), meta);
                    }
                    Some(meta) => match meta.state {
                        // An earlier instance's transaction is still open: fence it (new epoch) and
                        // abort it; the new instance retries until the abort is complete.
                        TxnState::Ongoing => {
                            meta.producer_epoch += 1;
                            meta.producer = producer;
                            self.begin_end(now, &transactional_id, false, image, &mut fx);
                            reply(&mut fx, TxnResponse::InitProducerId(Err(KafkaError::ConcurrentTransactions)));
                        }
                        TxnState::PrepareCommit | TxnState::PrepareAbort => {
                            reply(&mut fx, TxnResponse::InitProducerId(Err(KafkaError::ConcurrentTransactions)));
                        }
                        _ => {
                            meta.producer_epoch += 1;
                            meta.timeout_ms = timeout_ms;
                            meta.producer = producer;
                            meta.state = TxnState::Empty;
                            meta.partitions.clear();
                            Self::persist(meta, &mut fx);
                            reply(&mut fx, TxnResponse::InitProducerId(Ok((meta.producer_id, meta.producer_epoch))));
                        }
                    },
                }
            }
            TxnRequest::AddPartitions { producer_id, producer_epoch, partitions } => {
                let result = self.add(now, &transactional_id, producer_id, producer_epoch, partitions, &mut fx);
                reply(&mut fx, TxnResponse::AddPartitions(result));
            }
            TxnRequest::AddOffsets { producer_id, producer_epoch, group } => {
                // The group's offsets partition joins the transaction, so it gets the marker too.
                let offsets = image.topic_index(crate::kafka::group::coordinator::OFFSETS_TOPIC).and_then(|t| {
                    let count = image.topics[t.get()].partitions.len() as u32;
                    image.partition_of(t, crate::kafka::group::coordinator::partition_for(&group, count))
                });
                let result = match offsets {
                    Some(p) => self.add(now, &transactional_id, producer_id, producer_epoch, vec![p], &mut fx),
                    None => Err(KafkaError::CoordinatorNotAvailable),
                };
                reply(&mut fx, TxnResponse::AddOffsets(result));
            }
            TxnRequest::EndTxn { producer_id, producer_epoch, commit } => {
                let result = match self.transactions.get(&transactional_id) {
                    None => Err(KafkaError::InvalidProducerIdMapping),
                    Some(meta) if meta.producer_id != producer_id || meta.producer_epoch != producer_epoch => Err(KafkaError::ProducerFenced),
                    Some(meta) if meta.state == TxnState::Ongoing => Ok(()),
                    // A retried EndTxn for the transaction that just ended: already done.
                    Some(meta) if (meta.state == TxnState::CompleteCommit && commit) || (meta.state == TxnState::CompleteAbort && !commit) => {
                        reply(&mut fx, TxnResponse::EndTxn(Ok(())));
                        return fx;
                    }
                    Some(meta) if matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort) => Err(KafkaError::ConcurrentTransactions),
                    Some(_) => Err(KafkaError::InvalidTxnState),
                };
                if result.is_ok() {
                    self.begin_end(now, &transactional_id, commit, image, &mut fx);
                }
                reply(&mut fx, TxnResponse::EndTxn(result));
            }
        }
        fx
    }

    fn add(&mut self, now: Tick, id: &Rc<str>, producer_id: i64, producer_epoch: i16, partitions: Vec<PartitionIndex>, fx: &mut Vec<TxnEffect>) -> Result<(), KafkaError> {
        // No transaction for this id (Kafka's TransactionCoordinator answers so when its state was lost).
        let Some(meta) = self.transactions.get_mut(id) else { return Err(KafkaError::InvalidProducerIdMapping) };
        if meta.producer_id != producer_id || meta.producer_epoch != producer_epoch {
            return Err(KafkaError::ProducerFenced);
        }
        match meta.state {
            TxnState::PrepareCommit | TxnState::PrepareAbort => return Err(KafkaError::ConcurrentTransactions),
            TxnState::Ongoing => {}
            _ => {
                meta.state = TxnState::Ongoing;
                meta.started_at = now;
                meta.partitions.clear();
                fx.push(TxnEffect::Event(EventKind::TransactionStateChanged { transactional_id: id.clone(), producer: meta.producer, state: TxnState::Ongoing }));
            }
        }
        meta.partitions.extend(partitions);
        Self::persist(meta, fx);
        Ok(())
    }

    /// Moves the transaction to PrepareCommit or PrepareAbort and sends the markers.
    fn begin_end(&mut self, _now: Tick, id: &Rc<str>, commit: bool, image: &MetadataImage, fx: &mut Vec<TxnEffect>) {
        let Some(meta) = self.transactions.get_mut(id) else { return };
        meta.state = if commit { TxnState::PrepareCommit } else { TxnState::PrepareAbort };
        fx.push(TxnEffect::Event(EventKind::TransactionStateChanged { transactional_id: id.clone(), producer: meta.producer, state: meta.state }));
        Self::persist(meta, fx);
        meta.markers_pending = meta.partitions.clone();
        if meta.markers_pending.is_empty() {
            Self::complete(meta, fx);
            return;
        }
        Self::send_markers(meta, image, fx);
    }

    fn send_markers(meta: &TxnMetadata, image: &MetadataImage, fx: &mut Vec<TxnEffect>) {
        let commit = meta.state == TxnState::PrepareCommit;
        let mut by_leader: SortedMap<BrokerId, Vec<PartitionIndex>> = SortedMap::new();
        for p in &meta.markers_pending {
            if let Some(leader) = image.partitions.get(p.get()).and_then(|x| x.leader) {
                by_leader.entry(leader).or_default().push(*p);
            }
        }
        for (leader, partitions) in by_leader {
            fx.push(TxnEffect::WriteMarkers { transactional_id: meta.transactional_id.clone(), leader, producer_id: meta.producer_id, producer_epoch: meta.producer_epoch, commit, partitions });
        }
    }

    fn complete(meta: &mut TxnMetadata, fx: &mut Vec<TxnEffect>) {
        meta.state = if meta.state == TxnState::PrepareCommit { TxnState::CompleteCommit } else { TxnState::CompleteAbort };
        fx.push(TxnEffect::Event(EventKind::TransactionStateChanged { transactional_id: meta.transactional_id.clone(), producer: meta.producer, state: meta.state }));
        Self::persist(meta, fx);
        meta.partitions.clear();
    }

    /// A leader answered a marker request.
    pub fn on_markers_written(&mut self, request_id: u64, results: &[(PartitionIndex, Result<(), KafkaError>)]) -> Vec<TxnEffect> {
        let mut fx = Vec::new();
        let Some((id, _, _)) = self.markers_in_flight.remove(&request_id) else { return fx };
        let Some(meta) = self.transactions.get_mut(&id) else { return fx };
        for (p, result) in results {
            if result.is_ok() {
                meta.markers_pending.remove(p);
            }
        }
        if meta.markers_pending.is_empty() && matches!(meta.state, TxnState::PrepareCommit | TxnState::PrepareAbort) {
            Self::complete(meta, &mut fx);
        }
        fx
    }

    /// Re-sends markers still pending (a leader moved or a request was lost), and, at a scheduled check
    /// ([`ABORT_CHECK_INTERVAL_MS`]), aborts transactions open longer than their `transaction.timeout.ms`.
    pub fn tick(&mut self, now: Tick, image: &MetadataImage) -> Vec<TxnEffect> {
        let abort_check = self.is_abort_check(now);
        let mut fx = Vec::new();
        // A marker request lost on the way (or to a leader that died) is sent again.
        self.markers_in_flight.retain(|_, (_, _, deadline)| *deadline > now);
        let ids: Vec<Rc<str>> = self.transactions.keys().cloned().collect();
        for id in ids {
            let Some(meta) = self.transactions.get_mut(&id) else { continue };
            match meta.state {
                TxnState::Ongoing if abort_check && now.since(meta.started_at) > meta.timeout_ms => {
                    // Kafka fences the timed-out producer by bumping the epoch, then aborts.
                    meta.producer_epoch += 1;
                    self.begin_end(now, &id, false, image, &mut fx);
                }
                TxnState::PrepareCommit | TxnState::PrepareAbort if !meta.markers_pending.is_empty() => {
                    let in_flight: SortedSet<PartitionIndex> = self.markers_in_flight.values().filter(|(t, _, _)| *t == id).flat_map(|(_, ps, _)| ps.iter().copied()).collect();
                    if in_flight.is_empty() {
                        Self::send_markers(meta, image, &mut fx);
                    }
                }
                _ => {}
            }
        }
        fx
    }

    /// Loads the transactions of `partition` from its records ((key, value) in log order).
    pub fn load(&mut self, now: Tick, partition: PartitionIndex, records: Vec<(Rc<str>, Rc<str>)>, image: &MetadataImage) -> Vec<TxnEffect> {
        self.led.insert(partition);
        let mut latest: SortedMap<Rc<str>, TxnRecord> = SortedMap::new();
        for (key, value) in records {
            if let Some(id) = key.strip_prefix("txn/")
                && let Ok(record) = serde_json::from_str::<TxnRecord>(&value)
            {
                latest.insert(Rc::from(id), record);
            }
        }
        let mut fx = Vec::new();
        for (id, record) in latest {
            let meta = TxnMetadata {
                transactional_id: id.clone(),
                partition,
                producer_id: record.producer_id,
                producer_epoch: record.producer_epoch,
                state: record.state,
                partitions: record.partitions.iter().map(|p| PartitionIndex(*p)).collect(),
                timeout_ms: record.timeout_ms,
                started_at: now,
                markers_pending: if matches!(record.state, TxnState::PrepareCommit | TxnState::PrepareAbort) {
                    record.partitions.iter().map(|p| PartitionIndex(*p)).collect()
                } else {
                    SortedSet::new()
                },
                producer: None,
            };
            // A transaction caught mid-commit is finished by its new coordinator.
            if !meta.markers_pending.is_empty() {
                Self::send_markers(&meta, image, &mut fx);
            }
            self.transactions.insert(id, meta);
        }
        fx
    }

    pub fn unload(&mut self, partition: PartitionIndex) {
        self.led.remove(&partition);
        self.transactions.retain(|_, m| m.partition != partition);
        let transactions = &self.transactions;
        self.markers_in_flight.retain(|_, (id, _, _)| transactions.contains_key(id));
    }

    pub fn has_work(&self) -> bool {
        self.transactions.values().any(|m| matches!(m.state, TxnState::Ongoing | TxnState::PrepareCommit | TxnState::PrepareAbort))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::TopicConfig;
    use crate::kafka::ids::TopicIndex;
    use crate::kafka::metadata::MetadataRecord;

    /// Topic "orders" with partitions 0 and 1 led by brokers 1 and 2 (indexes 0 and 1).
    fn image() -> MetadataImage {
        let mut image = MetadataImage::default();
        image.apply(&MetadataRecord::CreateTopic { name: Rc::from("orders"), config: Rc::new(TopicConfig::default()) });
        image.apply(&MetadataRecord::CreatePartitions { topic: TopicIndex(0), assignments: vec![vec![BrokerId(1)], vec![BrokerId(2)]] });
        for (p, leader) in [(0, 1), (1, 2)] {
            image.apply(&MetadataRecord::PartitionChange {
                partition: PartitionIndex(p),
                leader: Some(BrokerId(leader)),
                isr: vec![BrokerId(leader)],
                leader_epoch: 0,
                partition_epoch: 0,
                recovering: false,
                reason: crate::kafka::metadata::ChangeReason::Created,
            });
        }
        image
    }

    const STATE: PartitionIndex = PartitionIndex(9);

    fn coordinator() -> TxnCoordinator {
        let mut c = TxnCoordinator::new(BrokerId(1), 900_000);
        c.led.insert(STATE);
        c
    }

    fn call(c: &mut TxnCoordinator, now: u64, request: TxnRequest) -> Vec<TxnEffect> {
        let mut next = 100;
        c.handle(Tick(now), Node::Producer(0), 1, Rc::from("tx"), STATE, request, &image(), &mut || {
            next += 1;
            next
        })
    }

    fn reply(fx: &[TxnEffect]) -> Option<&TxnResponse> {
        fx.iter().find_map(|e| match e {
            TxnEffect::Reply { response, .. } => Some(response),
            _ => None,
        })
    }

    #[test]
    fn a_second_instance_gets_the_same_producer_id_with_a_higher_epoch() {
        let mut c = coordinator();
        let first = call(&mut c, 0, TxnRequest::InitProducerId { timeout_ms: 60_000 });
        assert_eq!(reply(&first), Some(&TxnResponse::InitProducerId(Ok((101, 0)))));
        let second = call(&mut c, 10, TxnRequest::InitProducerId { timeout_ms: 60_000 });
        assert_eq!(reply(&second), Some(&TxnResponse::InitProducerId(Ok((101, 1)))), "the epoch bump fences the first instance");
        let stale = call(&mut c, 20, TxnRequest::AddPartitions { producer_id: 101, producer_epoch: 0, partitions: vec![PartitionIndex(0)] });
        assert_eq!(reply(&stale), Some(&TxnResponse::AddPartitions(Err(KafkaError::ProducerFenced))));
    }

    #[test]
    fn commit_prepares_then_writes_a_marker_to_each_partition_leader_and_completes_when_all_are_written() {
        let mut c = coordinator();
        call(&mut c, 0, TxnRequest::InitProducerId { timeout_ms: 60_000 });
        call(&mut c, 1, TxnRequest::AddPartitions { producer_id: 101, producer_epoch: 0, partitions: vec![PartitionIndex(0), PartitionIndex(1)] });
        let end = call(&mut c, 2, TxnRequest::EndTxn { producer_id: 101, producer_epoch: 0, commit: true });
        assert_eq!(c.transactions["tx"].state, TxnState::PrepareCommit);
        let leaders: Vec<BrokerId> = end.iter().filter_map(|e| if let TxnEffect::WriteMarkers { leader, commit: true, .. } = e { Some(*leader) } else { None }).collect();
        assert_eq!(leaders, vec![BrokerId(1), BrokerId(2)]);
        c.markers_in_flight.insert(7, (Rc::from("tx"), vec![PartitionIndex(0)], Tick(30_000)));
        c.markers_in_flight.insert(8, (Rc::from("tx"), vec![PartitionIndex(1)], Tick(30_000)));
        c.on_markers_written(7, &[(PartitionIndex(0), Ok(()))]);
        assert_eq!(c.transactions["tx"].state, TxnState::PrepareCommit, "one marker is still missing");
        c.on_markers_written(8, &[(PartitionIndex(1), Ok(()))]);
        assert_eq!(c.transactions["tx"].state, TxnState::CompleteCommit);
    }

    #[test]
    fn a_transaction_open_longer_than_its_timeout_is_aborted_and_its_producer_fenced() {
        let mut c = coordinator();
        call(&mut c, 0, TxnRequest::InitProducerId { timeout_ms: 1_000 });
        call(&mut c, 10, TxnRequest::AddPartitions { producer_id: 101, producer_epoch: 0, partitions: vec![PartitionIndex(0)] });
        assert!(c.tick(Tick(900), &image()).is_empty());
        // Expired at 1,010 ms, but the coordinator looks only every 10 s
        // (transaction.abort.timed.out.transaction.cleanup.interval.ms).
        assert!(c.tick(Tick(1_500), &image()).is_empty());
        assert_eq!(c.next_abort_check(Tick(1_500)), Tick(10_000));
        c.tick(Tick(10_000), &image());
        let meta = &c.transactions["tx"];
        assert_eq!((meta.state, meta.producer_epoch), (TxnState::PrepareAbort, 1));
    }

    #[test]
    fn a_new_coordinator_finishes_a_commit_its_predecessor_had_prepared() {
        let record = TxnRecord { producer_id: 101, producer_epoch: 0, state: TxnState::PrepareCommit, partitions: vec![0, 1], timeout_ms: 60_000 };
        let records = vec![(Rc::from("txn/tx"), Rc::from(serde_json::to_string(&record).unwrap().as_str()))];
        let mut c = TxnCoordinator::new(BrokerId(2), 900_000);
        let fx = c.load(Tick(0), STATE, records, &image());
        let markers = fx.iter().filter(|e| matches!(e, TxnEffect::WriteMarkers { commit: true, .. })).count();
        assert_eq!(markers, 2, "the commit is decided: the new coordinator writes the markers");
    }

    #[test]
    fn transactional_ids_map_to_partitions_like_kafka() {
        // Utils.abs("my-txn".hashCode()) % 50
        assert_eq!(partition_for("my-txn", 50), ("my-txn".chars().fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(c as i32)).unsigned_abs() % 50));
    }
}
