//! How a change that may unblock a waiting thread (data in a pipe, a
//! futex wake, a signal, a child's exit) reaches the scheduler: one hook the
//! kernel registers at boot. Waiters re-check their own condition when
//! woken, so a spurious wake costs a check, never correctness.

static HOOK: spin::Once<fn()> = spin::Once::new();

/// Registers the scheduler's wake-up (once, at boot).
pub fn set_waker(f: fn()) {
    HOOK.call_once(|| f);
}

/// Tells the scheduler that blocked threads should look again.
pub fn wake_waiters() {
    if let Some(f) = HOOK.get() {
        f();
    }
}
