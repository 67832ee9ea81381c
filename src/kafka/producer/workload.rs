//! A producer application's records: when they are due and what keys and values they carry.
//!
//! Record `i` of a workload running at `r` records per second is due `i * 1000 / r` ms after it
//! started, so generating records needs no timer per record: each wake-up sends what is due.

use crate::kafka::record::Value;
use crate::kafka::world::spec::{KeyPattern, ValuePattern, Workload};
use crate::sim::{Rng, Tick};
use std::rc::Rc;

#[derive(Clone, Debug)]
pub struct WorkloadState {
    pub spec: Workload,
    /// When the current rate took effect, and how many records were generated before it.
    epoch_start: Tick,
    generated_before_epoch: u64,
    /// Records generated so far.
    pub generated: u64,
    keys: Vec<Rc<str>>,
    values: Vec<Rc<str>>,
    rng: Rng,
}

impl WorkloadState {
    pub fn new(spec: Workload, rng: Rng) -> WorkloadState {
        let keys: Vec<Rc<str>> = match &spec.keys {
            KeyPattern::None => Vec::new(),
            KeyPattern::Cycle { prefix, count } | KeyPattern::Random { prefix, count } | KeyPattern::Hot { prefix, count, .. } => {
                (0..*count).map(|i| Rc::from(format!("{prefix}{i}"))).collect()
            }
            KeyPattern::List { keys } => keys.iter().map(|k| Rc::from(k.as_str())).collect(),
        };
        let values = match &spec.values {
            ValuePattern::List { values } => values.iter().map(|v| Rc::from(v.as_str())).collect(),
            _ => Vec::new(),
        };
        WorkloadState { epoch_start: Tick(spec.start_ms), generated_before_epoch: 0, generated: 0, spec, keys, values, rng }
    }

    /// Changes the rate from `now` on.
    pub fn set_rate(&mut self, now: Tick, rate_per_sec: u32) {
        self.spec.rate_per_sec = rate_per_sec;
        self.epoch_start = now.max(Tick(self.spec.start_ms));
        self.generated_before_epoch = self.generated;
    }

    fn finished(&self, now: Tick) -> bool {
        self.spec.rate_per_sec == 0
            || self.spec.count.is_some_and(|c| self.generated >= c)
            || self.spec.stop_ms.is_some_and(|s| now.ms() >= s)
    }

    /// How many records are due by `now` that were not generated yet.
    pub fn due(&self, now: Tick) -> u64 {
        if self.finished(now) || now < self.epoch_start {
            return 0;
        }
        let elapsed_ms = now.since(self.epoch_start);
        let due_in_epoch = elapsed_ms * u64::from(self.spec.rate_per_sec) / 1000 + 1;
        let mut due = (self.generated_before_epoch + due_in_epoch).saturating_sub(self.generated);
        if let Some(count) = self.spec.count {
            due = due.min(count.saturating_sub(self.generated));
        }
        due
    }

    /// When the next record after those generated so far is due (`None` when the workload is over).
    pub fn next_due(&self, now: Tick) -> Option<Tick> {
        if self.finished(now) {
            return None;
        }
        let index_in_epoch = self.generated - self.generated_before_epoch;
        let rate = u64::from(self.spec.rate_per_sec);
        let at = self.epoch_start.plus_ms((index_in_epoch * 1000).div_ceil(rate));
        if self.spec.stop_ms.is_some_and(|s| at.ms() >= s) {
            return None;
        }
        Some(at.max(now))
    }

    /// Passes over `n` due records without making them (their `send()` threw before they existed).
    pub fn skip(&mut self, n: u64) {
        self.generated += n;
    }

    /// The next record's key and value.
    pub fn next_record(&mut self) -> (Option<Rc<str>>, Value) {
        let n = self.generated;
        self.generated += 1;
        let key = match &self.spec.keys {
            KeyPattern::None => None,
            KeyPattern::Cycle { .. } | KeyPattern::List { .. } => self.keys.get((n % self.keys.len().max(1) as u64) as usize).cloned(),
            KeyPattern::Random { .. } => {
                let i = self.rng.below(self.keys.len() as u64) as usize;
                self.keys.get(i).cloned()
            }
            KeyPattern::Hot { hot_key, hot_percent, .. } => {
                if self.rng.below(100) < u64::from(*hot_percent) {
                    Some(Rc::from(hot_key.as_str()))
                } else {
                    let i = self.rng.below(self.keys.len() as u64) as usize;
                    self.keys.get(i).cloned()
                }
            }
        };
        let value = match &self.spec.values {
            ValuePattern::Bytes { size } => Value::Opaque(*size),
            ValuePattern::List { .. } => self.values.get((n % self.values.len().max(1) as u64) as usize).cloned().map_or(Value::Null, Value::Text),
            ValuePattern::Numbered { prefix } => Value::Text(Rc::from(format!("{prefix}{}", n + 1))),
        };
        (key, value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(rate_per_sec: u32) -> WorkloadState {
        WorkloadState::new(Workload { rate_per_sec, ..Workload::default() }, Rng::new(1))
    }

    #[test]
    fn records_are_due_at_a_steady_rate() {
        let w = workload(4); // one every 250 ms: at 0, 250, 500, 750, 1000 ms
        assert_eq!(w.due(Tick(0)), 1);
        assert_eq!(w.due(Tick(249)), 1);
        assert_eq!(w.due(Tick(1000)), 5);
    }

    #[test]
    fn the_next_record_is_due_after_the_ones_generated() {
        let mut w = workload(4);
        w.next_record();
        w.next_record();
        assert_eq!(w.next_due(Tick(0)), Some(Tick(500)));
        let mut fast = workload(5000);
        for _ in 0..6 {
            fast.next_record();
        }
        assert_eq!(fast.next_due(Tick(0)), Some(Tick(2)), "5 records per ms: the 7th is due at 2 ms");
    }

    #[test]
    fn a_rate_change_starts_from_now() {
        let mut w = workload(1);
        for _ in 0..w.due(Tick(10_000)) {
            w.next_record();
        }
        assert_eq!(w.generated, 11);
        w.set_rate(Tick(10_000), 10);
        assert_eq!(w.due(Tick(10_000)), 1);
        assert_eq!(w.due(Tick(10_999)), 10);
    }

    #[test]
    fn cycling_keys_repeat_in_order() {
        let spec = Workload { keys: KeyPattern::Cycle { prefix: "order-".into(), count: 2 }, ..Workload::default() };
        let mut w = WorkloadState::new(spec, Rng::new(1));
        let keys: Vec<String> = (0..3).map(|_| w.next_record().0.unwrap().to_string()).collect();
        assert_eq!(keys, ["order-0", "order-1", "order-0"]);
    }
}
