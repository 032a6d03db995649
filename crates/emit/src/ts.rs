//! TypeScript spelling helpers: identifiers, string literals, and the type of
//! a validator tree.

use lunora_analyzer::{Literal, ObjectField, Validator};

/// True when `name` can be written bare as a property key.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c == '_' || c == '$' || c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    chars.all(|c| c == '_' || c == '$' || c.is_ascii_alphanumeric())
}

/// A double-quoted TypeScript string literal (JSON escaping is valid TS).
pub fn string_literal(value: &str) -> String {
    // Serializing a &str to JSON cannot fail; fall back to an escaped-by-hand form anyway
    // so no input can panic.
    serde_json::to_string(value).unwrap_or_else(|_| {
        let escaped: String = value
            .chars()
            .flat_map(|c| match c {
                '"' => vec!['\\', '"'],
                '\\' => vec!['\\', '\\'],
                c if (c as u32) < 0x20 => format!("\\u{:04x}", c as u32).chars().collect(),
                c => vec![c],
            })
            .collect();
        format!("\"{escaped}\"")
    })
}

/// A property key: bare when it is an identifier, quoted otherwise.
pub fn property_key(name: &str) -> String {
    if is_identifier(name) {
        name.to_string()
    } else {
        string_literal(name)
    }
}

/// How `v.id(table)` is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdStyle {
    /// `Id<"table">` (server side: documents, handler args, inserts).
    Branded,
    /// `string` (client side: what `api.ts` accepts as arguments; the server validates the table).
    Wire,
}

/// The TypeScript type of the values `validator` accepts. `v.optional(x)` at
/// the top level is spelled as `x | undefined`; object fields use `?:`.
pub fn validator_type(validator: &Validator, ids: IdStyle) -> String {
    match validator {
        Validator::String => "string".to_string(),
        Validator::Number => "number".to_string(),
        Validator::Boolean => "boolean".to_string(),
        Validator::Null => "null".to_string(),
        Validator::Int64 => "bigint".to_string(),
        Validator::Bytes => "ArrayBuffer".to_string(),
        Validator::Any => "any".to_string(),
        Validator::Id(table) => match ids {
            // A system table is no `TableName`: its ids are spelled with lunorash's `GenericId`.
            IdStyle::Branded
                if table == lunora_analyzer::SCHEDULED_TABLE
                    || table == lunora_analyzer::STORAGE_TABLE =>
            {
                format!("GenericId<{}>", string_literal(table))
            }
            IdStyle::Branded => format!("Id<{}>", string_literal(table)),
            IdStyle::Wire => "string".to_string(),
        },
        Validator::Literal(literal) => literal_type(literal),
        Validator::Optional(inner) => format!("{} | undefined", validator_type(inner, ids)),
        Validator::Array(element) => format!("Array<{}>", validator_type(element, ids)),
        Validator::Object(fields) => object_type(fields, ids),
        Validator::Record(keys, values) => format!(
            "Record<{}, {}>",
            validator_type(keys, ids),
            validator_type(values, ids)
        ),
        Validator::Union(members) => {
            if members.is_empty() {
                return "never".to_string();
            }
            members
                .iter()
                .map(|m| {
                    let ty = validator_type(m, ids);
                    if matches!(m, Validator::Optional(_)) {
                        format!("({ty})")
                    } else {
                        ty
                    }
                })
                .collect::<Vec<_>>()
                .join(" | ")
        }
    }
}

fn literal_type(literal: &Literal) -> String {
    match literal {
        Literal::String(s) => string_literal(s),
        Literal::Number(n) => {
            // The IR normalises numbers; keep only what is a valid TS numeric literal type.
            if n.parse::<f64>().is_ok_and(f64::is_finite) {
                n.clone()
            } else {
                "number".to_string()
            }
        }
        Literal::Boolean(b) => b.to_string(),
    }
}

/// One object member: `name: T` or `name?: T` for `v.optional`.
pub fn member(name: &str, validator: &Validator, ids: IdStyle) -> String {
    match validator {
        Validator::Optional(inner) => {
            format!("{}?: {}", property_key(name), validator_type(inner, ids))
        }
        other => format!("{}: {}", property_key(name), validator_type(other, ids)),
    }
}

/// `{ a: string; b?: number }`; an object with no fields is `Record<string, never>`.
pub fn object_type(fields: &[ObjectField], ids: IdStyle) -> String {
    if fields.is_empty() {
        return "Record<string, never>".to_string();
    }
    let members: Vec<String> = fields
        .iter()
        .map(|f| member(&f.name, &f.validator, ids))
        .collect();
    format!("{{ {} }}", members.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_and_keys() {
        assert!(is_identifier("channelId"));
        assert!(is_identifier("_x$1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier("audit-log"));
        assert!(!is_identifier(""));
        assert_eq!(property_key("a b"), "\"a b\"");
        assert_eq!(string_literal("q\"\\\n"), r#""q\"\\\n""#);
    }

    #[test]
    fn nested_types() {
        let v = Validator::Object(vec![
            ObjectField {
                name: "tags".into(),
                validator: Validator::Array(Box::new(Validator::Union(vec![
                    Validator::Literal(Literal::String("a".into())),
                    Validator::Null,
                ]))),
            },
            ObjectField {
                name: "by-id".into(),
                validator: Validator::Optional(Box::new(Validator::Record(
                    Box::new(Validator::String),
                    Box::new(Validator::Id("users".into())),
                ))),
            },
            ObjectField {
                name: "n".into(),
                validator: Validator::Literal(Literal::Number("-2.5".into())),
            },
        ]);
        assert_eq!(
            validator_type(&v, IdStyle::Branded),
            r#"{ tags: Array<"a" | null>; "by-id"?: Record<string, Id<"users">>; n: -2.5 }"#
        );
        assert_eq!(
            validator_type(&v, IdStyle::Wire),
            r#"{ tags: Array<"a" | null>; "by-id"?: Record<string, string>; n: -2.5 }"#
        );
        assert_eq!(object_type(&[], IdStyle::Wire), "Record<string, never>");
        assert_eq!(
            validator_type(&Validator::Union(vec![]), IdStyle::Wire),
            "never"
        );
        assert_eq!(
            validator_type(
                &Validator::Literal(Literal::Number("NaN".into())),
                IdStyle::Wire
            ),
            "number"
        );
    }
}
