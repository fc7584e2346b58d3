//! The results of `lintel bench`: the `BENCH` lines the benchmark programs
//! print, the rows of the table (samples from both guests, their medians and
//! ratio), the table as Markdown and the results as JSON.

use std::fmt::Write as _;

/// One `BENCH name=NAME value=NUMBER unit=UNIT [key=value ...]` line.
#[derive(Clone, Debug, PartialEq)]
pub struct BenchLine {
    pub name: String,
    pub value: f64,
    pub unit: String,
    /// The other `key=value` pairs, in order (e.g. `size_mib=256`).
    pub extra: Vec<(String, String)>,
}

/// Parses one line of a guest's output: `None` when it is not a `BENCH`
/// line (kernel messages, other output), `Some(Err)` when it is one but is
/// malformed. A trailing `\r` (a Linux tty's `\r\n`) is ignored.
pub fn parse_line(line: &str) -> Option<Result<BenchLine, String>> {
    let line = line.trim_end_matches(['\r', '\n']);
    let rest = line.strip_prefix("BENCH ")?;
    Some(parse_fields(rest).map_err(|e| format!("{e} in `{line}`")))
}

fn parse_fields(rest: &str) -> Result<BenchLine, String> {
    let (mut name, mut value, mut unit) = (None, None, None);
    let mut extra = Vec::new();
    for field in rest.split_ascii_whitespace() {
        let Some((key, val)) = field.split_once('=') else {
            return Err(format!("`{field}` is not key=value"));
        };
        if key.is_empty() || val.is_empty() {
            return Err(format!("`{field}` has an empty key or value"));
        }
        let slot = match key {
            "name" => &mut name,
            "unit" => &mut unit,
            "value" => {
                if value.is_some() {
                    return Err("value given twice".into());
                }
                let v: f64 = val.parse().map_err(|_| format!("bad value `{val}`"))?;
                if !v.is_finite() {
                    return Err(format!("value `{val}` is not finite"));
                }
                value = Some(v);
                continue;
            }
            _ => {
                extra.push((key.to_owned(), val.to_owned()));
                continue;
            }
        };
        if slot.replace(val.to_owned()).is_some() {
            return Err(format!("{key} given twice"));
        }
    }
    match (name, value, unit) {
        (Some(name), Some(value), Some(unit)) => Ok(BenchLine {
            name,
            value,
            unit,
            extra,
        }),
        _ => Err("name, value and unit are all needed".into()),
    }
}

/// Every `BENCH` line of `text`, and the problems with the malformed ones.
pub fn parse_output(text: &str) -> (Vec<BenchLine>, Vec<String>) {
    let (mut lines, mut errors) = (Vec::new(), Vec::new());
    for line in text.lines() {
        match parse_line(line) {
            Some(Ok(l)) => lines.push(l),
            Some(Err(e)) => errors.push(e),
            None => {}
        }
    }
    (lines, errors)
}

/// Which way is better for a figure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

impl Better {
    /// From the unit: rates are better higher, times and sizes lower.
    pub fn for_unit(unit: &str) -> Better {
        if unit.ends_with("/s") || unit == "IOPS" {
            Better::Higher
        } else {
            Better::Lower
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Better::Higher => "higher",
            Better::Lower => "lower",
        }
    }
}

/// One line of the table: a figure measured in both guests.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    /// The benchmark program (group): `boot`, `syscall`, `fileio`, `footprint`...
    pub group: String,
    /// The figure: `getppid`, `seq_write`...
    pub name: String,
    /// How it was set up: `9p cache=none msize=512000, 256 MiB`; may be empty.
    pub setup: String,
    pub unit: String,
    pub better: Better,
    pub lintel: Vec<f64>,
    pub linux: Vec<f64>,
    /// Shown in the table's last column.
    pub note: String,
    /// The feature has not landed: no samples expected.
    pub pending: bool,
}

impl Row {
    pub fn new(group: &str, name: &str, setup: &str, unit: &str) -> Row {
        Row {
            group: group.to_owned(),
            name: name.to_owned(),
            setup: setup.to_owned(),
            unit: unit.to_owned(),
            better: Better::for_unit(unit),
            lintel: Vec::new(),
            linux: Vec::new(),
            note: String::new(),
            pending: false,
        }
    }

    /// A row for a feature that has not landed: no samples, only the note.
    pub fn not_yet(group: &str, name: &str, setup: &str, unit: &str, note: &str) -> Row {
        Row {
            note: note.to_owned(),
            pending: true,
            ..Row::new(group, name, setup, unit)
        }
    }

