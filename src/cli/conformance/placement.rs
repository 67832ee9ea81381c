//! Not built yet.
use super::CaseOutcome;
use serde_json::Value;
pub fn check(_doc: &Value) -> Vec<CaseOutcome> {
    Vec::new()
}
