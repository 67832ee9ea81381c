//! A transactional producer's side of transactions (Kafka's client `TransactionManager`).
//!
//! With `transactional.id` set, the producer finds its transaction coordinator and asks it for a
//! producer id (InitProducerId), which also fences any older instance with the same id. Inside a
//! transaction, every partition is added to the transaction (AddPartitionsToTxn) before its first
//! batch is sent; `sendOffsetsToTransaction` adds the group's offsets partition (AddOffsetsToTxn) and
//! writes the offsets to the group coordinator (TxnOffsetCommit). `commitTransaction` first waits for
//! every batch to be acknowledged, then sends EndTxn; `abortTransaction` drops what was not sent yet.
//!
//! One request to the coordinators is in flight at a time, in Kafka's priority order; this module
//! decides which one comes next, the producer sends it and feeds the answer back.

use crate::kafka::ids::{BrokerId, PartitionIndex};
use crate::kafka::protocol::KafkaError;
use crate::sim::Tick;
use crate::sim::sorted::{SortedMap, SortedSet};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TxnPhase {
    /// No producer id yet (InitProducerId is next).
    Uninitialized,
    /// Ready for `beginTransaction`.
    Ready,
    InTransaction,
    /// `commitTransaction` was called: flushing, then EndTxn(commit).
    Committing,
    /// `abortTransaction` was called (or the transaction can only abort): EndTxn(abort).
    Aborting,
    /// A newer instance with the same `transactional.id` took over: this one can do nothing more.
    Fenced,
}

/// The next request the transaction manager wants sent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TxnCall {
    /// Where is the transaction coordinator?
    FindCoordinator,
    InitProducerId,
    AddPartitions(Vec<PartitionIndex>),
    AddOffsets { group: Rc<str> },
    /// Where is the group's coordinator (for TxnOffsetCommit)?
    FindGroupCoordinator { group: Rc<str> },
    TxnOffsetCommit { group: Rc<str>, coordinator: BrokerId, offsets: Vec<(PartitionIndex, u64)> },
    EndTxn { commit: bool },
}

/// Offsets handed to `sendOffsetsToTransaction`.
#[derive(Clone, Debug, PartialEq, Eq)]
struct PendingOffsets {
    group: Rc<str>,
    offsets: SortedMap<PartitionIndex, u64>,
    /// AddOffsetsToTxn was answered.
    added: bool,
    group_coordinator: Option<BrokerId>,
    /// TxnOffsetCommit was answered.
    written: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransactionManager {
    pub transactional_id: Rc<str>,
    pub timeout_ms: u64,
    pub phase: TxnPhase,
    pub coordinator: Option<BrokerId>,
    /// Partitions already part of the open transaction.
    pub added: SortedSet<PartitionIndex>,
    /// Partitions with records in the open transaction that are not added yet.
    pub to_add: SortedSet<PartitionIndex>,
    offsets: Option<PendingOffsets>,
    /// The call in flight: (request id, call, when it is given up).
    pub in_flight: Option<(u64, TxnCall, Tick)>,
    /// After a retriable error the next call waits until then (`retry.backoff.ms`).
    pub retry_at: Option<Tick>,
    /// A send inside the transaction failed: it can only be aborted.
    pub abort_only: bool,
    /// The coordinator lost this transactional id: the transaction is aborted by asking for a new
    /// producer id (KIP-360's epoch bump), not with an EndTxn it could not answer.
    pub bump_epoch: bool,
    pub committed: u64,
    pub aborted: u64,
    /// Records sent in the open transaction.
    pub records_in_transaction: u64,
    /// The application flushed before aborting (`flush(); abortTransaction()`): the records are
    /// written, and only the abort marker tells read_committed consumers to skip them.
    pub flush_before_abort: bool,
}

/// What a successful answer carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnAnswer {
    Coordinator(BrokerId),
    ProducerId { producer_id: i64, producer_epoch: i16 },
    Done,
}

