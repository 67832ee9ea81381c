//! The native command-line front end. All logic lives in `kafka_lab::cli` so it can be tested.

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let args: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    let mut stdin = std::io::stdin().lock();
    let code = kafka_lab::cli::run(args, &mut stdin, &mut stdout, &mut stderr);
    std::process::exit(code);
}

#[cfg(target_arch = "wasm32")]
fn main() {}
