//! Order-preserving parallel map over a slice, on scoped threads (std only).
//! Used where per-item work is independent and pure: parsing files, resolving
//! function arguments, checking function bodies. Results (and so diagnostics)
//! come back in input order, so output stays deterministic.

/// Below this many items the work runs on the calling thread: spawning costs
/// more than it saves.
const MIN_ITEMS: usize = 16;

/// Threads to use: the machine's parallelism, at most 8.
pub fn threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8)
}

/// `items.iter().map(f).collect()`, split in one contiguous chunk per thread.
/// The calling thread works on the first chunk. A panic in `f` is re-raised.
pub fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = threads();
    if items.len() < MIN_ITEMS || threads < 2 {
        return items.iter().map(f).collect();
    }
    let chunk = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|s| {
        let mut chunks = items.chunks(chunk);
        let first = chunks.next().unwrap_or(&[]);
        // A chunk whose thread cannot be spawned runs here, in order.
        let handles: Vec<_> = chunks
            .map(|c| {
                std::thread::Builder::new()
                    .stack_size(lunora_parser::parse::THREAD_STACK_SIZE)
                    .spawn_scoped(s, move || c.iter().map(f).collect::<Vec<R>>())
                    .map_err(|_| c)
            })
            .collect();
        let mut out: Vec<R> = Vec::with_capacity(items.len());
        out.extend(first.iter().map(f));
        for h in handles {
            match h {
                Ok(h) => match h.join() {
                    Ok(part) => out.extend(part),
                    Err(panic) => std::panic::resume_unwind(panic),
                },
                Err(c) => out.extend(c.iter().map(f)),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_input_order_at_every_size() {
        for n in [0, 1, 15, 16, 17, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let out = super::map(&items, |i| i * 3);
            assert_eq!(out, items.iter().map(|i| i * 3).collect::<Vec<_>>());
        }
    }
}
