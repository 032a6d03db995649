//! No module imports one that imports it back (issue 14's layout rule), in any
//! crate of the workspace.
//!
//! Each source file is a node (`src/a/b.rs` and `src/a/b/mod.rs` are `a::b`;
//! inline `mod x { .. }` blocks belong to their file). An edge `m → n` is a
//! path in `m` that names an item of `n`: `use crate::n::..`, `super::..`,
//! `self::..`, child modules named directly (`n::f()` in a parent), and
//! re-exports (`pub use n::X`, `pub use n::*`) followed to the module that
//! defines `X`. `#[cfg(test)]` modules are left out (unit tests call the entry
//! points they test). A strongly connected component with more than one file is
//! a cycle.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use lunora_testkit::apps::repo_root;
use syn::visit::Visit;

type Module = Vec<String>;

/// The library (or binary) root of a crate and every module file under it,
/// keyed by module path. `src/bin/*` are separate crates: left out.
fn crate_modules(src: &Path) -> BTreeMap<Module, PathBuf> {
    let mut modules = BTreeMap::new();
    for entry in walkdir::WalkDir::new(src).sort_by_file_name() {
        let entry = entry.expect("walk src");
        let path = entry.path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let rel = path.strip_prefix(src).expect("under src");
        let mut parts: Vec<String> = rel
            .iter()
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        if parts.first().is_some_and(|p| p == "bin") {
            continue;
        }
        let file = parts.pop().expect("file name");
        let stem = file.trim_end_matches(".rs");
        if !(parts.is_empty() && matches!(stem, "lib" | "main")) && stem != "mod" {
            parts.push(stem.to_string());
        }
        modules.insert(parts, path.to_path_buf());
    }
    modules
}

/// What one file says: the paths it names, from which inline module, and
/// its `pub use` re-exports (name → absolute path of the original).
#[derive(Default)]
struct FileRefs {
    /// (inline module path the reference sits in, path segments as written)
    paths: Vec<(Module, Vec<String>)>,
    /// re-exported name → (inline module path, path as written)
    reexports: BTreeMap<String, (Module, Vec<String>)>,
    /// `pub use path::*`: (inline module path, path as written)
    globs: Vec<(Module, Vec<String>)>,
    /// names of the file's own top-level items
    defined: BTreeSet<String>,
}

struct Collector<'a> {
    refs: &'a mut FileRefs,
    inline: Module,
}

impl Collector<'_> {
    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree, public: bool) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree, public);
                prefix.pop();
            }
            syn::UseTree::Name(n) => self.use_leaf(prefix, n.ident.to_string(), None, public),
            syn::UseTree::Rename(r) => self.use_leaf(
                prefix,
                r.ident.to_string(),
                Some(r.rename.to_string()),
                public,
            ),
            syn::UseTree::Glob(_) => {
                if public {
                    self.refs.globs.push((self.inline.clone(), prefix.clone()));
                }
                self.refs.paths.push((self.inline.clone(), prefix.clone()));
            }
            syn::UseTree::Group(g) => {
                for t in &g.items {
                    self.use_tree(prefix, t, public);
                }
            }
        }
    }

    fn use_leaf(&mut self, prefix: &[String], name: String, rename: Option<String>, public: bool) {
        let mut path = prefix.to_vec();
        if name != "self" {
            path.push(name.clone());
        }
        if public {
            let shown = rename.unwrap_or_else(|| path.last().cloned().unwrap_or(name));
            self.refs
                .reexports
                .insert(shown, (self.inline.clone(), path.clone()));
        }
        self.refs.paths.push((self.inline.clone(), path));
    }
}

/// `#[cfg(test)]`: a unit-test module may call the crate's entry points (that is
/// how it tests them); it is not part of the module design the rule is about.
fn is_cfg_test(attrs: &[syn::Attribute]) -> bool {
    attrs.iter().any(|a| {
        a.path().is_ident("cfg") && a.parse_args::<syn::Ident>().is_ok_and(|i| i == "test")
    })
}

