//! kafka-lab: a deterministic simulation of Apache Kafka's own rules, with a web lab and a CLI on top.
//!
//! Layers (see `shared/design/ARCHITECTURE.md`), each using only the ones above it:
//! - [`sim`]: the kernel: virtual time, seeded randomness, the event queue, a simulated network and disk.
//! - [`kafka`]: the Kafka model: logs, partitioners, placement, replication, producers, consumers, groups.
//! - [`scenario`]: lessons and share links: the scenario format, its checks, the headless runner.
//! - [`session`]: a learner's session with a run (keyframes, rewind, narration, charts), shared by the
//!   front ends and tested natively.
//! - `ui` (wasm only) and the `kafka-lab` binary: front ends that use the public API only.

pub mod bench;
pub mod explore;
pub mod kafka;
pub mod scenario;
pub mod session;
pub mod sim;

#[cfg(not(target_arch = "wasm32"))]
pub mod cli;

#[cfg(target_arch = "wasm32")]
pub mod ui;
