//! Group commit on one dedicated thread: many writers share one `flush`, and none is told
//! "saved" by a flush that began before its write finished.
//!
//! A writer writes, then queues a waiter. The flusher thread takes every waiter queued so
//! far, flushes once and answers them all. A waiter is queued only after its write, so the
//! flush that answers it started after the write: that is the whole durability argument.
//!
//! Async callers (the Slack handlers) await the answer without holding a thread, which is
//! what keeps a slash command off the blocking pool; blocking callers (console, scheduler,
//! backup) wait on a channel. Either way one fsync acknowledges a whole batch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// Under concurrent load the flusher waits this long before taking a batch, so that more
/// writers share the fsync — the idea of PostgreSQL's `commit_delay`. Each sled flush costs
/// far more CPU than its fsync (it wakes all seven of sled's I/O threads), so on a busy
/// small machine fewer, fuller flushes answer sooner overall: 500 µs took a wrk run from
/// about 4 to about 17 writes per fsync and from ~14k to ~17-20k check-ins/s (BENCHMARKS.md).
const COALESCE_WINDOW: Duration = Duration::from_micros(500);

/// Why writes could not be made durable. Every waiter of a failed batch gets the same error.
#[derive(Debug, Clone, thiserror::Error)]
pub enum FlushError {
    #[error("flush failed: {0}")]
    Failed(Arc<sled::Error>),
    #[error("the flusher thread has stopped")]
    Stopped,
}

type Outcome = Result<(), FlushError>;

enum Waiter {
    Async(tokio::sync::oneshot::Sender<Outcome>),
    Blocking(mpsc::SyncSender<Outcome>),
}

impl Waiter {
    fn answer(self, outcome: Outcome) {
        // A waiter that went away (its request was dropped) needs no answer; its write is
        // durable all the same.
        let _ = match self {
            Waiter::Async(tx) => tx.send(outcome).map_err(drop),
            Waiter::Blocking(tx) => tx.send(outcome).map_err(drop),
        };
    }
}

#[derive(Default)]
struct Queue {
    waiters: Vec<Waiter>,
    closing: bool,
}

#[derive(Default)]
struct Shared {
    queue: Mutex<Queue>,
    work: Condvar,
    flushes: AtomicU64,
    waits: AtomicU64,
}

/// How well writes are being batched: `waits / flushes` writers share each fsync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlushStats {
    /// Flushes run so far.
    pub flushes: u64,
    /// Durability waits answered so far.
    pub waits: u64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn enqueue(&self, waiter: Waiter) {
        let mut queue = self.lock();
        queue.waiters.push(waiter);
        if queue.waiters.len() == 1 {
            self.work.notify_one();
        }
    }
}

pub struct Flusher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl Flusher {
    /// Starts the flusher thread; `flush` makes every write issued before it durable.
    pub fn spawn(
        mut flush: impl FnMut() -> Result<(), sled::Error> + Send + 'static,
    ) -> std::io::Result<Self> {
        let shared = Arc::new(Shared::default());
        let thread = std::thread::Builder::new()
            .name("twohats-flush".into())
            .spawn({
                let shared = shared.clone();
                // Like `commit_siblings`: only wait when the last batch had company, so a lone
                // writer (the console, a quiet team) never waits for nobody.
                let mut last_batch = 0;
                move || loop {
                    let batch = {
                        let mut queue = shared.lock();
                        while queue.waiters.is_empty() && !queue.closing {
                            queue = shared
                                .work
                                .wait(queue)
                                .unwrap_or_else(PoisonError::into_inner);
                        }
                        if queue.waiters.is_empty() {
                            return;
                        }
                        if last_batch > 1 && !queue.closing {
                            drop(queue);
                            std::thread::sleep(COALESCE_WINDOW);
                            queue = shared.lock();
                        }
                        last_batch = queue.waiters.len();
                        std::mem::take(&mut queue.waiters)
                    };
                    let outcome = flush().map_err(|e| FlushError::Failed(Arc::new(e)));
                    shared.flushes.fetch_add(1, Ordering::Relaxed);
                    shared
                        .waits
                        .fetch_add(batch.len() as u64, Ordering::Relaxed);
                    for waiter in batch {
                        waiter.answer(outcome.clone());
                    }
                }
            })?;
        Ok(Self {
            shared,
            thread: Some(thread),
        })
    }

