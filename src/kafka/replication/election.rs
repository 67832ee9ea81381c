//! Partition leader election (SEMANTICS §5).