/// The names a file's top-level items define (what `crate::m::X` may name in `m`).
fn defined_items(file: &syn::File) -> BTreeSet<String> {
    file.items
        .iter()
        .filter_map(|item| match item {
            syn::Item::Const(i) => Some(i.ident.to_string()),
            syn::Item::Enum(i) => Some(i.ident.to_string()),
            syn::Item::Fn(i) => Some(i.sig.ident.to_string()),
            syn::Item::Static(i) => Some(i.ident.to_string()),
            syn::Item::Struct(i) => Some(i.ident.to_string()),
            syn::Item::Trait(i) => Some(i.ident.to_string()),
            syn::Item::Type(i) => Some(i.ident.to_string()),
            syn::Item::Union(i) => Some(i.ident.to_string()),
            syn::Item::Macro(i) => i.ident.as_ref().map(ToString::to_string),
            _ => None,
        })
        .collect()
}

impl<'ast> Visit<'ast> for Collector<'_> {
    fn visit_item_mod(&mut self, m: &'ast syn::ItemMod) {
        if m.content.is_some() && !is_cfg_test(&m.attrs) {
            self.inline.push(m.ident.to_string());
            syn::visit::visit_item_mod(self, m);
            self.inline.pop();
        }
    }

    fn visit_item_use(&mut self, u: &'ast syn::ItemUse) {
        let public = !matches!(u.vis, syn::Visibility::Inherited);
        let mut prefix = Vec::new();
        self.use_tree(&mut prefix, &u.tree, public);
    }

    fn visit_path(&mut self, p: &'ast syn::Path) {
        let segments = p.segments.iter().map(|s| s.ident.to_string()).collect();
        self.refs.paths.push((self.inline.clone(), segments));
        syn::visit::visit_path(self, p);
    }

    // `pub(crate)`, `pub(super)`, `pub(in path)` restrict visibility, they
    // import nothing.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    // Paths inside macro calls (`format!`, `assert!`, ..) are not parsed by syn;
    // `use` statements and ordinary code carry every import that matters.
}

/// The module a written path names, relative to `file` (+ `inline`), or
/// `None` when it leaves the crate (an extern crate, std, a local name).
fn resolve(
    modules: &BTreeMap<Module, PathBuf>,
    refs: &BTreeMap<Module, FileRefs>,
    file: &Module,
    inline: &Module,
    path: &[String],
    depth: usize,
) -> Option<Module> {
    let mut here: Module = file.iter().chain(inline).cloned().collect();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            here.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().is_some_and(|s| s == "super") {
                here.pop();
                rest = &rest[1..];
            }
        }
        Some(first) => {
            // A bare path names a child module of the current module, or
            // something else (a local item, std, an extern crate): not an edge.
            let mut child = here.clone();
            child.push(first.to_string());
            if !modules.contains_key(&child) {
                return None;
            }
        }
        None => return None,
    }
    // Walk down as far as the segments name modules (a module file or an
    // inline module of one: inline modules map to their file).
    let mut target = here;
    for seg in rest {
        let mut next = target.clone();
        next.push(seg.clone());
        if modules.contains_key(&next) {
            target = next;
            continue;
        }
        // A re-export of the target module: follow it to where it is defined
        // (a named `pub use`, else a `pub use m::*` whose module has it).
        if depth < 8
            && let Some(file_of) = file_module(modules, &target)
            && let Some(file_refs) = refs.get(&file_of)
            && !file_refs.defined.contains(seg)
        {
            if let Some((inline, orig)) = file_refs.reexports.get(seg) {
                return resolve(modules, refs, &file_of, inline, orig, depth + 1).or(Some(file_of));
            }
            for (inline, glob) in &file_refs.globs {
                let mut orig = glob.clone();
                orig.push(seg.clone());
                if let Some(found) = resolve(modules, refs, &file_of, inline, &orig, depth + 1)
                    && found != file_of
                    && refs
                        .get(&found)
                        .is_some_and(|r| r.defined.contains(seg) || r.reexports.contains_key(seg))
                {
                    return Some(found);
                }
            }
        }
        break;
    }
    file_module(modules, &target)
}

/// The file that holds `module` (itself, or the file of an inline module).
fn file_module(modules: &BTreeMap<Module, PathBuf>, module: &Module) -> Option<Module> {
    let mut m = module.clone();
    loop {
        if modules.contains_key(&m) {
            return Some(m);
        }
        m.pop()?;
    }
}

