//! The text of the generated /proc files, in Linux's formats.

use alloc::format;
use alloc::vec::Vec;

/// /proc/meminfo: each value in kB, the label padded to 16 columns and the
/// number right-aligned in 8, as Linux's show_val_kb.
pub fn meminfo(total: u64, free: u64) -> Vec<u8> {
    let rows = [
        ("MemTotal:", total),
        ("MemFree:", free),
        ("MemAvailable:", free),
        ("Buffers:", 0),
        ("Cached:", 0),
        ("SwapCached:", 0),
        ("SwapTotal:", 0),
        ("SwapFree:", 0),
    ];
    let mut out = Vec::new();
    for (label, bytes) in rows {
        out.extend_from_slice(format!("{label:<16}{:>8} kB\n", bytes / 1024).as_bytes());
    }
    out
}

/// /proc/uptime: seconds up and seconds idle, to the hundredth.
pub fn uptime(ns: u64) -> Vec<u8> {
    let centis = ns / 10_000_000;
    format!("{}.{:02} 0.00\n", centis / 100, centis % 100).into_bytes()
}

/// The command name Linux derives from the executable: its last
/// component, at most 15 bytes (TASK_COMM_LEN - 1).
pub fn comm(exe: &[u8]) -> &[u8] {
    let base = exe.rsplit(|&c| c == b'/').next().unwrap_or(exe);
    &base[..base.len().min(15)]
}

/// /proc/<pid>/status, the fields programs look for.
pub fn status(name: &[u8], pid: i32, ppid: i32, uid: u32, gid: u32) -> Vec<u8> {
    let mut out = Vec::from(&b"Name:\t"[..]);
    // Escaped as Linux's proc_task_name does, so the line stays one line.
    for &c in name {
        match c {
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\\' => out.extend_from_slice(b"\\\\"),
            c => out.push(c),
        }
    }
    out.extend_from_slice(
        format!(
            "\nState:\tR (running)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t{ppid}\nTracerPid:\t0\n\
             Uid:\t{uid}\t{uid}\t{uid}\t{uid}\nGid:\t{gid}\t{gid}\t{gid}\t{gid}\nThreads:\t1\n"
        )
        .as_bytes(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_columns_match_linux() {
        let t = meminfo(16384 * 1024, 2284 * 1024);
        let s = core::str::from_utf8(&t).unwrap();
        let mut lines = s.lines();
        assert_eq!(lines.next(), Some("MemTotal:          16384 kB"));
        assert_eq!(lines.next(), Some("MemFree:            2284 kB"));
        assert_eq!(
            meminfo(24684084 * 1024, 0)[..27],
            b"MemTotal:       24684084 kB"[..]
        );
        assert!(s.contains("\nSwapFree:              0 kB\n"));
    }

    #[test]
    fn uptime_and_comm() {
        assert_eq!(uptime(12_345_678_901), b"12.34 0.00\n");
        assert_eq!(uptime(0), b"0.00 0.00\n");
        assert_eq!(comm(b"/usr/sbin/nginx"), b"nginx");
        assert_eq!(comm(b"a-very-long-program-name"), b"a-very-long-pro");
        assert_eq!(comm(b""), b"");
    }

    #[test]
    fn status_escapes_the_name() {
        let s = status(b"a\nb", 7, 1, 0, 0);
        assert!(s.starts_with(b"Name:\ta\\nb\nState:\tR (running)\nTgid:\t7\n"));
        assert!(s.windows(9).any(|w| w == b"PPid:\t1\nT"));
    }
}
