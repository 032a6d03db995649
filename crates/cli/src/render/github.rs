//! `--format github`: GitHub Actions workflow commands, one line per
//! diagnostic: `::error file=…,line=…,col=…,endLine=…,endColumn=…,title=<code>::message`.
//! Escaping follows the workflow-command rules: in the message `%`, `\r`, `\n`
//! become `%25`, `%0D`, `%0A`; in property values `:` and `,` are escaped too.

use std::io::{self, Write};

use lunora_parser::{Diagnostic, Files, Severity};

use super::primary_location;

fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

pub fn line(d: &Diagnostic, files: &Files) -> String {
    let location = primary_location(d, files);
    let command = match d.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let mut message = d.message.clone();
    if let Some(help) = &d.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        escape_property(&location.file),
        location.start.line,
        location.start.column,
        location.end.line,
        location.end.column,
        escape_property(d.code.as_str()),
        escape_data(&message),
    )
}

pub fn render(diagnostics: &[Diagnostic], files: &Files, out: &mut dyn Write) -> io::Result<()> {
    for d in diagnostics {
        writeln!(out, "{}", line(d, files))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::sample;

    #[test]
    fn github_snapshot() {
        let files = sample::files();
        let mut out = Vec::new();
        super::render(&sample::diagnostics(&files), &files, &mut out).expect("render");
        let out = String::from_utf8(out).expect("utf8");
        // every diagnostic is exactly one line, even with a multi-line help
        assert_eq!(out.lines().count(), 4);
        insta::assert_snapshot!(out);
    }

    #[test]
    fn escapes_per_workflow_rules() {
        assert_eq!(super::escape_data("100%\r\n:,"), "100%25%0D%0A:,");
        assert_eq!(super::escape_property("a:b,c%"), "a%3Ab%2Cc%25");
    }
}
