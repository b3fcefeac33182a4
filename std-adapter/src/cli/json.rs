//! The JSON the commands print: strings, numbers that read back exactly, shapes.

use std::fmt::Write as _;

/// `s` as a JSON string literal (quotes, backslashes and control characters escaped).
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A finite number with every digit needed to read it back (`{:?}` of `f64` is the
/// shortest representation that round-trips, and valid JSON when finite).
pub fn json_num(x: f64) -> String {
    debug_assert!(x.is_finite());
    if x.is_finite() {
        format!("{x:?}")
    } else {
        "null".into()
    }
}

/// A shape as a JSON array of integers.
pub fn json_dims(dims: &[usize]) -> String {
    let parts: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", parts.join(", "))
}
