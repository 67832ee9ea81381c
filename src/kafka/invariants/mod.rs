//! The guarantee ledger: Kafka's promises, checked while the run goes, each broken promise tied to
//! the event that broke it.
//!
//! - an acknowledged record is never lost (with acks=all, min.insync.replicas and clean elections);
//! - consumers never read above the high watermark;
//! - a producer that promises order (idempotent, or one request in flight) keeps it per partition,
//!   and an idempotent one never writes a record twice;
//! - one leader per partition per leader epoch;
//! - a leader's high watermark never goes backwards;
//! - a committed offset (below the high watermark) always holds the same record.
//!
//! Like TigerBeetle's checkers, the ledger only reads the simulated state; it never changes it.

use crate::kafka::broker::Broker;
use crate::kafka::broker::replica::Role;
use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::kafka::log::Log;
use crate::kafka::producer::Producer;
use crate::kafka::record::{Record, RecordId};
use crate::kafka::world::event::{EventKind, ViolationKind};
use crate::sim::sorted::SortedMap;
use producer_history::ProducerHistory;
use crate::sim::chunked::ChunkedVec;
use std::rc::Rc;

mod producer_history;

/// A broken guarantee, before the world turns it into an event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Breach {
    pub kind: ViolationKind,
    pub partition: PartitionIndex,
    pub offset: u64,
    pub records: u32,
    pub record: Option<RecordId>,
}

/// What the ledger may read of the world.
pub struct State<'a> {
    pub brokers: &'a SortedMap<BrokerId, Broker>,
    pub producers: &'a [Producer],
}

impl State<'_> {
    /// The partition's current leader as the brokers see it: the one leading in the highest epoch.
    fn leader_log(&self, partition: PartitionIndex) -> Option<(&Log, BrokerId, i32)> {
        self.brokers
            .values()
            .filter(|b| b.up)
            .filter_map(|b| b.replicas.get(&partition).filter(|r| matches!(r.role, Role::Leader(_))).map(|r| (&r.log, b.id, r.leader_epoch)))
            .max_by_key(|(_, _, epoch)| *epoch)
    }

    /// The newest leader epoch any live replica of the partition knows.
    fn newest_leader_epoch(&self, partition: PartitionIndex) -> i32 {
        self.brokers.values().filter(|b| b.up).filter_map(|b| b.replicas.get(&partition)).map(|r| r.leader_epoch).max().unwrap_or(-1)
    }

    fn log(&self, broker: BrokerId, partition: PartitionIndex) -> Option<&Log> {
        self.brokers.get(&broker)?.replicas.get(&partition).map(|r| &r.log)
    }

    /// (promises order, is idempotent) for a producer.
    fn promises(&self, producer: u32) -> (bool, bool) {
        self.producers.get(producer as usize).map_or((false, false), |p| {
            let idempotent = p.config.enable_idempotence;
            (idempotent || p.config.max_in_flight_requests_per_connection == 1, idempotent)
        })
    }
}

/// The record at `offset` in `log`, if the log has it.
fn record_at(log: &Log, offset: u64) -> Option<&Record> {
    let batch = log.batch_at(offset)?;
    batch.records.get((offset - batch.base_offset) as usize)
}

/// A committed batch: its records and whether a producer was told they were written.
#[derive(Clone, Debug)]
struct CommittedBatch {
    base_offset: u64,
    records: Rc<[Record]>,
    acked: bool,
}

#[derive(Clone, Debug, Default)]
struct PartitionLedger {
    /// Acknowledged batches not yet committed, by base offset.
    /// A std B-tree: it can hold many entries and is drained from the front.
    acked: std::collections::BTreeMap<u64, Rc<[Record]>>,
    /// Everything below this offset has been committed (the highest HW any leader reported).
    committed_end: u64,
    /// The committed history in offset order (pruned below the log start). Chunked, so the lab's
    /// keyframes share it instead of each copying a long run's whole history.
    committed: ChunkedVec<CommittedBatch>,
    /// Who appended as leader in each epoch.
    leader_of_epoch: SortedMap<i32, BrokerId>,
    /// Each broker's last reported HW and the epoch it reported it in.
    last_hw: SortedMap<BrokerId, (i32, u64)>,
    /// For producers that promise order: their recent batches here.
    recent: SortedMap<u32, ProducerHistory>,
    /// The (broker, epoch) of the last leader append: when another leader (or a deposed one still
    /// appending) writes, what the previous one wrote from that offset on is not this log's history.
    last_appender: Option<(BrokerId, i32)>,
}

