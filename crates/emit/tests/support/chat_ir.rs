//! The chat tutorial's IR, built by hand (what `lunora_analyzer::analyze`
//! produces for fixtures/valid/chat): schema of section 2, functions of sections 4 and 5.

use lunora_analyzer::{
    Field, Function, FunctionKind, Index, Ir, Module, ObjectField, Placement, Route, SchemaExport,
    Table, Validator, Visibility,
};

fn field(name: &str, validator: Validator) -> Field {
    Field {
        name: name.to_string(),
        span: None,
        validator,
    }
}

fn arg(name: &str, validator: Validator) -> ObjectField {
    ObjectField {
        name: name.to_string(),
        validator,
    }
}

fn index(name: &str, fields: &[&str], unique: bool) -> Index {
    Index {
        name: name.to_string(),
        span: None,
        fields: fields.iter().map(|f| f.to_string()).collect(),
        unique,
    }
}

pub fn chat_ir() -> Ir {
    let shard = Route::Shard {
        key: "channelId".to_string(),
        arg: "channelId".to_string(),
    };
    Ir {
        tables: vec![
            Table {
                name: "channels".into(),
                span: None,
                fields: vec![
                    field("name", Validator::String),
                    field("topic", Validator::Optional(Box::new(Validator::String))),
                ],
                indexes: vec![index("by_name", &["name"], true)],
                search_indexes: Vec::new(),
                placement: Placement::Global,
                variants: Vec::new(),
                builtin: false,
            },
            Table {
                name: "messages".into(),
                span: None,
                fields: vec![
                    field("channelId", Validator::Id("channels".into())),
                    field("userId", Validator::Id("users".into())),
                    field("text", Validator::String),
                    field("createdAt", Validator::Number),
                ],
                indexes: vec![index("by_channel", &["channelId", "createdAt"], false)],
                search_indexes: Vec::new(),
                placement: Placement::Shard {
                    key: "channelId".into(),
                },
                variants: Vec::new(),
                builtin: false,
            },
            Table {
                name: "users".into(),
                span: None,
                fields: vec![
                    field("name", Validator::Optional(Box::new(Validator::String))),
                    field("subject", Validator::String),
                ],
                indexes: vec![index("by_subject", &["subject"], true)],
                search_indexes: Vec::new(),
                placement: Placement::Global,
                variants: Vec::new(),
                builtin: true,
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
                    arg("limit", Validator::Optional(Box::new(Validator::Number))),
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
