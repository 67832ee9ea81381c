//! Replica placement at topic creation (SEMANTICS §4).