/// What an answer from a coordinator means for the producer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxnOutcome {
    /// Nothing for the producer to do beyond sending the next call.
    Continue,
    /// The producer has its id and epoch; `aborted`: taking them aborted the transaction (the
    /// coordinator had lost it).
    Initialized { producer_id: i64, producer_epoch: i16, aborted: bool },
    /// The transaction ended; `committed` says how.
    Ended { committed: bool },
    /// This instance was fenced (said once, when it happens).
    Fenced,
}

impl TransactionManager {
    pub fn new(transactional_id: Rc<str>, timeout_ms: u64) -> TransactionManager {
        TransactionManager {
            transactional_id,
            timeout_ms,
            phase: TxnPhase::Uninitialized,
            coordinator: None,
            added: SortedSet::new(),
            to_add: SortedSet::new(),
            offsets: None,
            in_flight: None,
            retry_at: None,
            abort_only: false,
            bump_epoch: false,
            committed: 0,
            aborted: 0,
            records_in_transaction: 0,
            flush_before_abort: false,
        }
    }

    /// `beginTransaction`: only from Ready.
    pub fn begin(&mut self) -> bool {
        if self.phase != TxnPhase::Ready {
            return false;
        }
        self.phase = TxnPhase::InTransaction;
        self.records_in_transaction = 0;
        true
    }

    /// A record for `partition` joined the open transaction.
    pub fn on_record(&mut self, partition: PartitionIndex) {
        self.records_in_transaction += 1;
        if !self.added.contains(&partition) {
            self.to_add.insert(partition);
        }
    }

    /// May a batch for `partition` be sent now? Only once the partition is part of the transaction.
    pub fn may_send(&self, partition: PartitionIndex) -> bool {
        let sending = matches!(self.phase, TxnPhase::InTransaction | TxnPhase::Committing) || (self.phase == TxnPhase::Aborting && self.flush_before_abort);
        sending && self.added.contains(&partition)
    }

    /// Should queued batches be dropped now (abortTransaction without a flush)?
    pub fn drops_unsent(&self) -> bool {
        self.phase == TxnPhase::Aborting && !self.flush_before_abort
    }

    /// Ends a transaction no coordinator knows of, at once. Returns whether it did.
    pub fn end_untouched(&mut self) -> Option<bool> {
        let commit = match self.phase {
            TxnPhase::Committing => true,
            TxnPhase::Aborting => false,
            _ => return None,
        };
        if !self.untouched() || self.in_flight.is_some() || self.bump_epoch {
            return None;
        }
        self.finish(commit);
        Some(commit)
    }

    /// `sendOffsetsToTransaction`.
    pub fn send_offsets(&mut self, group: Rc<str>, offsets: Vec<(PartitionIndex, u64)>) {
        match &mut self.offsets {
            Some(pending) if pending.group == group => {
                pending.offsets.extend(offsets);
                pending.written = false;
            }
            _ => self.offsets = Some(PendingOffsets { group, offsets: offsets.into_iter().collect(), added: false, group_coordinator: None, written: false }),
        }
    }

    /// `commitTransaction` (or abort, when a send in the transaction failed).
    pub fn commit(&mut self) {
        if self.phase == TxnPhase::InTransaction {
            if self.abort_only {
                self.abort(false);
            } else {
                self.phase = TxnPhase::Committing;
            }
        }
    }

    /// `abortTransaction`; with `flush_first`, `flush()` before it.
    pub fn abort(&mut self, flush_first: bool) {
        if matches!(self.phase, TxnPhase::InTransaction | TxnPhase::Committing) {
            self.begin_abort(flush_first);
        }
    }

    fn begin_abort(&mut self, flush_first: bool) {
        self.phase = TxnPhase::Aborting;
        self.flush_before_abort = flush_first;
        if !flush_first {
            // Kafka's beginAbort: partitions not yet added never will be (their batches are
            // dropped unsent). A transaction none of whose partitions joined then ends here,
            // without an EndTxn the coordinator would refuse (INVALID_TXN_STATE: it has no
            // transaction open for this producer).
            self.to_add.clear();
        }
    }

