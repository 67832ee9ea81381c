//! The kernel: virtual time, seeded randomness and the event queue. Nothing here knows about Kafka.

pub mod rng;
