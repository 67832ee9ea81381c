//! Lenient field access for conformance cases. The judging file was written from Kafka's own tests,
//! so a field is looked up under every name Kafka's tests and our schema use (snake_case, camelCase,
//! short forms), in `case.input` (or `inputs`) first and then in the case itself; a malformed value
//! is an error naming the field, never a panic.

use crate::kafka::BrokerId;
use serde_json::Value;

/// The first of `names` present in `case.input`, then in `case` (a present `null` counts as present).
pub(super) fn field<'a>(case: &'a Value, names: &[&str]) -> Option<&'a Value> {
    let scopes = [case.get("input"), case.get("inputs"), Some(case)];
    scopes.into_iter().flatten().find_map(|scope| names.iter().find_map(|name| scope.get(*name)))
}

pub(super) fn text(case: &Value, names: &[&str]) -> Option<String> {
    case.is_object().then(|| names.iter().find_map(|n| case.get(*n)?.as_str().map(str::to_owned))).flatten()
}

pub(super) fn as_int(value: &Value) -> Option<i64> {
    value.as_i64().or_else(|| value.as_str()?.trim().parse().ok())
}

pub(super) fn int_field(case: &Value, names: &[&str]) -> Result<Option<i64>, String> {
    match field(case, names) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => {
            as_int(value).map(Some).ok_or_else(|| format!("`{}` should be an integer, got {value}", names[0]))
        }
    }
}

pub(super) fn i32_field(case: &Value, names: &[&str]) -> Result<Option<i32>, String> {
    int_field(case, names)?
        .map(|n| i32::try_from(n).map_err(|_| format!("`{}` = {n} is outside Java's int range", names[0])))
        .transpose()
}

pub(super) fn required_i32(case: &Value, names: &[&str]) -> Result<i32, String> {
    i32_field(case, names)?.ok_or_else(|| format!("missing `{}`", names[0]))
}

pub(super) fn bool_field(case: &Value, names: &[&str]) -> Option<bool> {
    field(case, names).and_then(|v| v.as_bool().or_else(|| v.as_str().map(|s| s.eq_ignore_ascii_case("true"))))
}

pub(super) fn broker_id(value: &Value) -> Result<BrokerId, String> {
    as_int(value).and_then(|n| u32::try_from(n).ok()).map(BrokerId).ok_or_else(|| format!("{value} is not a broker id"))
}

/// A broker that may be absent: `null`, `-1` (Kafka's NO_LEADER) or missing mean none.
pub(super) fn optional_broker(value: Option<&Value>) -> Result<Option<BrokerId>, String> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v) if as_int(v) == Some(-1) => Ok(None),
        Some(v) => broker_id(v).map(Some),
    }
}

pub(super) fn broker_list(value: &Value) -> Result<Vec<BrokerId>, String> {
    value.as_array().ok_or_else(|| format!("{value} is not a list of broker ids"))?.iter().map(broker_id).collect()
}

pub(super) fn broker_list_field(case: &Value, names: &[&str]) -> Result<Option<Vec<BrokerId>>, String> {
    match field(case, names) {
        None | Some(Value::Null) => Ok(None),
        Some(value) => broker_list(value).map(Some).map_err(|e| format!("`{}`: {e}", names[0])),
    }
}

/// A list of brokers in which `null` or -1 stands for Kafka's "no leader" (the last known ELR can hold it).
pub(super) fn optional_broker_list(value: &Value) -> Result<Vec<Option<BrokerId>>, String> {
    let list = value.as_array().ok_or_else(|| format!("{value} is not a list of broker ids"))?;
    list.iter().map(|v| optional_broker(Some(v))).collect()
}

pub(super) fn ids_text(list: &[BrokerId]) -> String {
    let ids: Vec<String> = list.iter().map(|b| b.to_string()).collect();
    format!("[{}]", ids.join(", "))
}
