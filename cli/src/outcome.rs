//! How a run ended: the exit line of the kernel log (docs/boot-protocol.md),
//! or, without one, what QEMU's own status says.

use std::collections::VecDeque;
use std::fmt;

/// How the program (or the machine) ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `lintel: exit status=N`
    Exited(u8),
    /// `lintel: exit signal=S`
    Signaled(u8),
    /// `lintel: panic: ...` (the rest of that line)
    Panic(String),
    /// The run took longer than allowed; QEMU was killed.
    Timeout,
    /// QEMU ended without an exit line: its status and the last log lines.
    Crashed(String),
}

impl Outcome {
    /// What a shell would report: N, 128+S, 124 for a timeout (like
    /// `timeout(1)`), 125 when the machine failed.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Exited(n) => i32::from(*n),
            Outcome::Signaled(s) => 128 + i32::from(*s),
            Outcome::Timeout => 124,
            Outcome::Panic(_) | Outcome::Crashed(_) => 125,
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Exited(n) => write!(f, "exited with status {n}"),
            Outcome::Signaled(s) => write!(f, "killed by signal {s} ({})", signal_message(*s)),
            Outcome::Panic(msg) => write!(f, "kernel panic: {msg}"),
            Outcome::Timeout => write!(f, "timed out"),
            Outcome::Crashed(why) => write!(f, "crashed: {why}"),
        }
    }
}

/// What the shell prints for a program killed by signal `s`.
pub fn signal_message(s: u8) -> String {
    let name = match s {
        1 => "Hangup",
        2 => "Interrupt",
        3 => "Quit",
        4 => "Illegal instruction",
        5 => "Trace/breakpoint trap",
        6 => "Aborted",
        7 => "Bus error",
        8 => "Floating point exception",
        9 => "Killed",
        10 => "User defined signal 1",
        11 => "Segmentation fault",
        12 => "User defined signal 2",
        13 => "Broken pipe",
        14 => "Alarm clock",
        15 => "Terminated",
        _ => return format!("Killed by signal {s}"),
    };
    name.to_owned()
}

/// A line of the kernel log that ends the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelEvent {
    Exit(u8),
    Signal(u8),
    Panic(String),
}

/// Recognises a protocol line. A prefix before `lintel:` (a timestamp, a
/// level) and a `\r` are tolerated; the number is its leading digits.
pub fn parse_log_line(line: &str) -> Option<KernelEvent> {
    let line = line.trim_end_matches(['\r', '\n']);
    let number = |rest: &str| -> Option<u8> {
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        // The kernel already reduces the status mod 256; so do we.
        digits.parse::<u64>().ok().map(|n| (n & 0xff) as u8)
    };
    if let Some(i) = line.find("lintel: exit status=") {
        return number(&line[i + "lintel: exit status=".len()..]).map(KernelEvent::Exit);
    }
    if let Some(i) = line.find("lintel: exit signal=") {
        return number(&line[i + "lintel: exit signal=".len()..]).map(KernelEvent::Signal);
    }
    if let Some(i) = line.find("lintel: panic:") {
        return Some(KernelEvent::Panic(
            line[i + "lintel: panic:".len()..].trim().to_owned(),
        ));
    }
    None
}

/// Reads the kernel log as it streams, remembering the last protocol event
/// and the last few lines (to describe a crash).
#[derive(Debug, Default)]
pub struct LogScanner {
    partial: Vec<u8>,
    event: Option<KernelEvent>,
    tail: VecDeque<String>,
}

const TAIL_LINES: usize = 20;

