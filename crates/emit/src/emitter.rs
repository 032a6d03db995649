//! [`Emitter`]: writes `_generated/` from the IR and keeps, between runs,
//! what it rendered: each function's pieces (per module), the `api.ts` tree,
//! each module's block of `wiring.ts`, `dataModel.ts` and the tables part of
//! `wiring.ts`. After a change confined to some modules' functions only those
//! are rendered again and the files are assembled from the kept parts.
//! [`crate::emit_generated`] is an emitter's first run: one code path.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;

use lunora_analyzer::{Function, Ir, IrChange, SchemaExport, Visibility};

use crate::GENERATED_DIR;
use crate::generated::{self, HEADER, Pieces};
use crate::ts::{property_key, string_literal};

/// One generated file: a root-relative path (`lunora/_generated/api.ts`) and its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub contents: String,
}

/// From this many functions on, pieces are rendered on two threads.
const PARALLEL_FROM_FUNCTIONS: usize = 200;

/// Emits `_generated/`, keeping what it rendered for the next run (watch
/// mode). Its output is always [`crate::emit_generated`]'s for the same IR.
#[derive(Default)]
pub struct Emitter {
    /// Per module with functions: their pieces, in IR order.
    modules: HashMap<String, Vec<Pieces>>,
    /// `api.ts`: the public and the internal tree, kept once an update was
    /// told what changed (a first run writes from a tree it borrows).
    trees: Option<[ApiNode; 2]>,
    wiring: Wiring,
    data_model: Option<String>,
}

/// What `wiring.ts` keeps.
#[derive(Default)]
struct Wiring {
    /// The modules with functions, sorted: their aliases are `m0`, `m1`,
    /// ... in this order.
    aliases: Vec<String>,
    /// Up to the functions, for `aliases`.
    head: Option<String>,
    /// Per module: its functions' entries, with its alias.
    blocks: HashMap<String, String>,
    /// The tables part, at the end.
    tables: Option<String>,
}

/// A function in an `api.ts` tree: its module, its index there, its entry.
type ApiEntry = (Arc<str>, usize, Arc<str>);

/// A node of an `api.ts` tree: functions by export name (every contributor,
/// `(module, index)` in IR order; the first is written) and child segments.
#[derive(Default)]
struct ApiNode {
    functions: BTreeMap<String, Vec<ApiEntry>>,
    children: BTreeMap<String, ApiNode>,
}

impl ApiNode {
    fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.children.is_empty()
    }

    fn insert(&mut self, path: &[String], key: &str, at: ApiEntry) {
        let mut node = self;
        for segment in path {
            if !node.children.contains_key(segment) {
                node.children.insert(segment.clone(), ApiNode::default());
            }
            let Some(child) = node.children.get_mut(segment) else {
                return;
            };
            node = child;
        }
        if !node.functions.contains_key(key) {
            node.functions.insert(key.to_string(), Vec::new());
        }
        if let Some(list) = node.functions.get_mut(key) {
            let i = list.partition_point(|x| *x < at);
            list.insert(i, at);
        }
    }

    /// Removes `module`'s entry `key` at `path`; prunes emptied nodes.
    fn remove(&mut self, path: &[String], key: &str, module: &str) {
        match path.split_first() {
            Some((segment, rest)) => {
                if let Some(child) = self.children.get_mut(segment) {
                    child.remove(rest, key, module);
                    if child.is_empty() {
                        self.children.remove(segment);
                    }
                }
            }
            None => {
                if let Some(list) = self.functions.get_mut(key) {
                    list.retain(|(m, ..)| &**m != module);
                    if list.is_empty() {
                        self.functions.remove(key);
                    }
                }
            }
        }
    }

    fn write(&self, out: &mut String, depth: usize) {
        write_entries(
            out,
            depth,
            self.functions
                .iter()
                .map(|(k, list)| (k.as_str(), list.first().map(|(.., api)| &**api))),
            self.children.iter().map(|(k, c)| (k.as_str(), c)),
            |out, child, depth| child.write(out, depth),
        );
    }
}

