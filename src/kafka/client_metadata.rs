//! A client's metadata (a producer's or a consumer's): how it asks for it, and how it takes in an
//! answer.
//!
//! Asking: one request at a time, after the refresh backoff (`metadata_refresh`), to a broker it may
//! connect to (`reconnect`), counting round the brokers it knows so that a failed request is asked
//! again of another.
//!
//! Taking in, Kafka's `Metadata.update`: brokers learn of a new leader by reading the controller's
//! log, some sooner than others. After a failover a client may ask a broker that has not read the
//! change yet and hear of the old leader, after it already knew of the new one. Kafka's client
//! remembers the newest leader epoch it has seen per partition (`lastSeenLeaderEpochs`) and keeps what
//! it knew for a partition whose answer carries an older epoch (`updateLatestMetadata`); everything
//! else comes from the answer. Without this, a producer would send its records back to a leader that
//! has lost its leadership, or is dead.

use crate::kafka::backoff::ExponentialBackoff;
use crate::kafka::ids::{BrokerId, Node};
use crate::kafka::metadata::MetadataImage;
use crate::kafka::metadata_refresh::{RefreshBackoff, progressed};
use crate::kafka::reconnect::Reconnect;
use crate::kafka::runtime::Outbox;
use crate::sim::{Rng, Tick};
use std::rc::Rc;

/// What a client knows of the cluster, and its metadata requests.
#[derive(Clone, Debug, Default)]
pub struct ClientMetadata {
    /// The metadata it goes on with; none before its first answer.
    pub image: Option<Rc<MetadataImage>>,
    /// The brokers it knows before any answer: its bootstrap.servers.
    bootstrap: Vec<BrokerId>,
    in_flight: Option<u64>,
    /// retry.backoff.ms between requests (Kafka's `Metadata.timeToAllowUpdate`).
    backoff: RefreshBackoff,
    /// Where the round of known brokers starts; moved on after a failure, so the next request goes
    /// to another broker. The client's other lookups (a coordinator, a producer id) share it.
    pub cursor: usize,
}

/// How often a client refreshes its metadata: its retry.backoff.ms and retry.backoff.max.ms, and its
/// metadata.max.age.ms.
#[derive(Clone, Copy, Debug)]
pub struct RefreshConfig {
    pub retry: ExponentialBackoff,
    pub metadata_max_age_ms: u64,
}

impl ClientMetadata {
    pub fn new(bootstrap: Vec<BrokerId>) -> ClientMetadata {
        ClientMetadata { bootstrap, ..ClientMetadata::default() }
    }

    /// The brokers it may ask: the live ones its metadata names, or its bootstrap servers before it
    /// has any. A metadata answer lists only unfenced brokers (Kafka's `getAliveBrokerNodes`), so a
    /// broker the controller fenced drops out of the client's round at its next refresh. An answer
    /// naming none sends it back to its bootstrap servers, as Kafka's rebootstrap does.
    pub fn known_brokers(&self) -> Vec<BrokerId> {
        let live: Vec<BrokerId> = match &self.image {
            Some(image) => image.brokers.iter().filter(|(_, b)| !b.fenced).map(|(id, _)| *id).collect(),
            None => Vec::new(),
        };
        if live.is_empty() { self.bootstrap.clone() } else { live }
    }

    /// The broker for a request any broker can answer (metadata, where a coordinator is, a producer
    /// id): the first known one it may connect to, counting round from the cursor (Kafka's
    /// leastLoadedNode). `None`: it knows no broker. `Some(Err(at))`: every one is blacked out, and
    /// `at` is when the first blackout ends; Kafka's client sends nothing until then, as asking a
    /// broker it may not connect to would only be refused.
    pub fn least_loaded(&self, reconnect: &Reconnect, now: Tick) -> Option<Result<BrokerId, Tick>> {
        let known = self.known_brokers();
        if known.is_empty() {
            return None;
        }
        Some(reconnect.pick(&known, self.cursor, now))
    }

    /// Whether `request_id` is the metadata request awaiting its answer.
    pub fn awaits(&self, request_id: u64) -> bool {
        self.in_flight == Some(request_id)
    }

    /// The broker to ask now, or `None` when the client must not ask yet: a request is awaiting its
    /// answer, the backoff holds, or every broker it knows is blacked out (then a `MetadataRetry`
    /// timer is set for when it may). The caller sends the request and calls `sent`.
    pub fn broker_to_ask(&mut self, now: Tick, config: RefreshConfig, reconnect: &Reconnect, rng: &mut Rng, node: Node, out: &mut Outbox) -> Option<BrokerId> {
        if self.in_flight.is_some() || self.backoff.holds(now, config.retry, config.metadata_max_age_ms, rng, node, out) {
            return None;
        }
        match self.least_loaded(reconnect, now)? {
            Ok(broker) => Some(broker),
            Err(at) => {
                self.backoff.wait_for_connection(at, node, out);
                None
            }
        }
    }

