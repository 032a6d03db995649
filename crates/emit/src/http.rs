//! The `http` part of `wiring.ts`: the router `lunora/http.ts` exports by
//! default, and its route table as the analyzer read it (the runtime serves
//! the router and refuses to when its routes differ from this table).

use std::fmt::Write as _;

use lunora_analyzer::{HttpCors, HttpPath, HttpRouter};

use crate::ts::string_literal;

/// The import `wiring.ts` adds when the app has `lunora/http.ts`.
pub(crate) const ROUTER_IMPORT: &str = "import http from \"../http\";\n";

/// `  http: { router: http, routes: [...] },`
pub(crate) fn wiring_http(out: &mut String, router: &HttpRouter) {
    out.push_str("  http: {\n    router: http,\n    routes: [\n");
    for route in &router.routes {
        let (key, path) = match &route.path {
            HttpPath::Exact(p) => ("path", p),
            HttpPath::Prefix(p) => ("pathPrefix", p),
        };
        let cors = match route.cors {
            HttpCors::None => "",
            HttpCors::Route => ", cors: \"route\"",
            HttpCors::Preflight => ", cors: \"preflight\"",
        };
        let _ = writeln!(
            out,
            "      {{ method: \"{}\", {key}: {}{cors} }},",
            route.method.as_str(),
            string_literal(path)
        );
    }
    out.push_str("    ],\n  },\n");
}
