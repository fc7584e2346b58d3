//! Assertions on program output that explain themselves: both sides as
//! (lossy) UTF-8 text and the first line where they differ.

use std::fmt::Write;

/// Renders `bytes` as lossy UTF-8 with every line numbered.
fn numbered(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let _ = write!(out, "  {:>3} | {}", i + 1, line);
        if !line.ends_with('\n') {
            out.push_str("⏎ (no newline at end)\n");
        }
    }
    if out.is_empty() {
        out.push_str("  (empty)\n");
    }
    out
}

/// A readable report of how `left` and `right` differ (empty when equal).
pub fn describe_difference(left_name: &str, left: &[u8], right_name: &str, right: &[u8]) -> String {
    if left == right {
        return String::new();
    }
    let l: Vec<&[u8]> = left.split_inclusive(|&b| b == b'\n').collect();
    let r: Vec<&[u8]> = right.split_inclusive(|&b| b == b'\n').collect();
    let mut msg = String::new();
    let first = (0..l.len().max(r.len()))
        .find(|&i| l.get(i) != r.get(i))
        .unwrap_or(0);
    let show = |line: Option<&&[u8]>| match line {
        Some(b) => format!("{:?}", String::from_utf8_lossy(b)),
        None => "(no such line)".to_string(),
    };
    let width = left_name.len().max(right_name.len());
    let _ = writeln!(msg, "first difference at line {}:", first + 1);
    let _ = writeln!(msg, "  {left_name:>width$}: {}", show(l.get(first)));
    let _ = writeln!(msg, "  {right_name:>width$}: {}", show(r.get(first)));
    let _ = writeln!(msg, "--- {left_name} ({} bytes) ---", left.len());
    msg.push_str(&numbered(left));
    let _ = writeln!(msg, "--- {right_name} ({} bytes) ---", right.len());
    msg.push_str(&numbered(right));
    msg
}

/// Asserts that `lintel` (what the program printed under Lintel) equals
/// `native` (what it printed on the host), byte for byte.
#[track_caller]
pub fn assert_same_output(what: &str, lintel: &[u8], native: &[u8]) {
    if lintel != native {
        panic!(
            "{what}: Lintel and native output differ\n{}",
            describe_difference("lintel", lintel, "native", native)
        );
    }
}

/// Asserts that `actual` equals `expected`, byte for byte.
#[track_caller]
pub fn assert_bytes_eq(what: &str, actual: &[u8], expected: &[u8]) {
    if actual != expected {
        panic!(
            "{what}: unexpected output\n{}",
            describe_difference("actual", actual, "expected", expected)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_outputs_have_no_difference() {
        assert_eq!(describe_difference("a", b"x\ny\n", "b", b"x\ny\n"), "");
    }

    #[test]
    fn difference_names_the_first_differing_line() {
        let d = describe_difference("lintel", b"x\ny\nz\n", "native", b"x\nY\nz\n");
        assert!(d.starts_with("first difference at line 2:\n"), "{d}");
        assert!(d.contains("lintel: \"y\\n\""), "{d}");
        assert!(d.contains("native: \"Y\\n\""), "{d}");
    }

    #[test]
    fn difference_shows_missing_lines_and_line_endings() {
        let d = describe_difference("lintel", b"x\r\n", "native", b"x\n");
        assert!(d.contains("\"x\\r\\n\""), "{d}");
        let d = describe_difference("lintel", b"x\n", "native", b"x\ny");
        assert!(
            d.contains("(no such line)") && d.contains("(no newline at end)"),
            "{d}"
        );
    }
}
