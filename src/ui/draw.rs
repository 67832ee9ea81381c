//! The canvas layer over the cluster picture, drawn every frame from the one animation loop: records on
//! the wire, each replica's log end and high watermark, and the short animations of leadership and
//! partitions moving. Nothing here touches the DOM tree or Yew.

use super::lab::Scene;
use crate::kafka::ids::{Node, PartitionIndex};
use crate::kafka::protocol::MessageKind;
use crate::session::Session;
use crate::session::scene::{Layout, OKABE_ITO, Structure, partition_colour};
use web_sys::CanvasRenderingContext2d;

/// How long a leadership or partition move animates, in wall-clock milliseconds.
pub const TRANSITION_MS: f64 = 900.0;
/// Records drawn per message at most (a bigger batch is drawn as this many, with its count).
const DOTS_PER_MESSAGE_MAX: u32 = 40;
const DOT_RADIUS: f64 = 1.9;
const CONTROL_COLOUR: &str = "#8a949e";

#[derive(Clone, Debug, PartialEq)]
pub enum TransitionKind {
    /// Leadership of a partition moved from one replica to another.
    LeaderMoved,
    /// A partition lost its leader.
    LeaderLost,
    /// A partition moved from one consumer to another.
    PartitionMoved,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Transition {
    pub kind: TransitionKind,
    pub from: (f64, f64),
    pub to: (f64, f64),
    pub colour: &'static str,
    pub label: String,
    pub started_ms: f64,
}

/// What changed visibly between two pictures, as animations to play.
pub fn transitions_between(old: &Scene, new: &Scene, now_ms: f64) -> Vec<Transition> {
    let mut out = Vec::new();
    for p in &new.structure.partitions {
        let Some(before) = old.structure.partition(p.index) else { continue };
        let colour = partition_colour(&new.structure, p.index);
        let label = new.structure.cell_label(p.index);
        match (before.leader, p.leader) {
            (Some(a), Some(b)) if a != b => {
                if let (Some(from), Some(to)) = (old.layout.cell(a, p.index), new.layout.cell(b, p.index)) {
                    out.push(Transition { kind: TransitionKind::LeaderMoved, from: from.center(), to: to.center(), colour, label, started_ms: now_ms });
                }
            }
            (Some(a), None) => {
                if let Some(cell) = old.layout.cell(a, p.index) {
                    out.push(Transition { kind: TransitionKind::LeaderLost, from: cell.center(), to: cell.center(), colour, label, started_ms: now_ms });
                }
            }
            _ => {}
        }
        let owners = |s: &Structure| -> Vec<u32> { s.consumers.iter().filter(|c| c.assignment.contains(&p.index)).map(|c| c.index).collect() };
        let (old_owners, new_owners) = (owners(&old.structure), owners(&new.structure));
        let gone: Vec<u32> = old_owners.iter().filter(|c| !new_owners.contains(c)).copied().collect();
        let came: Vec<u32> = new_owners.iter().filter(|c| !old_owners.contains(c)).copied().collect();
        for (a, b) in gone.iter().zip(&came) {
            if let (Some(from), Some(to)) = (old.layout.consumer(*a), new.layout.consumer(*b)) {
                out.push(Transition {
                    kind: TransitionKind::PartitionMoved,
                    from: from.center(),
                    to: to.center(),
                    colour,
                    label: p.name.clone(),
                    started_ms: now_ms,
                });
            }
        }
    }
    out
}

/// One replica cell's log marks: (partition, log end offset, high watermark, cell x, y, w, h).
type Mark = (PartitionIndex, u64, u64, (f64, f64, f64, f64));

/// Buffers reused from frame to frame, so drawing allocates nothing in steady state.
#[derive(Default)]
pub struct Scratch {
    marks: Vec<Mark>,
    /// Per partition: the largest log end offset among its replicas.
    max_leo: Vec<u64>,
    /// Offsets of a message's records around its position (a golden-angle spiral).
    spiral: Vec<(f64, f64)>,
    /// Per message in flight, its colour this frame.
    colours: Vec<usize>,
}

impl Scratch {
    fn spiral(&mut self) {
        if self.spiral.is_empty() {
            self.spiral = (0..DOTS_PER_MESSAGE_MAX)
                .map(|i| {
                    // A golden-angle spiral; JavaScript's Math keeps a libm out of the wasm.
                    let r = 2.3 * (i as f64).sqrt();
                    let a = i as f64 * 2.399_963;
                    (r * js_sys::Math::cos(a), r * js_sys::Math::sin(a))
                })
                .collect();
        }
    }
}

pub struct Frame<'a> {
    pub ctx: &'a CanvasRenderingContext2d,
    /// Canvas pixels per picture unit.
    pub scale: f64,
    pub width_px: f64,
    pub height_px: f64,
    pub scene: &'a Scene,
    pub session: &'a Session,
    /// The simulated moment shown, in (fractional) milliseconds.
    pub display_ms: f64,
    pub wall_ms: f64,
    /// Draw moving things (false in reduced-motion mode: the step table shows them instead).
    pub motion: bool,
}

