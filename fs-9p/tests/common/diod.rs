//! Runs Debian's diod, a real 9P2000.L server, on a loopback port with a
//! fresh export directory, for the lifetime of one test.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lintel_fs_9p::{Client, ClientConfig};

use super::tcp::TcpTransport;

pub struct Diod {
    child: Child,
    pub dir: PathBuf,
    pub port: u16,
    log: PathBuf,
    uid: u32,
}

fn find_diod() -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin".into(), "/sbin".into()])
        .map(|d: PathBuf| d.join("diod"))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "diod is not installed: these tests need a real 9P2000.L server. \
                 Install the Debian package `diod` (apt-get install -y diod)."
            )
        })
}

/// Our uid, from /proc (no libc in this crate's tests).
fn current_uid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

impl Diod {
    pub fn start() -> Diod {
        static N: AtomicUsize = AtomicUsize::new(0);
        let exe = find_diod();
        let base = std::env::temp_dir().join(format!(
            "lintel-fs9p-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&base);
        let dir = base.join("export");
        let log = base.join("diod.log");
        let uid = current_uid();
        for _attempt in 0..5 {
            // A failed attempt's Drop removed the directories: make them anew.
            std::fs::create_dir_all(&dir).unwrap();
            // Pick a free port; diod binds it right after (a race with
            // another process is retried).
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let mut cmd = Command::new(&exe);
            // -f foreground, -n no auth, -N no user database (numeric ids),
            // -c /dev/null: no config file, -e the export, -l the listener.
            cmd.args(["-f", "-n", "-N", "-c", "/dev/null", "-L", "stderr", "-e"])
                .arg(&dir)
                .arg("-l")
                .arg(format!("127.0.0.1:{port}"));
            if uid != 0 {
                cmd.args(["-u", &uid.to_string()]);
            }
            let child = cmd
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).unwrap())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
            let mut d = Diod {
                child,
                dir: dir.clone(),
                port,
                log: log.clone(),
                uid,
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = d.child.try_wait() {
                    break;
                }
                if d.owns_listener() {
                    return d;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            eprintln!("diod did not come up on port {port}: {}", d.log_text());
        }
        panic!("diod failed to start 5 times; see above");
    }

    /// Whether the socket listening on our port is one of diod's own: a
    /// port picked by bind(0) can be picked by a parallel test too, and
    /// then only one diod gets it.
    fn owns_listener(&self) -> bool {
        let Ok(tcp) = std::fs::read_to_string("/proc/net/tcp") else {
            return false;
        };
        let want = format!("0100007F:{:04X}", self.port);
        let Some(inode) = tcp.lines().skip(1).find_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            (f.get(1) == Some(&want.as_str()) && f.get(3) == Some(&"0A"))
                .then(|| f.get(9).map(|s| s.to_string()))?
        }) else {
            return false;
        };
        let sock = format!("socket:[{inode}]");
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|fds| {
                fds.flatten()
                    .any(|e| std::fs::read_link(e.path()).is_ok_and(|l| l.to_str() == Some(&sock)))
            })
            .unwrap_or(false)
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Open file descriptors of the diod process: every open fid holds one.
    pub fn open_fds(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    pub fn config(&self) -> ClientConfig {
        ClientConfig {
            uname: if self.uid == 0 {
                "root".into()
            } else {
                format!("{}", self.uid)
            },
            aname: self.dir.to_str().unwrap().into(),
            n_uname: self.uid,
            ..ClientConfig::default()
        }
    }

    pub fn connect(&self) -> Client {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let t = Arc::new(TcpTransport::connect(stream));
        Client::new(t, self.config())
            .unwrap_or_else(|e| panic!("attach failed: {e:?}\n{}", self.log_text()))
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.join(rel)
    }

    pub fn root(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Diod {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(base) = self.dir.parent() {
            let _ = std::fs::remove_dir_all(base);
        }
    }
}
