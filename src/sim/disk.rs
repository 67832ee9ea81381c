//! The simulated disk and page cache.
//!
//! [`Disk`] is one serial device: each request waits for the ones before it, then costs a fixed amount
//! plus an amount per KiB. That is why Kafka's batched, sequential appends are cheap and many small
//! writes are not. Costs are kept in microseconds and completion rounds up to the next millisecond tick.
//!
//! [`PageCache`] remembers, per file, how far the data is durable. Writes land in the cache (dirty);
//! an fsync or the operating system's background writeback makes them durable. A crash that loses the
//! page cache loses every dirty byte. Kafka by default never fsyncs a write: it relies on replication,
//! and fsyncs a segment only once it has rolled ([`PageCache::flush_to`]).

use super::time::Tick;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use crate::sim::sorted::SortedMap;

/// Costs of one disk, in microseconds (fsync in milliseconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiskConfig {
    /// Fixed cost of one append request (a system call and a page-cache copy set-up).
    pub append_request_us: u64,
    /// Cost per KiB appended.
    pub append_per_kib_us: u64,
    /// Fixed cost of a read served from the page cache.
    pub read_cached_request_us: u64,
    /// Fixed cost of a read that misses the page cache and goes to the device.
    pub read_uncached_request_us: u64,
    /// Cost per KiB read from the device (page-cache reads cost only the fixed part).
    pub read_per_kib_us: u64,
    /// How long an fsync takes.
    pub fsync_ms: u64,
    /// Every cost is multiplied by this (1 = healthy; a "slow disk" fault raises it).
    pub slowdown_factor: u64,
}

impl Default for DiskConfig {
    /// An SSD: 20 µs per append plus 2 µs per KiB (about 500 MB/s), fsync 5 ms.
    fn default() -> DiskConfig {
        DiskConfig {
            append_request_us: 20,
            append_per_kib_us: 2,
            read_cached_request_us: 5,
            read_uncached_request_us: 100,
            read_per_kib_us: 2,
            fsync_ms: 5,
            slowdown_factor: 1,
        }
    }
}

/// What the disk has done, for the broker panel and the sequential-I/O lesson.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DiskStats {
    pub append_requests: u64,
    pub appended_bytes: u64,
    pub read_requests: u64,
    pub read_bytes: u64,
    pub reads_from_page_cache: u64,
    pub fsyncs: u64,
    /// Total time the device was busy.
    pub busy_us: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Disk {
    pub config: DiskConfig,
    busy_until_us: u64,
    pub stats: DiskStats,
}

fn kib_ceil(bytes: u64) -> u64 {
    bytes.div_ceil(1024)
}

impl Disk {
    pub fn new(config: DiskConfig) -> Disk {
        Disk { config, busy_until_us: 0, stats: DiskStats::default() }
    }

    /// Runs a request costing `cost_us` after everything queued before it; returns when it completes.
    fn occupy(&mut self, now: Tick, cost_us: u64) -> Tick {
        let cost_us = cost_us * self.config.slowdown_factor.max(1);
        let start_us = (now.ms() * 1000).max(self.busy_until_us);
        self.busy_until_us = start_us + cost_us;
        self.stats.busy_us += cost_us;
        Tick(self.busy_until_us.div_ceil(1000))
    }

    /// Appends `bytes` (into the page cache); returns when the write completes.
    pub fn append(&mut self, now: Tick, bytes: u64) -> Tick {
        self.stats.append_requests += 1;
        self.stats.appended_bytes += bytes;
        let cost = self.config.append_request_us + self.config.append_per_kib_us * kib_ceil(bytes);
        self.occupy(now, cost)
    }

    /// Reads `bytes`; a read of data still in the page cache skips the device.
    pub fn read(&mut self, now: Tick, bytes: u64, in_page_cache: bool) -> Tick {
        self.stats.read_requests += 1;
        self.stats.read_bytes += bytes;
        let cost = if in_page_cache {
            self.stats.reads_from_page_cache += 1;
            self.config.read_cached_request_us
        } else {
            self.config.read_uncached_request_us + self.config.read_per_kib_us * kib_ceil(bytes)
        };
        self.occupy(now, cost)
    }

