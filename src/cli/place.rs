//! `kafka-lab place`: not built yet.
use super::Io;
use std::ffi::OsString;
pub fn run(_args: Vec<OsString>, io: &mut Io) -> i32 {
    io.input_error("place is not built yet")
}
