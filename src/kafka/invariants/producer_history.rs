//! What the guarantee ledger remembers of one producer's recent batches in one partition: enough to
//! see a record written out of its order, or written twice.
//!
//! A record's id (producer, sequence) is fixed when the producer makes it and survives every retry
//! and epoch bump, so "the same record at another offset" is a duplicate whatever the batch that
//! carried it was called on the wire.

use crate::kafka::record::{Record, RecordId};
use crate::kafka::world::event::ViolationKind;
use std::collections::VecDeque;
use std::rc::Rc;

/// How many of a producer's batches per partition the ledger remembers. Kafka's brokers remember 5
/// per producer to recognise a retry (`ProducerStateEntry.NUM_BATCHES_TO_RETAIN`); a duplicate the
/// ledger should catch slipped past exactly that memory, so it keeps more.
const BATCHES_MAX: usize = 16;

/// A batch as the partition's leader wrote it.
#[derive(Clone, Debug)]
struct Written {
    base_offset: u64,
    records: Rc<[Record]>,
}

impl Written {
    /// The offset this batch gave the record with `sequence`, if it carried that record.
    fn offset_of(&self, sequence: u64) -> Option<u64> {
        let (first, last) = (self.records.first()?.id.sequence, self.records.last()?.id.sequence);
        if sequence < first || sequence > last {
            return None;
        }
        self.records.iter().position(|r| r.id.sequence == sequence).map(|i| self.base_offset + i as u64)
    }
}

#[derive(Clone, Debug, Default)]
pub(super) struct ProducerHistory {
    /// In offset order: appends come in offset order, so the last batch is the latest.
    batches: VecDeque<Written>,
}

impl ProducerHistory {
    /// Forgets what was written at or after `offset`: another leader writes from there, so it was
    /// (or will be) truncated away and is not the partition's history.
    pub(super) fn truncate(&mut self, offset: u64) {
        while let Some(last) = self.batches.back_mut() {
            if last.base_offset >= offset {
                self.batches.pop_back();
            } else {
                let kept = usize::try_from(offset - last.base_offset).unwrap_or(usize::MAX);
                if kept < last.records.len() {
                    last.records = Rc::from(&last.records[..kept]);
                }
                break;
            }
        }
    }

    /// Remembers a batch written at `base_offset` and says what it broke: a record made before one
    /// already written breaks the order; a record already written at another offset is a
    /// duplicate, a breach only for an idempotent producer (any other may write a retry twice).
    /// A duplicate is not also an order breach: the record was in order the first time.
    pub(super) fn append(&mut self, base_offset: u64, records: &Rc<[Record]>, idempotent: bool) -> Vec<(ViolationKind, u64, RecordId)> {
        let mut breaches = Vec::new();
        let mut latest = self.batches.back().and_then(|b| b.records.last()).map(|r| r.id.sequence);
        // In a run without faults every record comes after all the remembered ones, and the search
        // for an earlier copy is skipped.
        let highest = self.batches.iter().filter_map(|b| b.records.last()).map(|r| r.id.sequence).max();
        for (i, record) in records.iter().enumerate() {
            let offset = base_offset + i as u64;
            let sequence = record.id.sequence;
            let written_before = highest.is_some_and(|h| sequence <= h)
                && self.batches.iter().filter_map(|b| b.offset_of(sequence)).any(|o| o != offset);
            if written_before {
                if idempotent {
                    breaches.push((ViolationKind::DuplicateRecord, offset, record.id));
                }
                continue;
            }
            if latest.is_some_and(|l| sequence < l) {
                breaches.push((ViolationKind::OrderBroken, offset, record.id));
            }
            latest = Some(sequence);
        }
        if self.batches.len() == BATCHES_MAX {
            self.batches.pop_front();
        }
        self.batches.push_back(Written { base_offset, records: records.clone() });
        breaches
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

    fn kinds(breaches: &[(ViolationKind, u64, RecordId)]) -> Vec<(ViolationKind, u64)> {
        breaches.iter().map(|(k, o, _)| (*k, *o)).collect()
    }

    #[test]
    fn batches_written_in_the_order_they_were_made_break_nothing() {
        let mut history = ProducerHistory::default();
        assert!(history.append(0, &batch(0..=4), true).is_empty());
        assert!(history.append(5, &batch(5..=9), true).is_empty());
    }

    #[test]
    fn a_later_batch_landing_first_breaks_the_order_and_its_copy_behind_is_a_duplicate() {
        // The shape of Kafka's own reorder (an epoch bump writes the earlier batch behind the
        // later one, whose lost ack then sends it again): 10-14, then 5-9, then 10-14 again.
        let mut history = ProducerHistory::default();
        assert!(history.append(0, &batch(0..=4), true).is_empty());
        assert!(history.append(5, &batch(10..=14), true).is_empty());
        assert_eq!(kinds(&history.append(10, &batch(5..=9), true))[0], (ViolationKind::OrderBroken, 10));
        let again = history.append(15, &batch(10..=14), true);
        assert_eq!(kinds(&again), (15..=19).map(|o| (ViolationKind::DuplicateRecord, o)).collect::<Vec<_>>(), "each copied record, and no order breach");
    }

    #[test]
    fn a_large_batch_written_twice_is_a_duplicate_from_its_first_record() {
        // A window of records (not batches) lost the first copy's head while it read the second.
        let mut history = ProducerHistory::default();
        assert!(history.append(0, &batch(0..=99), true).is_empty());
        let again = history.append(100, &batch(0..=99), true);
        assert_eq!(again.len(), 100);
        assert_eq!(kinds(&again)[0], (ViolationKind::DuplicateRecord, 100));
    }

    #[test]
    fn a_retry_written_twice_by_a_producer_without_idempotence_is_allowed_and_not_a_reorder() {
        // max.in.flight.requests.per.connection=1 promises order, not exactly one copy.
        let mut history = ProducerHistory::default();
        assert!(history.append(0, &batch(0..=4), false).is_empty());
        assert!(history.append(5, &batch(0..=4), false).is_empty());
        assert!(history.append(10, &batch(5..=9), false).is_empty());
    }

    #[test]
    fn a_batch_written_again_after_a_truncation_is_not_a_duplicate() {
        // A new leader truncated the old leader's tail at offset 5, and the producer's retry lands
        // there again: one copy in the partition's history.
        let mut history = ProducerHistory::default();
        assert!(history.append(0, &batch(0..=4), true).is_empty());
        assert!(history.append(5, &batch(5..=9), true).is_empty());
        history.truncate(5);
        assert!(history.append(5, &batch(5..=9), true).is_empty());
        // Truncating inside a batch keeps only its head.
        history.truncate(7);
        assert!(history.append(7, &batch(7..=9), true).is_empty());
    }

    #[test]
    fn the_ledger_forgets_batches_beyond_its_memory() {
        let mut history = ProducerHistory::default();
        for i in 0..BATCHES_MAX as u64 + 1 {
            assert!(history.append(i, &batch(i..=i), true).is_empty());
        }
        // Batch 0 is forgotten, so its copy reads as a reorder (and pushes batch 1 out); batch 2 is
        // still remembered.
        assert_eq!(kinds(&history.append(100, &batch(0..=0), true)), vec![(ViolationKind::OrderBroken, 100)]);
        assert_eq!(kinds(&history.append(101, &batch(2..=2), true)), vec![(ViolationKind::DuplicateRecord, 101)]);
    }
}
