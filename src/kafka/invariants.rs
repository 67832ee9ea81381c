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
use std::collections::BTreeMap;
use std::rc::Rc;

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
    pub brokers: &'a BTreeMap<BrokerId, Broker>,
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

#[derive(Clone, Debug, Default)]
struct PartitionLedger {
    /// Acknowledged batches by base offset (pruned below the log start).
    acked: BTreeMap<u64, Rc<[Record]>>,
    /// Everything below this offset has been committed (the highest HW any leader reported).
    committed_end: u64,
    /// The committed batches, by base offset (pruned below the log start).
    committed: BTreeMap<u64, Rc<[Record]>>,
    /// Who appended as leader in each epoch.
    leader_of_epoch: BTreeMap<i32, BrokerId>,
    /// Each broker's last reported HW and the epoch it reported it in.
    last_hw: BTreeMap<BrokerId, (i32, u64)>,
    /// For producers that promise order: their recent records here, as (offset, sequence).
    recent: BTreeMap<u32, Vec<(u64, u64)>>,
}

/// How many of a producer's recent records per partition the order check remembers.
const RECENT_RECORDS_MAX: usize = 16;

#[derive(Clone, Debug, Default)]
pub struct Ledger {
    partitions: Vec<PartitionLedger>,
    /// Breaches so far, by kind.
    pub counts: BTreeMap<ViolationKind, u64>,
}

fn find_in(batches: &BTreeMap<u64, Rc<[Record]>>, offset: u64) -> Option<&Record> {
    let (base, records) = batches.range(..=offset).next_back()?;
    records.get((offset - base) as usize)
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
                let keep_from = |m: &mut BTreeMap<u64, Rc<[Record]>>| {
                    let drop: Vec<u64> = m.iter().filter(|(b, r)| *b + r.len() as u64 <= log_start_offset).map(|(b, _)| *b).collect();
                    for b in drop {
                        m.remove(&b);
                    }
                };
                keep_from(&mut ledger.acked);
                keep_from(&mut ledger.committed);
            }
            _ => {}
        }
        out
    }

    /// A producer learned its records are written at `base_offset`.
    pub fn on_acked(&mut self, partition: PartitionIndex, base_offset: u64, records: &Rc<[Record]>, state: &State<'_>) -> Vec<Breach> {
        let mut out = Vec::new();
        let n = records.len() as u64;
        // Already overwritten below the committed end, or missing from the leader that took over?
        let lost = {
            let ledger = self.partition(partition);
            let mismatch_committed = (0..n).map(|i| base_offset + i).find(|&o| {
                o < ledger.committed_end && find_in(&ledger.committed, o).is_some_and(|r| r.id != records[(o - base_offset) as usize].id)
            });
            mismatch_committed.or_else(|| match state.leader_log(partition) {
                // A leader only grows from its own appends: one without the record never gets it.
                Some((log, _, _)) => (0..n)
                    .map(|i| base_offset + i)
                    .find(|&o| o >= log.log_start_offset() && record_at(log, o).is_none_or(|r| r.id != records[(o - base_offset) as usize].id)),
                None => None,
            })
        };
        match lost {
            Some(offset) => {
                let record = records[(offset - base_offset) as usize].id;
                self.breach(&mut out, ViolationKind::AckedRecordLost, partition, offset, (base_offset + n - offset) as u32, Some(record));
            }
            None => {
                self.partition(partition).acked.insert(base_offset, records.clone());
            }
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
        let Some(log) = state.log(broker, partition) else { return };
        let Some(batch) = log.batch_at(base) else { return };
        let mut breaches = Vec::new();
        let mut replaced_acks = Vec::new();
        let ledger = self.partition(partition);
        for (offset, record) in batch.iter() {
            if offset < ledger.committed_end && find_in(&ledger.committed, offset).is_some_and(|r| r.id != record.id) {
                breaches.push((ViolationKind::OffsetReused, offset, Some(record.id)));
            }
            if let Some((&acked_base, acked)) = ledger.acked.range(..=offset).next_back()
                && let Some(old) = acked.get((offset - acked_base) as usize).filter(|r| r.id != record.id)
                && !replaced_acks.contains(&acked_base)
            {
                replaced_acks.push(acked_base);
                breaches.push((ViolationKind::AckedRecordLost, offset, Some(old.id)));
            }
            let producer = record.id.producer;
            let (ordered, idempotent) = state.promises(producer);
            if ordered {
                let recent = ledger.recent.entry(producer).or_default();
                if let Some(&(_, previous)) = recent.iter().max_by_key(|(o, _)| *o) {
                    if record.id.sequence < previous {
                        breaches.push((ViolationKind::OrderBroken, offset, Some(record.id)));
                    }
                }
                if idempotent && recent.iter().any(|&(o, s)| s == record.id.sequence && o != offset) {
                    breaches.push((ViolationKind::DuplicateRecord, offset, Some(record.id)));
                }
                recent.push((offset, record.id.sequence));
                if recent.len() > RECENT_RECORDS_MAX {
                    recent.remove(0);
                }
            }
        }
        // An acknowledged batch replaced here is reported once.
        let ledger = self.partition(partition);
        for acked_base in replaced_acks {
            ledger.acked.remove(&acked_base);
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
        // Newly committed batches become the partition's fixed history.
        let from = ledger.committed_end.max(log.log_start_offset());
        if let Ok(batches) = log.read(from, u64::MAX, hw) {
            for batch in batches {
                ledger.committed.insert(batch.base_offset, batch.records.clone());
            }
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
        for (base, offset, records, record) in lost {
            self.partition(partition).acked.remove(&base);
            self.breach(out, ViolationKind::AckedRecordLost, partition, offset, records, Some(record));
        }
        // Records this leader no longer has cannot be in anyone's order history.
        for recent in self.partition(partition).recent.values_mut() {
            recent.retain(|(o, _)| *o < leo);
        }
    }

    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }
}
