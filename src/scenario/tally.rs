//! What a run's event stream adds up to: the metrics of a run report, and the few facts checkpoints
//! ask about that the engine's state does not keep (errors a producer saw, what was processed in which
//! order, records travelling in messages).
//!
//! The runner hands every event to [`Tally::observe`] as it drains them, so the tally is a pure
//! function of the run, like the trace hash.

use crate::kafka::ids::PartitionIndex;
use crate::kafka::metadata::ChangeReason;
use crate::kafka::protocol::KafkaError;
use crate::kafka::record::Value;
use crate::kafka::world::{Event, EventKind, View};
use crate::sim::Tick;
use serde::Serialize;
use crate::sim::sorted::{SortedMap, SortedSet};

/// Processed values kept for `processed_values` probes, at most (a probe over more is refused).
pub const PROCESSED_VALUES_MAX: usize = 10_000;

/// Kafka's name of an error as a learner writes it in a probe: `NOT_ENOUGH_REPLICAS`, `DELIVERY_TIMEOUT`.
pub fn error_name(error: KafkaError) -> &'static str {
    error.kafka_name()
}

/// The counters of a run report. Log events (rolls, deletions) count on every replica.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// Records the producers' applications handed to `send`.
    pub records_produced: u64,
    pub records_acked: u64,
    /// acks=0 records that left the producer (nobody ever confirms them).
    pub records_sent_without_ack: u64,
    /// Records whose send finally failed.
    pub records_failed: u64,
    /// Produce batches that failed and were queued again.
    pub produce_retries: u64,
    /// Failed produce batches by Kafka error name, retried or not.
    pub produce_errors: SortedMap<String, u64>,
    pub records_polled: u64,
    pub records_processed: u64,
    pub consumer_position_resets: u64,
    /// Leader changes after the topics were created (failovers, preferred elections).
    pub leader_changes: u64,
    pub unclean_elections: u64,
    pub isr_shrinks: u64,
    pub isr_expansions: u64,
    pub brokers_fenced: u64,
    pub segments_rolled: u64,
    pub segments_deleted: u64,
    /// Records removed from followers' logs by truncation (diverging epochs, lost page cache).
    pub records_truncated: u64,
    pub messages_sent: u64,
    pub messages_dropped: u64,
    pub network_bytes: u64,
    /// The most records inside messages on the network at one moment.
    pub records_in_flight_max: u64,
    pub events: u64,
}

/// The running sums and the event-derived facts probes read.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub metrics: Metrics,
    /// (producer index, error name) → failed batches.
    produce_errors: SortedMap<(u32, &'static str), u64>,
    last_produce_error: SortedMap<u32, &'static str>,
    /// Broker id → records removed by truncation.
    truncated: SortedMap<u32, u64>,
    /// Consumers (by name) whose processed values probes ask about.
    tracked_consumers: SortedSet<String>,
    /// (consumer index, value) in the order processing finished.
    processed: Vec<(u32, String)>,
    processed_overflow: bool,
    /// Messages carrying records that have not arrived: (arrive_at, message id) → records.
    in_flight: SortedMap<(Tick, u64), u64>,
    in_flight_arrivals: SortedMap<u64, Tick>,
    records_in_flight: u64,
    /// Consumer index → partitions rebalances took away from it.
    revoked: SortedMap<u32, u64>,
    /// Consumer index → how many of its kept values the tally has read.
    kept_cursor: SortedMap<u32, usize>,
    /// transactional.id → transactions its coordinators completed: (committed, aborted). Counted
    /// where they are decided, so a crashed instance's transaction aborted for it counts too.
    transactions: SortedMap<String, (u64, u64)>,
}

impl Tally {
    /// A tally that also keeps the processed values of these consumers (by name).
    pub fn tracking(consumers: impl IntoIterator<Item = String>) -> Tally {
        Tally { tracked_consumers: consumers.into_iter().collect(), ..Tally::default() }
    }

