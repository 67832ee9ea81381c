//! The lab's forms, built as markup (see [`super::markup`]) and read on submit: a form says what it
//! is in `data-form`, its fields have names, and one delegated handler per panel reads them. Inputs
//! keep what the learner typed while the panel refreshes around them, because a form's markup only
//! changes when what it offers changes.

use super::markup::escape;
use crate::kafka::config::ConfigValue;
use std::fmt::Write as _;
use wasm_bindgen::JsCast;
use web_sys::{Element, Event, HtmlInputElement, HtmlSelectElement};

/// A submitted form: which one, and its fields.
pub struct Submitted {
    pub form: Element,
    pub name: String,
}

impl Submitted {
    /// The form a submit event is about (and stops the browser from navigating).
    pub fn of(e: &Event) -> Option<Submitted> {
        e.prevent_default();
        let form = e.target()?.dyn_into::<Element>().ok()?;
        let name = form.get_attribute("data-form")?;
        Some(Submitted { form, name })
    }

    /// The trimmed value of the field named `name` (empty if there is none).
    pub fn field(&self, name: &str) -> String {
        let Ok(Some(el)) = self.form.query_selector(&format!("[name=\"{name}\"]")) else { return String::new() };
        if let Some(input) = el.dyn_ref::<HtmlInputElement>() {
            return input.value().trim().to_string();
        }
        if let Some(select) = el.dyn_ref::<HtmlSelectElement>() {
            return select.value();
        }
        String::new()
    }

    pub fn attribute(&self, name: &str) -> String {
        self.form.get_attribute(name).unwrap_or_default()
    }
}

/// `5` → Int, `true`/`false` → Bool, `a,b` → List, anything else → Str. The engine then checks the
/// value against the key's rule, so "acks = maybe" is refused with Kafka's reason.
pub fn parse_config_value(text: &str) -> ConfigValue {
    let text = text.trim();
    if let Ok(i) = text.parse::<i64>() {
        return ConfigValue::Int(i);
    }
    match text {
        "true" => ConfigValue::Bool(true),
        "false" => ConfigValue::Bool(false),
        _ if text.contains(',') => ConfigValue::List(text.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()),
        _ => ConfigValue::Str(text.to_string()),
    }
}

/// A number typed into a field, or a sentence saying what is wrong with it.
pub fn parse_number(what: &str, text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| format!("{what} must be a whole number (got '{}')", text.trim()))
}

/// `<option>`s for values (the first is selected unless `selected` names one).
pub fn options(values: &[String], selected: &str) -> String {
    let mut out = String::new();
    for v in values {
        let v = escape(v);
        let sel = if v == selected { " selected" } else { "" };
        let _ = write!(out, r#"<option value="{v}"{sel}>{v}</option>"#);
    }
    out
}

/// A labelled text or number input.
pub fn input(label: &str, name: &str, kind: &str, value: &str, extra: &str) -> String {
    format!(r#"<label>{label} <input type="{kind}" name="{name}" value="{}" {extra}></label>"#, escape(value))
}

/// A labelled select.
pub fn select(label: &str, name: &str, options: &str) -> String {
    format!(r#"<label>{label} <select name="{name}" aria-label="{label}">{options}</select></label>"#)
}

/// A button that does `act` (read by the panel's delegated click handler).
pub fn button(act: &str, label: &str, arg: &str) -> String {
    format!(r#"<button type="button" data-act="{act}" data-arg="{}" data-testid="{act}">{}</button>"#, escape(arg), escape(label))
}

/// Change one config of something: pick the key, type the value, apply (`data-form="config"`).
pub fn config_form(id: &str, keys: &[&str], extra_fields: &str) -> String {
    let keys: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
    format!(
        r#"<form class="config-form" data-form="config" data-testid="{id}">{extra_fields}<label>config <select name="key" aria-label="Config key" data-testid="{id}-key">{}</select></label><label>= <input type="text" name="value" size="10" aria-label="New value" data-testid="{id}-value"></label><button type="submit" data-testid="{id}-apply">Apply</button></form>"#,
        options(&keys, "")
    )
}