    /// Nothing of the transaction reached a coordinator: it ends here, without EndTxn (Kafka's
    /// client completes such a transaction locally).
    fn untouched(&self) -> bool {
        self.added.is_empty() && self.to_add.is_empty() && self.offsets.is_none()
    }

    /// The next request to send, given whether the producer still has batches of the transaction
    /// queued or in flight (`unfinished`) and requests in flight (`in_flight_produce`).
    pub fn next_call(&self, now: Tick, unfinished: bool, in_flight_produce: bool) -> Option<TxnCall> {
        if self.in_flight.is_some() || self.retry_at.is_some_and(|at| at > now) || self.phase == TxnPhase::Fenced {
            return None;
        }
        let flushing_abort = self.phase == TxnPhase::Aborting && self.flush_before_abort;
        // An abort looks its coordinator up at once, while the batches in flight are still answered.
        if self.phase == TxnPhase::Aborting && self.coordinator.is_none() {
            return Some(TxnCall::FindCoordinator);
        }
        let call = self.next_call_to_send(flushing_abort, unfinished, in_flight_produce)?;
        // A call for the transaction coordinator goes nowhere without one (none found yet, or an
        // error made it unknown: an EndTxn answered NOT_COORDINATOR, say): look it up first, as
        // Kafka's handlers do (lookupCoordinator, then the request is enqueued again).
        let for_coordinator = matches!(call, TxnCall::InitProducerId | TxnCall::AddPartitions(_) | TxnCall::AddOffsets { .. } | TxnCall::EndTxn { .. });
        if for_coordinator && self.coordinator.is_none() {
            return Some(TxnCall::FindCoordinator);
        }
        Some(call)
    }

    fn next_call_to_send(&self, flushing_abort: bool, unfinished: bool, in_flight_produce: bool) -> Option<TxnCall> {
        match self.phase {
            TxnPhase::Uninitialized => Some(TxnCall::InitProducerId),
            TxnPhase::InTransaction | TxnPhase::Committing => {
                if !self.to_add.is_empty() {
                    return Some(TxnCall::AddPartitions(self.to_add.iter().copied().collect()));
                }
                if let Some(pending) = &self.offsets {
                    if !pending.added {
                        return Some(TxnCall::AddOffsets { group: pending.group.clone() });
                    }
                    if !pending.written {
                        return Some(match pending.group_coordinator {
                            None => TxnCall::FindGroupCoordinator { group: pending.group.clone() },
                            Some(coordinator) => TxnCall::TxnOffsetCommit {
                                group: pending.group.clone(),
                                coordinator,
                                offsets: pending.offsets.iter().map(|(p, o)| (*p, *o)).collect(),
                            },
                        });
                    }
                }
                // commitTransaction flushes first: every batch acknowledged, then EndTxn.
                (self.phase == TxnPhase::Committing && !unfinished).then_some(TxnCall::EndTxn { commit: true })
            }
            // Flushing first: partitions still join, and every batch is answered before EndTxn.
            TxnPhase::Aborting if flushing_abort => {
                if !self.to_add.is_empty() {
                    return Some(TxnCall::AddPartitions(self.to_add.iter().copied().collect()));
                }
                (!unfinished).then_some(TxnCall::EndTxn { commit: false })
            }
            TxnPhase::Aborting if self.bump_epoch => (!in_flight_produce).then_some(TxnCall::InitProducerId),
            // Unsent batches were dropped; the ones in flight must be answered first.
            TxnPhase::Aborting => (!in_flight_produce).then_some(TxnCall::EndTxn { commit: false }),
            _ => None,
        }
    }

