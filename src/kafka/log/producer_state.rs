//! Idempotent producers on the broker (Kafka's `ProducerStateManager`): per producer id, its epoch
//! and the sequence ranges of its last five batches.
//!
//! A retried batch whose sequences match one of those is a duplicate: the leader answers with the
//! original offset and writes nothing. A batch that skips sequences is out of order. A batch from an
//! older producer epoch is fenced. Followers keep the same state by applying every batch they copy,
//! so a new leader detects duplicates too.

use crate::kafka::protocol::KafkaError;
use crate::kafka::record::{Batch, ProducerStamp};
use std::collections::VecDeque;
use crate::sim::sorted::SortedMap;

/// Kafka keeps the metadata of this many recent batches per producer for duplicate detection.
pub const BATCHES_KEPT: usize = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BatchMetadata {
    pub first_seq: i32,
    pub last_seq: i32,
    pub base_offset: u64,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProducerEntry {
    pub epoch: i16,
    pub batches: VecDeque<BatchMetadata>,
}

impl ProducerEntry {
    fn last_seq(&self) -> Option<i32> {
        self.batches.back().map(|b| b.last_seq)
    }
}

/// What the leader should do with an idempotent batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SequenceCheck {
    Append,
    /// Already written at this base offset: acknowledge again, write nothing.
    Duplicate { base_offset: u64 },
}

/// Sequence numbers wrap at `i32::MAX` like Kafka's.
fn next_seq(seq: i32) -> i32 {
    if seq == i32::MAX { 0 } else { seq + 1 }
}