impl LogScanner {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if b == b'\n' {
                let line = std::mem::take(&mut self.partial);
                self.line(&line);
            } else {
                self.partial.push(b);
            }
        }
    }

    /// Processes an unterminated last line.
    pub fn finish(&mut self) {
        if !self.partial.is_empty() {
            let line = std::mem::take(&mut self.partial);
            self.line(&line);
        }
    }

    fn line(&mut self, raw: &[u8]) {
        let line = String::from_utf8_lossy(raw)
            .trim_end_matches('\r')
            .to_owned();
        if let Some(event) = parse_log_line(&line) {
            self.event = Some(event);
        }
        if self.tail.len() == TAIL_LINES {
            self.tail.pop_front();
        }
        self.tail.push_back(line);
    }

    pub fn event(&self) -> Option<&KernelEvent> {
        self.event.as_ref()
    }

    pub fn tail(&self) -> impl Iterator<Item = &str> {
        self.tail.iter().map(String::as_str)
    }
}

/// How QEMU itself ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QemuEnd {
    Code(i32),
    Signal(i32),
    Unknown,
}

/// Decides the outcome: the exit line is authoritative; otherwise a timeout;
/// otherwise a crash described by QEMU's status, the log tail and QEMU's stderr.
pub fn decide_outcome(
    event: Option<KernelEvent>,
    timed_out: bool,
    qemu: QemuEnd,
    log_tail: &[&str],
    qemu_stderr: &str,
) -> Outcome {
    match event {
        Some(KernelEvent::Exit(n)) => return Outcome::Exited(n),
        Some(KernelEvent::Signal(s)) => return Outcome::Signaled(s),
        Some(KernelEvent::Panic(msg)) => return Outcome::Panic(msg),
        None if timed_out => return Outcome::Timeout,
        None => {}
    }
    let mut why = match qemu {
        QemuEnd::Code(code) if code & 1 == 1 => {
            let byte = (code >> 1) & 0x7f;
            let mut s = format!(
                "QEMU exited with status {code} (isa-debug-exit wrote {byte:#x} or {:#x}",
                byte | 0x80
            );
            if code == 1 {
                s.push_str(", or QEMU failed");
            }
            if code == 255 {
                s.push_str(": the kernel's panic code");
            }
            s.push(')');
            s
        }
        QemuEnd::Code(0) => {
            "QEMU exited with status 0 (a reset or triple fault under -no-reboot?)".to_owned()
        }
        QemuEnd::Code(code) => format!("QEMU exited with status {code}"),
        QemuEnd::Signal(sig) => format!("QEMU was killed by signal {sig}"),
        QemuEnd::Unknown => "QEMU ended".to_owned(),
    };
    why.push_str(" without an exit line");
    if log_tail.is_empty() {
        why.push_str("; the kernel log is empty");
    } else {
        why.push_str("; last kernel log lines:");
        for line in log_tail {
            why.push_str("\n  ");
            why.push_str(line);
        }
    }
    let stderr = qemu_stderr.trim();
    if !stderr.is_empty() {
        why.push_str("\nQEMU said:");
        for line in stderr
            .lines()
            .rev()
            .take(TAIL_LINES)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            why.push_str("\n  ");
            why.push_str(line);
        }
    }
    Outcome::Crashed(why)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(Outcome::Exited(0).exit_code(), 0);
        assert_eq!(Outcome::Exited(3).exit_code(), 3);
        assert_eq!(Outcome::Exited(255).exit_code(), 255);
        assert_eq!(Outcome::Signaled(11).exit_code(), 139);
        assert_eq!(Outcome::Panic("x".into()).exit_code(), 125);
        assert_eq!(Outcome::Timeout.exit_code(), 124);
        assert_eq!(Outcome::Crashed("x".into()).exit_code(), 125);
    }

    #[test]
    fn signal_messages_like_bash() {
        assert_eq!(signal_message(11), "Segmentation fault");
        assert_eq!(signal_message(6), "Aborted");
        assert_eq!(signal_message(9), "Killed");
        assert_eq!(signal_message(4), "Illegal instruction");
        assert_eq!(signal_message(8), "Floating point exception");
        assert_eq!(signal_message(7), "Bus error");
        assert_eq!(signal_message(31), "Killed by signal 31");
    }

    #[test]
    fn protocol_lines() {
        assert_eq!(
            parse_log_line("lintel: exit status=0"),
            Some(KernelEvent::Exit(0))
        );
        assert_eq!(
            parse_log_line("lintel: exit status=42\r"),
            Some(KernelEvent::Exit(42))
        );
        assert_eq!(
            parse_log_line("lintel: exit status=300"),
            Some(KernelEvent::Exit(44))
        );
        assert_eq!(
            parse_log_line("[  0.512] lintel: exit signal=11"),
            Some(KernelEvent::Signal(11))
        );
        assert_eq!(
            parse_log_line("lintel: panic: page fault at 0xdead in kernel"),
            Some(KernelEvent::Panic("page fault at 0xdead in kernel".into()))
        );
        assert_eq!(parse_log_line("lintel: exit status="), None);
        assert_eq!(parse_log_line("lintel: booting"), None);
        assert_eq!(parse_log_line(""), None);
    }

    #[test]
    fn scanner_handles_split_chunks_and_a_missing_newline() {
        let mut s = LogScanner::new();
        for chunk in ["lintel: boo", "ting\r\nlintel: ex", "it status", "=7"] {
            s.feed(chunk.as_bytes());
        }
        assert_eq!(s.event(), None);
        s.finish();
        assert_eq!(s.event(), Some(&KernelEvent::Exit(7)));
        assert_eq!(
            s.tail().collect::<Vec<_>>(),
            ["lintel: booting", "lintel: exit status=7"]
        );
    }

    #[test]
    fn scanner_keeps_the_last_event_and_a_bounded_tail() {
        let mut s = LogScanner::new();
        s.feed(b"lintel: exit status=1\n");
        for i in 0..100 {
            s.feed(format!("line {i}\n").as_bytes());
        }
        s.feed(b"lintel: panic: late\n");
        assert_eq!(s.event(), Some(&KernelEvent::Panic("late".into())));
        assert_eq!(s.tail().count(), TAIL_LINES);
        assert_eq!(s.tail().last(), Some("lintel: panic: late"));
    }

    #[test]
    fn exit_line_is_authoritative() {
        let o = decide_outcome(Some(KernelEvent::Exit(3)), false, QemuEnd::Code(1), &[], "");
        assert_eq!(o, Outcome::Exited(3));
        // Seen before a hang that ran into the timeout: still the program's exit.
        let o = decide_outcome(
            Some(KernelEvent::Signal(11)),
            true,
            QemuEnd::Signal(9),
            &[],
            "",
        );
        assert_eq!(o, Outcome::Signaled(11));
        let o = decide_outcome(
            Some(KernelEvent::Panic("oops".into())),
            false,
            QemuEnd::Code(255),
            &[],
            "",
        );
        assert_eq!(o, Outcome::Panic("oops".into()));
    }

    #[test]
    fn timeout_without_exit_line() {
        assert_eq!(
            decide_outcome(None, true, QemuEnd::Signal(9), &["x"], ""),
            Outcome::Timeout
        );
    }

    #[test]
    fn crash_descriptions() {
        let Outcome::Crashed(why) =
            decide_outcome(None, false, QemuEnd::Code(255), &["a", "b"], "")
        else {
            panic!()
        };
        assert!(why.contains("status 255"), "{why}");
        assert!(why.contains("panic"), "{why}");
        assert!(why.ends_with("\n  a\n  b"), "{why}");

        let Outcome::Crashed(why) = decide_outcome(
            None,
            false,
            QemuEnd::Code(1),
            &[],
            "qemu: could not load kernel\n",
        ) else {
            panic!()
        };
        assert!(why.contains("status 1 "), "{why}");
        assert!(why.contains("log is empty"), "{why}");
        assert!(why.contains("could not load kernel"), "{why}");

        let Outcome::Crashed(why) = decide_outcome(None, false, QemuEnd::Code(0), &[], "") else {
            panic!()
        };
        assert!(why.contains("triple fault"), "{why}");
    }
}
