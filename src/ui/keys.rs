//! Keyboard shortcuts: one table that both the key handler and the `?` overlay read, so the overlay can
//! never list a key that does nothing.

/// What a shortcut does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Command {
    TogglePlay,
    StepEvent,
    StepNarrated,
    Slower,
    Faster,
    ToggleAsFastAsPossible,
    Back,
    Forward,
    BackLong,
    ForwardLong,
    ToStart,
    ToEnd,
    Restart,
    RestartNewSeed,
    Produce,
    KillSelected,
    KillSelectedPowerLoss,
    RestartSelected,
    CrashSelectedConsumer,
    AddBroker,
    HealNetwork,
    ToggleReducedMotion,
    InspectTab,
    ConsumersTab,
    ActTab,
    ChartsTab,
    Help,
    Escape,
}

/// (keys as shown, what they do, the command). The first key of each row is what the overlay shows.
pub const SHORTCUTS: &[(&str, &str, Command)] = &[
    ("Space", "play or pause", Command::TogglePlay),
    ("k", "play or pause, also while a button has focus", Command::TogglePlay),
    (".", "step to the next event (pauses)", Command::StepEvent),
    ("n", "run to the next narrated line (pauses)", Command::StepNarrated),
    ("[", "slower", Command::Slower),
    ("]", "faster", Command::Faster),
    ("f", "as fast as possible on or off", Command::ToggleAsFastAsPossible),
    ("←", "back 1 s", Command::Back),
    ("→", "forward 1 s", Command::Forward),
    ("Shift+←", "back 10 s", Command::BackLong),
    ("Shift+→", "forward 10 s", Command::ForwardLong),
    ("Home", "rewind to the start", Command::ToStart),
    ("End", "go to the furthest moment played", Command::ToEnd),
    ("r", "restart with the same seed", Command::Restart),
    ("Shift+R", "restart with a new seed", Command::RestartNewSeed),
    ("p", "produce a record with a key (selected or first producer)", Command::Produce),
    ("x", "kill the selected broker (or the selected partition's leader)", Command::KillSelected),
    ("Shift+X", "kill it with power loss (unflushed writes are lost)", Command::KillSelectedPowerLoss),
    ("u", "restart the selected broker or consumer", Command::RestartSelected),
    ("c", "crash the selected consumer", Command::CrashSelectedConsumer),
    ("b", "add a broker", Command::AddBroker),
    ("h", "heal every network cut", Command::HealNetwork),
    ("m", "reduced motion: a step table instead of moving dots", Command::ToggleReducedMotion),
    ("1", "Inspect tab", Command::InspectTab),
    ("2", "Consumers tab", Command::ConsumersTab),
    ("3", "Act tab", Command::ActTab),
    ("4", "Charts tab", Command::ChartsTab),
    ("?", "this list of shortcuts", Command::Help),
    ("Esc", "close a menu or this list", Command::Escape),
];

/// Whether a shortcut works in a locked embed, which plays by itself with its controls off: only
/// the list of shortcuts opens and closes there. The key handler and the overlay both ask, so a
/// locked lab never lists a key it ignores.
pub fn works_when_locked(command: Command) -> bool {
    matches!(command, Command::Help | Command::Escape)
}

/// The command for a key press (`key` as `KeyboardEvent.key` gives it). Presses with Ctrl, Alt or
/// Meta belong to the browser.
pub fn command_for(key: &str, shift: bool, ctrl_alt_meta: bool) -> Option<Command> {
    if ctrl_alt_meta {
        return None;
    }
    Some(match (key, shift) {
        (" ", _) | ("Spacebar", _) | ("k" | "K", _) => Command::TogglePlay,
        (".", _) => Command::StepEvent,
        ("n" | "N", _) => Command::StepNarrated,
        ("[", _) => Command::Slower,
        ("]", _) => Command::Faster,
        ("f" | "F", _) => Command::ToggleAsFastAsPossible,
        ("ArrowLeft", false) => Command::Back,
        ("ArrowRight", false) => Command::Forward,
        ("ArrowLeft", true) => Command::BackLong,
        ("ArrowRight", true) => Command::ForwardLong,
        ("Home", _) => Command::ToStart,
        ("End", _) => Command::ToEnd,
        ("r", false) => Command::Restart,
        ("R", _) | ("r", true) => Command::RestartNewSeed,
        ("p" | "P", _) => Command::Produce,
        ("x", false) => Command::KillSelected,
        ("X", _) | ("x", true) => Command::KillSelectedPowerLoss,
        ("u" | "U", _) => Command::RestartSelected,
        ("c" | "C", _) => Command::CrashSelectedConsumer,
        ("b" | "B", _) => Command::AddBroker,
        ("h" | "H", _) => Command::HealNetwork,
        ("m" | "M", _) => Command::ToggleReducedMotion,
        ("1", _) => Command::InspectTab,
        ("2", _) => Command::ConsumersTab,
        ("3", _) => Command::ActTab,
        ("4", _) => Command::ChartsTab,
        ("?", _) => Command::Help,
        ("Escape", _) => Command::Escape,
        _ => return None,
    })
}