    pub fn stats(&self) -> FlushStats {
        FlushStats {
            flushes: self.shared.flushes.load(Ordering::Relaxed),
            waits: self.shared.waits.load(Ordering::Relaxed),
        }
    }

    /// Blocks until every write made before the call is durable.
    pub fn wait(&self) -> Outcome {
        let (tx, rx) = mpsc::sync_channel(1);
        self.shared.enqueue(Waiter::Blocking(tx));
        rx.recv().unwrap_or(Err(FlushError::Stopped))
    }

    /// Resolves once every write made before the call is durable, without holding a thread.
    pub fn wait_async(&self) -> impl std::future::Future<Output = Outcome> + Send + 'static {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.shared.enqueue(Waiter::Async(tx));
        async move { rx.await.unwrap_or(Err(FlushError::Stopped)) }
    }
}

impl Drop for Flusher {
    /// Answers everyone still queued, then joins the thread, so that whatever the flush
    /// closure holds (the database) is released when the store is.
    fn drop(&mut self) {
        self.shared.lock().closing = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn counting(delay: Duration) -> (Flusher, Arc<AtomicUsize>) {
        let flushes = Arc::new(AtomicUsize::new(0));
        let counter = flushes.clone();
        let flusher = Flusher::spawn(move || {
            counter.fetch_add(1, Ordering::SeqCst);
            std::thread::sleep(delay);
            Ok(())
        })
        .unwrap();
        (flusher, flushes)
    }

    #[test]
    fn concurrent_waiters_share_flushes() {
        let (flusher, flushes) = counting(Duration::from_micros(200));
        let flusher = Arc::new(flusher);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let flusher = flusher.clone();
                std::thread::spawn(move || {
                    for _ in 0..50 {
                        flusher.wait().unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!(n < 400, "400 waits took {n} flushes: nothing was shared");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn async_waiters_share_flushes_and_each_is_answered() {
        let (flusher, flushes) = counting(Duration::from_micros(200));
        let flusher = Arc::new(flusher);
        let tasks: Vec<_> = (0..200)
            .map(|_| tokio::spawn(flusher.wait_async()))
            .collect();
        for task in tasks {
            task.await.unwrap().unwrap();
        }
        let n = flushes.load(Ordering::SeqCst);
        assert!(n < 200, "200 async waits took {n} flushes");
        let stats = flusher.stats();
        assert_eq!((stats.flushes, stats.waits), (n as u64, 200));
    }

    #[test]
    fn a_wait_is_answered_by_a_flush_that_starts_after_it() {
        // The flush records how many waits had been queued when it began; every wait must
        // return only after a flush that began after it was queued.
        let queued = Arc::new(AtomicUsize::new(0));
        let covered = Arc::new(AtomicUsize::new(0));
        let flusher = {
            let (queued, covered) = (queued.clone(), covered.clone());
            Flusher::spawn(move || {
                let seen = queued.load(Ordering::SeqCst);
                std::thread::sleep(Duration::from_micros(100));
                covered.store(seen, Ordering::SeqCst);
                Ok(())
            })
            .unwrap()
        };
        for i in 1..=20 {
            queued.store(i, Ordering::SeqCst);
            flusher.wait().unwrap();
            assert!(
                covered.load(Ordering::SeqCst) >= i,
                "wait {i} answered early"
            );
        }
    }

    #[test]
    fn a_failed_flush_fails_its_batch_and_the_next_wait_flushes_again() {
        let calls = Arc::new(AtomicUsize::new(0));
        let counter = calls.clone();
        let flusher = Flusher::spawn(move || {
            if counter.fetch_add(1, Ordering::SeqCst) == 0 {
                Err(sled::Error::Unsupported("disk full".into()))
            } else {
                Ok(())
            }
        })
        .unwrap();
        let err = flusher.wait().unwrap_err();
        assert!(err.to_string().contains("disk full"), "{err}");
        flusher.wait().unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn dropping_the_flusher_releases_what_the_flush_holds() {
        let held = Arc::new(());
        let inside = held.clone();
        let flusher = Flusher::spawn(move || {
            let _ = &inside;
            Ok(())
        })
        .unwrap();
        flusher.wait().unwrap();
        drop(flusher);
        assert_eq!(
            Arc::strong_count(&held),
            1,
            "the flush closure outlived the flusher"
        );
    }
}
