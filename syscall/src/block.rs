//! Blocking inside a system call: the thread sleeps until its condition
//! holds, its deadline passes, or a signal it must handle arrives.

use crate::signal::Interrupt;
use crate::{Cx, Errno};

impl Cx<'_> {
    /// Ok(true) when `ready` held, Ok(false) at the deadline, and
    /// Err(ERESTARTSYS) when a signal interrupted the wait (the delivery
    /// code turns that into EINTR or a restart, as SA_RESTART says).
    pub fn wait(
        &mut self,
        ready: &mut dyn FnMut() -> bool,
        deadline: Option<u64>,
    ) -> Result<bool, Errno> {
        let intr = Interrupt::of(self.p);
        let mut interrupted = false;
        let done = self.k.wait_until(
            &mut || {
                if ready() {
                    return true;
                }
                interrupted = intr.pending();
                interrupted
            },
            deadline,
        );
        if interrupted {
            Err(Errno::ERESTARTSYS)
        } else {
            Ok(done)
        }
    }
}
