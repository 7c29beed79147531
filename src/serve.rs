//! The read-only HTTP server behind `kickoff dashboard --serve`.
//!
//! HTTP is hyper's job (a well-kept server that parses requests the way
//! browsers and proxies expect), on a tokio runtime in a thread of its own:
//! every connection is a task, so one client that stalls, or sends a byte
//! every few seconds, holds only its own connection. Each connection is
//! bounded: the request head must arrive within [`Limits::head_timeout`] and
//! fit in [`Limits::max_head`] bytes (a longer request line is refused by
//! hyper, never buffered), the whole exchange ends after
//! [`Limits::connection_timeout`], one request per connection, and at most
//! [`Limits::max_connections`] are open at once (more are closed unanswered).
//!
//! The pages are rebuilt on the calling thread, which owns the repository:
//! a request that finds the page older than the refresh period asks that
//! thread for a new one and waits for it (bounded too), while the others keep
//! being served the page they find.

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::{Method, Request, Response, StatusCode};
use std::net::TcpListener;
use std::sync::{Arc, RwLock, mpsc};
use std::time::{Duration, Instant};

/// What is served: the page and its JSON.
#[derive(Debug, Clone)]
pub struct Page {
    pub html: String,
    pub json: String,
}

/// The bounds every connection lives within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// The request line and headers, in bytes (hyper's read buffer; at least 8 KiB).
    pub max_head: usize,
    /// Time for the whole request head to arrive.
    pub head_timeout: Duration,
    /// Time for the whole exchange, answer included.
    pub connection_timeout: Duration,
    pub max_connections: usize,
    /// How long a request waits for a fresh page before it gets the last one.
    pub rebuild_wait: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 16 * 1024,
            head_timeout: Duration::from_secs(5),
            connection_timeout: Duration::from_secs(30),
            max_connections: 256,
            rebuild_wait: Duration::from_secs(20),
        }
    }
}

struct Shared {
    page: RwLock<(Arc<Page>, Instant)>,
    refresh: Duration,
    limits: Limits,
    rebuild: std::sync::Mutex<mpsc::Sender<tokio::sync::oneshot::Sender<()>>>,
}

/// Serve `first` on `listener` until the process ends. When a request finds
/// the page older than `refresh`, `rebuild` is called here (on this thread)
/// for a new one; `None` keeps the old page.
pub fn serve(
    listener: TcpListener,
    first: Page,
    refresh: Duration,
    limits: Limits,
    mut rebuild: impl FnMut() -> Option<Page>,
) -> std::io::Result<()> {
    listener.set_nonblocking(true)?;
    let (tx, rx) = mpsc::channel::<tokio::sync::oneshot::Sender<()>>();
    let shared = Arc::new(Shared {
        page: RwLock::new((Arc::new(first), Instant::now())),
        refresh,
        limits,
        rebuild: std::sync::Mutex::new(tx),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .enable_time()
        .build()?;
    let server = shared.clone();
    let http = std::thread::Builder::new()
        .name("dashboard-http".into())
        .spawn(move || runtime.block_on(accept(listener, server)))?;
    loop {
        let reply = match rx.recv_timeout(Duration::from_millis(500)) {
            Ok(reply) => reply,
            Err(mpsc::RecvTimeoutError::Timeout) if !http.is_finished() => continue,
            Err(_) => break,
        };
        let stale = shared.page.read().expect("not poisoned").1.elapsed() >= refresh;
        if stale {
            if let Some(page) = rebuild() {
                *shared.page.write().expect("not poisoned") = (Arc::new(page), Instant::now());
            } else {
                // Keep the last page, and do not retry on every request.
                shared.page.write().expect("not poisoned").1 = Instant::now();
            }
        }
        let _ = reply.send(());
    }
    match http.join() {
        Ok(result) => result,
        Err(_) => Err(std::io::Error::other("the HTTP thread panicked")),
    }
}

async fn accept(listener: TcpListener, shared: Arc<Shared>) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::from_std(listener)?;
    let slots = Arc::new(tokio::sync::Semaphore::new(shared.limits.max_connections));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors and the like: pause, then go on.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            drop(stream);
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let limits = shared.limits;
            let service = hyper::service::service_fn(move |req| answer(req, shared.clone()));
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(limits.head_timeout)
                .max_buf_size(limits.max_head.max(8192))
                .keep_alive(false)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(limits.connection_timeout, conn).await;
            drop(permit);
        });
    }
}

/// The page as it is now, after asking for a fresh one if it is stale.
async fn current(shared: &Shared) -> Arc<Page> {
    let stale = shared.page.read().expect("not poisoned").1.elapsed() >= shared.refresh;
    if stale {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let sent = shared
            .rebuild
            .lock()
            .expect("not poisoned")
            .send(tx)
            .is_ok();
        if sent {
            let _ = tokio::time::timeout(shared.limits.rebuild_wait, rx).await;
        }
    }
    shared.page.read().expect("not poisoned").0.clone()
}

async fn answer(
    req: Request<hyper::body::Incoming>,
    shared: Arc<Shared>,
) -> Result<Response<Full<Bytes>>, std::convert::Infallible> {
    let reply = |status: StatusCode, kind: &str, body: String| {
        Response::builder()
            .status(status)
            .header("content-type", kind)
            .header("cache-control", "no-store")
            .header("x-content-type-options", "nosniff")
            .body(Full::new(Bytes::from(body)))
            .expect("a valid response")
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let mut r = reply(
            StatusCode::METHOD_NOT_ALLOWED,
            "text/plain; charset=utf-8",
            "method not allowed\n".into(),
        );
        r.headers_mut().insert(
            "allow",
            hyper::header::HeaderValue::from_static("GET, HEAD"),
        );
        return Ok(r);
    }
    Ok(match req.uri().path() {
        "/" | "/index.html" => {
            let page = current(&shared).await;
            reply(
                StatusCode::OK,
                "text/html; charset=utf-8",
                page.html.clone(),
            )
        }
        "/data.json" => {
            let page = current(&shared).await;
            reply(StatusCode::OK, "application/json", page.json.clone())
        }
        _ => reply(
            StatusCode::NOT_FOUND,
            "text/plain; charset=utf-8",
            "not found\n".into(),
        ),
    })
}
