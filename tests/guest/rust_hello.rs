//! rust_hello: a Rust std program, linked as a glibc static-pie. Exercises
//! std's start-up (args, env, TLS via thread_local!, the allocator, HashMap's
//! random keys via getrandom), printing only deterministic text.

use std::cell::Cell;
use std::collections::HashMap;

thread_local! {
    static COUNTER: Cell<u64> = const { Cell::new(7) };
}

fn bump() -> u64 {
    COUNTER.with(|c| {
        c.set(c.get() * 3 + 1);
        c.get()
    })
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    println!("rust: argc={}", args.len());
    for (i, a) in args.iter().enumerate() {
        println!("rust: argv[{i}]={a:?}");
    }
    match std::env::var("FOO") {
        Ok(v) => println!("rust: FOO={v:?}"),
        Err(e) => println!("rust: FOO unset ({e})"),
    }
    println!("rust: MISSING set: {}", std::env::var_os("MISSING").is_some());

    let squares: Vec<u64> = (1..=1000u64).map(|x| x * x).collect();
    println!("rust: sum of squares 1..=1000 = {}", squares.iter().sum::<u64>());

    let text = "the quick brown fox jumps over the lazy dog the fox";
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in text.split_whitespace() {
        *counts.entry(w).or_default() += 1;
    }
    let mut sorted: Vec<_> = counts.into_iter().collect();
    sorted.sort();
    let line: Vec<String> = sorted.iter().map(|(w, n)| format!("{w}:{n}")).collect();
    println!("rust: words {}", line.join(" "));

    let a = bump();
    let b = bump();
    println!("rust: thread_local {a} {b}");

    let big: Vec<u8> = (0..(8u32 << 20)).map(|i| (i % 253) as u8).collect();
    let sum: u64 = big.iter().map(|&b| u64::from(b)).sum();
    println!("rust: 8 MiB vec sum = {sum}");

    // No panic/catch_unwind here yet: glibc's unwinder registers its frames
    // through pthread_once, whose unconditional FUTEX_WAKE aborts the program
    // when futex returns ENOSYS.

    println!("rust: done");
}
