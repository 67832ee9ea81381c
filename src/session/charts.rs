//! Chart series, one sample per simulated second.
//!
//! A sample is a pure function of the world at a whole second (cumulative counters from the clients'
//! own statistics, lag and ISR sizes from the logs and the metadata), so it never depends on how the
//! run was chunked into frames, and truncating the future after a branch is dropping samples.
//! Throughput is the difference between two samples.

use crate::kafka::world::View;
use crate::sim::Tick;
use std::collections::VecDeque;

/// The sampling period.
pub const SAMPLE_INTERVAL_MS: u64 = 1_000;

/// The cluster at one whole second of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    pub at: Tick,
    /// Records the producers had acknowledged (all producers, since the start).
    pub produced: u64,
    /// Records the consumers had polled (all consumers, since the start).
    pub consumed: u64,
    /// Per consumer (in run order): records between its positions and the leaders' high watermarks.
    pub lag: Vec<u64>,
    /// Replicas in some ISR, over all partitions.
    pub isr_members: u32,
    /// Assigned replicas, over all partitions.
    pub replicas: u32,
    /// Partitions whose ISR is smaller than their replica set.
    pub under_replicated: u32,
    /// Partitions without a leader.
    pub offline: u32,
}

impl Sample {
    pub fn of(view: &View<'_>) -> Sample {
        let metadata = view.metadata();
        let produced = view.producers().iter().map(|p| p.stats.records_acked).sum();
        let consumed = view.consumers().iter().map(|c| c.stats.records_polled).sum();
        let lag = view.consumers().iter().map(|c| consumer_lag(view, c)).collect();
        let mut sample =
            Sample { at: view.now(), produced, consumed, lag, isr_members: 0, replicas: 0, under_replicated: 0, offline: 0 };
        for p in &metadata.partitions {
            sample.isr_members += p.isr.len() as u32;
            sample.replicas += p.replicas.len() as u32;
            if p.isr.len() < p.replicas.len() {
                sample.under_replicated += 1;
            }
            if p.leader.is_none() {
                sample.offline += 1;
            }
        }
        sample
    }
}

/// Records a consumer has yet to read: for each assigned partition, the leader's high watermark minus
/// the consumer's position (a partition whose position is not known yet counts as 0).
pub fn consumer_lag(view: &View<'_>, consumer: &crate::kafka::consumer::Consumer) -> u64 {
    consumer
        .assignment
        .iter()
        .map(|p| partition_lag(view, consumer, *p))
        .sum()
}

/// One partition's lag for one consumer.
pub fn partition_lag(view: &View<'_>, consumer: &crate::kafka::consumer::Consumer, partition: crate::kafka::ids::PartitionIndex) -> u64 {
    let high_watermark = view.leader_log(partition).map_or(0, |log| log.high_watermark());
    consumer.position(partition).map_or(0, |position| high_watermark.saturating_sub(position))
}

/// The samples so far, at most `max` (the oldest dropped first).
#[derive(Clone, Debug)]
pub struct Charts {
    samples: VecDeque<Sample>,
    max: usize,
}

impl Charts {
    pub fn new(max: usize) -> Charts {
        Charts { samples: VecDeque::new(), max: max.max(2) }
    }

    pub fn push(&mut self, sample: Sample) {
        self.samples.push_back(sample);
        while self.samples.len() > self.max {
            self.samples.pop_front();
        }
    }

    /// When the newest sample was taken.
    pub fn last_at(&self) -> Option<Tick> {
        self.samples.back().map(|s| s.at)
    }

    /// Forgets samples at or after `at` (a branch replaced that future).
    pub fn truncate_from(&mut self, at: Tick) {
        while self.samples.back().is_some_and(|s| s.at >= at) {
            self.samples.pop_back();
        }
    }

    pub fn clear(&mut self) {
        self.samples.clear();
    }

    pub fn len(&self) -> usize {
        self.samples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }

    /// The samples taken at or before `until`, oldest first.
    pub fn until(&self, until: Tick) -> impl DoubleEndedIterator<Item = &Sample> + Clone {
        let end = self.samples.partition_point(|s| s.at <= until);
        self.samples.range(..end)
    }

    /// Records per second between consecutive samples up to `until`, as (time, produced/s, consumed/s).
    pub fn throughput(&self, until: Tick) -> Vec<(Tick, u64, u64)> {
        let samples: Vec<&Sample> = self.until(until).collect();
        samples
            .windows(2)
            .map(|w| {
                let seconds_ms = w[1].at.since(w[0].at).max(1);
                let per_second = |a: u64, b: u64| b.saturating_sub(a) * 1_000 / seconds_ms;
                (w[1].at, per_second(w[0].produced, w[1].produced), per_second(w[0].consumed, w[1].consumed))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at: u64, produced: u64, consumed: u64) -> Sample {
        Sample { at: Tick(at), produced, consumed, lag: vec![], isr_members: 0, replicas: 0, under_replicated: 0, offline: 0 }
    }

    #[test]
    fn throughput_is_the_difference_between_seconds() {
        let mut charts = Charts::new(10);
        charts.push(sample(0, 0, 0));
        charts.push(sample(1_000, 100, 40));
        charts.push(sample(2_000, 300, 240));
        assert_eq!(charts.throughput(Tick(2_000)), vec![(Tick(1_000), 100, 40), (Tick(2_000), 200, 200)]);
        assert_eq!(charts.throughput(Tick(1_500)).len(), 1, "the future is not shown");
    }

    #[test]
    fn samples_are_bounded_and_truncated_by_time() {
        let mut charts = Charts::new(3);
        for s in 0..5 {
            charts.push(sample(s * 1_000, s, s));
        }
        assert_eq!(charts.len(), 3);
        charts.truncate_from(Tick(4_000));
        assert_eq!(charts.last_at(), Some(Tick(3_000)));
    }
}
