//! Source files, the file table and line/column lookup.

use crate::span::{FileId, Span};

/// One source file. `path` is relative to the app root, with `/` separators
/// (`lunora/messages.ts`); that is the form every diagnostic and output uses.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub id: FileId,
    pub path: String,
    pub text: String,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(id: FileId, path: impl Into<String>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i as u32 + 1);
            }
        }
        Self {
            id,
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// 1-based line and 1-based column counted in UTF-16 code units (what editors
    /// and LSP use) for a byte offset. Offsets past the end clamp to the end.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = (offset as usize).min(self.text.len());
        let line = match self.line_starts.binary_search(&(offset as u32)) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let line_start = self.line_starts[line] as usize;
        // Back off to a char boundary so slicing never panics.
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let column: usize = self.text[line_start..end]
            .chars()
            .map(char::len_utf16)
            .sum();
        LineCol {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }

    /// The text a span covers (empty if the span is out of range or splits a char).
    pub fn slice(&self, span: Span) -> &str {
        self.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

/// A 1-based line and 1-based UTF-16 column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// The table of every file a run has read; `FileId`s index into it.
#[derive(Debug, Default, Clone)]
pub struct Files {
    files: Vec<SourceFile>,
}

impl Files {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, path: impl Into<String>, text: impl Into<String>) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile::new(id, path, text));
        id
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// Replaces the text of file `id` (it changed on disk).
    pub fn set_text(&mut self, id: FileId, text: impl Into<String>) {
        let file = &mut self.files[id.0 as usize];
        *file = SourceFile::new(id, std::mem::take(&mut file.path), text);
    }

    /// Removes the files from index `at` on (see [`Files::restore`]).
    pub fn split_off(&mut self, at: usize) -> Vec<SourceFile> {
        self.files.split_off(at.min(self.files.len()))
    }

    /// Puts back files [`Files::split_off`] removed (their ids are kept).
    pub fn restore(&mut self, mut tail: Vec<SourceFile>) {
        self.files.append(&mut tail);
    }

    pub fn find(&self, path: &str) -> Option<&SourceFile> {
        self.files.iter().find(|f| f.path == path)
    }

    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_utf16_units() {
        let f = SourceFile::new(FileId(0), "a.ts", "ab\n😀x = 1\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 2, column: 1 });
        // the emoji is 4 UTF-8 bytes and 2 UTF-16 units
        assert_eq!(f.line_col(7), LineCol { line: 2, column: 3 });
        // inside the emoji: clamps back to its start
        assert_eq!(f.line_col(5), LineCol { line: 2, column: 1 });
        assert_eq!(f.line_col(1000), LineCol { line: 3, column: 1 });
    }
}
