//! The kernel command line (see docs/boot-protocol.md): space-separated
//! `key=value` tokens whose values are percent-encoded.

use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;

/// Bytes written as themselves; every other byte becomes `%XX`.
fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"._/=:,+-@".contains(&b)
}

/// Percent-encodes `bytes`: every byte outside `A-Z a-z 0-9 . _ / = : , + - @`
/// becomes `%XX` with two upper-case hex digits.
pub fn percent_encode(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(bytes.len());
    for &b in bytes {
        if is_unreserved(b) {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 0xf)] as char);
        }
    }
    out
}

/// The inverse of [`percent_encode`] (what the kernel does); `None` on a
/// malformed escape. Used to check the encoder.
pub fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(out)
}

/// Assembles the command line: `init=PATH` (`init` is the absolute path of the
/// program inside the initrd, e.g. `/hello` or `/bin/busybox`), `root=initrd`,
/// one `argv=` per argument (`argv[0]` included), one `env=` per `KEY=VALUE`
/// string, then `quiet` when asked. `init=` stays the first token.
pub fn kernel_cmdline(init: &[u8], argv: &[OsString], env: &[OsString], quiet: bool) -> String {
    let mut tokens = Vec::with_capacity(2 + argv.len() + env.len() + 1);
    tokens.push(format!("init={}", percent_encode(init)));
    tokens.push("root=initrd".to_owned());
    for arg in argv {
        tokens.push(format!("argv={}", percent_encode(arg.as_bytes())));
    }
    for var in env {
        tokens.push(format!("env={}", percent_encode(var.as_bytes())));
    }
    if quiet {
        tokens.push("quiet".to_owned());
    }
    tokens.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::ffi::OsStringExt;

    #[test]
    fn unreserved_bytes_pass_through() {
        let s = "AZaz09._/=:,+-@";
        assert_eq!(percent_encode(s.as_bytes()), s);
    }

    #[test]
    fn reserved_bytes_are_escaped_upper_case() {
        assert_eq!(percent_encode(b"a b"), "a%20b");
        assert_eq!(percent_encode(b"'\""), "%27%22");
        assert_eq!(percent_encode(b"100%"), "100%25");
        assert_eq!(percent_encode(b"x\ny"), "x%0Ay");
        assert_eq!(percent_encode(b"\t\r\0\xff"), "%09%0D%00%FF");
        assert_eq!(percent_encode("é€".as_bytes()), "%C3%A9%E2%82%AC");
        assert_eq!(
            percent_encode(b"$HOME;*?~!#&()[]{}<>|\\^`"),
            "%24HOME%3B%2A%3F%7E%21%23%26%28%29%5B%5D%7B%7D%3C%3E%7C%5C%5E%60"
        );
        assert_eq!(percent_encode(b""), "");
    }

    #[test]
    fn every_byte_round_trips() {
        let all: Vec<u8> = (0..=255).collect();
        let enc = percent_encode(&all);
        assert!(enc
            .bytes()
            .all(|b| is_unreserved(b) || b == b'%' || b.is_ascii_hexdigit()));
        assert!(!enc.contains(' '));
        assert_eq!(percent_decode(&enc).unwrap(), all);
    }

    #[test]
    fn command_line_layout() {
        let argv = ["./hello", "a", "b c", "", "it's \"quoted\"", "50%"].map(OsString::from);
        let env = ["HOME=/", "GREETING=hi there", "EMPTY="].map(OsString::from);
        assert_eq!(
            kernel_cmdline(b"/hello", &argv, &env, false),
            "init=/hello root=initrd argv=./hello argv=a argv=b%20c argv= \
             argv=it%27s%20%22quoted%22 argv=50%25 \
             env=HOME=/ env=GREETING=hi%20there env=EMPTY="
        );
        assert_eq!(
            kernel_cmdline(b"/x", &[], &[], true),
            "init=/x root=initrd quiet"
        );
        assert_eq!(
            kernel_cmdline(b"/bin/busybox", &["busybox".into()], &[], false),
            "init=/bin/busybox root=initrd argv=busybox"
        );
    }

    #[test]
    fn init_name_is_encoded_and_non_utf8_args_survive() {
        let argv = [OsString::from_vec(vec![b'a', 0xff, b'\n'])];
        assert_eq!(
            kernel_cmdline(b"/my prog", &argv, &[], false),
            "init=/my%20prog root=initrd argv=a%FF%0A"
        );
    }

    #[test]
    fn every_token_decodes_back() {
        let argv = ["p", "two words", "tab\there", "new\nline", "ünï", ""].map(OsString::from);
        let line = kernel_cmdline(b"/p", &argv, &[], false);
        let decoded: Vec<Vec<u8>> = line
            .split(' ')
            .filter_map(|t| t.strip_prefix("argv="))
            .map(|v| percent_decode(v).unwrap())
            .collect();
        let expected: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        assert_eq!(decoded, expected);
    }
}
