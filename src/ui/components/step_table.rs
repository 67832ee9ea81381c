//! Reduced motion: the messages on the wire as a table instead of moving dots (the same state the
//! animation draws), oldest first.

use crate::session::narrate::{clock, message_kind_label, node_name};
use crate::sim::Tick;
use crate::ui::lab::Lab;
use crate::ui::markup::{escape, raw, table};
use yew::prelude::*;

/// Rows shown at most.
const ROWS_MAX: usize = 40;

/// A view function, not a component: it is shown only in reduced-motion mode and refreshes with the
/// lab's panels anyway (twice a second while playing). So that no message goes unseen between two
/// refreshes, it shows those that arrived in the last half second too
/// ([`crate::session::tracked::ARRIVED_RECENTLY_MS`]), below the ones still on the wire.
pub fn step_table(lab: &Lab) -> Html {
    let session = lab.session();
    let view = session.view();
    let scene = lab.scene();
    let tracked = session.tracked();
    // On the wire in the order they were sent (close to the order they arrive), then the ones that
    // arrived, the latest first.
    let on_the_wire = tracked.flights.iter().map(|f| (f, "on the wire"));
    let arrived = tracked.arrived.iter().rev().map(|f| (f, "arrived"));
    let (total, landed) = (tracked.flights.len(), tracked.arrived.len());
    let records = tracked.records_in_flight();
    let rows: Vec<Vec<String>> = on_the_wire
        .chain(arrived)
        .take(ROWS_MAX)
        .map(|(f, state)| {
            let partition = f.partition.and_then(|p| scene.structure.partition(p)).map_or_else(String::new, |p| escape(&p.name));
            vec![
                escape(&node_name(&view, f.from)),
                escape(&node_name(&view, f.to)),
                message_kind_label(f.kind).to_string(),
                f.records.to_string(),
                partition,
                clock(f.sent_at),
                clock(f.arrive_at),
                state.to_string(),
            ]
        })
        .collect();
    let more = (total + landed).saturating_sub(ROWS_MAX);
    let more = if more > 0 { format!(r#"<p class="note">and {more} more</p>"#) } else { String::new() };
    let plural = |n: u64| if n == 1 { "" } else { "s" };
    let markup = format!(
        "<h3>At {}: {total} message{} on the wire carrying {records} record{}; {landed} arrived in the last half second</h3>{}{more}",
        clock(Tick(session.now().ms())),
        plural(total as u64),
        plural(records),
        table("", "step-rows", &["from", "to", "what", "records", "partition", "sent", "arrives", "now"], &rows)
    );
    html! { <section class="step-table" data-testid="step-table" aria-label="Messages on the wire and just arrived">{ raw(markup) }</section> }
}