/// Tarjan's strongly connected components; returns those with more than one node.
fn cycles(graph: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<Module>> {
    struct State<'g> {
        graph: &'g BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'g Module, usize>,
        low: BTreeMap<&'g Module, usize>,
        stack: Vec<&'g Module>,
        on_stack: BTreeSet<&'g Module>,
        next: usize,
        out: Vec<Vec<Module>>,
    }
    fn strong<'g>(s: &mut State<'g>, v: &'g Module) {
        s.index.insert(v, s.next);
        s.low.insert(v, s.next);
        s.next += 1;
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in s.graph.get(v).into_iter().flatten() {
            if !s.index.contains_key(w) {
                strong(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).expect("visited");
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().expect("on stack");
                s.on_stack.remove(w);
                component.push(w.clone());
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in graph.keys() {
        if !s.index.contains_key(v) {
            strong(&mut s, v);
        }
    }
    s.out
}

/// Each edge with one path that makes it (for the failure message).
type Why = BTreeMap<(Module, Module), String>;

fn module_graph(src: &Path) -> BTreeMap<Module, BTreeSet<Module>> {
    module_graph_why(src).0
}

fn module_graph_why(src: &Path) -> (BTreeMap<Module, BTreeSet<Module>>, Why) {
    let modules = crate_modules(src);
    let mut refs = BTreeMap::new();
    for (module, path) in &modules {
        let text = std::fs::read_to_string(path).expect("read source");
        let file = syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut file_refs = FileRefs {
            defined: defined_items(&file),
            ..FileRefs::default()
        };
        Collector {
            refs: &mut file_refs,
            inline: Vec::new(),
        }
        .visit_file(&file);
        refs.insert(module.clone(), file_refs);
    }
    let mut graph: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    let mut why = Why::new();
    for (module, file_refs) in &refs {
        let edges = graph.entry(module.clone()).or_default();
        for (inline, path) in &file_refs.paths {
            if let Some(target) = resolve(&modules, &refs, module, inline, path, 0)
                && &target != module
            {
                why.entry((module.clone(), target.clone()))
                    .or_insert_with(|| path.join("::"));
                edges.insert(target);
            }
        }
    }
    (graph, why)
}

fn show(module: &Module) -> String {
    if module.is_empty() {
        "crate".to_string()
    } else {
        module.join("::")
    }
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let root = repo_root();
    let mut found = Vec::new();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .map(|e| e.expect("entry").path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.push(root.join("fuzz/fuzz_targets"));
    crates.sort();
    for src in crates.iter().filter(|p| p.is_dir()) {
        let (graph, why) = module_graph_why(src);
        for component in cycles(&graph) {
            let names: Vec<String> = component.iter().map(show).collect();
            let rel = src.strip_prefix(&root).unwrap_or(src).display().to_string();
            found.push(format!("{rel}: {}", names.join(" ↔ ")));
            for ((from, to), path) in &why {
                if component.contains(from) && component.contains(to) {
                    found.push(format!("    {} → {} (`{path}`)", show(from), show(to)));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "module import cycles:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_checker_sees_a_cycle() {
    // Two modules that name each other, and a third named by both: one cycle.
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path();
    std::fs::write(src.join("lib.rs"), "mod a; mod b; mod c;\n").unwrap();
    std::fs::write(src.join("a.rs"), "use crate::b::f; use crate::c::*;\n").unwrap();
    std::fs::write(
        src.join("b.rs"),
        "pub fn f() { super::a::g(); crate::c::h(); }\n",
    )
    .unwrap();
    std::fs::write(src.join("c.rs"), "pub fn h() {}\n").unwrap();
    let found = cycles(&module_graph(src));
    assert_eq!(
        found,
        vec![vec![vec!["a".to_string()], vec!["b".to_string()]]]
    );

    // A re-export followed to its definition: root re-exports `c::h`, `c` names
    // `crate::h` (its own item, through the root): no cycle with the root.
    std::fs::write(src.join("lib.rs"), "mod c; pub use c::h;\n").unwrap();
    std::fs::remove_file(src.join("a.rs")).unwrap();
    std::fs::remove_file(src.join("b.rs")).unwrap();
    std::fs::write(src.join("c.rs"), "pub fn h() { crate::h(); }\n").unwrap();
    assert!(cycles(&module_graph(src)).is_empty());
}