    /// The answer to the call in flight (or its failure: `Err` with the error the connection gave).
    pub fn on_answer(&mut self, now: Tick, call: &TxnCall, result: Result<TxnAnswer, KafkaError>, retry_backoff_ms: u64) -> TxnOutcome {
        self.in_flight = None;
        let error = match result {
            Ok(answer) => {
                let coordinator = match answer {
                    TxnAnswer::Coordinator(b) => Some(b),
                    _ => None,
                };
                return match call {
                    TxnCall::FindCoordinator => {
                        self.coordinator = coordinator;
                        TxnOutcome::Continue
                    }
                    TxnCall::InitProducerId => match answer {
                        TxnAnswer::ProducerId { producer_id, producer_epoch } => {
                            let aborted = self.phase == TxnPhase::Aborting;
                            if aborted {
                                self.finish(false);
                            }
                            self.phase = TxnPhase::Ready;
                            TxnOutcome::Initialized { producer_id, producer_epoch, aborted }
                        }
                        _ => TxnOutcome::Continue,
                    },
                    TxnCall::AddPartitions(partitions) => {
                        for p in partitions {
                            self.to_add.remove(p);
                            self.added.insert(*p);
                        }
                        TxnOutcome::Continue
                    }
                    TxnCall::AddOffsets { .. } => {
                        if let Some(o) = &mut self.offsets {
                            o.added = true;
                        }
                        TxnOutcome::Continue
                    }
                    TxnCall::FindGroupCoordinator { .. } => {
                        if let Some(o) = &mut self.offsets {
                            o.group_coordinator = coordinator;
                        }
                        TxnOutcome::Continue
                    }
                    TxnCall::TxnOffsetCommit { .. } => {
                        if let Some(o) = &mut self.offsets {
                            o.written = true;
                        }
                        TxnOutcome::Continue
                    }
                    TxnCall::EndTxn { commit } => {
                        self.finish(*commit);
                        TxnOutcome::Ended { committed: *commit }
                    }
                };
            }
            Err(error) => error,
        };
        match error {
            // Fenced once: a produce answer may have fenced the producer while this call was in
            // flight, and that already said so.
            KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch if self.phase == TxnPhase::Fenced => TxnOutcome::Continue,
            KafkaError::ProducerFenced | KafkaError::InvalidProducerEpoch => {
                self.phase = TxnPhase::Fenced;
                TxnOutcome::Fenced
            }
            // Kafka's abortableErrorIfPossible: the transaction can only be aborted, and with no
            // transaction at the coordinator that means a new producer id, not an EndTxn.
            KafkaError::InvalidProducerIdMapping => {
                self.abort_only = true;
                self.bump_epoch = true;
                self.begin_abort(false);
                TxnOutcome::Continue
            }
            KafkaError::NotCoordinator | KafkaError::CoordinatorNotAvailable | KafkaError::NetworkException | KafkaError::RequestTimedOut => {
                // Look for the coordinator again.
                match call {
                    TxnCall::TxnOffsetCommit { .. } | TxnCall::FindGroupCoordinator { .. } => {
                        if let Some(o) = &mut self.offsets {
                            o.group_coordinator = None;
                        }
                    }
                    _ => self.coordinator = None,
                }
                self.retry_at = Some(now.plus_ms(retry_backoff_ms));
                TxnOutcome::Continue
            }
            // The coordinator is still finishing an earlier transaction: try again shortly.
            _ => {
                self.retry_at = Some(now.plus_ms(retry_backoff_ms));
                TxnOutcome::Continue
            }
        }
    }