impl PartitionLedger {
    /// The committed batch holding `offset`.
    fn committed_at(&self, offset: u64) -> Option<(usize, &Record)> {
        // Most questions are about the newest committed batches (an ack follows its commit by a
        // round trip): gallop back from the end over 1, 2, 4, … batches, then binary-search the last
        // stride. A binary search over the whole history (thousands of batches, mostly cold in cache)
        // was the ledger's main cost. Base offsets strictly increase, so the answer is the same batch.
        let mut hi = self.committed.len(); // every batch at `hi` or after starts above `offset`
        let mut step = 1;
        let mut lo = loop {
            if hi == 0 {
                return None;
            }
            let probe = hi.saturating_sub(step);
            if self.base_offset_at(probe) <= offset {
                break probe;
            }
            hi = probe;
            step *= 2;
        };
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if self.base_offset_at(mid) <= offset {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        let i = lo;
        let batch = self.committed.get(i)?;
        batch.records.get((offset - batch.base_offset) as usize).map(|r| (i, r))
    }

    /// The base offset of the committed batch at `i` (below `committed.len()`, so it exists).
    fn base_offset_at(&self, i: usize) -> u64 {
        self.committed.get(i).map_or(u64::MAX, |b| b.base_offset)
    }
}

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    partitions: Vec<PartitionLedger>,
    /// Breaches so far, by kind.
    pub counts: SortedMap<ViolationKind, u64>,
}

impl Ledger {
    fn partition(&mut self, p: PartitionIndex) -> &mut PartitionLedger {
        if self.partitions.len() <= p.get() {
            self.partitions.resize_with(p.get() + 1, PartitionLedger::default);
        }
        &mut self.partitions[p.get()]
    }

    fn breach(&mut self, out: &mut Vec<Breach>, kind: ViolationKind, partition: PartitionIndex, offset: u64, records: u32, record: Option<RecordId>) {
        *self.counts.entry(kind).or_default() += 1;
        out.push(Breach { kind, partition, offset, records, record });
    }

    /// Checks one event against the guarantees.
    pub fn on_event(&mut self, event: &EventKind, state: &State<'_>) -> Vec<Breach> {
        let mut out = Vec::new();
        match *event {
            EventKind::Appended { broker, partition, base_offset, last_offset, leader_epoch, as_leader: true } => {
                self.on_leader_append(broker, partition, base_offset, last_offset, leader_epoch, state, &mut out);
            }
            EventKind::HighWatermark { broker, partition, offset } => self.on_high_watermark(broker, partition, offset, state, &mut out),
            EventKind::Polled { partition, last_offset, records, .. } => {
                if last_offset >= self.partition(partition).committed_end {
                    self.breach(&mut out, ViolationKind::ReadAboveHighWatermark, partition, last_offset, records, None);
                }
            }
            EventKind::BecameLeader { broker, partition, log_end_offset, .. } => self.on_became_leader(broker, partition, log_end_offset, state, &mut out),
            EventKind::SegmentDeleted { partition, log_start_offset, .. } => {
                // Retention removed what is below the log start: it can no longer be lost or reused.
                let ledger = self.partition(partition);
                while ledger.committed.first().is_some_and(|b| b.base_offset + b.records.len() as u64 <= log_start_offset) {
                    ledger.committed.pop_front();
                }
                while let Some(entry) = ledger.acked.first_entry() {
                    if *entry.key() + entry.get().len() as u64 > log_start_offset {
                        break;
                    }
                    entry.remove();
                }
            }
            _ => {}
        }
        out
    }