    pub fn sent(&mut self, request_id: u64) {
        self.in_flight = Some(request_id);
    }

    /// An answer to `request_id` arrived. `Some`: the metadata the client goes on with (`update`),
    /// for the caller to compare with `image` and then store; `None`: it answers no request awaited
    /// (an earlier one, given up on).
    pub fn answered(&mut self, request_id: u64, now: Tick, answer: Rc<MetadataImage>) -> Option<Rc<MetadataImage>> {
        if !self.awaits(request_id) {
            return None;
        }
        self.in_flight = None;
        // A lagging broker's answer does not take back a leader the client already knows.
        let image = update(self.image.as_deref(), answer);
        self.backoff.answered(now, progressed(self.image.as_deref(), &image));
        Some(image)
    }

    /// `request_id` got no answer (a lost connection, a timeout). Returns whether it was the metadata
    /// request awaited; if so the update is still wanted (Kafka's failedUpdate keeps it requested)
    /// and the next broker is asked once the backoff for a failed request has passed.
    pub fn failed(&mut self, request_id: u64, now: Tick) -> bool {
        if !self.awaits(request_id) {
            return false;
        }
        self.in_flight = None;
        self.backoff.failed(now);
        self.cursor += 1;
        true
    }

    /// The client's process died: nothing awaited, no backoff. What it knew and where the round
    /// starts are kept (a restarted client starts from them).
    pub fn crashed(&mut self) {
        self.in_flight = None;
        self.backoff = RefreshBackoff::default();
    }
}