fn anchor(layout: &Layout, node: Node, partition: Option<PartitionIndex>) -> Option<(f64, f64)> {
    layout.anchor(node, partition)
}

/// Draws one frame. Returns how many records were drawn on the wire.
pub fn draw(frame: &Frame<'_>, transitions: &mut Vec<Transition>, scratch: &mut Scratch) -> u64 {
    let ctx = frame.ctx;
    ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0).ok();
    ctx.clear_rect(0.0, 0.0, frame.width_px, frame.height_px);
    ctx.set_transform(frame.scale, 0.0, 0.0, frame.scale, 0.0, 0.0).ok();
    draw_log_marks(frame, scratch);
    let mut drawn = 0;
    if frame.motion {
        drawn = draw_flights(frame, scratch);
        draw_transitions(frame, transitions);
    } else {
        transitions.clear();
    }
    drawn
}

/// Under each replica cell, a bar: how far its log reaches (LEO) compared with the partition's
/// furthest replica, and a tick at its high watermark. A lagging follower's bar is visibly shorter.
fn draw_log_marks(frame: &Frame<'_>, scratch: &mut Scratch) {
    let view = frame.session.view();
    let layout = &frame.scene.layout;
    scratch.marks.clear();
    scratch.max_leo.clear();
    scratch.max_leo.resize(frame.scene.structure.partitions.len(), 0);
    for b in &layout.brokers {
        for (p, cell) in &b.cells {
            let Some(log) = view.log(b.id, *p) else { continue };
            let (leo, hw) = (log.log_end_offset(), log.high_watermark());
            if let Some(m) = scratch.max_leo.get_mut(p.get()) {
                *m = (*m).max(leo);
            }
            scratch.marks.push((*p, leo, hw, (cell.x, cell.y, cell.w, cell.h)));
        }
    }
    // Three passes with one fill style each (background, LEO bar, HW tick): a style change per
    // replica would hand the browser hundreds of short-lived strings a frame, and its garbage
    // collector would drop frames to clear them.
    let ctx = frame.ctx;
    let geometry = |p: &PartitionIndex, offset: u64, x: f64, w: f64| {
        let max = scratch.max_leo.get(p.get()).copied().unwrap_or(offset);
        // A window of recent offsets, so a lag of a few records shows.
        let window = 20u64.max(max / 20).max(1) as f64;
        let fraction = (1.0 - (max.saturating_sub(offset)) as f64 / window).clamp(0.0, 1.0);
        (x + 3.0, (w - 6.0) * fraction)
    };
    ctx.set_fill_style_str("rgba(29,35,41,0.15)");
    for (_, _, _, (x, y, w, h)) in &scratch.marks {
        ctx.fill_rect(x + 3.0, y + h - 5.0, w - 6.0, 3.0);
    }
    ctx.set_fill_style_str("#1d2329");
    for (p, leo, _, (x, y, w, h)) in &scratch.marks {
        let (bx, bw) = geometry(p, *leo, *x, *w);
        ctx.fill_rect(bx, y + h - 5.0, bw, 3.0);
    }
    ctx.set_fill_style_str("#D55E00");
    for (p, _, hw, (x, y, w, h)) in &scratch.marks {
        let (bx, bw) = geometry(p, *hw, *x, *w);
        ctx.fill_rect(bx + bw - 1.0, y + h - 7.0, 2.0, 7.0);
    }
    if layout.cell_h >= 30.0 {
        ctx.set_font("9px system-ui, sans-serif");
        ctx.set_text_align("center");
        ctx.set_fill_style_str("#1d2329");
        for (_, leo, hw, (x, y, w, _)) in &scratch.marks {
            ctx.fill_text(&format!("LEO {leo}"), x + w / 2.0, y + 26.0).ok();
            ctx.fill_text(&format!("HW {hw}"), x + w / 2.0, y + 36.0).ok();
        }
    }
}

