//! Edge values a learner may type into a config never freeze the lab: every client config set to 0
//! (or 1), which Kafka either accepts or the engine refuses with a message, either runs the lesson to
//! its end or is refused, and never loops without letting simulated time pass.
//!
//! It once did: metadata.max.age.ms = 0 rearmed the refresh timer at the same moment for ever, and
//! a link with 0 ms latency let a client retry without backoff in a single tick.

use kafka_lab::kafka::config::{ConfigValue, ConsumerConfig, ProducerConfig};
use kafka_lab::scenario::library::preset;
use kafka_lab::scenario::run_scenario;
use std::sync::mpsc;
use std::time::Duration;

/// Long enough for a lesson on a slow CI machine in a debug build; a frozen run never finishes.
const RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `lesson` with every producer (or consumer) given `key = value`. Ok(true) when the engine
/// ran it, Ok(false) when it refused the value, Err when the run never finished.
fn runs(lesson: &'static str, producers: bool, key: &'static str, value: i64) -> Result<bool, String> {
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let mut scenario = preset(lesson).expect("a built-in lesson");
        if producers {
            scenario.cluster.producers.iter_mut().for_each(|p| drop(p.config.insert(key.to_string(), ConfigValue::from(value))));
        } else {
            scenario.cluster.consumers.iter_mut().for_each(|c| drop(c.config.insert(key.to_string(), ConfigValue::from(value))));
        }
        let _ = done.send(run_scenario(&scenario, None).is_ok());
    });
    finished.recv_timeout(RUN_TIMEOUT).map_err(|_| format!("{lesson} with {key} = {value} did not finish in {RUN_TIMEOUT:?}"))
}

#[test]
fn every_client_config_at_zero_or_one_runs_or_is_refused_and_never_freezes() {
    // unclean-election has partitions with no leader at all; idempotent-producer has lossy links.
    let mut ran = 0;
    for lesson in ["unclean-election", "idempotent-producer"] {
        for value in [0, 1] {
            for key in ProducerConfig::KEYS {
                ran += usize::from(runs(lesson, true, key, value).unwrap_or_else(|e| panic!("{e}")));
            }
            for key in ConsumerConfig::KEYS {
                ran += usize::from(runs(lesson, false, key, value).unwrap_or_else(|e| panic!("{e}")));
            }
        }
    }
    assert!(ran > 40, "most of these values are valid Kafka configs and run: {ran}");
}
