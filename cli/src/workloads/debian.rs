//! Debian source packages: the `deb-src` entries apt needs (added for the
//! machine's release when missing), the versions apt knows, and fetching
//! one version (`apt-get source --download-only`, then `dpkg-source -x`
//! ourselves, so nothing is built or installed by apt).

use std::cmp::Ordering;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::setup::{find_in_path, is_root};

/// The file `lintel workloads` writes when apt has no `deb-src` entry for
/// the release.
pub const DEB_SRC_FILE: &str = "/etc/apt/sources.list.d/lintel-deb-src.sources";

/// The release codename (`VERSION_CODENAME` of /etc/os-release), e.g.
/// `bookworm`; `bookworm` when it cannot be read.
pub fn codename() -> String {
    std::fs::read_to_string("/etc/os-release")
        .ok()
        .and_then(|s| os_release_codename(&s))
        .unwrap_or_else(|| "bookworm".to_owned())
}

fn os_release_codename(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// One apt source: the deb822 fields that matter here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AptSource {
    pub types: Vec<String>,
    pub uris: Vec<String>,
    pub suites: Vec<String>,
    pub components: Vec<String>,
    pub signed_by: Option<String>,
}

/// The sources of a deb822 `.sources` file (stanzas with `Enabled: no` left out).
pub fn parse_deb822(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for stanza in text.split("\n\n") {
        let mut fields: Vec<(String, String)> = Vec::new();
        for line in stanza.lines() {
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            if line.starts_with(' ') || line.starts_with('\t') {
                // A continuation line (e.g. an inline Signed-By key).
                if let Some((_, v)) = fields.last_mut() {
                    v.push('\n');
                    v.push_str(line.trim());
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':') {
                fields.push((k.trim().to_ascii_lowercase(), v.trim().to_owned()));
            }
        }
        let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        let words = |k: &str| -> Vec<String> {
            get(k)
                .map(|v| v.split_whitespace().map(str::to_owned).collect())
                .unwrap_or_default()
        };
        if get("enabled").is_some_and(|v| v.eq_ignore_ascii_case("no")) {
            continue;
        }
        let source = AptSource {
            types: words("types"),
            uris: words("uris"),
            suites: words("suites"),
            components: words("components"),
            signed_by: get("signed-by"),
        };
        if !source.types.is_empty() && !source.uris.is_empty() && !source.suites.is_empty() {
            out.push(source);
        }
    }
    out
}

/// The sources of a one-line-style `.list` file (`deb [opts] URI SUITE COMP...`).
pub fn parse_one_line(text: &str) -> Vec<AptSource> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        let mut words = line.split_whitespace().peekable();
        let Some(kind) = words.next() else { continue };
        if kind != "deb" && kind != "deb-src" {
            continue;
        }
        let mut signed_by = None;
        if words.peek().is_some_and(|w| w.starts_with('[')) {
            // Options run to the word ending in `]`.
            for w in words.by_ref() {
                let opt = w.trim_start_matches('[').trim_end_matches(']');
                if let Some(v) = opt.strip_prefix("signed-by=") {
                    signed_by = Some(v.to_owned());
                }
                if w.ends_with(']') {
                    break;
                }
            }
        }
        let (Some(uri), Some(suite)) = (words.next(), words.next()) else {
            continue;
        };
        out.push(AptSource {
            types: vec![kind.to_owned()],
            uris: vec![uri.to_owned()],
            suites: vec![suite.to_owned()],
            components: words.map(str::to_owned).collect(),
            signed_by,
        });
    }
    out
}

/// Debian's own archive for `codename`, when the machine's sources name
/// nothing usable: the main archive (with `-updates`) and the security one.
fn default_sources(codename: &str) -> Vec<AptSource> {
    let keyring = Some("/usr/share/keyrings/debian-archive-keyring.gpg".to_owned());
    vec![
        AptSource {
            types: vec!["deb-src".into()],
            uris: vec!["http://deb.debian.org/debian".into()],
            suites: vec![codename.to_owned(), format!("{codename}-updates")],
            components: vec!["main".into()],
            signed_by: keyring.clone(),
        },
        AptSource {
            types: vec!["deb-src".into()],
            uris: vec!["http://deb.debian.org/debian-security".into()],
            suites: vec![format!("{codename}-security")],
            components: vec!["main".into()],
            signed_by: keyring,
        },
    ]
}

/// A suite of the release: `bookworm`, `bookworm-updates`, `bookworm-security`.
fn of_release(suite: &str, codename: &str) -> bool {
    suite == codename
        || suite
            .strip_prefix(codename)
            .is_some_and(|rest| rest.starts_with('-'))
}