    /// Adds one event. `view` is the world after the `run_until` that produced it (for record values).
    pub fn observe(&mut self, event: &Event, view: &View) {
        self.arrive_until(event.at);
        let m = &mut self.metrics;
        m.events += 1;
        match &event.kind {
            EventKind::MessageSent { id, arrive_at, bytes, records, .. } => {
                m.messages_sent += 1;
                m.network_bytes += bytes;
                if *records > 0 && *arrive_at > event.at {
                    self.in_flight.insert((*arrive_at, *id), u64::from(*records));
                    self.in_flight_arrivals.insert(*id, *arrive_at);
                    self.records_in_flight += u64::from(*records);
                    m.records_in_flight_max = m.records_in_flight_max.max(self.records_in_flight);
                }
            }
            EventKind::MessageDropped { id, .. } => {
                m.messages_dropped += 1;
                if let Some(arrive_at) = self.in_flight_arrivals.remove(id)
                    && let Some(records) = self.in_flight.remove(&(arrive_at, *id))
                {
                    self.records_in_flight -= records;
                }
            }
            EventKind::BrokerFenced { .. } => m.brokers_fenced += 1,
            EventKind::LeaderChanged { reason, .. } => {
                if *reason != ChangeReason::Created {
                    m.leader_changes += 1;
                }
                if *reason == ChangeReason::UncleanElection {
                    m.unclean_elections += 1;
                }
            }
            EventKind::IsrChanged { isr, previous, reason, .. } if *reason != ChangeReason::Created => {
                if isr.len() < previous.len() {
                    m.isr_shrinks += 1;
                } else if isr.len() > previous.len() {
                    m.isr_expansions += 1;
                }
            }
            EventKind::SegmentRolled { .. } => m.segments_rolled += 1,
            EventKind::SegmentDeleted { .. } => m.segments_deleted += 1,
            EventKind::Truncated { broker, removed_records, .. } => {
                m.records_truncated += removed_records;
                *self.truncated.entry(broker.0).or_default() += removed_records;
            }
            EventKind::ProduceAcked { records, .. } => m.records_acked += u64::from(*records),
            EventKind::ProduceSentNoAck { records, .. } => m.records_sent_without_ack += u64::from(*records),
            EventKind::ProduceUnsent { records, .. } => m.records_sent_without_ack = m.records_sent_without_ack.saturating_sub(u64::from(*records)),
            EventKind::ProduceFailed { producer, records, error, retrying, .. } => {
                let name = error_name(*error);
                *m.produce_errors.entry(name.to_string()).or_default() += 1;
                if *retrying {
                    m.produce_retries += 1;
                } else {
                    m.records_failed += u64::from(*records);
                }
                *self.produce_errors.entry((*producer, name)).or_default() += 1;
                self.last_produce_error.insert(*producer, name);
            }
            // Never handed over (send() threw after max.block.ms): failed without a batch or a retry.
            EventKind::SendTimedOut { records, .. } => m.records_failed += records,
            EventKind::Polled { records, .. } => m.records_polled += u64::from(*records),
            EventKind::Processed { consumer, records, .. } => {
                m.records_processed += u64::from(*records);
                let tracked = view.consumers().get(*consumer as usize).is_some_and(|c| self.tracked_consumers.contains(&*c.name));
                if tracked {
                    self.keep_processed(*consumer, *records, view);
                }
            }
            EventKind::PositionReset { .. } => m.consumer_position_resets += 1,
            EventKind::TransactionStateChanged { transactional_id, state, .. } => {
                let counts = self.transactions.entry(transactional_id.to_string()).or_default();
                match state {
                    crate::kafka::txn::coordinator::TxnState::CompleteCommit => counts.0 += 1,
                    crate::kafka::txn::coordinator::TxnState::CompleteAbort => counts.1 += 1,
                    _ => {}
                }
            }
            // Eager members revoke everything before joining, cooperative ones what moved after syncing:
            // both through onPartitionsRevoked. Lost partitions count too: a listener's
            // onPartitionsLost calls its onPartitionsRevoked unless it says otherwise (Kafka's default).
            EventKind::PartitionsRevoked { consumer, partitions, .. } | EventKind::PartitionsLost { consumer, partitions, .. } => {
                *self.revoked.entry(*consumer).or_default() += partitions.len() as u64;
            }
            _ => {}
        }
    }

