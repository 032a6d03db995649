#![no_main]
//! The migration diff over random pairs of snapshots drawn from a small model,
//! with random `--rename` values.

use libfuzzer_sys::fuzz_target;
use lunora_testkit::fuzz::check_migration;
use lunora_emit::migrate::Renames;
use lunora_fuzz::{SnapshotPair, sqlite_names_ok};

fuzz_target!(|pair: SnapshotPair| {
    // The analyzer rejects schemas whose names clash in SQLite.
    if !sqlite_names_ok(&pair.previous) || !sqlite_names_ok(&pair.next) {
        return;
    }
    let mut renames = Renames::default();
    for spec in &pair.renames {
        if renames.add(spec).is_err() {
            return;
        }
    }
    if let Err(e) = check_migration(&pair.previous, &pair.next, &renames) {
        panic!("invariant broken: {e}\n{}", pair.to_json());
    }
});
