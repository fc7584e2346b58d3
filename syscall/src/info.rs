//! uname, getrandom, resource limits, sysinfo.

use crate::abi::{Rlimit, Utsname};
use crate::process::RLIM_NLIMITS;
use crate::user::{read_val, write_bytes, write_val};
use crate::{Cx, Errno, SysResult};

pub const UTS_RELEASE: &str = "6.1.0-lintel";

pub fn sys_uname(cx: &mut Cx, buf: u64) -> SysResult {
    let u = Utsname::new([
        "Linux",
        "lintel",
        UTS_RELEASE,
        "#1 SMP Lintel",
        "x86_64",
        "(none)",
    ]);
    write_val(cx.k, &cx.p.mm, buf, &u)?;
    Ok(0)
}

const GRND_NONBLOCK: u64 = 1;
const GRND_RANDOM: u64 = 2;
const GRND_INSECURE: u64 = 4;

pub fn sys_getrandom(cx: &mut Cx, buf: u64, len: u64, flags: u64) -> SysResult {
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
        || flags & (GRND_RANDOM | GRND_INSECURE) == (GRND_RANDOM | GRND_INSECURE)
    {
        return Err(Errno::EINVAL);
    }
    let len = len.min(0x01ff_ffff); // Linux caps one call at 32 MiB - 1
    let mut chunk = [0u8; 256];
    let mut done = 0;
    while done < len {
        let n = (len - done).min(chunk.len() as u64) as usize;
        cx.k.fill_random(&mut chunk[..n]);
        if let Err(e) = write_bytes(cx.k, &cx.p.mm, buf + done, &chunk[..n]) {
            return if done > 0 { Ok(done) } else { Err(e) };
        }
        done += n as u64;
    }
    Ok(len)
}

pub fn sys_prlimit64(cx: &mut Cx, pid: u64, resource: u64, new: u64, old: u64) -> SysResult {
    if pid != 0 && pid != cx.p.pid as u64 {
        return Err(Errno::ESRCH);
    }
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let new = if new != 0 {
        Some(read_val::<Rlimit>(cx.k, &cx.p.mm, new)?)
    } else {
        None
    };
    if let Some(n) = new {
        if n.cur > n.max {
            return Err(Errno::EINVAL);
        }
    }
    if old != 0 {
        let cur = cx.p.rlimits[r];
        write_val(cx.k, &cx.p.mm, old, &cur)?;
    }
    if let Some(n) = new {
        cx.p.rlimits[r] = n;
    }
    Ok(0)
}

pub fn sys_getrlimit(cx: &mut Cx, resource: u64, rlim: u64) -> SysResult {
    sys_prlimit64(cx, 0, resource, 0, rlim)
}

pub fn sys_setrlimit(cx: &mut Cx, resource: u64, rlim: u64) -> SysResult {
    sys_prlimit64(cx, 0, resource, rlim, 0)
}

/// sysinfo(2): uptime, memory (mem_unit 1), one process.
pub fn sys_sysinfo(cx: &mut Cx, info: u64) -> SysResult {
    let (total, free) = cx.k.memory_stats();
    let mut b = [0u8; 112];
    b[..8].copy_from_slice(&(cx.k.monotonic_ns() / 1_000_000_000).to_le_bytes());
    b[32..40].copy_from_slice(&total.to_le_bytes());
    b[40..48].copy_from_slice(&free.to_le_bytes());
    b[80..82].copy_from_slice(&1u16.to_le_bytes());
    b[104..108].copy_from_slice(&1u32.to_le_bytes());
    write_bytes(cx.k, &cx.p.mm, info, &b)?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use crate::testkit::TestBed;

    #[test]
    fn uname_says_linux_x86_64() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("uname", [buf, 0, 0, 0, 0, 0]), 0);
        assert_eq!(&t.peek(buf, 6), b"Linux\0");
        assert_eq!(&t.peek(buf + 4 * 65, 7), b"x86_64\0");
        assert_eq!(t.call("uname", [0, 0, 0, 0, 0, 0]) as i64, -14);
    }

    #[test]
    fn getrandom_fills_and_validates_flags() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("getrandom", [buf, 300, 0, 0, 0, 0]), 300);
        assert!(t.peek(buf, 300).iter().any(|&b| b != 0));
        assert_eq!(t.call("getrandom", [buf, 1, 8, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("getrandom", [buf, 1, 6, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("getrandom", [8, 1, 0, 0, 0, 0]) as i64, -14);
    }

    #[test]
    fn prlimit_reads_and_sets() {
        let mut t = TestBed::new();
        let buf = t.scratch();
        assert_eq!(t.call("prlimit64", [0, 7, 0, buf, 0, 0]), 0);
        assert_eq!(
            t.peek(buf, 16),
            [1024u64.to_le_bytes(), 4096u64.to_le_bytes()].concat()
        );
        t.poke(buf, &[100u64.to_le_bytes(), 200u64.to_le_bytes()].concat());
        assert_eq!(t.call("prlimit64", [0, 7, buf, 0, 0, 0]), 0);
        assert_eq!(t.call("getrlimit", [7, buf + 16, 0, 0, 0, 0]), 0);
        assert_eq!(t.peek(buf + 16, 8), 100u64.to_le_bytes());
        t.poke(buf, &[300u64.to_le_bytes(), 200u64.to_le_bytes()].concat());
        assert_eq!(t.call("prlimit64", [0, 7, buf, 0, 0, 0]) as i64, -22);
        assert_eq!(t.call("prlimit64", [0, 99, 0, buf, 0, 0]) as i64, -22);
        assert_eq!(t.call("prlimit64", [42, 7, 0, buf, 0, 0]) as i64, -3);
    }
}