fn is_request(kind: MessageKind) -> bool {
    matches!(kind, MessageKind::Fetch | MessageKind::ReplicaFetch | MessageKind::Metadata | MessageKind::ListOffsets | MessageKind::InitProducerId)
}

/// The records on the wire. Messages are drawn colour by colour (control traffic first), so the fill
/// style changes a handful of times a frame, not once per message.
fn draw_flights(frame: &Frame<'_>, scratch: &mut Scratch) -> u64 {
    let ctx = frame.ctx;
    let layout = &frame.scene.layout;
    let structure = &frame.scene.structure;
    scratch.spiral();
    let flights = frame.session.flights();
    // Each message's colour (an index into OKABE_ITO; CONTROL for requests and empty responses).
    const CONTROL: usize = usize::MAX;
    scratch.colours.clear();
    scratch.colours.extend(flights.iter().map(|f| match (f.records, f.partition) {
        (0, _) | (_, None) => CONTROL,
        (_, Some(p)) => OKABE_ITO.iter().position(|c| *c == partition_colour(structure, p)).unwrap_or(CONTROL),
    }));
    let mut drawn = 0;
    for colour in std::iter::once(CONTROL).chain(0..OKABE_ITO.len()) {
        if !scratch.colours.contains(&colour) {
            continue;
        }
        ctx.set_fill_style_str(if colour == CONTROL { CONTROL_COLOUR } else { OKABE_ITO[colour] });
        ctx.begin_path();
        for (f, c) in flights.iter().zip(&scratch.colours) {
            if *c != colour {
                continue;
            }
            let (Some(from), Some(to)) = (anchor(layout, f.from, f.partition), anchor(layout, f.to, f.partition)) else { continue };
            let t = f.progress(frame.display_ms);
            let (x, y) = (from.0 + (to.0 - from.0) * t, from.1 + (to.1 - from.1) * t);
            if colour == CONTROL {
                let r = if is_request(f.kind) { 1.4 } else { 1.8 };
                ctx.move_to(x + r, y);
                ctx.arc(x, y, r, 0.0, std::f64::consts::TAU).ok();
                continue;
            }
            let n = f.records.min(DOTS_PER_MESSAGE_MAX) as usize;
            for (dx, dy) in &scratch.spiral[..n] {
                ctx.move_to(x + dx + DOT_RADIUS, y + dy);
                ctx.arc(x + dx, y + dy, DOT_RADIUS, 0.0, std::f64::consts::TAU).ok();
            }
            drawn += u64::from(f.records);
        }
        ctx.fill();
    }
    drawn
}

fn draw_transitions(frame: &Frame<'_>, transitions: &mut Vec<Transition>) {
    let ctx = frame.ctx;
    transitions.retain(|t| frame.wall_ms - t.started_ms < TRANSITION_MS);
    for t in transitions.iter() {
        let k = ((frame.wall_ms - t.started_ms) / TRANSITION_MS).clamp(0.0, 1.0);
        // Ease in and out.
        let e = k * k * (3.0 - 2.0 * k);
        let (x, y) = (t.from.0 + (t.to.0 - t.from.0) * e, t.from.1 + (t.to.1 - t.from.1) * e);
        ctx.set_global_alpha(1.0 - 0.6 * k);
        match t.kind {
            TransitionKind::LeaderMoved | TransitionKind::PartitionMoved => {
                // The path, then the token travelling along it.
                ctx.set_stroke_style_str(t.colour);
                ctx.set_line_width(2.0);
                ctx.begin_path();
                ctx.move_to(t.from.0, t.from.1);
                ctx.line_to(x, y);
                ctx.stroke();
                ctx.set_fill_style_str(t.colour);
                ctx.begin_path();
                ctx.arc(x, y, 9.0, 0.0, std::f64::consts::TAU).ok();
                ctx.fill();
                ctx.set_stroke_style_str("#1d2329");
                ctx.set_line_width(1.5);
                ctx.stroke();
                ctx.set_fill_style_str("#1d2329");
                ctx.set_font("bold 9px system-ui, sans-serif");
                ctx.set_text_align("center");
                let mark = if t.kind == TransitionKind::LeaderMoved { "★" } else { "▸" };
                ctx.fill_text(mark, x, y + 3.0).ok();
            }
            TransitionKind::LeaderLost => {
                ctx.set_stroke_style_str("#D55E00");
                ctx.set_line_width(3.0);
                ctx.begin_path();
                ctx.arc(x, y, 8.0 + 18.0 * e, 0.0, std::f64::consts::TAU).ok();
                ctx.stroke();
            }
        }
    }
    ctx.set_global_alpha(1.0);
}