/// True when some source already gives `deb-src` for the release.
pub fn has_deb_src(sources: &[AptSource], codename: &str) -> bool {
    sources.iter().any(|s| {
        s.types.iter().any(|t| t == "deb-src") && s.suites.iter().any(|x| of_release(x, codename))
    })
}

/// The deb822 text of the `deb-src` sources to add: a `deb-src` twin of
/// every `deb` source of the release (same URIs, suites of the release,
/// components and key), or Debian's own archive when there is none.
pub fn deb_src_text(sources: &[AptSource], codename: &str) -> String {
    let mut twins: Vec<AptSource> = sources
        .iter()
        .filter(|s| s.types.iter().any(|t| t == "deb"))
        .filter_map(|s| {
            let suites: Vec<String> = s
                .suites
                .iter()
                .filter(|x| of_release(x, codename))
                .cloned()
                .collect();
            (!suites.is_empty()).then(|| AptSource {
                types: vec!["deb-src".into()],
                suites,
                ..s.clone()
            })
        })
        .collect();
    twins.dedup();
    if twins.is_empty() {
        twins = default_sources(codename);
    }
    let mut text = String::from(
        "# Written by `lintel workloads`: Debian's source packages (apt-get source).\n",
    );
    for s in &twins {
        text.push('\n');
        text.push_str("Types: deb-src\n");
        text.push_str(&format!("URIs: {}\n", s.uris.join(" ")));
        text.push_str(&format!("Suites: {}\n", s.suites.join(" ")));
        if !s.components.is_empty() {
            text.push_str(&format!("Components: {}\n", s.components.join(" ")));
        }
        if let Some(key) = &s.signed_by {
            // A multi-line inline key keeps its continuation lines indented.
            text.push_str(&format!("Signed-By: {}\n", key.replace('\n', "\n ")));
        }
    }
    text
}

/// Every source apt reads: /etc/apt/sources.list, then sources.list.d/
/// (`*.list` and `*.sources`).
pub fn read_apt_sources() -> Vec<AptSource> {
    let mut out = Vec::new();
    if let Ok(text) = std::fs::read_to_string("/etc/apt/sources.list") {
        out.extend(parse_one_line(&text));
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir("/etc/apt/sources.list.d")
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.sort();
    for f in files {
        let Ok(text) = std::fs::read_to_string(&f) else {
            continue;
        };
        match f.extension().and_then(|e| e.to_str()) {
            Some("list") => out.extend(parse_one_line(&text)),
            Some("sources") => out.extend(parse_deb822(&text)),
            _ => {}
        }
    }
    out
}

/// The command prefix that runs a command as root: nothing when we are
/// root, `sudo -n` when that works; `None` otherwise.
fn as_root() -> Option<Vec<&'static str>> {
    if is_root() {
        return Some(Vec::new());
    }
    let sudo = Command::new("sudo")
        .args(["-n", "true"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    sudo.then(|| vec!["sudo", "-n"])
}

/// Runs `cmd` (its output to our stderr); an error naming it when it fails.
fn run_checked(cmd: &[&str], cwd: Option<&Path>) -> io::Result<()> {
    let mut c = Command::new(cmd[0]);
    c.args(&cmd[1..]).stdin(Stdio::null()).stdout(io::stderr());
    if let Some(dir) = cwd {
        c.current_dir(dir);
    }
    let status = c
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running {}: {e}", cmd[0])))?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "`{}` failed ({status})",
            cmd.join(" ")
        )))
    }
}

/// Makes sure apt knows the source packages of the release: adds
/// [`DEB_SRC_FILE`] when no `deb-src` entry names it (as root, or through
/// `sudo -n`), then `apt-get update`.
pub fn add_deb_src_and_update() -> io::Result<()> {
    let codename = codename();
    let root = as_root().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "apt has no source packages for {codename}: as root, add a deb-src entry \
                 (e.g. {DEB_SRC_FILE}) and run apt-get update"
            ),
        )
    })?;
    let sources = read_apt_sources();
    if !has_deb_src(&sources, &codename) {
        let text = deb_src_text(&sources, &codename);
        eprintln!("lintel: adding deb-src entries for {codename} in {DEB_SRC_FILE}");
        if root.is_empty() {
            std::fs::write(DEB_SRC_FILE, text)
                .map_err(|e| io::Error::new(e.kind(), format!("writing {DEB_SRC_FILE}: {e}")))?;
        } else {
            let mut child = Command::new("sudo")
                .args(["-n", "tee", DEB_SRC_FILE])
                .stdin(Stdio::piped())
                .stdout(Stdio::null())
                .spawn()?;
            use std::io::Write;
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(text.as_bytes())?;
            if !child.wait()?.success() {
                return Err(io::Error::other(format!("cannot write {DEB_SRC_FILE}")));
            }
        }
    }
    let mut update = root.clone();
    update.extend(["apt-get", "update"]);
    run_checked(&update, None)
}

