//! Snapshot of every generated file for the chat tutorial IR.

use lunora_emit::{HEADER, emit_generated};

#[test]
fn chat_generated_files() {
    let ir = lunora_testkit::ir::chat_ir();
    let out = emit_generated(&ir);
    let paths: Vec<&str> = out.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "lunora/_generated/api.ts",
            "lunora/_generated/dataModel.ts",
            "lunora/_generated/server.ts",
            "lunora/_generated/wiring.ts",
        ]
    );
    let mut doc = String::new();
    for file in &out.files {
        assert!(
            file.contents.starts_with(HEADER),
            "{} lacks the header",
            file.path
        );
        assert!(file.contents.ends_with('\n'));
        assert!(!file.contents.contains("@lunora/runtime"));
        doc.push_str(&format!(
            "## {}\n\n```ts\n{}```\n\n",
            file.path, file.contents
        ));
    }
    insta::assert_snapshot!("chat", doc);
    // Pure and deterministic: a second run gives the same bytes.
    assert_eq!(emit_generated(&ir).files, out.files);
}

/// Every shape the emitter handles: root tables, a default schema export, internal
/// functions, nested and `index` modules, non-identifier names, every validator kind,
/// functions without `.input`, actions routed to the Worker.
#[test]
fn kitchen_sink_generated_files() {
    use lunora_analyzer::{
        Field, Function, FunctionKind, Index, Ir, Literal, ObjectField, Placement, Route,
        SchemaExport, Table, Validator as V, Visibility,
    };
    let field = |name: &str, validator: V| Field {
        name: name.into(),
        span: None,
        validator,
    };
    let obj = |name: &str, validator: V| ObjectField {
        name: name.into(),
        validator,
    };
    let function =
        |module: &str, api_path: &[&str], export: &str, kind, visibility, args, route| Function {
            module: module.into(),
            file: format!("lunora/{module}.ts"),
            api_path: api_path.iter().map(|s| s.to_string()).collect(),
            export_name: export.into(),
            span: None,
            kind,
            visibility,
            args,
            returns: None,
            route,
            tables_read: vec![],
            tables_written: vec![],
        };
    let ir = Ir {
        tables: vec![
            Table {
                name: "notes".into(),
                span: None,
                fields: vec![
                    field("body", V::String),
                    field("count", V::Int64),
                    field("blob", V::Optional(Box::new(V::Bytes))),
                    field("meta", V::Any),
                    field("done", V::Boolean),
                    field(
                        "tags",
                        V::Array(Box::new(V::Union(vec![
                            V::Literal(Literal::String("a\"b".into())),
                            V::Literal(Literal::Number("3".into())),
                            V::Literal(Literal::Boolean(false)),
                            V::Null,
                        ]))),
                    ),
                    field(
                        "by-user",
                        V::Record(Box::new(V::String), Box::new(V::Id("notes".into()))),
                    ),
                    field(
                        "nested",
                        V::Object(vec![
                            obj("x", V::Number),
                            obj("y", V::Optional(Box::new(V::Object(vec![])))),
                        ]),
                    ),
                ],
                indexes: vec![
                    Index {
                        name: "by_body".into(),
                        span: None,
                        fields: vec!["body".into(), "_creationTime".into()],
                        unique: false,
                    },
                    Index {
                        name: "by_count".into(),
                        span: None,
                        fields: vec!["count".into()],
                        unique: true,
                    },
                ],
                search_indexes: Vec::new(),
                placement: Placement::Root,
                variants: Vec::new(),
                builtin: false,
            },
            Table {
                name: "empty".into(),
                span: None,
                fields: vec![],
                indexes: vec![],
                search_indexes: Vec::new(),
                placement: Placement::Root,
                variants: Vec::new(),
                builtin: false,
            },
        ],
        functions: vec![
            function(
                "admin/audit-log",
                &["admin", "audit_log"],
                "recent",
                FunctionKind::Query,
                Visibility::Internal,
                None,
                Route::Root,
            ),
            function(
                "admin/index",
                &["admin"],
                "stats",
                FunctionKind::Query,
                Visibility::Public,
                Some(vec![]),
                Route::Global,
            ),
            function(
                "index",
                &[],
                "ping",
                FunctionKind::Action,
                Visibility::Public,
                Some(vec![obj("note", V::Id("notes".into()))]),
                Route::Worker,
            ),
            function(
                "notes",
                &["notes"],
                "add",
                FunctionKind::Mutation,
                Visibility::Public,
                Some(vec![obj("body", V::String)]),
                Route::Root,
            ),
        ],
        modules: vec![],
        schema_export: SchemaExport::Default,
        http: None,
        crons: None,
        uses_storage: false,
    };
    let out = emit_generated(&ir);
    let mut doc = String::new();
    for file in &out.files {
        doc.push_str(&format!(
            "## {}\n\n```ts\n{}```\n\n",
            file.path, file.contents
        ));
    }
    insta::assert_snapshot!("kitchen_sink", doc);
}
