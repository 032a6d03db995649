//! IR values built by hand, for tests of the stages after the analyzer (the
//! emitter, migrations) that should not depend on parsing a schema.

use lunora_analyzer::{
    Field, Function, FunctionKind, Index, Ir, Module, ObjectField, Placement, Route, SchemaExport,
    Table, Validator, Visibility,
};

/// A table field without a source span.
pub fn field(name: &str, validator: Validator) -> Field {
    Field {
        name: name.to_string(),
        span: None,
        validator,
    }
}

/// `v.optional(inner)`.
pub fn optional(inner: Validator) -> Validator {
    Validator::Optional(Box::new(inner))
}

/// A function argument.
pub fn arg(name: &str, validator: Validator) -> ObjectField {
    ObjectField {
        name: name.to_string(),
        validator,
    }
}

/// An index over `fields` (unique if `unique`), without a source span.
pub fn index(name: &str, fields: &[&str], unique: bool) -> Index {
    Index {
        name: name.to_string(),
        span: None,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        unique,
    }
}

/// A table of the app's own (not built in), with no search index and no union variants.
pub fn table(name: &str, fields: Vec<Field>, indexes: Vec<Index>, placement: Placement) -> Table {
    Table {
        name: name.into(),
        span: None,
        fields,
        indexes,
        search_indexes: Vec::new(),
        placement,
        variants: Vec::new(),
        builtin: false,
    }
}

/// The chat tutorial's IR (what the analyzer produces for fixtures/valid/chat): the schema of
/// its section 2, the functions of sections 4 and 5.
pub fn chat_ir() -> Ir {
    let shard = Route::Shard {
        key: "channelId".to_string(),
        arg: "channelId".to_string(),
    };
    Ir {
        tables: vec![
            table(
                "channels",
                vec![
                    field("name", Validator::String),
                    field("topic", optional(Validator::String)),
                ],
                vec![index("by_name", &["name"], true)],
                Placement::Global,
            ),
            table(
                "messages",
                vec![
                    field("channelId", Validator::Id("channels".into())),
                    field("userId", Validator::Id("users".into())),
                    field("text", Validator::String),
                    field("createdAt", Validator::Number),
                ],
                vec![index("by_channel", &["channelId", "createdAt"], false)],
                Placement::Shard {
                    key: "channelId".into(),
                },
            ),
            Table {
                builtin: true,
                ..table(
                    "users",
                    vec![
                        field("name", optional(Validator::String)),
                        field("subject", Validator::String),
                    ],
                    vec![index("by_subject", &["subject"], true)],
                    Placement::Global,
                )
            },
        ],
        functions: vec![
            Function {
                module: "messages".into(),
                file: "lunora/messages.ts".into(),
                api_path: vec!["messages".into()],
                export_name: "list".into(),
                span: None,
                kind: FunctionKind::Query,
                visibility: Visibility::Public,
                args: Some(vec![
                    arg("channelId", Validator::Id("channels".into())),
                    arg("limit", optional(Validator::Number)),
                ]),
                returns: None,
                route: shard.clone(),
                tables_read: vec!["messages".into()],
                tables_written: vec![],
            },
            Function {
                module: "messages".into(),
                file: "lunora/messages.ts".into(),
                api_path: vec!["messages".into()],
                export_name: "send".into(),
                span: None,
                kind: FunctionKind::Mutation,
                visibility: Visibility::Public,
                args: Some(vec![
                    arg("channelId", Validator::Id("channels".into())),
                    arg("text", Validator::String),
                ]),
                returns: None,
                route: shard,
                tables_read: vec![],
                tables_written: vec!["messages".into()],
            },
        ],
        modules: vec![Module {
            file: "lunora/messages.ts".into(),
            module: "messages".into(),
            api_path: vec!["messages".into()],
        }],
        schema_export: SchemaExport::Named("schema".into()),
        http: None,
        crons: None,
        uses_storage: false,
    }
}
