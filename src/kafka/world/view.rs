//! A read-only look at the world for inspectors, charts and checkpoints.

use super::World;
use crate::kafka::broker::Broker;
use crate::kafka::consumer::Consumer;
use crate::kafka::ids::{BrokerId, PartitionIndex, TopicPartition};
use crate::kafka::log::Log;
use crate::kafka::metadata::MetadataImage;
use crate::kafka::producer::Producer;
use crate::sim::Tick;

#[derive(Clone, Copy)]
pub struct View<'a> {
    world: &'a World,
}

impl<'a> View<'a> {
    pub(super) fn new(world: &'a World) -> View<'a> {
        View { world }
    }

    pub fn now(&self) -> Tick {
        self.world.now
    }

    /// The metadata as the active controller has committed it: the cluster's truth.
    pub fn metadata(&self) -> &'a MetadataImage {
        self.world.metadata()
    }

    pub fn brokers(&self) -> impl Iterator<Item = &'a Broker> {
        self.world.brokers.values()
    }

    pub fn broker(&self, id: BrokerId) -> Option<&'a Broker> {
        self.world.brokers.get(&id)
    }

    /// Broken guarantees so far, by kind.
    pub fn violations(&self) -> &'a crate::sim::sorted::SortedMap<super::ViolationKind, u64> {
        self.world.violations()
    }

    pub fn controllers(&self) -> &'a [crate::kafka::controller::Controller] {
        &self.world.controllers
    }

    /// The group as its coordinator holds it (the broker leading its `__consumer_offsets`
    /// partition), if a live coordinator has it loaded.
    pub fn group(&self, name: &str) -> Option<&'a crate::kafka::group::coordinator::Group> {
        self.world.brokers.values().filter(|b| b.up).find_map(|b| b.coordinator.groups.get(name))
    }

    pub fn producers(&self) -> &'a [Producer] {
        &self.world.producers
    }

    pub fn consumers(&self) -> &'a [Consumer] {
        &self.world.consumers
    }

    /// A broker's copy of a partition's log.
    pub fn log(&self, broker: BrokerId, partition: PartitionIndex) -> Option<&'a Log> {
        self.world.brokers.get(&broker)?.replicas.get(&partition).map(|r| &r.log)
    }

    /// The current leader's log of a partition.
    pub fn leader_log(&self, partition: PartitionIndex) -> Option<&'a Log> {
        let leader = self.metadata().partitions.get(partition.get())?.leader?;
        self.log(leader, partition)
    }

    pub fn partition_index(&self, topic: &str, number: u32) -> Option<PartitionIndex> {
        let image = self.metadata();
        image.partition_of(image.topic_index(topic)?, number)
    }

    pub fn topic_partition(&self, partition: PartitionIndex) -> TopicPartition {
        self.metadata().topic_partition(partition)
    }
}
