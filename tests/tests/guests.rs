//! The guest programs build with the host toolchains (musl-gcc, gcc, rustc)
//! into the intended kind of binary and run natively. No QEMU: when this fails,
//! the problem is the toolchain, not the kernel.

use lintel_tests::{guest, inspect_elf, run_native, rust_guest, Link};

const C_GUESTS: &[&str] = &[
    "hello",
    "exit42",
    "malloc64",
    "nullderef",
    "badptr",
    "streams",
];

#[test]
fn c_guests_build_static_and_static_pie() {
    for &name in C_GUESTS {
        let s = inspect_elf(&guest(name, Link::Static)).unwrap();
        assert!(s.is_static(), "{name} (static): {s:?}");
        let p = inspect_elf(&guest(name, Link::StaticPie)).unwrap();
        assert!(
            p.is_static_pie() && p.has_dynamic,
            "{name} (static-pie): {p:?}"
        );
    }
}

#[test]
fn rust_guest_is_a_glibc_static_pie() {
    let info = inspect_elf(&rust_guest()).unwrap();
    assert!(info.is_static_pie(), "rust_hello: {info:?}");
}

#[test]
fn hello_static_pie_runs_natively() {
    let (out, err, status) = run_native(&guest("hello", Link::StaticPie), &["hi", "x y"], &["A=b"]);
    let out = String::from_utf8_lossy(&out);
    assert!(
        status.success(),
        "{status:?}\n{out}\n{}",
        String::from_utf8_lossy(&err)
    );
    for line in [
        "argv[0]=\"hi\"\n",
        "argv[1]=\"x y\"\n",
        "env[0]=\"A=b\"\n",
        "envc=1\n",
        "auxv: e_type=ET_DYN\n",
    ] {
        assert!(out.contains(line), "missing {line:?} in:\n{out}");
    }
    assert!(!out.contains(": no"), "a check failed natively:\n{out}");
}