    /// `group/name`.
    pub fn label(&self) -> String {
        format!("{}/{}", self.group, self.name)
    }

    pub fn lintel_median(&self) -> Option<f64> {
        median(&self.lintel)
    }

    pub fn linux_median(&self) -> Option<f64> {
        median(&self.linux)
    }

    /// How many times better Lintel is than Linux (> 1: Lintel is better):
    /// Lintel / Linux for rates, Linux / Lintel for times and sizes.
    pub fn ratio(&self) -> Option<f64> {
        ratio(self.lintel_median()?, self.linux_median()?, self.better)
    }
}

/// The median; the mean of the two middle values for an even count.
pub fn median(samples: &[f64]) -> Option<f64> {
    let mut s: Vec<f64> = samples.iter().copied().filter(|v| v.is_finite()).collect();
    if s.is_empty() {
        return None;
    }
    s.sort_by(|a, b| a.total_cmp(b));
    let mid = s.len() / 2;
    Some(if s.len() % 2 == 1 {
        s[mid]
    } else {
        (s[mid - 1] + s[mid]) / 2.0
    })
}

/// See [`Row::ratio`]; `None` when the divisor is zero.
pub fn ratio(lintel: f64, linux: f64, better: Better) -> Option<f64> {
    let (num, den) = match better {
        Better::Higher => (lintel, linux),
        Better::Lower => (linux, lintel),
    };
    if den == 0.0 || !num.is_finite() || !den.is_finite() {
        None
    } else {
        Some(num / den)
    }
}

/// A figure with about four significant digits, without exponent.
pub fn format_value(v: f64) -> String {
    let a = v.abs();
    if a >= 1000.0 {
        format!("{v:.0}")
    } else if a >= 100.0 {
        format!("{v:.1}")
    } else if a >= 10.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `2.35x`.
pub fn format_ratio(r: f64) -> String {
    if r >= 10.0 {
        format!("{r:.1}x")
    } else {
        format!("{r:.2}x")
    }
}

/// What the whole run used and produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// `tcg` or `kvm`.
    pub accel: String,
    /// `qemu-system-x86_64 --version`'s first line.
    pub qemu: String,
    /// The Linux guest's kernel release, e.g. `6.1.0-56-amd64`.
    pub linux: String,
    pub rounds: u32,
    /// `key=value` facts shown under the table and in the JSON (sizes, CPU).
    pub facts: Vec<(String, String)>,
    pub rows: Vec<Row>,
    /// Seconds the whole bench took.
    pub duration_s: f64,
    /// Guest runs that failed (their figures are missing).
    pub failed_runs: u32,
}

