//! Keyboard focus: moving it among a container's items (a menu, a dialog, the side tabs), and
//! keeping it when markup is replaced under it.
//!
//! Much of the lab is markup written as text and replaced whole when it changes (the toolbar, the
//! tabs, the Act forms: cheaper in wasm than components, for the 300 KB budget). Replacing the
//! focused element drops focus to the page, so a keyboard user who pressed Play, a tab or Add
//! consumer had to start again from the top. [`use_focus_keeper`] puts focus back on the element
//! that replaced it, or, when a menu or dialog closed, on what opened it.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

/// Where focus goes among a container's items.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Next,
    Previous,
    First,
    Last,
}

impl Move {
    /// The move a key asks for in a list laid out along one axis: `next` and `previous` are its
    /// arrow keys (Right and Left for tabs, Down and Up for a menu); Home and End go to the ends.
    pub fn for_key(key: &str, next: &str, previous: &str) -> Option<Move> {
        match key {
            "Home" => Some(Move::First),
            "End" => Some(Move::Last),
            k if k == next => Some(Move::Next),
            k if k == previous => Some(Move::Previous),
            _ => None,
        }
    }
}

/// Focuses the item `to` from the focused one among `container`'s elements matching `selector`,
/// wrapping at the ends. Returns the element focused.
pub fn move_focus(container: &Element, selector: &str, to: Move) -> Option<HtmlElement> {
    let items = container.query_selector_all(selector).ok()?;
    let n = items.length();
    if n == 0 {
        return None;
    }
    let active = gloo::utils::document().active_element();
    let current = (0..n).find(|&i| items.get(i).is_some_and(|item| active.as_ref().is_some_and(|a| a.is_same_node(Some(&item)))));
    let index = match (to, current) {
        (Move::First, _) | (Move::Next, None) => 0,
        (Move::Last, _) | (Move::Previous, None) => n - 1,
        (Move::Next, Some(i)) => (i + 1) % n,
        (Move::Previous, Some(i)) => (i + n - 1) % n,
    };
    // Brokers and partitions are SVG elements: `focus()` is called by name, which they have too.
    let item = items.get(index)?.unchecked_into::<HtmlElement>();
    item.focus().ok();
    Some(item)
}

/// A selector that finds `element` again once its markup is replaced: a picture node's
/// `data-select` (`broker:2`), its `data-testid`, or, in a form of the Act tab (`data-form`), its
/// field's name or the form's button.
fn selector_of(element: &Element) -> Option<String> {
    // The picture's nodes are named by index, never by a learner's name.
    if let Some(select) = element.get_attribute("data-select") {
        return Some(format!("[data-select=\"{select}\"]"));
    }
    // A learner's consumer name is part of some ids: one with a quote or a backslash could not be
    // written into a selector as it is, and is not looked for.
    let plain = |v: &str| !v.contains(['"', '\\']);
    if let Some(id) = element.get_attribute("data-testid") {
        return plain(&id).then(|| format!("[data-testid=\"{id}\"]"));
    }
    let form = element.closest("[data-form]").ok().flatten()?.get_attribute("data-form")?;
    let within = match element.get_attribute("name") {
        Some(name) if plain(&name) && plain(&form) => format!("[name=\"{name}\"]"),
        Some(_) => return None,
        None if element.tag_name().eq_ignore_ascii_case("button") => "button".to_string(),
        None => return None,
    };
    Some(format!("[data-form=\"{form}\"] {within}"))
}

/// Whether `element` sits in an open menu or dialog.
fn in_overlay(element: &Element) -> bool {
    element.closest("[role=menu], [role=dialog]").ok().flatten().is_some()
}

/// Remembers the last element focused outside menus and dialogs ([`selector_of`]), and after each
/// render of the calling component, if focus fell to the page, focuses that element again. A mouse
/// press forgets it: a click on empty space leaves focus on the page, where Space plays.
#[hook]
pub fn use_focus_keeper() {
    let remembered = use_mut_ref(|| None::<String>);
    {
        let remembered = remembered.clone();
        use_effect_with((), move |_| {
            let document = gloo::utils::document();
            let on_focus = remembered.clone();
            let focusin = gloo::events::EventListener::new(&document, "focusin", move |e| {
                if let Some(target) = e.target().and_then(|t| t.dyn_into::<Element>().ok())
                    && !in_overlay(&target)
                {
                    *on_focus.borrow_mut() = selector_of(&target);
                }
            });
            let pointerdown = gloo::events::EventListener::new(&document, "pointerdown", move |_| *remembered.borrow_mut() = None);
            move || drop((focusin, pointerdown))
        });
    }
    use_effect(move || {
        let document = gloo::utils::document();
        // Never from outside the page: the course page around an embed, or the address bar.
        if !document.has_focus().unwrap_or(false) || document.active_element().is_some_and(|a| !a.tag_name().eq_ignore_ascii_case("body")) {
            return;
        }
        let Some(selector) = remembered.borrow().clone() else { return };
        // Only an element the selector still finds alone: never a guess among look-alikes.
        if let Ok(found) = document.query_selector_all(&selector)
            && found.length() == 1
            && let Some(element) = found.get(0)
        {
            element.unchecked_into::<HtmlElement>().focus().ok();
        }
    });
}
