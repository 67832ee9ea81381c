//! Virtual time: integer milliseconds since the run began. There is no other clock in the engine.

use serde::{Deserialize, Serialize};
use std::fmt;

/// A moment of simulated time, in milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Tick(pub u64);

impl Tick {
    pub const ZERO: Tick = Tick(0);
    /// Later than any run: "never" for deadlines.
    pub const NEVER: Tick = Tick(u64::MAX);

    pub fn ms(self) -> u64 {
        self.0
    }

    /// `ms` milliseconds later (saturating, so `NEVER` stays `NEVER`).
    pub fn plus_ms(self, ms: u64) -> Tick {
        Tick(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, or 0 when `earlier` is later.
    pub fn since(self, earlier: Tick) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl fmt::Display for Tick {
    /// `12.345 s`: how a learner reads a moment on the timeline.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if *self == Tick::NEVER {
            return write!(f, "never");
        }
        write!(f, "{}.{:03} s", self.0 / 1000, self.0 % 1000)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_milliseconds_and_saturate() {
        assert_eq!(Tick(1500).plus_ms(250), Tick(1750));
        assert_eq!(Tick::NEVER.plus_ms(1), Tick::NEVER);
        assert_eq!(Tick(100).since(Tick(40)), 60);
        assert_eq!(Tick(40).since(Tick(100)), 0);
        assert_eq!(Tick(12_345).to_string(), "12.345 s");
    }
}
