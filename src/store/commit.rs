//! Group commit: many writers share one `flush`, and none is told "saved" before a flush
//! that began after its write has finished.
//!
//! Each caller takes a ticket after writing. Whoever finds no flush running flushes for
//! every ticket issued so far; the others wait for a flush that covers their ticket. Under
//! load one fsync acknowledges a whole batch, which is what makes durable writes cheap.

use std::sync::{Condvar, Mutex, PoisonError};

#[derive(Default)]
pub struct GroupCommit {
    state: Mutex<State>,
    flushed: Condvar,
}

#[derive(Default)]
struct State {
    /// Tickets issued: the number of durability requests so far.
    issued: u64,
    /// Every ticket up to this one is durable.
    durable: u64,
    flushing: bool,
}

impl GroupCommit {
    /// Returns once everything written before the call is durable, running `flush` at most
    /// once on this thread (and possibly not at all, when another thread's flush covers it).
    pub fn commit<E>(&self, flush: impl Fn() -> Result<(), E>) -> Result<(), E> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self
                    .flushed
                    .wait(state)
                    .unwrap_or_else(PoisonError::into_inner);
                continue;
            }
            state.flushing = true;
            let covers = state.issued;
            drop(state);
            let result = flush();
            state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            state.flushing = false;
            if result.is_ok() {
                state.durable = state.durable.max(covers);
            }
            self.flushed.notify_all();
            // A failed flush is reported to the caller that ran it; waiters retry their own.
            result?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn concurrent_commits_share_flushes() {
        let gc = Arc::new(GroupCommit::default());
        let flushes = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let (gc, flushes) = (gc.clone(), flushes.clone());
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        gc.commit(|| {
                            flushes.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_micros(200));
                            Ok::<(), ()>(())
                        })
                        .unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!(n < 400, "400 commits took {n} flushes: nothing was shared");
    }

    #[test]
    fn a_failed_flush_is_reported_and_the_next_commit_flushes_again() {
        let gc = GroupCommit::default();
        assert_eq!(gc.commit(|| Err("disk full")), Err("disk full"));
        let ran = AtomicUsize::new(0);
        gc.commit(|| {
            ran.fetch_add(1, Ordering::SeqCst);
            Ok::<(), &str>(())
        })
        .unwrap();
        assert_eq!(ran.load(Ordering::SeqCst), 1);
    }
}