fn last_seq_of(stamp: &ProducerStamp, records: u32) -> i32 {
    let last = i64::from(stamp.base_sequence) + i64::from(records) - 1;
    if last > i64::from(i32::MAX) { (last - i64::from(i32::MAX) - 1) as i32 } else { last as i32 }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct ProducerStateManager {
    producers: SortedMap<i64, ProducerEntry>,
}

impl ProducerStateManager {
    /// Kafka's `findDuplicateBatch` and `checkSequence` for a batch of `records` records.
    pub fn check(&self, stamp: &ProducerStamp, records: u32) -> Result<SequenceCheck, KafkaError> {
        if !stamp.is_idempotent() {
            return Ok(SequenceCheck::Append);
        }
        let first_seq = stamp.base_sequence;
        let last_seq = last_seq_of(stamp, records);
        let Some(entry) = self.producers.get(&stamp.producer_id) else {
            // No state (new producer, or all its batches were deleted): any sequence is accepted.
            return Ok(SequenceCheck::Append);
        };
        if stamp.producer_epoch < entry.epoch {
            return Err(KafkaError::InvalidProducerEpoch);
        }
        if stamp.producer_epoch == entry.epoch {
            if let Some(dup) = entry.batches.iter().find(|b| b.first_seq == first_seq && b.last_seq == last_seq) {
                return Ok(SequenceCheck::Duplicate { base_offset: dup.base_offset });
            }
            match entry.last_seq() {
                Some(last) if next_seq(last) != first_seq => Err(KafkaError::OutOfOrderSequenceNumber),
                _ => Ok(SequenceCheck::Append),
            }
        } else if first_seq != 0 {
            // A new epoch starts its sequences again at 0.
            Err(KafkaError::OutOfOrderSequenceNumber)
        } else {
            Ok(SequenceCheck::Append)
        }
    }

    /// Records an appended batch (on the leader after `check`, on followers as they copy).
    pub fn on_append(&mut self, batch: &Batch) {
        let stamp = batch.producer;
        if !stamp.is_idempotent() {
            return;
        }
        let entry = self.producers.entry(stamp.producer_id).or_default();
        if batch.control.is_some() {
            // A marker carries the coordinator's epoch for the producer: a bumped epoch (a fenced or
            // timed-out producer) refuses the old instance's later writes.
            if stamp.producer_epoch > entry.epoch {
                entry.epoch = stamp.producer_epoch;
                entry.batches.clear();
            }
            return;
        }
        if stamp.producer_epoch > entry.epoch {
            entry.epoch = stamp.producer_epoch;
            entry.batches.clear();
        }
        entry.batches.push_back(BatchMetadata { first_seq: stamp.base_sequence, last_seq: last_seq_of(&stamp, batch.record_count()), base_offset: batch.base_offset });
        while entry.batches.len() > BATCHES_KEPT {
            entry.batches.pop_front();
        }
    }

    /// Rebuilds the state from what the log still holds (after a truncation), keeping what earlier
    /// batches, now deleted by retention, had established.
    pub fn rebuild<'a>(&mut self, truncated_to: u64, remaining: impl Iterator<Item = &'a Batch>) {
        for entry in self.producers.values_mut() {
            entry.batches.retain(|b| b.base_offset < truncated_to);
        }
        let survivors: Vec<&Batch> = remaining.filter(|b| b.producer.is_idempotent()).collect();
        // Batches the retained entries already cover are skipped; older ones are re-applied in order.
        let mut rebuilt = ProducerStateManager::default();
        for batch in survivors {
            rebuilt.on_append(batch);
        }
        for (pid, entry) in rebuilt.producers {
            self.producers.insert(pid, entry);
        }
        self.producers.retain(|_, e| !e.batches.is_empty() || e.epoch >= 0);
    }

    pub fn entry(&self, producer_id: i64) -> Option<&ProducerEntry> {
        self.producers.get(&producer_id)
    }

    pub fn clear(&mut self) {
        self.producers.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn stamp(seq: i32) -> ProducerStamp {
        ProducerStamp { producer_id: 7, producer_epoch: 0, base_sequence: seq }
    }

    fn batch(base_offset: u64, seq: i32, records: usize) -> Batch {
        let record = crate::kafka::record::Record {
            id: crate::kafka::record::RecordId { producer: 0, sequence: 0 },
            timestamp_ms: 0,
            key: None,
            value: crate::kafka::record::Value::Opaque(1),
            headers: Rc::from([]),
            size_bytes: 8,
        };
        Batch {
            base_offset,
            partition_leader_epoch: 0,
            producer: stamp(seq),
            transactional: false,
            control: None,
            max_timestamp_ms: 0,
            size_bytes: 70,
            records: vec![record; records].into(),
        }
    }

    #[test]
    fn a_retried_batch_is_recognised_as_a_duplicate_and_keeps_its_offset() {
        let mut state = ProducerStateManager::default();
        assert_eq!(state.check(&stamp(0), 3), Ok(SequenceCheck::Append));
        state.on_append(&batch(40, 0, 3));
        assert_eq!(state.check(&stamp(0), 3), Ok(SequenceCheck::Duplicate { base_offset: 40 }));
        assert_eq!(state.check(&stamp(3), 2), Ok(SequenceCheck::Append));
    }

    #[test]
    fn a_gap_in_sequences_is_out_of_order() {
        let mut state = ProducerStateManager::default();
        state.on_append(&batch(0, 0, 3));
        assert_eq!(state.check(&stamp(5), 1), Err(KafkaError::OutOfOrderSequenceNumber));
    }

    #[test]
    fn an_older_epoch_is_fenced_and_a_new_one_restarts_at_zero() {
        let mut state = ProducerStateManager::default();
        state.on_append(&batch(0, 0, 3));
        let newer = ProducerStamp { producer_epoch: 1, ..stamp(4) };
        assert_eq!(state.check(&newer, 1), Err(KafkaError::OutOfOrderSequenceNumber));
        let newer = ProducerStamp { producer_epoch: 1, ..stamp(0) };
        assert_eq!(state.check(&newer, 1), Ok(SequenceCheck::Append));
        let mut b = batch(3, 0, 1);
        b.producer = newer;
        state.on_append(&b);
        assert_eq!(state.check(&stamp(3), 1), Err(KafkaError::InvalidProducerEpoch));
    }

    #[test]
    fn only_the_last_five_batches_are_remembered() {
        let mut state = ProducerStateManager::default();
        for i in 0..7 {
            state.on_append(&batch(i as u64, i, 1));
        }
        assert_eq!(state.check(&stamp(6), 1), Ok(SequenceCheck::Duplicate { base_offset: 6 }));
        assert_eq!(state.check(&stamp(0), 1), Err(KafkaError::OutOfOrderSequenceNumber), "too old to recognise");
    }

    #[test]
    fn truncation_forgets_the_batches_it_removed() {
        let mut state = ProducerStateManager::default();
        let batches: Vec<Batch> = (0..4).map(|i| batch(i as u64, i, 1)).collect();
        for b in &batches {
            state.on_append(b);
        }
        state.rebuild(2, batches[..2].iter());
        assert_eq!(state.check(&stamp(2), 1), Ok(SequenceCheck::Append), "sequence 2 is expected again");
    }
}
