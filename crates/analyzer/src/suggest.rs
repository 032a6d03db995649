//! "Did you mean ...?" suggestions from edit distance. The one helper every
//! diagnostic uses.

/// Edit distance between `a` and `b` in chars, where an insertion, a
/// deletion, a substitution or a swap of two adjacent chars costs 1 (optimal
/// string alignment), so `inptu` is one edit from `input`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut m = vec![0usize; (a.len() + 1) * w];
    for (i, row) in m.chunks_mut(w).enumerate() {
        row[0] = i;
    }
    for (j, cell) in m.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (m[(i - 1) * w + j - 1] + cost)
                .min(m[(i - 1) * w + j] + 1)
                .min(m[i * w + j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(m[(i - 2) * w + j - 2] + 1);
            }
            m[i * w + j] = v;
        }
    }
    m[a.len() * w + b.len()]
}

/// The closest candidate to `name`, if it is close enough to be a plausible typo
/// (distance at most a third of the longer name, at least 1; case-insensitive
/// matches always count). Ties go to the first candidate.
pub fn closest<'c>(name: &str, candidates: impl IntoIterator<Item = &'c str>) -> Option<&'c str> {
    let mut best: Option<(usize, &str)> = None;
    let lower = name.to_ascii_lowercase();
    for c in candidates {
        if c == name {
            continue;
        }
        let d = if c.to_ascii_lowercase() == lower {
            0
        } else {
            edit_distance(name, c)
        };
        let limit = (name.chars().count().max(c.chars().count()) / 3).max(1);
        if d <= limit && best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean `<prefix><closest>`?" or `None`.
pub fn did_you_mean<'c>(
    name: &str,
    prefix: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{prefix}{c}`?"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_and_suggestions() {
        assert_eq!(edit_distance("strng", "string"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("inptu", "input"), 1);
        assert_eq!(closest("strng", ["number", "string"]), Some("string"));
        assert_eq!(
            closest("shardyBy", ["global", "shardBy", "index"]),
            Some("shardBy")
        );
        assert_eq!(closest("xyz", ["string", "number"]), None);
        assert_eq!(closest("Messages", ["messages"]), Some("messages"));
        assert_eq!(
            did_you_mean("strng", "v.", ["string"]).as_deref(),
            Some("did you mean `v.string`?")
        );
    }
}
