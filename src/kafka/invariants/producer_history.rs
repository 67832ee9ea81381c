//! What the guarantee ledger remembers of one producer's recent batches in one partition: enough to
//! see a record written out of its order, or written twice.
//!
//! A record's id (producer, sequence) is fixed when the producer makes it and survives every retry
//! and epoch bump, so "the same record at another offset" is a duplicate whatever the batch that
//! carried it was called on the wire.

use crate::kafka::record::{Record, RecordId};
use crate::kafka::world::event::ViolationKind;
use std::rc::Rc;

/// How many of a producer's batches per partition the ledger remembers. Kafka's brokers remember 5
/// per producer to recognise a retry (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`); a duplicate the
/// ledger should catch slipped past exactly that memory, so it keeps more.
const BATCHES_MAX: usize = 16;

/// A breach as the ledger collects it: its kind, the offset and the record.
pub(super) type Breached = (ViolationKind, u64, Option<RecordId>);

/// A batch as the partition's leader wrote it: its first `len` records are still in the log.
#[derive(Clone, Debug)]
struct Written {
    base_offset: u64,
    records: Rc<[Record]>,
    len: usize,
    /// The last record written for the first time, up to and including this batch (its own may all
    /// be copies).
    latest: Option<u64>,
}

impl Written {
    fn records(&self) -> &[Record] {
        &self.records[..self.len]
    }

    /// The offset this batch gave the record with `sequence`, if it carried that record.
    fn offset_of(&self, sequence: u64) -> Option<u64> {
        self.records().iter().position(|r| r.id.sequence == sequence).map(|i| self.base_offset + i as u64)
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct ProducerHistory {
    /// In offset order: appends come in offset order, so the last batch is the latest.
    /// A plain vector: it holds at most 16 batches, so dropping the oldest moves little.
    batches: Vec<Written>,
    /// One past the highest sequence ever remembered. In a run without faults every record comes
    /// after all the remembered ones, and the search for an earlier copy is skipped. (It is not
    /// lowered when batches are forgotten: that only costs a search.)
    sequences_below: u64,
}

impl ProducerHistory {
    /// Forgets what was written at or after `offset`: another leader writes from there, so it was
    /// (or will be) truncated away and is not the partition's history.
    pub(super) fn truncate(&mut self, offset: u64) {
        while let Some(last) = self.batches.last_mut() {
            if last.base_offset >= offset {
                self.batches.pop();
                continue;
            }
            let kept = usize::try_from(offset - last.base_offset).unwrap_or(usize::MAX);
            if kept < last.len {
                // Cut inside a batch (rare: logs are cut at batch boundaries): what is left of it is
                // remembered again, so its latest first write is read from those records alone.
                // What it broke was said when it was first written.
                let Written { base_offset, records, .. } = self.batches.pop().expect("the loop holds a last batch");
                self.remember(base_offset, &records, kept, false, &mut Vec::new());
            }
            break;
        }
    }

    /// The remembered batch that already holds the record with `sequence` at another offset than
    /// `offset`.
    fn original(&self, sequence: u64, offset: u64) -> Option<&Written> {
        if sequence >= self.sequences_below {
            return None;
        }
        self.batches.iter().find(|b| b.offset_of(sequence).is_some_and(|o| o != offset))
    }

    /// Remembers a batch written at `base_offset` and says what it broke, as (kind, offset, record)
    /// in `breaches`:
    /// - a record written for the first time right after one made later breaks the order (once
    ///   per step down: 10-14 then 5-9 is one breach, at 5);
    /// - a record already written at another offset is a duplicate, a breach only for an
    ///   idempotent producer (any other may write a retry twice). The copy is in order only right
    ///   behind its original, as a retry whose acknowledgement was lost is; after records first
    ///   written later it breaks the order too (once per run of copies).
    pub(super) fn append(&mut self, base_offset: u64, records: &Rc<[Record]>, idempotent: bool, breaches: &mut Vec<Breached>) {
        self.remember(base_offset, records, records.len(), idempotent, breaches);
    }

    /// [`Self::append`] for the first `len` of `records`.
    fn remember(&mut self, base_offset: u64, records: &Rc<[Record]>, len: usize, idempotent: bool, breaches: &mut Vec<Breached>) {
        let mut latest = self.batches.last().and_then(|b| b.latest);
        let mut copies_out_of_order = false;
        for (i, record) in records[..len].iter().enumerate() {
            let offset = base_offset + i as u64;
            let sequence = record.id.sequence;
            if let Some(original) = self.original(sequence, offset) {
                if idempotent {
                    breaches.push((ViolationKind::DuplicateRecord, offset, Some(record.id)));
                }
                if latest > original.latest && !copies_out_of_order {
                    copies_out_of_order = true;
                    breaches.push((ViolationKind::OrderBroken, offset, Some(record.id)));
                }
                continue;
            }
            copies_out_of_order = false;
            if latest.is_some_and(|l| sequence < l) {
                breaches.push((ViolationKind::OrderBroken, offset, Some(record.id)));
            }
            latest = Some(sequence);
            self.sequences_below = self.sequences_below.max(sequence + 1);
        }
        if self.batches.len() == BATCHES_MAX {
            self.batches.remove(0);
        }
        self.batches.push(Written { base_offset, records: records.clone(), len, latest });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::record::Value;

    /// Producer 0's records with these sequences, as one batch.
    fn batch(sequences: std::ops::RangeInclusive<u64>) -> Rc<[Record]> {
        sequences
            .map(|sequence| Record {
                id: RecordId { producer: 0, sequence },
                timestamp_ms: 0,
                key: None,
                value: Value::Null,
                headers: Rc::from([]),
                size_bytes: 0,
            })
            .collect()
    }

    /// What appending the batch broke, as (kind, offset).
    fn append(history: &mut ProducerHistory, base_offset: u64, records: &Rc<[Record]>, idempotent: bool) -> Vec<(ViolationKind, u64)> {
        let mut breaches = Vec::new();
        history.append(base_offset, records, idempotent, &mut breaches);
        breaches.iter().map(|(k, o, _)| (*k, *o)).collect()
    }

    #[test]
    fn batches_written_in_the_order_they_were_made_break_nothing() {
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=4), true).is_empty());
        assert!(append(&mut history, 5, &batch(5..=9), true).is_empty());
    }

