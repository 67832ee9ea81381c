//! The engine layers stay pure: a run is a pure function of (scenario, seed, actions), natively and in
//! wasm, only if the engine never touches web types, wall-clock time or hash-ordered maps.
#![cfg(not(target_arch = "wasm32"))]

use std::path::{Path, PathBuf};

const ENGINE_DIRS: &[&str] = &["src/sim", "src/kafka", "src/scenario"];

/// Identifiers that must not appear in engine code, and why.
const FORBIDDEN: &[(&str, &str)] = &[
    ("yew", "a web crate"),
    ("web_sys", "a web crate"),
    ("js_sys", "a web crate"),
    ("gloo", "a web crate"),
    ("wasm_bindgen", "a web crate"),
    ("Instant", "wall-clock time (use virtual ticks)"),
    ("SystemTime", "wall-clock time (use virtual ticks)"),
    ("HashMap", "a hash-ordered map (use BTreeMap)"),
    ("HashSet", "a hash-ordered set (use BTreeSet)"),
];

fn rust_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Finds `word` as a whole identifier in `code` (not as part of a longer name).
fn contains_identifier(code: &str, word: &str) -> bool {
    code.match_indices(word).any(|(at, _)| {
        let before = code.as_bytes().get(at.wrapping_sub(1)).copied();
        let after = code.as_bytes().get(at + word.len()).copied();
        !before.is_some_and(is_ident_byte) && !after.is_some_and(is_ident_byte)
    })
}

/// Returns every `file:line: what` where engine code uses a forbidden identifier. Comments are skipped:
/// explaining Kafka's Java hash-map iteration order is fine, using one is not.
fn layering_violations(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for dir in ENGINE_DIRS {
        rust_files(&root.join(dir), &mut files);
    }
    files.sort();
    let mut violations = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for (word, why) in FORBIDDEN {
                if contains_identifier(code, word) {
                    violations.push(format!(
                        "{}:{}: `{word}` is {why}: {}",
                        file.strip_prefix(root).unwrap_or(&file).display(),
                        number + 1,
                        line.trim()
                    ));
                }
            }
        }
    }
    violations
}

#[test]
fn engine_layers_use_no_web_crates_wall_clock_or_hash_ordered_maps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("src/sim").is_dir(), "the kernel folder src/sim exists");
    let violations = layering_violations(root);
    assert!(violations.is_empty(), "engine layering broken:\n{}", violations.join("\n"));
}

#[test]
fn the_layering_check_catches_a_leak() {
    // Protects the check itself: a planted leak in a scratch tree must be reported.
    let scratch = std::env::temp_dir().join(format!("kafka-lab-layering-{}", std::process::id()));
    let dir = scratch.join("src/kafka");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("leak.rs"),
        "// a HashMap in a comment is fine\nuse std::collections::HashMap;\nfn now() -> std::time::Instant { todo!() }\nlet x = HashMapLike;\n",
    )
    .unwrap();
    let violations = layering_violations(&scratch);
    std::fs::remove_dir_all(&scratch).ok();
    assert_eq!(violations.len(), 2, "{violations:?}");
    assert!(violations[0].contains("`HashMap`"));
    assert!(violations[1].contains("`Instant`"));
}