/// Writes a node's entries in key order: `functions` and `children` each
/// sorted by key. A key that is both an export and a child segment (an
/// analyzer error) writes the export.
fn write_entries<'a, C>(
    out: &mut String,
    depth: usize,
    functions: impl Iterator<Item = (&'a str, Option<&'a str>)>,
    children: impl Iterator<Item = (&'a str, C)>,
    write_child: impl Fn(&mut String, C, usize),
) {
    let pad = "  ".repeat(depth);
    let mut functions = functions.peekable();
    let mut children = children.peekable();
    loop {
        let (take_function, skip_child) = match (functions.peek(), children.peek()) {
            (None, None) => break,
            (Some(_), None) => (true, false),
            (None, Some(_)) => (false, false),
            (Some((f, _)), Some((c, _))) => (f <= c, f == c),
        };
        if skip_child {
            children.next();
        }
        if take_function {
            if let Some((_, Some(api))) = functions.next() {
                out.push_str(api);
            }
        } else if let Some((key, child)) = children.next() {
            let _ = writeln!(out, "{pad}{}: {{", property_key(key));
            write_child(out, child, depth + 1);
            let _ = writeln!(out, "{pad}}},");
        }
    }
}

fn tree_index(visibility: Visibility) -> usize {
    match visibility {
        Visibility::Public => 0,
        Visibility::Internal => 1,
    }
}

impl Emitter {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets everything (the next update renders all).
    pub fn reset(&mut self) {
        *self = Self::default();
    }

    /// The files for `ir`, sorted by path; `changed` says what may differ
    /// from the last update's IR.
    pub fn update(&mut self, ir: &Ir, changed: &IrChange) -> Vec<GeneratedFile> {
        self.update_reusing(ir, changed, &mut Vec::new())
    }

    /// [`Self::update`], writing into the buffers of `reuse` (the files
    /// an earlier update returned; left empty).
    pub fn update_reusing(
        &mut self,
        ir: &Ir,
        changed: &IrChange,
        reuse: &mut Vec<GeneratedFile>,
    ) -> Vec<GeneratedFile> {
        self.forget(changed);
        let groups = module_groups(&ir.functions);
        let Some(todo) = self.functions_to_render(&groups) else {
            // A module the caller did not name lost all its functions.
            return self.update_reusing(ir, &IrChange::Any, reuse);
        };
        self.render(ir, &groups, &todo);
        // Told what changed: from now on keep the `api.ts` trees.
        if matches!(changed, IrChange::Modules(_)) && self.trees.is_none() {
            let mut trees: [ApiNode; 2] = Default::default();
            for (module, pieces) in &self.modules {
                insert_module(&mut trees, module, pieces);
            }
            self.trees = Some(trees);
        }
        let mut out = output_buffers(reuse);
        self.write_files(ir, &groups, &mut out);
        out
    }

    /// Forgets what `changed` says may differ: the named modules, or all.
    fn forget(&mut self, changed: &IrChange) {
        match changed {
            IrChange::Modules(modules) => {
                for m in modules {
                    self.remove_module(m);
                }
            }
            IrChange::Any => self.reset(),
        }
    }

