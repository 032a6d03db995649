#![no_main]
//! The migration diff over random pairs of snapshots drawn from a small model.

use libfuzzer_sys::fuzz_target;
use lunora_cli::fuzz_checks::check_migration;
use lunora_fuzz::SnapshotPair;

fuzz_target!(|pair: SnapshotPair| {
    if let Err(e) = check_migration(&pair.previous, &pair.next) {
        panic!("invariant broken: {e}\n{}", pair.to_json());
    }
});
