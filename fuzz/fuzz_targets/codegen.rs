#![no_main]
//! parse → analyze → emit on arbitrary bytes. The first byte picks where the
//! rest goes: even → `lunora/schema.ts`, odd → a function module next to a
//! valid schema.

use libfuzzer_sys::fuzz_target;
use lunora_testkit::fuzz::{Placement, check_codegen};

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let placement = if first % 2 == 0 {
        Placement::Schema
    } else {
        Placement::FunctionModule
    };
    if let Err(e) = check_codegen(rest, placement) {
        panic!("invariant broken: {e}");
    }
});