    /// Messages due by `now` have arrived (or were dropped on arrival, which removes them too).
    fn arrive_until(&mut self, now: Tick) {
        while let Some((&(arrive_at, id), &records)) = self.in_flight.first_key_value() {
            if arrive_at > now {
                break;
            }
            self.in_flight.pop_first();
            self.in_flight_arrivals.remove(&id);
            self.records_in_flight -= records;
        }
    }

    /// The values behind a Processed event, as the consumer kept them when it finished (the log may
    /// have deleted them since, and a run is tallied in chunks).
    fn keep_processed(&mut self, consumer: u32, records: u32, view: &View) {
        let Some(c) = view.consumers().get(consumer as usize) else { return };
        let cursor = self.kept_cursor.entry(consumer).or_default();
        for value in c.kept_values.iter().skip(*cursor).take(records as usize) {
            *cursor += 1;
            if self.processed.len() >= PROCESSED_VALUES_MAX {
                self.processed_overflow = true;
                return;
            }
            self.processed.push((consumer, value_text(value)));
        }
    }

    /// Records inside messages on the network at `now`.
    pub fn records_in_flight(&self, now: Tick) -> u64 {
        self.in_flight.range((now.plus_ms(1), 0)..).map(|(_, r)| *r).sum()
    }

    pub fn produce_errors(&self, producer: u32, error: &str) -> u64 {
        self.produce_errors.iter().filter(|((p, e), _)| *p == producer && *e == error).map(|(_, n)| *n).sum()
    }

    /// (committed, aborted) transactions of a transactional.id.
    pub fn transactions(&self, transactional_id: &str) -> (u64, u64) {
        self.transactions.get(transactional_id).copied().unwrap_or((0, 0))
    }

    pub fn partitions_revoked(&self, consumer: u32) -> u64 {
        self.revoked.get(&consumer).copied().unwrap_or(0)
    }

    pub fn records_truncated(&self, broker: u32) -> u64 {
        self.truncated.get(&broker).copied().unwrap_or(0)
    }

    pub fn last_produce_error(&self, producer: u32) -> Option<&'static str> {
        self.last_produce_error.get(&producer).copied()
    }

    /// Values the consumers finished processing, in order; `None` when more than the limit were kept.
    pub fn processed_values(&self, consumers: &SortedSet<u32>) -> Option<Vec<&str>> {
        if self.processed_overflow {
            return None;
        }
        Some(self.processed.iter().filter(|(c, _)| consumers.contains(c)).map(|(_, v)| v.as_str()).collect())
    }
}

/// A record's value as a learner reads it: its text, `<100 bytes>` for an opaque payload, `null` for a
/// tombstone, `<gone>` when no replica has the offset any more.
pub fn record_value(view: &View, partition: PartitionIndex, offset: u64) -> String {
    let logs = view.leader_log(partition).into_iter().chain(view.brokers().filter_map(|b| view.log(b.id, partition)));
    for log in logs {
        if let Some(batch) = log.batch_at(offset)
            && let Some((_, record)) = batch.iter().find(|(o, _)| *o == offset)
        {
            // A transaction marker is a control record, not data.
            return match batch.control {
                Some(crate::kafka::record::ControlKind::Commit) => "<commit marker>".to_string(),
                Some(crate::kafka::record::ControlKind::Abort) => "<abort marker>".to_string(),
                None => value_text(&record.value),
            };
        }
    }
    "<gone>".to_string()
}

pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Text(text) => text.to_string(),
        Value::Opaque(bytes) => format!("<{bytes} bytes>"),
    }
}