    /// The functions of every module lacking pieces (or kept with another
    /// number of functions, then forgotten), in IR order. `None` when a
    /// kept module has no functions any more.
    fn functions_to_render<'a>(&mut self, groups: &[&'a [Function]]) -> Option<Vec<&'a Function>> {
        let mut todo: Vec<&Function> = Vec::new();
        let mut missing = 0;
        for group in groups {
            let module = &group[0].module;
            if self
                .modules
                .get(module)
                .is_some_and(|p| p.len() != group.len())
            {
                self.remove_module(module);
            }
            if !self.modules.contains_key(module) {
                missing += 1;
                todo.extend(group.iter());
            }
        }
        (self.modules.len() + missing == groups.len()).then_some(todo)
    }

    /// Renders the pieces of `todo` (the functions of the modules lacking
    /// them), rendered together, and `dataModel.ts` when not kept; keeps
    /// them, and adds them to the kept `api.ts` trees.
    fn render(&mut self, ir: &Ir, groups: &[&[Function]], todo: &[&Function]) {
        let need_data_model = self.data_model.is_none();
        let (rendered, data_model) = render_pieces(todo, need_data_model.then_some(ir));
        if let Some(dm) = data_model {
            self.data_model = Some(dm);
        }
        let mut rendered = rendered.into_iter();
        for group in groups {
            if self.modules.contains_key(&group[0].module) {
                continue;
            }
            let pieces: Vec<Pieces> = rendered.by_ref().take(group.len()).collect();
            if let Some(trees) = &mut self.trees {
                insert_module(trees, &group[0].module, &pieces);
            }
            self.modules.insert(group[0].module.clone(), pieces);
        }
    }

    /// Writes the four files into `out` (from [`output_buffers`]) from the
    /// kept parts. `api.ts` and `wiring.ts` are independent: on large apps
    /// on two threads.
    fn write_files(&mut self, ir: &Ir, groups: &[&[Function]], out: &mut [GeneratedFile]) {
        let (api_out, rest) = out.split_at_mut(1);
        let (data_model_out, rest) = rest.split_at_mut(1);
        let (server_out, wiring_out) = rest.split_at_mut(1);
        data_model_out[0]
            .contents
            .push_str(self.data_model.as_deref().unwrap_or_default());
        server_out[0].contents.push_str(&generated::server());
        let (modules, trees, wiring) = (&self.modules, &self.trees, &mut self.wiring);
        let write_api = |out: &mut String| match trees {
            Some(trees) => api(
                out,
                |tree, out| trees[tree].write(out, 1),
                |tree| trees[tree].is_empty(),
            ),
            None => {
                let borrowed = BorrowedTrees::new(ir, modules);
                api(
                    out,
                    |tree, out| borrowed.0[tree].write(out, 1),
                    |tree| borrowed.0[tree].is_empty(),
                )
            }
        };
        let api_text = &mut api_out[0].contents;
        let wiring_text = &mut wiring_out[0].contents;
        if ir.functions.len() >= PARALLEL_FROM_FUNCTIONS {
            let mut buffer = std::mem::take(api_text);
            let write_api = &write_api;
            *api_text = std::thread::scope(|s| {
                let other = std::thread::Builder::new().spawn_scoped(s, move || {
                    write_api(&mut buffer);
                    buffer
                });
                write_wiring(wiring, modules, ir, groups, wiring_text);
                match other.map(|h| h.join()) {
                    Ok(Ok(buffer)) => buffer,
                    Ok(Err(panic)) => std::panic::resume_unwind(panic),
                    // No thread to be had: here.
                    Err(_) => {
                        let mut buffer = String::new();
                        write_api(&mut buffer);
                        buffer
                    }
                }
            });
        } else {
            write_api(api_text);
            write_wiring(wiring, modules, ir, groups, wiring_text);
        }
    }

    fn remove_module(&mut self, module: &str) {
        if let Some(pieces) = self.modules.remove(module)
            && let Some(trees) = &mut self.trees
        {
            for p in &pieces {
                trees[tree_index(p.visibility)].remove(&p.api_path, &p.export_name, module);
            }
        }
        self.wiring.blocks.remove(module);
    }
}

/// The four files' buffers, cleared: those of the last update (`reuse`,
/// handed back by the caller: no fresh memory for megabytes of text on
/// every update) when they are the four, else new ones.
fn output_buffers(reuse: &mut Vec<GeneratedFile>) -> Vec<GeneratedFile> {
    let mut out: Vec<GeneratedFile> = std::mem::take(reuse);
    let names = ["api.ts", "dataModel.ts", "server.ts", "wiring.ts"];
    if out.len() != names.len()
        || out
            .iter()
            .zip(names)
            .any(|(f, n)| f.path.strip_prefix(GENERATED_DIR) != Some(&format!("/{n}")))
    {
        out = names
            .iter()
            .map(|n| GeneratedFile {
                path: format!("{GENERATED_DIR}/{n}"),
                contents: String::new(),
            })
            .collect();
    }
    for f in &mut out {
        f.contents.clear();
    }
    out
}

