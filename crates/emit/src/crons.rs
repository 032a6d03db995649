//! The `crons` part of `wiring.ts`: the `cronJobs()` object `lunora/crons.ts`
//! exports by default (its jobs' args), and the job table as the analyzer read
//! it, each job with the Cloudflare Cron Trigger expression that fires it.

use std::fmt::Write as _;

use lunora_analyzer::Crons;

use crate::ts::string_literal;

/// The import `wiring.ts` adds when the app has `lunora/crons.ts`.
pub(crate) const CRONS_IMPORT: &str = "import crons from \"../crons\";\n";

/// `  crons: { jobs: crons, schedule: [...] },`
pub(crate) fn wiring_crons(out: &mut String, crons: &Crons) {
    out.push_str("  crons: {\n    jobs: crons,\n    schedule: [\n");
    for job in &crons.jobs {
        let _ = writeln!(
            out,
            "      {{ name: {}, cron: {}, function: {} }},",
            string_literal(&job.name),
            string_literal(&job.cron),
            string_literal(&job.function)
        );
    }
    out.push_str("    ],\n  },\n");
}
