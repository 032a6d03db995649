//! The writers of `lunora dev`: [`SharedWriter`], one stream shared by the
//! threads (the watcher, the output forwarders), and [`Prefixed`], which
//! prefixes every line (`[lunora] ...`).

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, MutexGuard};

/// One output stream shared by threads: the process's stdout or stderr, or
/// a buffer in tests. Each `write_fmt` (one `writeln!`) holds the lock for
/// the whole line, so lines of different threads never interleave.
#[derive(Clone)]
pub struct SharedWriter(Arc<Mutex<Box<dyn Write + Send>>>);

impl SharedWriter {
    pub fn new(inner: impl Write + Send + 'static) -> Self {
        Self(Arc::new(Mutex::new(Box::new(inner))))
    }

    /// The process's stdout.
    pub fn stdout() -> Self {
        Self::new(io::stdout())
    }

    /// The process's stderr.
    pub fn stderr() -> Self {
        Self::new(io::stderr())
    }

    /// A writer into a buffer, and the buffer (for tests).
    pub fn capture() -> (Self, Arc<Mutex<Vec<u8>>>) {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        (Self::new(Capture(Arc::clone(&buffer))), buffer)
    }

    fn lock(&self) -> MutexGuard<'_, Box<dyn Write + Send>> {
        // A thread that panicked mid-line leaves a usable stream.
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Write for SharedWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.lock().write(buf)
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.lock().write_all(buf)
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> io::Result<()> {
        self.lock().write_fmt(args)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.lock().flush()
    }
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut buffer = self.0.lock().unwrap_or_else(|e| e.into_inner());
        buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A writer that prefixes every line.
pub struct Prefixed<W: Write> {
    prefix: &'static str,
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> Prefixed<W> {
    pub fn new(prefix: &'static str, inner: W) -> Self {
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
    fn shared_writer_captures_what_clones_write() {
        let (mut one, buffer) = SharedWriter::capture();
        let mut two = one.clone();
        writeln!(one, "a").unwrap();
        writeln!(two, "b {}", 1).unwrap();
        assert_eq!(buffer.lock().unwrap().as_slice(), b"a\nb 1\n");
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