    #[test]
    fn a_later_batch_landing_first_breaks_the_order_and_its_copy_behind_is_a_duplicate() {
        // The shape of Kafka's own reorder (an epoch bump writes the earlier batch behind the
        // later one, whose lost ack then sends it again): 10-14, then 5-9, then 10-14 again.
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=4), true).is_empty());
        assert!(append(&mut history, 5, &batch(10..=14), true).is_empty());
        assert_eq!(append(&mut history, 10, &batch(5..=9), true)[0], (ViolationKind::OrderBroken, 10));
        let again = append(&mut history, 15, &batch(10..=14), true);
        assert_eq!(again, (15..=19).map(|o| (ViolationKind::DuplicateRecord, o)).collect::<Vec<_>>(), "each copied record, and no order breach");
    }

    #[test]
    fn a_large_batch_written_twice_is_a_duplicate_from_its_first_record() {
        // A window of records (not batches) lost the first copy's head while it read the second.
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=99), true).is_empty());
        let again = append(&mut history, 100, &batch(0..=99), true);
        assert_eq!(again.len(), 100);
        assert_eq!(again[0], (ViolationKind::DuplicateRecord, 100));
    }

    #[test]
    fn a_retry_written_twice_by_a_producer_without_idempotence_is_allowed_and_not_a_reorder() {
        // max.in.flight.requests.per.connection=1 promises order, not exactly one copy.
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=4), false).is_empty());
        assert!(append(&mut history, 5, &batch(0..=4), false).is_empty());
        assert!(append(&mut history, 10, &batch(5..=9), false).is_empty());
    }

    #[test]
    fn a_retry_written_after_later_records_breaks_the_order_even_without_idempotence() {
        // One request in flight promises that a retry lands before anything sent after it.
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=4), false).is_empty());
        assert!(append(&mut history, 5, &batch(5..=9), false).is_empty());
        assert_eq!(append(&mut history, 10, &batch(0..=4), false), vec![(ViolationKind::OrderBroken, 10)], "once for the run of copies");
        let mut history = ProducerHistory::default();
        append(&mut history, 0, &batch(0..=4), true);
        append(&mut history, 5, &batch(5..=9), true);
        let again = append(&mut history, 10, &batch(0..=4), true);
        assert_eq!(again.iter().filter(|(k, _)| *k == ViolationKind::DuplicateRecord).count(), 5);
        assert_eq!(again.iter().filter(|(k, _)| *k == ViolationKind::OrderBroken).count(), 1);
    }

    #[test]
    fn a_batch_of_copies_does_not_hide_the_next_batchs_reorder() {
        // 0-4, 10-14, 0-4 again, then 5-9: 5-9 is first written after 10-14.
        let mut history = ProducerHistory::default();
        append(&mut history, 0, &batch(0..=4), false);
        append(&mut history, 5, &batch(10..=14), false);
        append(&mut history, 10, &batch(0..=4), false);
        assert_eq!(append(&mut history, 15, &batch(5..=9), false), vec![(ViolationKind::OrderBroken, 15)]);
    }

    #[test]
    fn a_batch_written_again_after_a_truncation_is_not_a_duplicate() {
        // A new leader truncated the old leader's tail at offset 5, and the producer's retry lands
        // there again: one copy in the partition's history.
        let mut history = ProducerHistory::default();
        assert!(append(&mut history, 0, &batch(0..=4), true).is_empty());
        assert!(append(&mut history, 5, &batch(5..=9), true).is_empty());
        history.truncate(5);
        assert!(append(&mut history, 5, &batch(5..=9), true).is_empty());
        // Truncating inside a batch keeps only its head.
        history.truncate(7);
        assert!(append(&mut history, 7, &batch(7..=9), true).is_empty());
    }

    #[test]
    fn the_ledger_forgets_batches_beyond_its_memory() {
        let mut history = ProducerHistory::default();
        for i in 0..BATCHES_MAX as u64 + 1 {
            assert!(append(&mut history, i, &batch(i..=i), true).is_empty());
        }
        // Batch 0 is forgotten, so its copy reads as a reorder (and pushes batch 1 out); batch 2 is
        // still remembered.
        assert_eq!(append(&mut history, 100, &batch(0..=0), true), vec![(ViolationKind::OrderBroken, 100)]);
        assert_eq!(append(&mut history, 101, &batch(2..=2), true), vec![(ViolationKind::DuplicateRecord, 101)]);
    }
}
