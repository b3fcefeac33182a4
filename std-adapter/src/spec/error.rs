//! Mistakes in a spec: where they are, what is wrong, what is allowed, and "did you mean".

use std::fmt;

/// A byte range of the spec text.
pub type Span = (usize, usize);

/// A mistake in a spec, with where it is and what is allowed.
#[derive(Clone, Debug, PartialEq)]
pub struct SpecError {
    /// What is wrong.
    pub message: String,
    /// Where (byte range in the spec text).
    pub span: Span,
    /// What is allowed there, if that helps.
    pub allowed: Option<String>,
    text: String,
}

impl SpecError {
    pub(crate) fn new(text: &str, span: Span, message: impl Into<String>) -> Self {
        SpecError {
            message: message.into(),
            span,
            allowed: None,
            text: text.to_string(),
        }
    }

    pub(crate) fn allowed(mut self, allowed: impl Into<String>) -> Self {
        self.allowed = Some(allowed.into());
        self
    }

    /// The 1-based column (in characters) where the mistake starts.
    pub fn column(&self) -> usize {
        self.text
            .get(..self.span.0)
            .map_or(0, |s| s.chars().count())
            + 1
    }
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let col = self.column();
        let width = self
            .text
            .get(self.span.0..self.span.1)
            .map_or(1, |s| s.chars().count())
            .max(1);
        writeln!(f, "at column {col}: {}", self.message)?;
        writeln!(f, "  {}", self.text)?;
        write!(f, "  {}{}", " ".repeat(col - 1), "^".repeat(width))?;
        if let Some(a) = &self.allowed {
            write!(f, "\n  allowed: {a}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SpecError {}

/// Edit distance with adjacent transpositions (optimal string alignment), for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = v;
        }
    }
    d[a.len()][b.len()]
}

/// `; did you mean `name`?` for the closest of `names` to `word`, or nothing.
pub(crate) fn suggest<'n>(word: &str, names: impl Iterator<Item = &'n str>) -> String {
    let best = names
        .map(|n| (distance(word, n), n))
        .filter(|(d, n)| *d <= 2.max(n.len() / 3))
        .min_by_key(|(d, _)| *d);
    best.map_or(String::new(), |(_, n)| format!("; did you mean `{n}`?"))
}
