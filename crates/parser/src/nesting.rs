//! The nesting pre-check: a rough lexer that refuses, before oxc sees it, a
//! file whose brackets (or `(` right after `<`) nest deeper than the limits.

/// Deepest bracket nesting (`(`, `[`, `{`, `${`) a file may have. The parser,
/// the evaluator and codegen recurse on nesting; a limit turns what would be a
/// stack overflow (an abort) on hostile input into a diagnostic. Real code stays
/// far below it.
pub const MAX_NESTING: u32 = 256;

/// Deepest nesting of parentheses opened right after a `<` (`a<(b<(c…`). The
/// TypeScript parser reads each as possible type arguments and re-parses on
/// backtracking: time and memory double every level or two (oxc 0.146: 28
/// levels take seconds, 60 exhaust memory; fuzz/known/). Real code nests a
/// few at most.
pub const MAX_ANGLE_PARENS: u32 = 16;

/// Why [`too_deep`] refused a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooDeep {
    /// Brackets deeper than [`MAX_NESTING`].
    Brackets,
    /// `<(` deeper than [`MAX_ANGLE_PARENS`].
    AngleParens,
}

/// Offset of the first bracket deeper than [`MAX_NESTING`] (or the first
/// `(` after `<` deeper than [`MAX_ANGLE_PARENS`]), skipping comments,
/// string and template literal text, and escaped characters (so `/\(/` counts
/// nothing). A rough lexer: it never fails, and only guards the limits.
pub(crate) fn too_deep(text: &str) -> Option<(usize, TooDeep)> {
    #[derive(PartialEq)]
    enum Mode {
        Code,
        Template,
    }
    #[derive(Clone, Copy, PartialEq)]
    enum Open {
        Bracket,
        /// `${`: its `}` returns to template text.
        Substitution,
        /// `(` right after `<`.
        AngleParen,
    }
    let bytes = text.as_bytes();
    let mut stack: Vec<Open> = Vec::new();
    let mut angle_parens = 0u32;
    // The last byte of code that is not white space.
    let mut last = 0u8;
    let mut mode = Mode::Code;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if mode == Mode::Template {
            match b {
                b'\\' => i += 1,
                b'`' => mode = Mode::Code,
                b'$' if bytes.get(i + 1) == Some(&b'{') => {
                    stack.push(Open::Substitution);
                    if stack.len() > MAX_NESTING as usize {
                        return Some((i, TooDeep::Brackets));
                    }
                    mode = Mode::Code;
                    i += 1;
                }
                _ => {}
            }
            i += 1;
            last = 0;
            continue;
        }
        match b {
            b'\\' => i += 1,
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b'\'' | b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b && bytes[i] != b'\n' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'`' => mode = Mode::Template,
            b'(' | b'[' | b'{' => {
                let open = if b == b'(' && last == b'<' {
                    angle_parens += 1;
                    if angle_parens > MAX_ANGLE_PARENS {
                        return Some((i, TooDeep::AngleParens));
                    }
                    Open::AngleParen
                } else {
                    Open::Bracket
                };
                stack.push(open);
                if stack.len() > MAX_NESTING as usize {
                    return Some((i, TooDeep::Brackets));
                }
            }
            b')' | b']' | b'}' => {
                mode = Mode::Code;
                match stack.pop() {
                    // Closing a `${`: back to template text.
                    Some(Open::Substitution) => mode = Mode::Template,
                    Some(Open::AngleParen) => angle_parens -= 1,
                    Some(Open::Bracket) | None => {}
                }
            }
            _ => {}
        }
        if !b.is_ascii_whitespace() {
            last = b;
        }
        i += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::code::Code;
    use crate::parse::tests::parse;

    #[test]
    fn nesting_limit_counts_code_brackets_only() {
        let n = MAX_NESTING as usize;
        // At the limit: fine.
        let ok = format!("const a = {}1{};", "(".repeat(n), ")".repeat(n));
        assert!(parse(&ok).diagnostics.is_empty());
        // One deeper: a diagnostic at the first bracket over the limit.
        let deep = format!("const a = {}1{};", "[".repeat(n + 1), "]".repeat(n + 1));
        let r = parse(&deep);
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        assert_eq!(r.diagnostics[0].code, Code::SyntaxError);
        let span = r.diagnostics[0].primary().unwrap().at.span;
        assert_eq!(span.start as usize, "const a = ".len() + n);
        // Brackets in strings, comments, templates and regex escapes do not count.
        let quiet = format!(
            "const a = \"{0}\"; const b = '{0}'; // {0}\n/* {0} */ const c = `{0}`; const d = /\\(/;",
            "(".repeat(n + 10)
        );
        assert!(
            parse(&quiet).diagnostics.is_empty(),
            "{:?}",
            parse(&quiet).diagnostics
        );
        // Template substitutions nest: `${` counts, and text after `}` is template text again.
        let tpl = format!(
            "const a = `{}x{}`;",
            "${`".repeat(n / 2 + 1),
            "`}".repeat(n / 2 + 1)
        );
        assert_eq!(parse(&tpl).diagnostics.len(), 0);
        let tpl_deep = format!(
            "const a = `{}x{}`;",
            "${(".repeat(n / 2 + 1),
            ")}".repeat(n / 2 + 1)
        );
        assert_eq!(parse(&tpl_deep).diagnostics.len(), 1);
    }

    #[test]
    fn parentheses_after_angle_brackets_have_their_own_limit() {
        let n = MAX_ANGLE_PARENS as usize;
        // `a<(` at the limit, also with white space between: fine, and fast.
        let ok = format!("const x = {}b{};", "a <\n(".repeat(n), ")".repeat(n));
        assert!(
            parse(&ok).diagnostics.is_empty(),
            "{:?}",
            parse(&ok).diagnostics
        );
        // Closed ones do not add up; other brackets do not count.
        let siblings = format!("const x = [{}];", "f<(A)>(1), ".repeat(3 * n));
        assert!(parse(&siblings).diagnostics.is_empty());
        // One deeper: a diagnostic at its `(`, before oxc sees the file.
        let deep = format!("const x = {}b{};", "a<(".repeat(n + 1), ")".repeat(n + 1));
        let r = parse(&deep);
        assert_eq!(r.diagnostics.len(), 1, "{:?}", r.diagnostics);
        assert!(
            r.diagnostics[0].message.contains("after `<`"),
            "{:?}",
            r.diagnostics
        );
        let span = r.diagnostics[0].primary().unwrap().at.span;
        assert_eq!(span.start as usize, "const x = ".len() + 3 * n + 2);
        // In strings and comments they do not count.
        let quiet = format!("const s = \"{0}\"; // {0}\n", "a<(".repeat(n + 5));
        assert!(parse(&quiet).diagnostics.is_empty());
    }
}
