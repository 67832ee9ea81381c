//! The cluster metadata: brokers, topics and partition states, as records in the controller's
//! metadata log (KRaft's `__cluster_metadata`) and as the image every broker builds by applying them.
//!
//! One `apply` function serves the controller and every broker, so they can only ever disagree about
//! how far they have read, never about what a record means.

use crate::kafka::config::TopicConfig;
use crate::kafka::ids::{BrokerId, PartitionIndex, TopicIndex, TopicPartition};
use crate::sim::sorted::SortedMap;
use std::rc::Rc;

/// Why a partition's leader or ISR changed: the controller's reason, kept for narration.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ChangeReason {
    /// The topic (or partition) was just created.
    Created,
    /// A broker was fenced after missing heartbeats for this long.
    BrokerFenced { broker: BrokerId, silent_ms: u64 },
    /// A broker shut down or was unfenced and took its place back.
    BrokerUnfenced { broker: BrokerId },
    /// The leader asked to shrink or expand the ISR (AlterPartition).
    AlterPartition { requested_by: BrokerId },
    /// Leadership moved back to the preferred (first assigned) replica.
    PreferredElection,
    /// No in-sync replica was alive; an out-of-sync replica was elected (unclean.leader.election.enable).
    UncleanElection,
}

/// One record in the metadata log.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum MetadataRecord {
    RegisterBroker { broker: BrokerId, epoch: u64, rack: Option<Rc<str>> },
    FenceBroker { broker: BrokerId, epoch: u64 },
    UnfenceBroker { broker: BrokerId, epoch: u64 },
    CreateTopic { name: Rc<str>, config: Rc<TopicConfig> },
    /// New partitions of the newest-named topic, with their replica assignments.
    CreatePartitions { topic: TopicIndex, assignments: Vec<Vec<BrokerId>> },
    PartitionChange {
        partition: PartitionIndex,
        leader: Option<BrokerId>,
        isr: Vec<BrokerId>,
        leader_epoch: i32,
        partition_epoch: i32,
        recovering: bool,
        reason: ChangeReason,
    },
    TopicConfig { topic: TopicIndex, config: Rc<TopicConfig> },
    /// A controller became the quorum's leader for `epoch` (KRaft's LeaderChangeMessage): committing
    /// it commits everything before it.
    LeaderChange { controller: u32, epoch: u32 },
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct BrokerRegistration {
    pub epoch: u64,
    pub fenced: bool,
    pub rack: Option<Rc<str>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TopicImage {
    pub name: Rc<str>,
    pub partitions: Vec<PartitionIndex>,
    pub config: Rc<TopicConfig>,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct PartitionImage {
    pub topic: TopicIndex,
    /// The partition number within its topic.
    pub number: u32,
    /// Assigned replicas; the first is the preferred leader.
    pub replicas: Vec<BrokerId>,
    pub isr: Vec<BrokerId>,
    pub leader: Option<BrokerId>,
    pub leader_epoch: i32,
    pub partition_epoch: i32,
    /// Elected uncleanly and not yet recovered.
    pub recovering: bool,
}

/// The metadata as of some offset of the metadata log.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct MetadataImage {
    /// How many metadata records were applied.
    pub offset: u64,
    pub brokers: SortedMap<BrokerId, BrokerRegistration>,
    pub topics: Vec<TopicImage>,
    pub partitions: Vec<PartitionImage>,
}

impl MetadataImage {
    pub fn apply(&mut self, record: &MetadataRecord) {
        self.offset += 1;
        match record {
            MetadataRecord::RegisterBroker { broker, epoch, rack } => {
                self.brokers.insert(*broker, BrokerRegistration { epoch: *epoch, fenced: true, rack: rack.clone() });
            }
            MetadataRecord::FenceBroker { broker, epoch } => {
                if let Some(b) = self.brokers.get_mut(broker).filter(|b| b.epoch == *epoch) {
                    b.fenced = true;
                }
            }
            MetadataRecord::UnfenceBroker { broker, epoch } => {
                if let Some(b) = self.brokers.get_mut(broker).filter(|b| b.epoch == *epoch) {
                    b.fenced = false;
                }
            }
            MetadataRecord::CreateTopic { name, config } => {
                self.topics.push(TopicImage { name: name.clone(), partitions: Vec::new(), config: config.clone() });
            }
            MetadataRecord::CreatePartitions { topic, assignments } => {
                for replicas in assignments {
                    let index = PartitionIndex(self.partitions.len() as u32);
                    let topic_image = &mut self.topics[topic.get()];
                    let number = topic_image.partitions.len() as u32;
                    topic_image.partitions.push(index);
                    self.partitions.push(PartitionImage {
                        topic: *topic,
                        number,
                        replicas: replicas.clone(),
                        isr: Vec::new(),
                        leader: None,
                        leader_epoch: -1,
                        partition_epoch: -1,
                        recovering: false,
                    });
                }
            }
            MetadataRecord::PartitionChange { partition, leader, isr, leader_epoch, partition_epoch, recovering, .. } => {
                let p = &mut self.partitions[partition.get()];
                p.leader = *leader;
                p.isr.clone_from(isr);
                p.leader_epoch = *leader_epoch;
                p.partition_epoch = *partition_epoch;
                p.recovering = *recovering;
            }
            MetadataRecord::TopicConfig { topic, config } => {
                self.topics[topic.get()].config = config.clone();
            }
            MetadataRecord::LeaderChange { .. } => {}
        }
    }

    pub fn topic_index(&self, name: &str) -> Option<TopicIndex> {
        self.topics.iter().position(|t| &*t.name == name).map(|i| TopicIndex(i as u32))
    }

    pub fn partition(&self, index: PartitionIndex) -> &PartitionImage {
        &self.partitions[index.get()]
    }

    /// The partition `number` of `topic`, if it exists.
    pub fn partition_of(&self, topic: TopicIndex, number: u32) -> Option<PartitionIndex> {
        self.topics.get(topic.get())?.partitions.get(number as usize).copied()
    }

    /// `orders-2` for a partition index.
    pub fn topic_partition(&self, index: PartitionIndex) -> TopicPartition {
        let p = self.partition(index);
        TopicPartition::new(&*self.topics[p.topic.get()].name, p.number)
    }

    pub fn is_alive(&self, broker: BrokerId) -> bool {
        self.brokers.get(&broker).is_some_and(|b| !b.fenced)
    }

    /// Kafka's `isReplicaIsrEligible` (KRaft): the follower's broker is unfenced, and its last fetch
    /// came from the incarnation registered now (`fetched_with_epoch`). A fetch from before a
    /// restart speaks for a process that is gone, so it neither joins the ISR nor holds the HW.
    pub fn is_isr_eligible(&self, broker: BrokerId, fetched_with_epoch: Option<u64>) -> bool {
        self.brokers.get(&broker).is_some_and(|b| !b.fenced && fetched_with_epoch == Some(b.epoch))
    }
}

/// Kafka's `Topic.isInternal`: the topics Kafka creates for itself, where consumer groups keep their
/// committed offsets and transaction coordinators their state.
pub fn is_internal_topic(name: &str) -> bool {
    name == crate::kafka::group::coordinator::OFFSETS_TOPIC || name == crate::kafka::txn::coordinator::TRANSACTION_STATE_TOPIC
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_fetch_from_the_broker_registered_now_makes_a_follower_isr_eligible() {
        // Kafka's isReplicaIsrEligible: a restarted follower that has not fetched yet (or whose last
        // fetch came from its previous life) must not hold the leader's HW back or join the ISR.
        let mut image = MetadataImage::default();
        image.apply(&MetadataRecord::RegisterBroker { broker: BrokerId(1), epoch: 11, rack: None });
        assert!(!image.is_isr_eligible(BrokerId(1), Some(11)), "fenced until it caught up with the metadata");
        image.apply(&MetadataRecord::UnfenceBroker { broker: BrokerId(1), epoch: 11 });
        assert!(image.is_isr_eligible(BrokerId(1), Some(11)));
        assert!(!image.is_isr_eligible(BrokerId(1), None), "no fetch since this broker became leader");
        assert!(!image.is_isr_eligible(BrokerId(1), Some(4)), "a fetch from the broker's previous life");
        assert!(!image.is_isr_eligible(BrokerId(2), Some(11)), "not registered at all");
    }
}
