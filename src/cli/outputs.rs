//! Several renderings of one `check` run: `-f sarif -o x.sarif -f md -o comment.md` pairs each
//! format with the output given in the same position (as Checkov's repeated `-o`). A format
//! with no output of its own goes to standard output, which only one may do.

use std::path::PathBuf;

use crate::error::{Error, Result};

/// `(format, file)` pairs in the order given; `None` (or `-`) is standard output.
pub fn pair<F: Copy>(
    formats: &[F],
    outputs: &[PathBuf],
    default: F,
) -> Result<Vec<(F, Option<PathBuf>)>> {
    let formats = if formats.is_empty() {
        vec![default]
    } else {
        formats.to_vec()
    };
    if outputs.len() > formats.len() {
        return Err(Error::msg(format!(
            "{} outputs (-o) for {} format(s) (-f): give one -f before each -o",
            outputs.len(),
            formats.len()
        )));
    }
    let pairs: Vec<(F, Option<PathBuf>)> = formats
        .iter()
        .enumerate()
        .map(|(i, f)| (*f, outputs.get(i).filter(|p| p.as_os_str() != "-").cloned()))
        .collect();
    if pairs.iter().filter(|(_, o)| o.is_none()).count() > 1 {
        return Err(Error::msg(
            "more than one format goes to standard output: give each format but one its own -o FILE",
        ));
    }
    let mut files: Vec<&PathBuf> = pairs.iter().filter_map(|(_, o)| o.as_ref()).collect();
    files.sort();
    if let Some(twice) = files.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::msg(format!(
            "{} is named by -o twice",
            crate::escape::control(&twice[0].display().to_string())
        )));
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> PathBuf {
        PathBuf::from(s)
    }

    #[test]
    fn formats_pair_with_outputs_in_order() {
        assert_eq!(pair::<char>(&[], &[], 't').unwrap(), vec![('t', None)]);
        assert_eq!(
            pair(&[], &[p("out.txt")], 't').unwrap(),
            vec![('t', Some(p("out.txt")))]
        );
        assert_eq!(
            pair(&['s', 'm'], &[p("x.sarif"), p("c.md")], 't').unwrap(),
            vec![('s', Some(p("x.sarif"))), ('m', Some(p("c.md")))]
        );
        // The last format without an output goes to standard output; `-` is standard output.
        assert_eq!(
            pair(&['s', 'm'], &[p("x.sarif")], 't').unwrap(),
            vec![('s', Some(p("x.sarif"))), ('m', None)]
        );
        assert_eq!(
            pair(&['s', 'm'], &[p("-"), p("c.md")], 't').unwrap(),
            vec![('s', None), ('m', Some(p("c.md")))]
        );
    }

    #[test]
    fn ambiguous_pairings_are_errors() {
        let e = pair(&['s'], &[p("a"), p("b")], 't').unwrap_err();
        assert!(e.message.contains("2 outputs (-o) for 1 format(s)"), "{e}");
        let e = pair(&['s', 'm', 'j'], &[p("a")], 't').unwrap_err();
        assert!(e.message.contains("more than one format"), "{e}");
        let e = pair(&['s', 'm'], &[p("a"), p("a")], 't').unwrap_err();
        assert!(e.message.contains("a is named by -o twice"), "{e}");
    }
}
