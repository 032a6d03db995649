//! A writer that prefixes every line (`[lunora] ...`).

use std::io::Write;

/// A writer that prefixes every line.
pub(super) struct Prefixed<W: Write> {
    prefix: &'static str,
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Prefixed<W> {
    pub(super) fn new(prefix: &'static str, inner: W) -> Self {
        Self {
            prefix,
            inner,
            line: Vec::new(),
        }
    }
}

impl<W: Write> Prefixed<W> {
    /// Writes the buffered line, prefixed unless it already starts with the
    /// prefix (the watch loop's own `[lunora] run N: …` status lines).
    fn emit_line(&mut self) -> std::io::Result<()> {
        let already = self.line.starts_with(self.prefix.as_bytes())
            && self.line.get(self.prefix.len()) == Some(&b' ');
        if !already {
            self.inner.write_all(self.prefix.as_bytes())?;
            self.inner.write_all(b" ")?;
        }
        self.inner.write_all(&self.line)?;
        self.line.clear();
        Ok(())
    }
}

impl<W: Write> Write for Prefixed<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit_line()?;
            }
        }
        self.inner.flush()?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            self.line.push(b'\n');
            self.emit_line()?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixed_writer_prefixes_every_line_and_flushes_a_partial_one() {
        let mut out = Prefixed::new("[x]", Vec::new());
        out.write_all(b"one\ntw").unwrap();
        out.write_all(b"o\nthree").unwrap();
        out.flush().unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "[x] one\n[x] two\n[x] three\n"
        );
    }

    #[test]
    fn prefixed_writer_does_not_prefix_a_line_twice() {
        let mut out = Prefixed::new("[x]", Vec::new());
        out.write_all(b"[x] run 1: up to date\n[x]y\n").unwrap();
        assert_eq!(
            String::from_utf8(out.inner).unwrap(),
            "[x] run 1: up to date\n[x] [x]y\n"
        );
    }
}
