//! Transactions (KIP-98): the transaction coordinator on the brokers.

pub mod coordinator;
