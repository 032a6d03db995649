#![no_main]
//! parse → analyze → emit over a structured app (schema, const module,
//! function modules) drawn by `lunora_fuzz::app::App`.

use libfuzzer_sys::fuzz_target;
use lunora_testkit::fuzz::check_app;
use lunora_fuzz::app::App;

fuzz_target!(|app: App| {
    if let Err(e) = check_app(&app.files) {
        panic!("invariant broken: {e}\n{}", app.to_json());
    }
});