    fn finish(&mut self, committed: bool) {
        if committed {
            self.committed += 1;
        } else {
            self.aborted += 1;
        }
        self.phase = TxnPhase::Ready;
        self.added.clear();
        self.to_add.clear();
        self.offsets = None;
        self.abort_only = false;
        self.bump_epoch = false;
        self.flush_before_abort = false;
        self.records_in_transaction = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ready() -> TransactionManager {
        let mut t = TransactionManager::new(Rc::from("tx"), 60_000);
        t.coordinator = Some(BrokerId(1));
        t.phase = TxnPhase::Ready;
        t
    }

    #[test]
    fn a_partition_is_added_to_the_transaction_before_its_first_batch_is_sent() {
        let mut t = ready();
        assert!(t.begin());
        t.on_record(PartitionIndex(3));
        assert!(!t.may_send(PartitionIndex(3)), "not yet part of the transaction");
        let call = t.next_call(Tick(0), true, false).unwrap();
        assert_eq!(call, TxnCall::AddPartitions(vec![PartitionIndex(3)]));
        t.in_flight = Some((1, call.clone(), Tick(30_000)));
        t.on_answer(Tick(5), &call, Ok(TxnAnswer::Done), 100);
        assert!(t.may_send(PartitionIndex(3)));
    }

    #[test]
    fn commit_waits_for_every_batch_to_be_acknowledged() {
        let mut t = ready();
        t.begin();
        t.on_record(PartitionIndex(0));
        t.to_add.clear();
        t.added.insert(PartitionIndex(0));
        t.commit();
        assert_eq!(t.next_call(Tick(0), true, true), None, "a batch is still unacknowledged");
        assert_eq!(t.next_call(Tick(0), false, false), Some(TxnCall::EndTxn { commit: true }));
    }

    #[test]
    fn offsets_join_the_transaction_through_the_group_coordinator() {
        let mut t = ready();
        t.begin();
        t.send_offsets(Rc::from("g"), vec![(PartitionIndex(0), 42)]);
        let add = t.next_call(Tick(0), false, false).unwrap();
        assert_eq!(add, TxnCall::AddOffsets { group: Rc::from("g") });
        t.on_answer(Tick(1), &add, Ok(TxnAnswer::Done), 100);
        let find = t.next_call(Tick(1), false, false).unwrap();
        assert_eq!(find, TxnCall::FindGroupCoordinator { group: Rc::from("g") });
        t.on_answer(Tick(2), &find, Ok(TxnAnswer::Coordinator(BrokerId(2))), 100);
        let write = t.next_call(Tick(2), false, false).unwrap();
        assert_eq!(write, TxnCall::TxnOffsetCommit { group: Rc::from("g"), coordinator: BrokerId(2), offsets: vec![(PartitionIndex(0), 42)] });
    }

    #[test]
    fn a_fenced_producer_stops_for_good() {
        let mut t = ready();
        t.begin();
        t.commit();
        let end = TxnCall::EndTxn { commit: true };
        assert_eq!(t.on_answer(Tick(0), &end, Err(KafkaError::ProducerFenced), 100), TxnOutcome::Fenced);
        assert_eq!(t.next_call(Tick(1_000), false, false), None);
    }

    #[test]
    fn a_transaction_with_a_failed_send_can_only_abort() {
        let mut t = ready();
        t.begin();
        t.abort_only = true;
        t.commit();
        assert_eq!(t.phase, TxnPhase::Aborting);
        assert_eq!(t.next_call(Tick(0), true, false), Some(TxnCall::EndTxn { commit: false }));
    }

    #[test]
    fn an_abort_before_any_partition_joined_ends_without_end_txn() {
        // The coordinator refused AddPartitions (CONCURRENT_TRANSACTIONS: the previous commit's
        // markers were still being written), then a batch expired and the transaction must abort.
        // No partition joined, so the coordinator has no transaction to abort and would refuse an
        // EndTxn for ever: the client ends it itself (Kafka's beginAbort, transactionStarted).
        let mut t = ready();
        t.begin();
        t.to_add.insert(PartitionIndex(0));
        let add = t.next_call(Tick(0), true, false).unwrap();
        t.on_answer(Tick(1), &add, Err(KafkaError::ConcurrentTransactions), 100);
        t.abort_only = true;
        t.commit();
        assert_eq!(t.phase, TxnPhase::Aborting);
        assert_eq!(t.end_untouched(), Some(false), "aborted where it stood");
        assert_eq!(t.phase, TxnPhase::Ready);
    }
}
