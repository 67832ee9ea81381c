//! The kernel: virtual time, seeded randomness, the event queue, a simulated network and disk, and the
//! trace hash. Nothing here knows about Kafka.

pub mod chunked;
pub mod disk;
pub mod net;
pub mod queue;
pub mod rng;
pub mod sorted;
pub mod time;
pub mod trace;

pub use net::NodeId;
pub use rng::{Ratio, Rng};
pub use time::Tick;
