//! The names Lunora's API accepts where a did-you-mean may help: validator
//! names and route options. Plain data with no dependency, read by the passes
//! and by [`crate::diagnostics`].

/// The `v.*` validators.
pub const VALIDATORS: &[&str] = &[
    "string", "number", "boolean", "null", "int64", "bytes", "any", "id", "literal", "optional",
    "array", "object", "record", "union", "float64", "nullable",
];

/// The options of `http.route({...})`.
pub const ROUTE_OPTIONS: [&str; 4] = ["path", "pathPrefix", "method", "handler"];