/// `api.ts`: the public tree, then the internal one (`write(tree, out)`
/// writes the entries of tree 0 or 1).
fn api(out: &mut String, write: impl Fn(usize, &mut String), is_empty: impl Fn(usize) -> bool) {
    out.push_str(HEADER);
    out.push_str(
        "import type { FunctionReference, HandlerReturnType } from \"lunorash/server\";\n\n",
    );
    for (tree, name, doc) in [
        (
            0,
            "api",
            "Public functions, by module path: pass them to `useQuery`/`useMutation`.",
        ),
        (
            1,
            "internal",
            "Internal functions: callable only from other functions (`ctx.runQuery`, ...).",
        ),
    ] {
        if is_empty(tree) {
            let _ = writeln!(out, "/** {doc} */\nexport const {name} = {{}} as const;\n");
            continue;
        }
        let _ = writeln!(out, "/** {doc} */\nexport const {name} = {{");
        write(tree, out);
        out.push_str("} as const;\n\n");
    }
    out.pop();
}

fn insert_module(trees: &mut [ApiNode; 2], module: &str, pieces: &[Pieces]) {
    let module: Arc<str> = Arc::from(module);
    for (i, p) in pieces.iter().enumerate() {
        trees[tree_index(p.visibility)].insert(
            &p.api_path,
            &p.export_name,
            (Arc::clone(&module), i, Arc::clone(&p.api)),
        );
    }
}

/// The `api.ts` trees of one run, borrowed from the IR and the pieces (the
/// first run, which need not keep them).
struct BorrowedTrees<'a>([BorrowedNode<'a>; 2]);

#[derive(Default)]
struct BorrowedNode<'a> {
    functions: BTreeMap<&'a str, &'a Pieces>,
    children: BTreeMap<&'a str, BorrowedNode<'a>>,
}

impl<'a> BorrowedTrees<'a> {
    fn new(ir: &'a Ir, modules: &'a HashMap<String, Vec<Pieces>>) -> Self {
        let mut trees: [BorrowedNode<'a>; 2] = Default::default();
        for group in module_groups(&ir.functions) {
            let Some(pieces) = modules.get(&group[0].module) else {
                continue;
            };
            for p in pieces {
                let mut node = &mut trees[tree_index(p.visibility)];
                for segment in &p.api_path {
                    node = node.children.entry(segment.as_str()).or_default();
                }
                // The first of a key wins, as in the kept tree.
                node.functions.entry(p.export_name.as_str()).or_insert(p);
            }
        }
        Self(trees)
    }
}

impl BorrowedNode<'_> {
    fn is_empty(&self) -> bool {
        self.functions.is_empty() && self.children.is_empty()
    }

    /// As [`ApiNode::write`].
    fn write(&self, out: &mut String, depth: usize) {
        write_entries(
            out,
            depth,
            self.functions.iter().map(|(k, p)| (*k, Some(&*p.api))),
            self.children.iter().map(|(k, c)| (*k, c)),
            |out, child, depth| child.write(out, depth),
        );
    }
}

