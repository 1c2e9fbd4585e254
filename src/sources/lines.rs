//! Line numbers of byte offsets, indexed once per file: counting newlines from the start for
//! every value is quadratic (a 400 KB TOML array took seconds).

/// The offsets where each line starts; a lookup is a binary search.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        LineIndex { starts }
    }

    /// 1-based line of a byte offset (offsets past the end are on the last line).
    pub fn line(&self, offset: usize) -> u32 {
        let line = self.starts.partition_point(|&start| start <= offset);
        u32::try_from(line).unwrap_or(u32::MAX).max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_counting_newlines() {
        let text = "a\nbb\n\nccc\n";
        let index = LineIndex::new(text);
        for offset in 0..text.len() + 3 {
            assert_eq!(
                index.line(offset),
                crate::sources::line_of(text, offset),
                "{offset}"
            );
        }
        assert_eq!(LineIndex::new("").line(0), 1);
    }
}