    /// Forces dirty data to the device; returns when the fsync completes.
    pub fn fsync(&mut self, now: Tick) -> Tick {
        self.stats.fsyncs += 1;
        self.occupy(now, self.config.fsync_ms * 1000)
    }

    /// A restarted machine: the device queue is empty again.
    pub fn reset_queue(&mut self) {
        self.busy_until_us = 0;
    }
}

/// One file's durability: data up to `durable` survives a crash; dirty marks are writes not yet flushed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct FileState {
    durable: u64,
    /// (end position of a write, when it was written), oldest first.
    dirty: VecDeque<(u64, Tick)>,
}

/// The operating system's page cache, per file. Positions are any increasing measure the caller uses
/// (the log uses offsets): the cache only remembers how far each file is durable.
#[derive(Clone, Debug, Default)]
pub struct PageCache {
    files: SortedMap<u64, FileState>,
}

impl PageCache {
    /// A write up to position `end` lands in the cache at `now` (dirty, not yet durable).
    pub fn write(&mut self, file: u64, end: u64, now: Tick) {
        let state = self.files.entry(file).or_default();
        if end > state.durable {
            state.dirty.push_back((end, now));
        }
    }

    /// The file was flushed (fsync or writeback) up to `end`.
    fn mark_durable(state: &mut FileState, end: u64) {
        state.durable = state.durable.max(end);
        while state.dirty.front().is_some_and(|&(pos, _)| pos <= state.durable) {
            state.dirty.pop_front();
        }
    }

    /// An fsync of the whole file: everything written so far becomes durable. Returns the new position.
    pub fn flush(&mut self, file: u64) -> u64 {
        self.flush_to(file, u64::MAX)
    }

    /// An fsync of the file's start, up to position `end` (Kafka flushes a rolled segment, not the
    /// one after it). Returns the new durable position.
    pub fn flush_to(&mut self, file: u64, end: u64) -> u64 {
        let state = self.files.entry(file).or_default();
        let written = state.dirty.back().map_or(state.durable, |&(pos, _)| pos);
        Self::mark_durable(state, end.min(written));
        state.durable
    }

    /// The OS's background writeback: writes older than `dirty_expire_ms` become durable.
    /// Returns the files whose durable position moved, with the new position.
    pub fn writeback(&mut self, now: Tick, dirty_expire_ms: u64) -> Vec<(u64, u64)> {
        let mut moved = Vec::new();
        for (&file, state) in &mut self.files {
            let expired = state.dirty.iter().take_while(|&&(_, at)| now.since(at) >= dirty_expire_ms).last();
            if let Some(&(end, _)) = expired {
                Self::mark_durable(state, end);
                moved.push((file, state.durable));
            }
        }
        moved
    }

    /// How far `file` is durable.
    pub fn durable(&self, file: u64) -> u64 {
        self.files.get(&file).map_or(0, |s| s.durable)
    }

    /// How many writes of `file` are still only in memory.
    pub fn dirty_writes(&self, file: u64) -> usize {
        self.files.get(&file).map_or(0, |s| s.dirty.len())
    }

    /// The file was truncated to `end` (a follower truncating after a leader change).
    pub fn truncate(&mut self, file: u64, end: u64) {
        if let Some(state) = self.files.get_mut(&file) {
            state.durable = state.durable.min(end);
            state.dirty.retain(|&(pos, _)| pos <= end);
            if end > state.durable {
                state.dirty.push_back((end, state.dirty.back().map_or(Tick::ZERO, |&(_, at)| at)));
            }
        }
    }

    /// The machine lost power: every dirty write is gone. Returns each file's surviving position.
    pub fn crash(&mut self) -> SortedMap<u64, u64> {
        let survivors = self.files.iter().map(|(&file, state)| (file, state.durable)).collect();
        for state in self.files.values_mut() {
            state.dirty.clear();
        }
        survivors
    }