/// `wiring.ts`: the schema import, one namespace import per module with
/// functions (numbered in module order), the functions by id, the tables.
fn write_wiring(
    w: &mut Wiring,
    modules: &HashMap<String, Vec<Pieces>>,
    ir: &Ir,
    groups: &[&[Function]],
    out: &mut String,
) {
    let aliases_changed = w.aliases.len() != groups.len()
        || w.aliases.iter().zip(groups).any(|(a, g)| *a != g[0].module);
    if aliases_changed {
        w.aliases = groups.iter().map(|g| g[0].module.clone()).collect();
        w.head = None;
        w.blocks.clear();
    }
    let head = w.head.get_or_insert_with(|| {
        let mut out = String::from(HEADER);
        out.push_str("import type { LunoraWiring } from \"lunorash/server\";\n");
        match &ir.schema_export {
            SchemaExport::Default => out.push_str("import schema from \"../schema\";\n"),
            SchemaExport::Named(name) if name == "schema" => {
                out.push_str("import { schema } from \"../schema\";\n");
            }
            SchemaExport::Named(name) => {
                let _ = writeln!(out, "import {{ {name} as schema }} from \"../schema\";");
            }
        }
        if ir.http.is_some() {
            out.push_str(crate::http::ROUTER_IMPORT);
        }
        if ir.crons.is_some() {
            out.push_str(crate::crons::CRONS_IMPORT);
        }
        for (i, module) in w.aliases.iter().enumerate() {
            let _ = writeln!(
                out,
                "import * as m{i} from {};",
                string_literal(&generated::module_import(module))
            );
        }
        out.push_str("\nexport const wiring = {\n  version: 1,\n  schema,\n  functions: {\n");
        out
    });
    let tables = w.tables.get_or_insert_with(|| generated::wiring_tables(ir));
    out.push_str(head);
    // Functions in id (`<module>:<export>`) order. Without `:` in module
    // names that is module by module, ordered by `<module>:`, each in IR
    // order (export name): whole blocks. Otherwise, function by function.
    if w.aliases.iter().any(|m| m.contains(':')) {
        let mut all: Vec<(&str, &Pieces, usize)> = Vec::new();
        for (i, m) in w.aliases.iter().enumerate() {
            for p in modules.get(m).map(Vec::as_slice).unwrap_or_default() {
                all.push((&p.id, p, i));
            }
        }
        all.sort_by(|a, b| a.0.cmp(b.0));
        for (_, p, i) in all {
            let _ = write!(out, "{}m{i}{}", p.wiring_head, p.wiring_tail);
        }
    } else {
        let mut order: Vec<(usize, &String)> = w.aliases.iter().enumerate().collect();
        order.sort_by(|a, b| {
            a.1.as_bytes()
                .iter()
                .chain(b":")
                .cmp(b.1.as_bytes().iter().chain(b":"))
        });
        for (i, m) in order {
            let block = w.blocks.entry(m.clone()).or_insert_with(|| {
                let alias = format!("m{i}");
                let mut block = String::new();
                for p in modules.get(m).map(Vec::as_slice).unwrap_or_default() {
                    block.push_str(&p.wiring_head);
                    block.push_str(&alias);
                    block.push_str(&p.wiring_tail);
                }
                block
            });
            out.push_str(block);
        }
    }
    out.push_str(tables);
}

/// The functions of each module: contiguous runs of the IR's function list
/// (sorted by module).
fn module_groups(functions: &[Function]) -> Vec<&[Function]> {
    let mut groups = Vec::new();
    let mut start = 0;
    while start < functions.len() {
        let module = &functions[start].module;
        let len = functions[start..]
            .iter()
            .take_while(|f| f.module == *module)
            .count();
        groups.push(&functions[start..start + len]);
        start += len;
    }
    groups
}

/// The pieces of `functions`, in order, and `dataModel.ts` when `data_model`
/// is given; on large apps on two threads (this one also builds the data
/// model, so it takes the smaller share of functions).
fn render_pieces(
    functions: &[&Function],
    data_model: Option<&Ir>,
) -> (Vec<Pieces>, Option<String>) {
    let parallel = functions.len() >= PARALLEL_FROM_FUNCTIONS
        && std::thread::available_parallelism().is_ok_and(|n| n.get() > 1);
    if !parallel {
        return (
            functions.iter().map(|f| generated::pieces(f)).collect(),
            data_model.map(generated::data_model),
        );
    }
    let share = if data_model.is_some() { 45 } else { 50 };
    let (first, second) = functions.split_at(functions.len() * share / 100);
    std::thread::scope(|s| {
        // Validators nest as deep as the parser allows: the same stack as
        // every other worker thread. If no thread can be had, render here.
        let other = std::thread::Builder::new()
            .stack_size(lunora_parser::parse::THREAD_STACK_SIZE)
            .spawn_scoped(s, || {
                second
                    .iter()
                    .map(|f| generated::pieces(f))
                    .collect::<Vec<_>>()
            });
        let mut out: Vec<Pieces> = first.iter().map(|f| generated::pieces(f)).collect();
        let data_model = data_model.map(generated::data_model);
        match other.map(|h| h.join()) {
            Ok(Ok(rest)) => out.extend(rest),
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => out.extend(second.iter().map(|f| generated::pieces(f))),
        }
        (out, data_model)
    })
}
