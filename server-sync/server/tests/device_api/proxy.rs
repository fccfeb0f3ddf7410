//! A TCP proxy that cuts each connection after a set number of bytes in one direction, and the
//! scenario that uploads through it.

use crate::harness::{Server, photo, start};
use hadir_client::{MemoryOutbox, Uploader};
use hadir_protocol::Mode;
use hadir_server::storage::Store;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where the next connections are cut.
#[derive(Debug, Default)]
pub struct Cut {
    /// Bytes allowed client → server (0: unlimited).
    pub up: AtomicUsize,
    /// Bytes allowed server → client (0: unlimited).
    pub down: AtomicUsize,
    /// Connections actually cut.
    pub cuts: AtomicU64,
}

pub async fn proxy(upstream: SocketAddr, cut: Arc<Cut>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let cut = Arc::clone(&cut);
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(upstream).await else { return };
                let (up, down) = (cut.up.load(Ordering::SeqCst), cut.down.load(Ordering::SeqCst));
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let a = tokio::spawn(pipe(cr, sw, up));
                let b = tokio::spawn(pipe(sr, cw, down));
                // When either direction is cut (or ends), drop both: the connection is gone.
                let cut_happened = tokio::select! {
                    r = a => r.unwrap_or(false),
                    r = b => r.unwrap_or(false),
                };
                if cut_happened {
                    cut.cuts.fetch_add(1, Ordering::SeqCst);
                }
            });
        }
    });
    addr
}

/// Copies until EOF or until `limit` bytes (0: no limit); returns whether it cut.
async fn pipe(mut from: tokio::net::tcp::OwnedReadHalf, mut to: tokio::net::tcp::OwnedWriteHalf, limit: usize) -> bool {
    let mut sent = 0usize;
    let mut buf = vec![0u8; 4096];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => n,
        };
        let allowed = if limit == 0 { n } else { n.min(limit - sent) };
        if to.write_all(&buf[..allowed]).await.is_err() {
            return false;
        }
        sent += allowed;
        if limit != 0 && sent >= limit {
            return true;
        }
    }
}

/// 100 uploads cut at different points of the request and of the answer; afterwards every
/// record is on the server exactly once and acknowledged on the device exactly once.
pub async fn cut_connections_leave_exactly_one_copy(store: Store, attempts: usize) {
    let server: Server = start(store).await;
    let mut dev = server.enrol("KIOSK-CUT", "S1", Mode::Office).await;
    let cut = Arc::new(Cut::default());
    let proxy_addr = proxy(server.addr, Arc::clone(&cut)).await;
    let mut cfg = server.client_config(&format!("http://{proxy_addr}"));
    cfg.batch_size = 10;
    let uploader = Uploader::new(cfg, "KIOSK-CUT", dev.chain.key.clone()).expect("uploader");
    let mut outbox = MemoryOutbox::default();
    let mut made = Vec::new();
    let mut failures = 0;
    for i in 0..attempts {
        for _ in 0..3 {
            let r = dev.chain.next();
            let seq = r.body.seq;
            made.push(r.clone());
            outbox.push(r, Some(photo("KIOSK-CUT", seq)));
        }
        // A batch of 10 records is about 12 KB up and 1.5 KB down: spread the cuts over both,
        // so some requests never arrive and some answers are lost after the server committed.
        let k = (i * 7919) % 1000;
        if i % 2 == 0 {
            cut.up.store(1 + k * 13, Ordering::SeqCst);
            cut.down.store(0, Ordering::SeqCst);
        } else {
            cut.up.store(0, Ordering::SeqCst);
            cut.down.store(1 + k * 2, Ordering::SeqCst);
        }
        if uploader.upload_batch(&mut outbox).await.is_err() {
            failures += 1;
        }
    }
    assert!(failures >= attempts / 4, "the proxy should have cut many attempts ({failures} of {attempts})");
    // (The proxy counts its cuts a moment after the client sees them, so only check it cut.)
    assert!(cut.cuts.load(Ordering::SeqCst) > 0);
    // The network heals: everything goes through.
    cut.up.store(0, Ordering::SeqCst);
    cut.down.store(0, Ordering::SeqCst);
    // Pooled connections opened under an earlier limit may still be cut once each; the
    // uploader retries as `Uploader::run` would.
    let mut healed = None;
    for _ in 0..20 {
        if let Ok(report) = uploader.drain(&mut outbox).await {
            healed = Some(report);
            break;
        }
    }
    let report = healed.expect("drain succeeds once the network heals");
    assert_eq!(report.parked, 0);
    assert!(outbox.pending.is_empty() && outbox.parked.is_empty());
    let mut acked: Vec<u64> = outbox.acknowledged.iter().map(|r| r.body.seq).collect();
    acked.sort_unstable();
    assert_eq!(acked, (1..=made.len() as u64).collect::<Vec<_>>(), "each record acknowledged exactly once");
    let stored = server.store().device_records("KIOSK-CUT").await.unwrap();
    let want: Vec<_> = made.iter().map(|r| (r.body.seq, r.hash())).collect();
    assert_eq!(stored, want, "each record stored exactly once");
    assert_eq!(server.store().counts().await.unwrap().records, made.len() as u64);
    assert_eq!(server.store().counts().await.unwrap().photos, made.len() as u64);
}
