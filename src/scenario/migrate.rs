//! Older scenario versions, migrated forward: a link or file made today opens the same run next year.
//!
//! Migrations work on the parsed document (a JSON value) before it meets the typed format, one
//! version at a time: `MIGRATIONS[n]` turns version `n` into version `n + 1`, and [`migrate`] runs the
//! chain from a document's version to [`FORMAT_VERSION`]. A migration only renames and moves what the
//! old version meant; it never guesses or repairs. A document that declares an old version but uses a
//! newer version's name for a renamed field is refused at that field: which version it meant cannot
//! be told.
//!
//! ## Version 0: the draft format the first lessons were sketched in
//!
//! ```toml
//! version = 0
//! name = "leader-failover"      # version 1: id
//! title = "Leader failover"
//! section = "Replication"
//! summary = "…"
//! seed = 7
//! length_ms = 30000             # version 1: duration_ms
//! [cluster]                     # unchanged
//! [[actions]]                   # unchanged
//! [[narration]]                 # version 1: steps
//! at_ms = 12000
//! say = "Broker 1 is gone."     # version 1: text
//! pause = true
//! [narration.quiz]              # version 1: checkpoint
//! question = "Which broker leads orders-0 now?"
//! probe = { kind = "leader", topic = "orders", partition = 0 }
//! answer = 2                    # version 1: expect
//! options = [1, 2, 3]           # version 1: choices
//! why = "…"                     # version 1: explain
//! ```
//!
//! ## Version 1
//! The format of [`crate::scenario::format`].
//!
//! Changing the format means: raise [`FORMAT_VERSION`], add the migration from the previous version
//! here with its description above, and add a test that an old file still runs to the same trace hash.

use super::format::FORMAT_VERSION;
use super::problem::Problem;
use serde_json::{Map, Value};

/// One step of the chain: version `n` to `n + 1`.
type Migration = fn(Value) -> Result<Value, Problem>;

/// `MIGRATIONS[n]` migrates version `n` to `n + 1`; its length is [`FORMAT_VERSION`].
const MIGRATIONS: [Migration; FORMAT_VERSION as usize] = [v0_to_v1];

/// The `version` a document declares.
pub fn document_version(document: &Value) -> Result<u32, Problem> {
    let Some(object) = document.as_object() else {
        return Err(Problem::new("", "a scenario is a table of fields (version, id, title, section, seed, duration_ms, cluster, …)"));
    };
    match object.get("version") {
        None => Err(Problem::new("version", format!("missing: a scenario starts with `version = {FORMAT_VERSION}`"))),
        Some(v) => match v.as_u64() {
            Some(n) if n <= u64::from(FORMAT_VERSION) => Ok(n as u32),
            Some(n) => Err(Problem::new(
                "version",
                format!("version {n} is newer than this kafka-lab reads (up to {FORMAT_VERSION}): update kafka-lab to open it"),
            )),
            None => Err(Problem::new("version", format!("{v} is not a format version: write a whole number such as {FORMAT_VERSION}"))),
        },
    }
}

/// Migrates `document`, written in version `from_version`, to [`FORMAT_VERSION`].
pub fn migrate(mut document: Value, from_version: u32) -> Result<Value, Problem> {
    if from_version > FORMAT_VERSION {
        return Err(Problem::new("version", format!("version {from_version} is newer than this kafka-lab reads (up to {FORMAT_VERSION})")));
    }
    for migration in &MIGRATIONS[from_version as usize..] {
        document = migration(document)?;
    }
    Ok(document)
}

/// Moves `old` to `new` in `object` (at `path` in the old version's names). `new` already there is
/// refused: the document declares version 0 but is written, at least there, in version 1.
fn rename(object: &mut Map<String, Value>, path: &str, old: &str, new: &str) -> Result<(), Problem> {
    if object.contains_key(new) {
        let at = if path.is_empty() { new.to_string() } else { format!("{path}.{new}") };
        return Err(Problem::new(
            at,
            format!("the file says `version = 0`, whose name for this is `{old}`; `{new}` is version 1's name. Write `version = 1` to use version 1's names"),
        ));
    }
    if let Some(value) = object.remove(old) {
        object.insert(new.to_string(), value);
    }
    Ok(())
}

/// Version 0 to 1: the draft's names become the version 1 names (see the module docs).
fn v0_to_v1(mut document: Value) -> Result<Value, Problem> {
    let Some(top) = document.as_object_mut() else {
        return Err(Problem::new("", "a scenario is a table of fields"));
    };
    rename(top, "", "name", "id")?;
    rename(top, "", "length_ms", "duration_ms")?;
    rename(top, "", "narration", "steps")?;
    if let Some(Value::Array(steps)) = top.get_mut("steps") {
        for (i, step) in steps.iter_mut().enumerate() {
            let Some(step) = step.as_object_mut() else { continue };
            let path = format!("narration[{i}]");
            rename(step, &path, "say", "text")?;
            rename(step, &path, "quiz", "checkpoint")?;
            if let Some(Value::Object(checkpoint)) = step.get_mut("checkpoint") {
                let path = format!("{path}.quiz");
                rename(checkpoint, &path, "answer", "expect")?;
                rename(checkpoint, &path, "options", "choices")?;
                rename(checkpoint, &path, "why", "explain")?;
            }
        }
    }
    top.insert("version".to_string(), Value::from(1));
    Ok(document)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_version_0_draft_reads_as_version_1() {
        let draft = json!({
            "version": 0, "name": "demo", "length_ms": 5000,
            "narration": [{"at_ms": 100, "say": "hello", "quiz": {"question": "q", "answer": 1, "options": [1, 2], "why": "w"}}]
        });
        let migrated = migrate(draft, 0).unwrap();
        assert_eq!(
            migrated,
            json!({
                "version": 1, "id": "demo", "duration_ms": 5000,
                "steps": [{"at_ms": 100, "text": "hello", "checkpoint": {"question": "q", "expect": 1, "choices": [1, 2], "explain": "w"}}]
            })
        );
    }

    #[test]
    fn a_version_0_file_written_with_version_1_names_is_refused_at_the_first_such_field() {
        // Which version it meant cannot be told: the author is asked to say, not guessed for.
        let both = json!({"version": 0, "name": "old", "id": "new"});
        let problem = migrate(both, 0).unwrap_err();
        assert_eq!(problem.path, "id");
        assert!(problem.rule.contains("`version = 0`, whose name for this is `name`"), "{}", problem.rule);
        let v1_step = json!({"version": 0, "name": "x", "narration": [{"at_ms": 1, "say": "a"}, {"at_ms": 2, "quiz": {"question": "q", "expect": 1}}]});
        let problem = migrate(v1_step, 0).unwrap_err();
        assert_eq!(problem.path, "narration[1].quiz.expect");
        assert!(problem.rule.contains("Write `version = 1`"), "{}", problem.rule);
    }

    #[test]
    fn versions_are_read_strictly() {
        assert_eq!(document_version(&json!({"version": 1})), Ok(1));
        assert!(document_version(&json!({})).unwrap_err().rule.contains("missing"));
        assert!(document_version(&json!({"version": 9})).unwrap_err().rule.contains("newer than this kafka-lab reads"));
        assert!(document_version(&json!({"version": "one"})).unwrap_err().rule.contains("not a format version"));
        assert!(document_version(&json!([1])).is_err());
    }

    #[test]
    fn the_current_version_migrates_to_itself() {
        let doc = json!({"version": 1, "id": "x"});
        assert_eq!(migrate(doc.clone(), FORMAT_VERSION).unwrap(), doc);
    }
}