/// The metadata a client goes on with after `answer` arrives, when it held `cached`: the answer,
/// except for partitions where `cached` has the newer leader epoch.
pub fn update(cached: Option<&MetadataImage>, answer: Rc<MetadataImage>) -> Rc<MetadataImage> {
    let Some(cached) = cached else { return answer };
    // Partitions are numbered in the order the controller created them, so the same index is the
    // same partition in every broker's answer; an answer from a broker that has not yet read a
    // partition's creation has fewer, and the client goes without them, as Kafka's does.
    let is_older = |index: usize| answer.partitions[index].leader_epoch < cached.partitions[index].leader_epoch;
    let shared = answer.partitions.len().min(cached.partitions.len());
    if !(0..shared).any(is_older) {
        // The usual case: nothing to keep, and the broker's image is shared, not copied.
        return answer;
    }
    let mut merged = (*answer).clone();
    for (new, old) in merged.partitions.iter_mut().zip(&cached.partitions) {
        if new.leader_epoch < old.leader_epoch {
            new.clone_from(old);
        }
    }
    Rc::new(merged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kafka::config::TopicConfig;
    use crate::kafka::ids::{BrokerId, PartitionIndex, TopicIndex};
    use crate::kafka::metadata::{ChangeReason, MetadataRecord};

    /// Topic `orders` with two partitions on brokers 1, 2, 3, as a broker sees it after reading the
    /// controller's log up to each election in `leaders` (partition, leader, leader epoch).
    fn image(partitions: u32, leaders: &[(u32, u32, i32)]) -> MetadataImage {
        let mut image = MetadataImage::default();
        image.apply(&MetadataRecord::CreateTopic { name: "orders".into(), config: Rc::new(TopicConfig::default()) });
        let assignments = (0..partitions).map(|_| vec![BrokerId(1), BrokerId(2), BrokerId(3)]).collect();
        image.apply(&MetadataRecord::CreatePartitions { topic: TopicIndex(0), assignments });
        for &(partition, leader, leader_epoch) in leaders {
            image.apply(&MetadataRecord::PartitionChange {
                partition: PartitionIndex(partition),
                leader: Some(BrokerId(leader)),
                isr: vec![BrokerId(leader)],
                leader_epoch,
                partition_epoch: leader_epoch,
                recovering: false,
                reason: ChangeReason::Created,
            });
        }
        image
    }

    fn leaders(image: &MetadataImage) -> Vec<(Option<BrokerId>, i32)> {
        image.partitions.iter().map(|p| (p.leader, p.leader_epoch)).collect()
    }

    #[test]
    fn a_client_that_knows_the_new_leader_does_not_go_back_to_the_old_one_when_a_lagging_broker_answers() {
        // Broker 1 died; P0's leadership moved to broker 2 (epoch 1). The client heard that, then asks
        // broker 3, which has not read the election yet and still names broker 1.
        let knew = image(2, &[(0, 1, 0), (1, 2, 0), (0, 2, 1)]);
        let lagging = Rc::new(image(2, &[(0, 1, 0), (1, 2, 0)]));
        let now = update(Some(&knew), lagging);
        assert_eq!(leaders(&now), [(Some(BrokerId(2)), 1), (Some(BrokerId(2)), 0)]);
    }

    #[test]
    fn an_answer_with_the_same_or_a_newer_epoch_is_taken_as_it_is() {
        let knew = image(2, &[(0, 1, 0), (1, 2, 0)]);
        let newer = Rc::new(image(2, &[(0, 1, 0), (1, 2, 0), (1, 3, 1)]));
        let now = update(Some(&knew), newer.clone());
        assert!(Rc::ptr_eq(&now, &newer), "nothing older to keep: the broker's image itself");
        assert_eq!(leaders(&now), [(Some(BrokerId(1)), 0), (Some(BrokerId(3)), 1)]);
    }

    #[test]
    fn new_partitions_come_from_the_answer_and_ones_it_has_not_heard_of_are_gone() {
        let knew = image(2, &[(0, 2, 3), (1, 2, 0)]);
        let grown = Rc::new(image(3, &[(0, 1, 0), (1, 2, 0), (2, 3, 0)]));
        let now = update(Some(&knew), grown);
        assert_eq!(leaders(&now), [(Some(BrokerId(2)), 3), (Some(BrokerId(2)), 0), (Some(BrokerId(3)), 0)]);

        let shrunk = Rc::new(image(1, &[(0, 1, 0)]));
        let now = update(Some(&knew), shrunk);
        assert_eq!(leaders(&now), [(Some(BrokerId(2)), 3)], "the partition number the answer has keeps the newer leader");
    }

    const REFRESH: RefreshConfig = RefreshConfig { retry: ExponentialBackoff::new(100, 1_000), metadata_max_age_ms: 300_000 };

    #[test]
    fn a_client_asks_its_bootstrap_servers_one_request_at_a_time_and_another_broker_after_a_failure() {
        let (mut meta, reconnect, mut rng, mut out) = (ClientMetadata::new(vec![BrokerId(1), BrokerId(2)]), Reconnect::new(Rng::new(1)), Rng::new(2), Outbox::default());
        let node = Node::Producer(0);
        assert_eq!(meta.broker_to_ask(Tick(0), REFRESH, &reconnect, &mut rng, node, &mut out), Some(BrokerId(1)));
        meta.sent(7);
        assert_eq!(meta.broker_to_ask(Tick(1), REFRESH, &reconnect, &mut rng, node, &mut out), None, "one request awaits its answer");
        assert!(!meta.failed(6, Tick(5)), "not the request awaited");
        assert!(meta.failed(7, Tick(5)));
        assert_eq!(meta.broker_to_ask(Tick(6), REFRESH, &reconnect, &mut rng, node, &mut out), None, "the retry backoff holds");
        assert_eq!(meta.broker_to_ask(Tick(200), REFRESH, &reconnect, &mut rng, node, &mut out), Some(BrokerId(2)), "the next broker");
    }

    #[test]
    fn a_broker_the_controller_fenced_is_no_longer_asked_and_with_none_live_the_client_goes_back_to_its_bootstrap_servers() {
        let mut image = image(1, &[(0, 1, 0)]);
        for broker in 1..=3 {
            image.apply(&MetadataRecord::RegisterBroker { broker: BrokerId(broker), epoch: 1, rack: None });
            image.apply(&MetadataRecord::UnfenceBroker { broker: BrokerId(broker), epoch: 1 });
        }
        // Broker 1 died and missed its heartbeats for broker.session.timeout.ms.
        image.apply(&MetadataRecord::FenceBroker { broker: BrokerId(1), epoch: 1 });
        let mut meta = ClientMetadata::new(vec![BrokerId(1)]);
        meta.image = Some(Rc::new(image.clone()));
        assert_eq!(meta.known_brokers(), [BrokerId(2), BrokerId(3)]);
        let reconnect = Reconnect::new(Rng::new(1));
        assert_eq!(meta.least_loaded(&reconnect, Tick(0)), Some(Ok(BrokerId(2))), "the round skips the fenced broker, cursor 0");

        for broker in 2..=3 {
            image.apply(&MetadataRecord::FenceBroker { broker: BrokerId(broker), epoch: 1 });
        }
        meta.image = Some(Rc::new(image));
        assert_eq!(meta.known_brokers(), [BrokerId(1)], "an answer naming no live broker: back to bootstrap.servers");
        assert_eq!(ClientMetadata::default().least_loaded(&reconnect, Tick(0)), None, "a client that knows no broker asks none");
    }

    #[test]
    fn an_answer_to_a_request_given_up_on_is_not_taken() {
        let mut meta = ClientMetadata::new(vec![BrokerId(1)]);
        meta.sent(3);
        assert!(meta.failed(3, Tick(10)));
        meta.sent(4);
        assert!(meta.answered(3, Tick(20), Rc::new(image(1, &[(0, 1, 0)]))).is_none(), "the answer to request 3 came too late");
        let taken = meta.answered(4, Tick(21), Rc::new(image(1, &[(0, 1, 0)])));
        assert_eq!(taken.map(|i| leaders(&i)), Some(vec![(Some(BrokerId(1)), 0)]));
    }

    #[test]
    fn the_first_answer_is_taken_whole() {
        let first = Rc::new(image(2, &[(0, 1, 0)]));
        assert!(Rc::ptr_eq(&update(None, first.clone()), &first));
    }
}
