//! An idempotent producer's sequence numbers, per partition (Kafka's `TxnPartitionEntry`), and what it
//! does when a leader refuses a batch with OUT_OF_ORDER_SEQUENCE_NUMBER (Kafka's
//! `TransactionManager.canRetry` and `handleFailedBatch` for that error).
//!
//! The leader answers OUT_OF_ORDER_SEQUENCE_NUMBER when a batch does not start right after the last
//! sequence it holds for the producer. That has two very different causes. Usually an earlier batch
//! of the same partition is still unresolved (it failed and is being retried, so the later ones fail
//! too): the batch is simply retried behind it. But when the refused batch is the very next one after
//! the last the producer had acknowledged, nothing earlier is missing on the producer's side: the
//! leader has lost records it once acknowledged (an unclean election, say). Retrying the same
//! sequence numbers would be refused for ever, so an idempotent producer bumps its epoch and numbers
//! that partition's unfinished batches again from 0, which the leader accepts as a fresh start
//! (KIP-360). A transactional producer cannot do that under an open transaction: the batch fails and
//! the transaction must abort.

/// What the producer knows of one partition's sequence numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartitionSequences {
    /// The producer id and epoch these sequences belong to: after an epoch bump a partition keeps
    /// the old pair until its old batches are finished (or it is renumbered at once).
    pub producer_id_epoch: (i64, i16),
    /// The base sequence the next new batch for the partition gets.
    pub next_sequence: i32,
    /// The last sequence of the highest batch the leader acknowledged (none yet in this epoch).
    pub last_acked_sequence: Option<i32>,
}

impl PartitionSequences {
    /// A partition starting its sequences at 0 under `producer_id_epoch`.
    pub fn fresh(producer_id_epoch: (i64, i16)) -> PartitionSequences {
        PartitionSequences { producer_id_epoch, next_sequence: 0, last_acked_sequence: None }
    }

    /// A batch ending at `last_sequence` was acknowledged (Kafka keeps the highest seen).
    pub fn acked(&mut self, last_sequence: i32) {
        if self.last_acked_sequence.is_none_or(|last| last_sequence > last) {
            self.last_acked_sequence = Some(last_sequence);
        }
    }

    /// Would a batch starting at `base_sequence` be the next after the last acknowledged one?
    /// (Kafka compares with plain int arithmetic, so the wrap at `i32::MAX` is not treated.)
    pub fn is_next(&self, base_sequence: i32) -> bool {
        base_sequence.wrapping_sub(self.last_acked_sequence.unwrap_or(-1)) == 1
    }
}

/// What the producer does with a batch refused with OUT_OF_ORDER_SEQUENCE_NUMBER, once its retries
/// and delivery.timeout.ms allow another attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OutOfOrderAnswer {
    /// An earlier batch is still unresolved (or this one was already renumbered): try again as is.
    Retry,
    /// The leader lost acknowledged records: bump the epoch, renumber the partition from 0, retry.
    BumpEpochAndRetry,
    /// A transactional producer: the batch fails, and the transaction can only abort.
    Fail,
}

/// Kafka's rule for OUT_OF_ORDER_SEQUENCE_NUMBER. `unresolved_next_sequence` is the sequence right
/// after a batch that expired after it was sent (whether the leader has it is unknown), if any.
pub fn out_of_order_answer(
    sequences: &PartitionSequences,
    base_sequence: i32,
    sequence_was_reset: bool,
    unresolved_next_sequence: Option<i32>,
    transactional: bool,
) -> OutOfOrderAnswer {
    if unresolved_next_sequence.is_none() && (sequence_was_reset || !sequences.is_next(base_sequence)) {
        // Not the next batch: an earlier one has not landed yet, and this one follows it.
        return OutOfOrderAnswer::Retry;
    }
    if transactional {
        return OutOfOrderAnswer::Fail;
    }
    // Idempotent only: always retried. A gap right after what was acknowledged (or right after the
    // unresolved batch) means records are missing on the leader; otherwise wait for the unresolved
    // batch to settle first.
    if unresolved_next_sequence.is_none_or(|next| next == base_sequence) { OutOfOrderAnswer::BumpEpochAndRetry } else { OutOfOrderAnswer::Retry }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acked_up_to(last: i32) -> PartitionSequences {
        PartitionSequences { producer_id_epoch: (7, 0), next_sequence: last + 31, last_acked_sequence: Some(last) }
    }

    #[test]
    fn a_batch_behind_an_unfinished_one_is_simply_retried() {
        // Sequences 0-149 acknowledged; 150-159 is being retried, so 160-169 was refused too.
        assert_eq!(out_of_order_answer(&acked_up_to(149), 160, false, None, false), OutOfOrderAnswer::Retry);
        assert_eq!(out_of_order_answer(&acked_up_to(149), 160, false, None, true), OutOfOrderAnswer::Retry, "the same for a transactional producer");
    }

    #[test]
    fn the_next_batch_refused_means_the_leader_lost_records_and_the_epoch_is_bumped() {
        // An unclean election kept only 20 records: the leader wants sequence 20, the producer is at 150.
        assert_eq!(out_of_order_answer(&acked_up_to(149), 150, false, None, false), OutOfOrderAnswer::BumpEpochAndRetry);
    }

    #[test]
    fn a_transactional_producer_fails_the_batch_instead() {
        assert_eq!(out_of_order_answer(&acked_up_to(149), 150, false, None, true), OutOfOrderAnswer::Fail);
    }

    #[test]
    fn with_nothing_acknowledged_yet_sequence_zero_is_the_next() {
        let sequences = PartitionSequences::fresh((7, 0));
        assert_eq!(out_of_order_answer(&sequences, 0, false, None, false), OutOfOrderAnswer::BumpEpochAndRetry);
        assert_eq!(out_of_order_answer(&sequences, 10, false, None, false), OutOfOrderAnswer::Retry);
    }

    #[test]
    fn a_batch_already_renumbered_after_a_bump_is_retried_without_another_bump() {
        // Renumbered to 0 in the new epoch while its old request was still out: its refusal was for
        // the old numbers.
        assert_eq!(out_of_order_answer(&PartitionSequences::fresh((7, 1)), 0, true, None, false), OutOfOrderAnswer::Retry);
    }

    #[test]
    fn with_an_expired_batch_unresolved_only_the_one_right_after_it_bumps() {
        // 150-159 expired after being sent: nobody knows whether the leader has it.
        let sequences = acked_up_to(149);
        assert_eq!(out_of_order_answer(&sequences, 160, false, Some(160), false), OutOfOrderAnswer::BumpEpochAndRetry);
        assert_eq!(out_of_order_answer(&sequences, 170, false, Some(160), false), OutOfOrderAnswer::Retry);
        assert_eq!(out_of_order_answer(&sequences, 160, false, Some(160), true), OutOfOrderAnswer::Fail);
    }

    #[test]
    fn acknowledgements_keep_the_highest_sequence() {
        let mut sequences = PartitionSequences::fresh((7, 0));
        sequences.acked(19);
        sequences.acked(9);
        assert_eq!(sequences.last_acked_sequence, Some(19));
        assert!(sequences.is_next(20));
    }
}