impl Report {
    /// The table in Markdown.
    pub fn table(&self) -> String {
        let header = [
            "benchmark",
            "setup",
            "Lintel",
            "Linux",
            "ratio",
            "unit",
            "accel",
            "note",
        ];
        let mut cells: Vec<[String; 8]> = Vec::new();
        for r in &self.rows {
            let show = |m: Option<f64>| match m {
                Some(v) => format_value(v),
                None if r.pending => "-".to_owned(),
                None => "failed".to_owned(),
            };
            cells.push([
                r.label(),
                r.setup.clone(),
                show(r.lintel_median()),
                show(r.linux_median()),
                r.ratio().map(format_ratio).unwrap_or_else(|| "-".into()),
                r.unit.clone(),
                self.accel.clone(),
                r.note.clone(),
            ]);
        }
        let mut widths = header.map(str::len);
        for row in &cells {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        let line = |cols: &[String]| {
            let mut s = String::from("|");
            for (c, w) in cols.iter().zip(widths) {
                let _ = write!(s, " {c}{} |", " ".repeat(w - c.chars().count()));
            }
            s.push('\n');
            s
        };
        let mut out = line(&header.map(String::from));
        out.push_str(&line(&widths.map(|w| "-".repeat(w))));
        for row in &cells {
            out.push_str(&line(row));
        }
        out
    }

    /// The results as a JSON document (every sample, the medians, ratios).
    pub fn json(&self) -> String {
        let mut o = String::from("{\n");
        let _ = writeln!(o, "  \"accel\": {},", json_str(&self.accel));
        let _ = writeln!(o, "  \"qemu\": {},", json_str(&self.qemu));
        let _ = writeln!(o, "  \"linux\": {},", json_str(&self.linux));
        let _ = writeln!(o, "  \"rounds\": {},", self.rounds);
        let _ = writeln!(o, "  \"duration_s\": {},", json_num(Some(self.duration_s)));
        let _ = writeln!(o, "  \"failed_runs\": {},", self.failed_runs);
        o.push_str("  \"facts\": {");
        for (i, (k, v)) in self.facts.iter().enumerate() {
            let _ = write!(
                o,
                "{}{}: {}",
                if i == 0 { "" } else { ", " },
                json_str(k),
                json_str(v)
            );
        }
        o.push_str("},\n  \"rows\": [");
        for (i, r) in self.rows.iter().enumerate() {
            o.push_str(if i == 0 { "\n" } else { ",\n" });
            let _ = write!(
                o,
                "    {{\"group\": {}, \"name\": {}, \"setup\": {}, \"unit\": {}, \"better\": {}, \
                 \"lintel\": {{\"median\": {}, \"samples\": {}}}, \
                 \"linux\": {{\"median\": {}, \"samples\": {}}}, \"ratio\": {}, \"pending\": {}, \"note\": {}}}",
                json_str(&r.group),
                json_str(&r.name),
                json_str(&r.setup),
                json_str(&r.unit),
                json_str(r.better.name()),
                json_num(r.lintel_median()),
                json_array(&r.lintel),
                json_num(r.linux_median()),
                json_array(&r.linux),
                json_num(r.ratio()),
                r.pending,
                json_str(&r.note),
            );
        }
        o.push_str("\n  ]\n}\n");
        o
    }
}

/// A JSON string literal.
pub fn json_str(s: &str) -> String {
    let mut o = String::with_capacity(s.len() + 2);
    o.push('"');
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            '\r' => o.push_str("\\r"),
            '\t' => o.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

/// A JSON number, or `null` for nothing or a non-finite value.
pub fn json_num(v: Option<f64>) -> String {
    match v {
        Some(v) if v.is_finite() => format!("{v}"),
        _ => "null".to_owned(),
    }
}

fn json_array(vs: &[f64]) -> String {
    let items: Vec<String> = vs.iter().map(|v| json_num(Some(*v))).collect();
    format!("[{}]", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_lines_parse() {
        assert_eq!(
            parse_line("BENCH name=getppid value=123.4 unit=ns iterations=1000\r"),
            Some(Ok(BenchLine {
                name: "getppid".into(),
                value: 123.4,
                unit: "ns".into(),
                extra: vec![("iterations".into(), "1000".into())],
            }))
        );
        let l = parse_line("BENCH unit=IOPS  value=2.13661e+06 name=rand_read_4k")
            .unwrap()
            .unwrap();
        assert_eq!((l.name.as_str(), l.value), ("rand_read_4k", 2136610.0));
        assert_eq!(parse_line("[    2.0] reboot: Power down"), None);
        assert_eq!(parse_line("BENCH-EXIT status=0"), None);
        assert_eq!(parse_line(" BENCH name=x value=1 unit=ns"), None);
        for bad in [
            "BENCH name=x value=1",
            "BENCH name=x unit=ns",
            "BENCH value=1 unit=ns",
            "BENCH name=x value=fast unit=ns",
            "BENCH name=x value=inf unit=ns",
            "BENCH name=x value=NaN unit=ns",
            "BENCH name=x value=1 unit=ns junk",
            "BENCH name=x value=1 unit=ns name=y",
            "BENCH name=x value=1 value=2 unit=ns",
            "BENCH name= value=1 unit=ns",
            "BENCH ",
        ] {
            assert!(matches!(parse_line(bad), Some(Err(_))), "{bad}");
        }
    }

    #[test]
    fn outputs_keep_good_lines_and_report_bad_ones() {
        let text =
            "hello\nBENCH name=a value=1 unit=ns\r\nBENCH name=b\nBENCH name=c value=3 unit=ms\n";
        let (lines, errors) = parse_output(text);
        assert_eq!(
            lines.iter().map(|l| l.name.as_str()).collect::<Vec<_>>(),
            ["a", "c"]
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].contains("BENCH name=b"), "{}", errors[0]);
    }

    #[test]
    fn medians_and_ratios() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[5.0, 1.0, 3.0]), Some(3.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[f64::NAN, 2.0]), Some(2.0));
        assert_eq!(Better::for_unit("MiB/s"), Better::Higher);
        assert_eq!(Better::for_unit("IOPS"), Better::Higher);
        assert_eq!(Better::for_unit("ns"), Better::Lower);
        assert_eq!(Better::for_unit("MiB"), Better::Lower);
        // Faster rate, shorter time: both > 1 for Lintel.
        assert_eq!(ratio(200.0, 100.0, Better::Higher), Some(2.0));
        assert_eq!(ratio(100.0, 200.0, Better::Lower), Some(2.0));
        assert_eq!(ratio(50.0, 100.0, Better::Higher), Some(0.5));
        assert_eq!(ratio(0.0, 100.0, Better::Lower), None);
        let mut r = Row::new("syscall", "getppid", "", "ns");
        assert_eq!(r.ratio(), None);
        r.lintel = vec![190.0, 200.0, 210.0];
        r.linux = vec![500.0, 400.0, 600.0];
        assert_eq!(r.ratio(), Some(2.5));
    }

    #[test]
    fn values_are_formatted_to_about_four_digits() {
        assert_eq!(format_value(123456.7), "123457");
        assert_eq!(format_value(1234.4), "1234");
        assert_eq!(format_value(123.46), "123.5");
        assert_eq!(format_value(12.346), "12.35");
        assert_eq!(format_value(1.2346), "1.235");
        assert_eq!(format_ratio(2.345), "2.35x");
        assert_eq!(format_ratio(12.34), "12.3x");
    }

    fn report() -> Report {
        let mut a = Row::new("syscall", "getppid", "", "ns");
        a.lintel = vec![190.0, 200.0, 210.0];
        a.linux = vec![500.0, 400.0, 600.0];
        let mut b = Row::new("fileio", "seq_write", "9p cache=none, 64 MiB", "MiB/s");
        b.lintel = vec![400.0];
        let c = Row::not_yet(
            "fileio",
            "seq_write",
            "virtio-fs",
            "MiB/s",
            "not yet in Lintel",
        );
        Report {
            accel: "tcg".into(),
            qemu: "QEMU emulator version 7.2.22".into(),
            linux: "6.1.0-56-amd64".into(),
            rounds: 3,
            facts: vec![("files".into(), "2000".into())],
            rows: vec![a, b, c],
            duration_s: 61.5,
            failed_runs: 1,
        }
    }

    #[test]
    fn table_has_medians_ratios_and_aligned_columns() {
        let t = report().table();
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(lines.len(), 5, "{t}");
        assert!(lines[0].starts_with("| benchmark "), "{t}");
        assert!(lines[1].starts_with("| ---"), "{t}");
        let cells = |l: &str| -> Vec<String> {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_owned())
                .collect()
        };
        assert_eq!(
            cells(lines[2]),
            [
                "syscall/getppid",
                "",
                "200.0",
                "500.0",
                "2.50x",
                "ns",
                "tcg",
                ""
            ]
        );
        assert_eq!(
            cells(lines[3]),
            [
                "fileio/seq_write",
                "9p cache=none, 64 MiB",
                "400.0",
                "failed",
                "-",
                "MiB/s",
                "tcg",
                ""
            ]
        );
        assert_eq!(
            cells(lines[4]),
            [
                "fileio/seq_write",
                "virtio-fs",
                "-",
                "-",
                "-",
                "MiB/s",
                "tcg",
                "not yet in Lintel"
            ]
        );
        let width = lines[0].len();
        assert!(lines.iter().all(|l| l.len() == width), "{t}");
    }

    #[test]
    fn json_holds_samples_medians_and_nulls() {
        let j = report().json();
        assert!(j.starts_with("{\n  \"accel\": \"tcg\",\n"), "{j}");
        assert!(j.contains("\"rounds\": 3,"), "{j}");
        assert!(
            j.contains("\"duration_s\": 61.5,\n  \"failed_runs\": 1,"),
            "{j}"
        );
        assert!(j.contains("\"facts\": {\"files\": \"2000\"},"), "{j}");
        assert!(
            j.contains(
                "{\"group\": \"syscall\", \"name\": \"getppid\", \"setup\": \"\", \"unit\": \"ns\", \
                 \"better\": \"lower\", \"lintel\": {\"median\": 200, \"samples\": [190, 200, 210]}, \
                 \"linux\": {\"median\": 500, \"samples\": [500, 400, 600]}, \"ratio\": 2.5, \"pending\": false, \"note\": \"\"}"
            ),
            "{j}"
        );
        assert!(
            j.contains("\"linux\": {\"median\": null, \"samples\": []}, \"ratio\": null"),
            "{j}"
        );
        assert!(j.trim_end().ends_with("]\n}"), "{j}");
        assert_eq!(j.matches('{').count(), j.matches('}').count());
        assert_eq!(j.matches('[').count(), j.matches(']').count());
    }

    #[test]
    fn json_strings_are_escaped() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(json_num(Some(f64::INFINITY)), "null");
        assert_eq!(json_num(None), "null");
        assert_eq!(json_num(Some(0.25)), "0.25");
    }
}
