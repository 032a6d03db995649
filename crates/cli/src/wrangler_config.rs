//! `wrangler.jsonc` checks live in [`lunora_engine::wrangler_config`]; their
//! tests are here because they snapshot the CLI's human rendering.

#[cfg(test)]
mod tests;
