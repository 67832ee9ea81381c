//! The leader-epoch cache (SEMANTICS §5, KIP-101/279).
