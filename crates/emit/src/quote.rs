//! SQL identifier quoting, the one spelling shared by the Durable Object DDL
//! ([`crate::storage`]), the FTS tables ([`crate::search`]) and the D1
//! migrations ([`crate::migrate::sql`]).

/// `"name"` with embedded `"` doubled.
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::quote_ident;

    #[test]
    fn embedded_quotes_are_doubled() {
        assert_eq!(quote_ident("we\"ird"), "\"we\"\"ird\"");
        assert_eq!(quote_ident("plain"), "\"plain\"");
    }
}
