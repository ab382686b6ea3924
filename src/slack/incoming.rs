//! Incoming HTTP connections, bounded in time and in number.
//!
//! `axum::serve` keeps a connection open as long as the client likes: an idle one, one that
//! sends half its headers, one whose body stops short of its `Content-Length`. Enough of
//! those exhaust the process's file descriptors and `/healthz` stops answering. So `serve`
//! runs its own accept loop (hyper, HTTP/1.1 — what Slack and reverse proxies speak):
//!
//! - reading a request's headers, or waiting idle for the next request on a kept-alive
//!   connection, may take at most [`Limits::timeout`] (hyper's header-read timer, which runs
//!   from the moment the connection waits for a request);
//! - the rest of a request — reading its body and answering — may take at most the same
//!   again: then it gets 408 and the connection is closed, unread body and all;
//! - at most [`Limits::max_connections`] are open at once; while all are taken, the next
//!   waits in the kernel's accept queue, costing no file descriptor, until one closes.
//!
//! Stopping: accept no more, let every connection finish its request in hand (idle ones close
//! at once), then return.

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};

/// Open connections, at most. Slack sends a few requests at a time and a reverse proxy pools
/// a few dozen connections, so this is far above real traffic, and far below the systemd
/// unit's `LimitNOFILE` (65536). Where the process may open fewer files it is lowered to
/// half of that limit ([`connection_cap`]), leaving the rest to the store and to Slack.
pub const MAX_CONNECTIONS: usize = 1024;

/// The cap never goes below this, whatever the file limit says.
const MIN_CONNECTIONS: usize = 16;

/// How long to wait before accepting again after `accept` failed (e.g. out of file
/// descriptors), and how often such a failure is logged at most.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);
const ACCEPT_WARN_EVERY: Duration = Duration::from_secs(10);

/// What incoming connections may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// For a request's headers (or idle between requests), and again for the rest of it.
    pub timeout: Duration,
    pub max_connections: usize,
}

impl Limits {
    /// `timeout` for each phase of a request; the connection cap from this process's limit
    /// on open files.
    pub fn new(timeout: Duration) -> Self {
        let limits = std::fs::read_to_string("/proc/self/limits").ok();
        Self {
            timeout,
            max_connections: connection_cap(limits.as_deref().and_then(soft_nofile)),
        }
    }
}

/// [`MAX_CONNECTIONS`], or half of the soft limit on open files when that is lower.
pub fn connection_cap(soft_nofile: Option<u64>) -> usize {
    let half = soft_nofile.map_or(u64::MAX, |n| n / 2);
    usize::try_from(half)
        .unwrap_or(usize::MAX)
        .clamp(MIN_CONNECTIONS, MAX_CONNECTIONS)
}

/// The soft "Max open files" of a `/proc/<pid>/limits` text; `None` when unlimited or absent.
pub fn soft_nofile(limits: &str) -> Option<u64> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// Serves `router` on `listener` within `limits` until `stop` turns true, then waits for
/// the open connections to finish.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let router = router.layer(axum::middleware::from_fn_with_state(
        limits.timeout,
        request_deadline,
    ));
    let mut builder = Builder::new(TokioExecutor::new()).http1_only();
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.timeout);
    let builder = Arc::new(builder);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let mut last_warned: Option<tokio::time::Instant> = None;
    loop {
        // A free slot first: while every slot is taken, new connections wait in the kernel's
        // accept queue instead of holding a file descriptor each.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => break, // never closed; nothing left to serve if it were
            },
            () = stopped(&mut stop) => break,
        };
        let tcp = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(e) => {
                    if last_warned.is_none_or(|at| at.elapsed() >= ACCEPT_WARN_EVERY) {
                        tracing::warn!(error = %e, "could not accept a connection; retrying");
                        last_warned = Some(tokio::time::Instant::now());
                    }
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            },
            () = stopped(&mut stop) => break,
        };
        // Small answers go out at once rather than waiting for more to send.
        let _ = tcp.set_nodelay(true);
        tokio::spawn(connection(
            builder.clone(),
            tcp,
            router.clone(),
            stop.clone(),
            slot,
        ));
    }
    // Accept no more: new connection attempts are refused from here on.
    drop(listener);
    // Every connection holds a slot until it closes: having them all back means all closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// Resolves once `stop` is true (or its sender is gone).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    // `wait_for`'s guard holds a lock: drop it here, never across another await.
    let _ = stop.wait_for(|s| *s).await.map(drop);
}

/// Serves one connection; on stop, finishes the request in hand (an idle connection closes
/// at once). The slot is given back when this returns.
async fn connection(
    builder: Arc<Builder<TokioExecutor>>,
    tcp: TcpStream,
    router: Router,
    mut stop: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
) {
    let conn = builder.serve_connection(TokioIo::new(tcp), TowerToHyperService::new(router));
    let mut conn = std::pin::pin!(conn);
    let ended = tokio::select! {
        ended = conn.as_mut() => ended,
        () = stopped(&mut stop) => {
            conn.as_mut().graceful_shutdown();
            conn.await
        }
    };
    // Timeouts and clients hanging up end up here; nothing to do but note it.
    if let Err(e) = ended {
        tracing::debug!(error = %e, "connection closed");
    }
}

/// The rest of a request after its headers — reading the body, running the handler — within
/// `timeout`, else 408 and the connection closes (whatever of the body is unread stays so).
async fn request_deadline(
    State(timeout): State<Duration>,
    request: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            tracing::warn!(
                timeout_ms = timeout.as_millis() as u64,
                "a request took too long to arrive or to answer; closed"
            );
            (
                StatusCode::REQUEST_TIMEOUT,
                [(header::CONNECTION, "close")],
                "request timed out",
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_is_half_the_file_limit_within_bounds() {
        assert_eq!(connection_cap(None), MAX_CONNECTIONS, "unlimited");
        assert_eq!(connection_cap(Some(65_536)), MAX_CONNECTIONS);
        assert_eq!(connection_cap(Some(1024)), 512, "Docker's usual soft limit");
        assert_eq!(connection_cap(Some(256)), 128);
        assert_eq!(connection_cap(Some(10)), MIN_CONNECTIONS);
    }

    #[test]
    fn reads_the_soft_limit_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
                    Max processes             63432                63432                processes \n\
                    Max open files            1024                 524288               files     \n";
        assert_eq!(soft_nofile(text), Some(1024));
        let unlimited =
            "Max open files            unlimited            unlimited            files\n";
        assert_eq!(soft_nofile(unlimited), None);
        assert_eq!(soft_nofile(""), None);
    }
}
