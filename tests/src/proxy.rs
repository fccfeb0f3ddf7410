//! A TCP proxy between a kiosk and the server that breaks connections on purpose.
//!
//! Each accepted connection is forwarded to the server; the first `faults` connections are cut
//! after `cut_after` bytes in the chosen direction (request: the server sees half a batch;
//! response: the server stored the batch but the kiosk never hears it). Later connections pass
//! through untouched.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Which way the cut happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cut {
    /// Kiosk → server bytes.
    Request,
    /// Server → kiosk bytes.
    Response,
}

/// A running proxy.
#[derive(Debug)]
pub struct Proxy {
    /// `http://127.0.0.1:PORT` to give the kiosk.
    pub url: String,
    /// Connections cut so far.
    pub cut: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, limit: Option<usize>) -> bool {
    let mut buf = vec![0u8; 4096];
    let mut sent = 0usize;
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => {
                let _ = to.shutdown().await;
                return false;
            }
            Ok(n) => n,
        };
        let n = match limit {
            Some(l) if sent + n >= l => {
                let _ = to.write_all(&buf[..l - sent]).await;
                return true;
            }
            _ => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            return false;
        }
        sent += n;
    }
}

impl Proxy {
    /// Proxies to `target` (`host:port`), cutting the first `faults` connections.
    pub async fn start(target: String, cut: Cut, cut_after: usize, faults: usize) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        let counter = Arc::new(AtomicUsize::new(0));
        let cuts = Arc::new(AtomicUsize::new(0));
        let cuts2 = cuts.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let n = counter.fetch_add(1, Ordering::SeqCst);
                let target = target.clone();
                let cuts = cuts2.clone();
                tokio::spawn(async move {
                    let Ok(server) = TcpStream::connect(&target).await else { return };
                    let (cr, cw) = client.into_split();
                    let (sr, sw) = server.into_split();
                    let faulty = n < faults;
                    let (up, down) = match (faulty, cut) {
                        (true, Cut::Request) => (Some(cut_after), None),
                        (true, Cut::Response) => (None, Some(cut_after)),
                        _ => (None, None),
                    };
                    // Whichever direction is cut drops the whole connection (both halves).
                    tokio::select! {
                        c = pipe(cr, sw, up) => if c { cuts.fetch_add(1, Ordering::SeqCst); },
                        c = pipe(sr, cw, down) => if c { cuts.fetch_add(1, Ordering::SeqCst); },
                    }
                });
            }
        });
        Proxy { url, cut: cuts, task }
    }
}