    /// The machine shut down cleanly: the OS flushes everything first.
    pub fn flush_all(&mut self) {
        let files: Vec<u64> = self.files.keys().copied().collect();
        for file in files {
            self.flush(file);
        }
    }

    pub fn forget(&mut self, file: u64) {
        self.files.remove(&file);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_batched_append_is_much_cheaper_than_many_small_ones() {
        // 1,000 records of 100 bytes: one 100 KB append versus 1,000 separate appends.
        let mut batched = Disk::new(DiskConfig::default());
        let batched_done = batched.append(Tick(0), 100_000);
        let mut small = Disk::new(DiskConfig::default());
        let mut small_done = Tick(0);
        for _ in 0..1000 {
            small_done = small.append(Tick(0), 100);
        }
        assert_eq!(batched.stats.busy_us, 20 + 2 * 98);
        assert_eq!(small.stats.busy_us, 1000 * (20 + 2));
        assert!(small_done > batched_done);
    }

    #[test]
    fn requests_queue_on_the_device_and_a_slow_disk_takes_longer() {
        let mut disk = Disk::new(DiskConfig { fsync_ms: 5, ..DiskConfig::default() });
        assert_eq!(disk.fsync(Tick(10)), Tick(15));
        assert_eq!(disk.fsync(Tick(10)), Tick(20), "the second fsync waits for the first");
        let mut slow = Disk::new(DiskConfig { slowdown_factor: 10, ..DiskConfig::default() });
        assert_eq!(slow.fsync(Tick(0)), Tick(50));
    }

    #[test]
    fn page_cache_reads_skip_the_device() {
        let mut disk = Disk::new(DiskConfig::default());
        disk.read(Tick(0), 1 << 20, true);
        assert_eq!(disk.stats.busy_us, 5);
        disk.read(Tick(0), 1 << 20, false);
        assert_eq!(disk.stats.busy_us, 5 + 100 + 2 * 1024);
        assert_eq!(disk.stats.reads_from_page_cache, 1);
    }

    #[test]
    fn a_rolled_segment_survives_power_loss_and_the_active_one_does_not() {
        // Kafka fsyncs a segment when it rolls, up to the new segment's base offset only.
        let mut cache = PageCache::default();
        cache.write(7, 10, Tick(0));
        cache.write(7, 20, Tick(0));
        assert_eq!(cache.flush_to(7, 10), 10);
        cache.write(7, 30, Tick(0));
        assert_eq!(cache.flush_to(7, 99), 30, "no further than what was written");
        cache.write(7, 40, Tick(0));
        assert_eq!(cache.crash().get(&7), Some(&30));
    }

    #[test]
    fn a_crash_loses_what_was_never_flushed() {
        let mut cache = PageCache::default();
        cache.write(7, 10, Tick(0));
        cache.write(7, 20, Tick(1000));
        assert_eq!(cache.flush(7), 20);
        cache.write(7, 35, Tick(2000));
        assert_eq!(cache.dirty_writes(7), 1);
        assert_eq!(cache.crash().get(&7), Some(&20));
        assert_eq!(cache.dirty_writes(7), 0);
    }

    #[test]
    fn background_writeback_makes_old_writes_durable() {
        let mut cache = PageCache::default();
        cache.write(1, 5, Tick(0));
        cache.write(1, 9, Tick(20_000));
        assert_eq!(cache.writeback(Tick(29_999), 30_000), vec![]);
        assert_eq!(cache.writeback(Tick(30_000), 30_000), vec![(1, 5)]);
        assert_eq!(cache.durable(1), 5);
        assert_eq!(cache.writeback(Tick(50_000), 30_000), vec![(1, 9)]);
    }

    #[test]
    fn truncation_pulls_the_durable_point_back() {
        let mut cache = PageCache::default();
        cache.write(1, 10, Tick(0));
        cache.flush(1);
        cache.truncate(1, 6);
        assert_eq!(cache.durable(1), 6);
    }
}