/// The versions of the source package `name` apt knows, newest first
/// (empty when apt knows none, e.g. before any `deb-src` entry).
pub fn source_versions(name: &str) -> io::Result<Vec<String>> {
    let out = Command::new("apt-cache")
        .args(["showsrc", "--only-source", name])
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| io::Error::new(e.kind(), format!("running apt-cache: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut versions: Vec<String> = Vec::new();
    let mut package = None;
    for line in text.lines() {
        if let Some(p) = line.strip_prefix("Package: ") {
            package = Some(p.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("Version: ") {
            let v = v.trim().to_owned();
            if package.as_deref() == Some(name) && !versions.contains(&v) {
                versions.push(v);
            }
        }
    }
    versions.sort_by(|a, b| compare_versions(b, a));
    Ok(versions)
}

/// Debian version order (`dpkg --compare-versions`): epoch, then upstream
/// version, then revision, each compared by Debian's rules (`~` sorts before
/// everything, even the end).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let split = |v: &str| -> (u64, String, String) {
        let (epoch, rest) = match v.split_once(':') {
            Some((e, r)) if e.bytes().all(|b| b.is_ascii_digit()) => (e.parse().unwrap_or(0), r),
            _ => (0, v),
        };
        match rest.rsplit_once('-') {
            Some((up, rev)) => (epoch, up.to_owned(), rev.to_owned()),
            None => (epoch, rest.to_owned(), String::new()),
        }
    };
    let (ea, ua, ra) = split(a);
    let (eb, ub, rb) = split(b);
    ea.cmp(&eb)
        .then_with(|| compare_part(&ua, &ub))
        .then_with(|| compare_part(&ra, &rb))
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn compare_part(a: &str, b: &str) -> Ordering {
    fn order(c: Option<u8>) -> i32 {
        match c {
            None => 0,
            Some(b'~') => -1,
            Some(c) if c.is_ascii_digit() => 0,
            Some(c) if c.is_ascii_alphabetic() => i32::from(c),
            Some(c) => i32::from(c) + 256,
        }
    }
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        // The non-digit run.
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let ac = order(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let bc = order(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if ac != bc {
                return ac.cmp(&bc);
            }
            i += 1;
            j += 1;
        }
        // The digit run, as a number.
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

/// A version without its epoch, as in the source package's file names
/// (`5:7.0.15-1~deb12u10` → `7.0.15-1~deb12u10`).
pub fn without_epoch(version: &str) -> &str {
    match version.split_once(':') {
        Some((e, rest)) if !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => version,
    }
}

/// The `.dsc` file of `name` at `version` in `dir`.
pub fn dsc_path(dir: &Path, name: &str, version: &str) -> PathBuf {
    dir.join(format!("{name}_{}.dsc", without_epoch(version)))
}

/// Downloads the source package `name` at `version` into `dir` (the
/// `.dsc`, the upstream tarball, the Debian tarball), unless its `.dsc` is
/// already there; returns the `.dsc`. apt's output goes to `log`.
pub fn download(name: &str, version: &str, dir: &Path, log: &Path) -> io::Result<PathBuf> {
    let dsc = dsc_path(dir, name, version);
    if dsc.is_file() {
        return Ok(dsc);
    }
    std::fs::create_dir_all(dir)?;
    let log_file = std::fs::File::create(log)?;
    let status = Command::new("apt-get")
        .args(["source", "--download-only", "-q"])
        .arg(format!("{name}={version}"))
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .status()
        .map_err(|e| io::Error::new(e.kind(), format!("running apt-get source: {e}")))?;
    if status.success() && dsc.is_file() {
        Ok(dsc)
    } else {
        Err(io::Error::other(format!(
            "apt-get source --download-only {name}={version} failed ({status}):\n{}",
            super::tail(log, 6)
        )))
    }
}

/// Unpacks the source package `dsc` into `into` afresh (`dpkg-source -x`,
/// which applies Debian's patches); its output goes to `log`.
pub fn extract(dsc: &Path, into: &Path, log: &Path) -> io::Result<()> {
    if find_in_path("dpkg-source").is_none() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "dpkg-source is missing (Debian package dpkg-dev)",
        ));
    }
    match std::fs::remove_dir_all(into) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let log_file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)?;
    let status = Command::new("dpkg-source")
        .arg("-x")
        .arg(dsc)
        .arg(into)
        .stdin(Stdio::null())
        .stdout(log_file.try_clone()?)
        .stderr(log_file)
        .status()?;
    if status.success() && into.is_dir() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "dpkg-source -x {} failed ({status}):\n{}",
            dsc.display(),
            super::tail(log, 6)
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEB822: &str = "\
Types: deb
# http://snapshot.debian.org/archive/debian/20250520T000000Z
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: https://deb.nodesource.com/node_20.x
Suites: nodistro
Components: main

Enabled: no
Types: deb deb-src
URIs: http://example.invalid/debian
Suites: bookworm
Components: main
";

    #[test]
    fn deb822_sources() {
        let s = parse_deb822(DEB822);
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].suites, ["bookworm", "bookworm-updates"]);
        assert_eq!(
            s[0].signed_by.as_deref(),
            Some("/usr/share/keyrings/debian-archive-keyring.gpg")
        );
        assert_eq!(s[2].signed_by, None);
        assert!(!has_deb_src(&s, "bookworm"));
    }

    #[test]
    fn twins_of_the_release_sources() {
        let text = deb_src_text(&parse_deb822(DEB822), "bookworm");
        assert_eq!(
            text,
            "\
# Written by `lintel workloads`: Debian's source packages (apt-get source).

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
"
        );
        // What we write is read back as deb-src for the release.
        assert!(has_deb_src(&parse_deb822(&text), "bookworm"));
        assert!(!has_deb_src(&parse_deb822(&text), "trixie"));
    }

    #[test]
    fn one_line_sources() {
        let s = parse_one_line(
            "# comment\n\
             deb [arch=amd64 signed-by=/k.gpg] http://deb.debian.org/debian bookworm main contrib\n\
             deb http://security.debian.org/debian-security bookworm-security main # note\n\
             deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n\
             deb-src http://deb.debian.org/debian trixie main\n\
             bogus line\n",
        );
        assert_eq!(s.len(), 4);
        assert_eq!(s[0].signed_by.as_deref(), Some("/k.gpg"));
        assert_eq!(s[0].components, ["main", "contrib"]);
        assert_eq!(s[1].suites, ["bookworm-security"]);
        assert!(!has_deb_src(&s, "bookworm"));
        assert!(has_deb_src(&s, "trixie"));
        let text = deb_src_text(&s, "bookworm");
        let twins = parse_deb822(&text);
        assert_eq!(twins.len(), 2, "{text}");
        assert_eq!(twins[0].uris, ["http://deb.debian.org/debian"]);
        assert_eq!(twins[0].components, ["main", "contrib"]);
        assert_eq!(twins[1].suites, ["bookworm-security"]);
        // cloud-sdk-bookworm is not a suite of the release.
        assert!(!text.contains("google"));
    }

    #[test]
    fn without_any_source_debian_itself() {
        let twins = parse_deb822(&deb_src_text(&[], "bookworm"));
        assert_eq!(twins, default_sources("bookworm"));
        assert_eq!(
            twins[1].suites,
            ["bookworm-security"],
            "the security archive"
        );
    }

    #[test]
    fn codename_from_os_release() {
        assert_eq!(
            os_release_codename("NAME=\"Debian\"\nVERSION_CODENAME=bookworm\n").as_deref(),
            Some("bookworm")
        );
        assert_eq!(os_release_codename("VERSION_CODENAME=\n"), None);
        assert_eq!(os_release_codename("ID=debian\n"), None);
    }

    #[test]
    fn debian_version_order() {
        use Ordering::*;
        for (a, b, want) in [
            ("1.22.1-9+deb12u9", "1.22.1-9+deb12u12", Less),
            ("5:7.0.15-1~deb12u10", "5:7.0.15-1~deb12u7", Greater),
            ("5:7.0.15-1~deb12u10", "7.0.16-1", Greater),
            ("1.0~rc1-1", "1.0-1", Less),
            ("1.0-1", "1.0-1", Equal),
            ("1.0", "1.0-0", Equal),
            ("1.0a", "1.0", Greater),
            ("1.0+b1", "1.0", Greater),
            ("1.0~", "1.0", Less),
            ("1.01", "1.1", Equal),
            ("1.10", "1.9", Greater),
            ("2", "10", Less),
            ("1.0-1", "1.0-1.1", Less),
        ] {
            assert_eq!(compare_versions(a, b), want, "{a} vs {b}");
            assert_eq!(compare_versions(b, a), want.reverse(), "{b} vs {a}");
        }
    }

    #[test]
    fn file_names_drop_the_epoch() {
        assert_eq!(without_epoch("5:7.0.15-1~deb12u10"), "7.0.15-1~deb12u10");
        assert_eq!(without_epoch("1.22.1-9+deb12u9"), "1.22.1-9+deb12u9");
        assert_eq!(
            dsc_path(Path::new("/s"), "redis", "5:7.0.15-1~deb12u10"),
            Path::new("/s/redis_7.0.15-1~deb12u10.dsc")
        );
    }
}
