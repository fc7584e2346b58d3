//! Host and guest share a directory over virtio-fs (`lintel run --root DIR
//! --fs virtiofs`, and `--share-virtiofs`), the virtiofsd started and
//! stopped by `lintel`: what the host wrote, the guest reads; what the guest
//! wrote and fsynced is on the host, byte for byte, once QEMU and the daemon
//! are gone; a 64 MiB file makes the round trip; `..` never leads out of
//! the share. (That no daemon, socket or pid file outlives a run is checked
//! through the `lintel` binary in `cli/tests/virtiofs_cli.rs`.)
//!
//! The checks are `lintel_tests::shared_dir`'s, the ones `ninep_host.rs`
//! runs over virtio-9p. The Rust virtiofsd (`cache=auto`) serves by
//! default; the writes are also checked with QEMU's C virtiofsd and with
//! `cache=none`.

use lintel::tempdir::TempDir;
use lintel::{Outcome, RootFs, Share, VirtiofsCache, VirtiofsdChoice};
use lintel_tests::shared_dir::{
    dot_dot_stays_inside, guest_reads_host_files, guest_writes_into_a_share,
    host_reads_guest_files, large_file_round_trip,
};
use lintel_tests::{run_lintel_root_with, RootConfig};

fn rust(cache: VirtiofsCache) -> RootConfig {
    RootConfig::virtiofs(VirtiofsdChoice::Rust, cache)
}

#[test]
fn the_guest_reads_what_the_host_wrote() {
    guest_reads_host_files(&rust(VirtiofsCache::Auto));
}

#[test]
fn the_host_reads_what_the_guest_wrote() {
    host_reads_guest_files(&rust(VirtiofsCache::Auto));
}

#[test]
fn the_host_reads_what_the_guest_wrote_with_the_c_virtiofsd() {
    host_reads_guest_files(&RootConfig::virtiofs(
        VirtiofsdChoice::C,
        VirtiofsCache::Auto,
    ));
}

#[test]
fn the_host_reads_what_the_guest_wrote_uncached() {
    host_reads_guest_files(&rust(VirtiofsCache::None));
}

/// A virtio-fs share (`--share-virtiofs DIR:data:/mnt/data`) next to a 9p
/// root: its own device and daemon, `mount=virtiofs:data:/mnt/data`.
#[test]
fn a_virtio_fs_share_is_written_where_it_is_mounted() {
    let data = TempDir::new().unwrap();
    let config = RootConfig {
        virtiofs_shares: vec![Share {
            dir: data.path().to_owned(),
            tag: "data".into(),
            at: "/mnt/data".into(),
        }],
        virtiofsd: VirtiofsdChoice::Rust,
        ..Default::default()
    };
    guest_writes_into_a_share(&config, data.path());
}

/// 64 MiB written in 1 MiB writes, fsynced, read back and checked in the
/// guest; its checksum on the host agrees.
#[test]
fn a_large_file_makes_the_round_trip() {
    large_file_round_trip(&rust(VirtiofsCache::Auto), 64);
}

#[test]
fn dot_dot_stays_inside_the_share() {
    dot_dot_stays_inside(&rust(VirtiofsCache::Auto));
}

/// The kernel sees a virtio-fs device, not a 9p one, and mounts it as `/`.
#[test]
fn the_root_is_the_virtio_fs_device() {
    let root = lintel_tests::shared_dir::root_with(&["readsum"]);
    let config = rust(VirtiofsCache::Auto);
    assert_eq!(config.fs, RootFs::VirtioFs);
    let r = run_lintel_root_with(root.path(), "/bin/readsum", &["readsum"], &[], &config);
    assert_eq!(r.outcome, Outcome::Exited(0));
    let log = String::from_utf8_lossy(&r.log);
    assert!(log.contains("virtio-fs at "), "{log}");
    assert!(!log.contains("virtio-9p at "), "{log}");
}
