//! How a client (producer or consumer) takes in a metadata answer: Kafka's `Metadata.update`.
//!
//! Brokers learn of a new leader by reading the controller's log, some sooner than others. After a
//! failover a client may ask a broker that has not read the change yet and hear of the old leader,
//! after it already knew of the new one. Kafka's client remembers the newest leader epoch it has seen
//! per partition (`lastSeenLeaderEpochs`) and keeps what it knew for a partition whose answer carries
//! an older epoch (`updateLatestMetadata`); everything else comes from the answer. Without this, a
//! producer would send its records back to a leader that has lost its leadership, or is dead.

use crate::kafka::metadata::MetadataImage;
use std::rc::Rc;

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

    #[test]
    fn the_first_answer_is_taken_whole() {
        let first = Rc::new(image(2, &[(0, 1, 0)]));
        assert!(Rc::ptr_eq(&update(None, first.clone()), &first));
    }
}
