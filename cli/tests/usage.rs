//! The `lintel` binary's own command line (no kernel needed).

use std::process::Command;

fn lintel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_lintel"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn help_goes_to_stdout() {
    for args in [&["--help"][..], &["help"], &[], &["run", "--help"]] {
        let out = lintel(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("lintel run [OPTIONS] [--] PROGRAM [ARGS...]"),
            "{text}"
        );
        for flag in [
            "--root DIR",
            "--fs 9p|virtiofs|initrd",
            "--share-virtiofs DIR:TAG:/guest/path",
            "--virtiofsd auto|rust|c",
            "--cache none|auto|always",
            "--tag TAG",
            "--rootflags OPTS",
            "--share DIR:TAG:/guest/path",
            "--security-model M",
            "--virtio transitional|modern|legacy",
            "--machine pc|q35",
            "-p, --publish [tcp:|udp:][ADDR:]HOST:GUEST[/tcp|/udp]",
            "--net none|user|tap:IFNAME",
            "--ip ADDR/PREFIX",
            "--gw ADDR",
            "lintel workloads [--out DIR] [--rebuild]",
            "lintel demo [nginx [--port N]]",
        ] {
            assert!(text.contains(flag), "{flag}: {text}");
        }
    }
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["bogus"][..],
        &["run"],
        &["run", "--accel", "hvf", "x"],
        &["run", "-e", "NOEQUALS", "x"],
        &["run", "--root"],
        &["run", "--fs", "ext4", "x"],
        &["run", "--share", "dir", "x"],
        &["run", "--virtio", "mmio", "x"],
        &["run", "--machine", "virt", "x"],
        &["run", "--security-model", "mapped", "x"],
        &["run", "--virtiofsd", "rust", "x"],
        &["run", "--share-virtiofs", "d:t:/m", "--cache", "loose", "x"],
        &["run", "-p", "80", "x"],
        &["run", "--net", "none", "-p", "8080:80", "x"],
        &["run", "--ip", "10.0.2.15/24", "x"],
        &["workloads", "--bogus"],
        &["demo", "redis"],
    ] {
        let out = lintel(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).starts_with("lintel: "),
            "{args:?}"
        );
        assert!(out.stdout.is_empty());
    }
}