    /// A producer learned its records are written at `base_offset`.
    pub fn on_acked(&mut self, partition: PartitionIndex, base_offset: u64, records: &Rc<[Record]>, state: &State<'_>) -> Vec<Breach> {
        let mut out = Vec::new();
        let Some(first) = records.first() else { return out };
        let n = records.len() as u64;
        let ledger = self.partition(partition);
        // Usually (acks=all) the batch is committed by the time the producer hears of it.
        if base_offset < ledger.committed_end {
            match ledger.committed_at(base_offset) {
                Some((i, r)) if r.id == first.id => {
                    if let Some(batch) = ledger.committed.get_mut(i) {
                        batch.acked = true;
                    }
                    return out;
                }
                // Below the log start already: retention took it, which is not a loss.
                None => return out,
                // The offset was committed with another record, which an unclean election then lost
                // (reported then, with the reuse of its offset): this record was written there after
                // it, so the leader's log, below, says whether it is still there.
                Some(_) => {}
            }
        }
        // Not committed yet: it must still be in the current leader's log. A leader only grows from
        // its own appends, so one without the record never gets it.
        let lost = state.leader_log(partition).is_some_and(|(log, _, _)| {
            base_offset >= log.log_start_offset()
                && log.batch_at(base_offset).is_none_or(|b| b.records.get((base_offset - b.base_offset) as usize).is_none_or(|r| r.id != first.id))
        });
        if lost {
            self.breach(&mut out, ViolationKind::AckedRecordLost, partition, base_offset, n as u32, Some(first.id));
        } else {
            self.partition(partition).acked.insert(base_offset, records.clone());
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn on_leader_append(&mut self, broker: BrokerId, partition: PartitionIndex, base: u64, last: u64, epoch: i32, state: &State<'_>, out: &mut Vec<Breach>) {
        let ledger = self.partition(partition);
        let leader = *ledger.leader_of_epoch.entry(epoch).or_insert(broker);
        if leader != broker {
            self.breach(out, ViolationKind::TwoLeadersOneEpoch, partition, base, (last - base + 1) as u32, None);
        }
        // A leader the controller already replaced (cut off, it has not heard yet) appends to a tail
        // it will truncate once it learns of the newer epoch: nobody reads or acknowledges those
        // records (its HW cannot move), so they are not the partition's history.
        if state.newest_leader_epoch(partition) > epoch {
            return;
        }
        let Some(log) = state.log(broker, partition) else { return };
        let Some(batch) = log.batch_at(base) else { return };
        let mut breaches = Vec::new();
        let ledger = self.partition(partition);
        // A committed offset written again (only possible after an unclean election).
        if base < ledger.committed_end {
            for (offset, record) in batch.iter().take_while(|(o, _)| *o < ledger.committed_end) {
                if ledger.committed_at(offset).is_some_and(|(_, r)| r.id != record.id) {
                    breaches.push((ViolationKind::OffsetReused, offset, Some(record.id)));
                }
            }
        }
        // An acknowledged, uncommitted batch overwritten by a new leader's append.
        let overlapping: Vec<u64> = ledger.acked.range(..=last).rev().take_while(|(b, r)| **b + r.len() as u64 > base).map(|(b, _)| *b).collect();
        for acked_base in overlapping {
            let acked = &ledger.acked[&acked_base];
            let replaced = batch.iter().find(|(o, rec)| *o >= acked_base && acked.get((*o - acked_base) as usize).is_some_and(|a| a.id != rec.id));
            if let Some((offset, _)) = replaced {
                breaches.push((ViolationKind::AckedRecordLost, offset, Some(acked[(offset - acked_base) as usize].id)));
                ledger.acked.remove(&acked_base);
            }
        }
        // A different appender writes at `base`: records the previous one put at or after `base`
        // are not this log's history (they were, or will be, truncated away).
        if ledger.last_appender != Some((broker, epoch)) {
            ledger.last_appender = Some((broker, epoch));
            for history in ledger.recent.values_mut() {
                history.truncate(base);
            }
        }
        // A batch comes from one producer: look up its promises and history once.
        let producer = batch.records.first().map(|r| r.id.producer);
        let (ordered, idempotent) = producer.map_or((false, false), |p| state.promises(p));
        if let (true, Some(producer)) = (ordered, producer) {
            let history = ledger.recent.entry(producer).or_default();
            history.append(batch.base_offset, &batch.records, idempotent, &mut breaches);
        }
        for (kind, offset, record) in breaches {
            self.breach(out, kind, partition, offset, 1, record);
        }
    }

    fn on_high_watermark(&mut self, broker: BrokerId, partition: PartitionIndex, hw: u64, state: &State<'_>, out: &mut Vec<Breach>) {
        let epoch = state.brokers.get(&broker).and_then(|b| b.replicas.get(&partition)).map_or(-1, |r| r.leader_epoch);
        let previous = self.partition(partition).last_hw.insert(broker, (epoch, hw));
        if let Some((e, h)) = previous
            && e == epoch
            && hw < h
        {
            self.breach(out, ViolationKind::HighWatermarkBackwards, partition, hw, 0, None);
        }
        let ledger = self.partition(partition);
        if hw <= ledger.committed_end {
            return;
        }
        let Some(log) = state.log(broker, partition) else { return };
        // Newly committed batches become the partition's fixed history; acks that came before the
        // commit move with them.
        let from = ledger.committed_end.max(log.log_start_offset());
        for batch in log.batches_from(from).take_while(|b| b.next_offset() <= hw) {
            if ledger.committed.last().is_some_and(|c| c.base_offset >= batch.base_offset) {
                continue;
            }
            let acked = ledger.acked.remove(&batch.base_offset).is_some_and(|a| a.first().map(|r| r.id) == batch.records.first().map(|r| r.id));
            ledger.committed.push(CommittedBatch { base_offset: batch.base_offset, records: batch.records.clone(), acked });
        }
        ledger.committed_end = hw;
    }

    fn on_became_leader(&mut self, broker: BrokerId, partition: PartitionIndex, leo: u64, state: &State<'_>, out: &mut Vec<Breach>) {
        let Some(log) = state.log(broker, partition) else { return };
        let ledger = self.partition(partition);
        // Acknowledged records the new leader lacks (or holds differently) are gone for good.
        let mut lost = Vec::new();
        for (&base, records) in &ledger.acked {
            for (i, record) in records.iter().enumerate() {
                let offset = base + i as u64;
                if offset < log.log_start_offset() {
                    continue;
                }
                let has = offset < leo && record_at(log, offset).is_some_and(|r| r.id == record.id);
                if !has {
                    lost.push((base, offset, (records.len() - i) as u32, record.id));
                    break;
                }
            }
        }
        // After an unclean election even committed, acknowledged records can be missing.
        let ledger = self.partition(partition);
        if leo < ledger.committed_end {
            let from = ledger.committed.partition_point(|b| b.base_offset + b.records.len() as u64 <= leo);
            for batch in ledger.committed.iter_from(from).filter(|b| b.acked) {
                let first_missing = batch.records.iter().enumerate().find(|(i, r)| {
                    let offset = batch.base_offset + *i as u64;
                    offset >= log.log_start_offset() && !(offset < leo && record_at(log, offset).is_some_and(|x| x.id == r.id))
                });
                if let Some((i, r)) = first_missing {
                    lost.push((u64::MAX, batch.base_offset + i as u64, (batch.records.len() - i) as u32, r.id));
                }
            }
        }
        for (base, offset, records, record) in lost {
            self.partition(partition).acked.remove(&base);
            self.breach(out, ViolationKind::AckedRecordLost, partition, offset, records, Some(record));
        }
        // Records this leader no longer has cannot be in anyone's order history.
        for history in self.partition(partition).recent.values_mut() {
            history.truncate(leo);
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}
