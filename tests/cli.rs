//! The `kafka-lab` binary as a course author's CI calls it: exit codes, help and version.
#![cfg(not(target_arch = "wasm32"))]

use std::process::{Command, Output};

fn kafka_lab(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kafka-lab")).args(args).output().expect("the kafka-lab binary runs")
}

#[test]
fn help_lists_the_commands_and_exits_zero() {
    for flag in ["--help", "-h", "help"] {
        let out = kafka_lab(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Usage: kafka-lab <COMMAND>"), "{flag}: {text}");
    }
}

#[test]
fn version_prints_the_crate_version() {
    let out = kafka_lab(&["--version"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), format!("kafka-lab {}", env!("CARGO_PKG_VERSION")));
}

#[test]
fn an_unknown_argument_prints_usage_and_exits_2() {
    let out = kafka_lab(&["--frobnicate"]);
    assert_eq!(out.status.code(), Some(2));
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("'--frobnicate'"), "{text}");
    assert!(text.contains("Usage: kafka-lab"), "{text}");
}

#[test]
fn no_command_prints_usage_and_exits_2() {
    let out = kafka_lab(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Usage: kafka-lab"));
}
