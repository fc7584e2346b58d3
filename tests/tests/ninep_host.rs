//! Host and guest share a directory over virtio-9p (the 9p root of
//! `lintel run --root`): what the host wrote, the guest reads; what the
//! guest wrote is on the host, byte for byte, once QEMU is gone; a large
//! file makes the round trip; and `..` never leads out of the share.
//!
//! The checks live in `lintel_tests::shared_dir`, shared with
//! `virtiofs_host.rs` (the same over virtio-fs); the guest programs are in
//! `tests/guest/ninep/`.

use lintel::tempdir::TempDir;
use lintel::Share;
use lintel_tests::shared_dir::{
    dot_dot_stays_inside, guest_reads_host_files, guest_writes_into_a_share,
    host_reads_guest_files, large_file_round_trip,
};
use lintel_tests::RootConfig;

/// (1) Files the host wrote, of assorted sizes and names, read by the guest
/// twice (read and backwards pread): the same SHA-256 and size as on the host.
#[test]
fn the_guest_reads_what_the_host_wrote() {
    guest_reads_host_files(&RootConfig::default());
}

/// (2) The guest writes files in several ways (several MiB among them),
/// fsyncs and exits; afterwards the host finds exactly those bytes.
#[test]
fn the_host_reads_what_the_guest_wrote() {
    host_reads_guest_files(&RootConfig::default());
}

/// The same through an extra share (`--share DIR:data:/mnt/data`) next to
/// the root.
#[test]
fn an_extra_share_is_written_where_it_is_mounted() {
    let data = TempDir::new().unwrap();
    let config = RootConfig {
        shares: vec![Share {
            dir: data.path().to_owned(),
            tag: "data".into(),
            at: "/mnt/data".into(),
        }],
        ..Default::default()
    };
    guest_writes_into_a_share(&config, data.path());
}

/// (3) A 256 MiB file written in 1 MiB writes, fsynced, read back and
/// checked in the guest; its checksum on the host agrees. (Under TCG here:
/// about 9 s in all, the guest reading at about 35 MB/s.)
#[test]
fn a_large_file_makes_the_round_trip() {
    large_file_round_trip(&RootConfig::default(), 256);
}

/// (4) `..` at the root, across mount points, through host symlinks and
/// relative to a directory descriptor all stay inside the share, which has
/// no etc/passwd (the host has one).
#[test]
fn dot_dot_stays_inside_the_share() {
    dot_dot_stays_inside(&RootConfig::default());
}
