//! A small TCP fault proxy for fault-injection tests: it sits in front of the real
//! Flink REST endpoint (or moto) and, on command, adds latency, resets
//! connections, answers with an HTTP error status, or hangs. With no fault it
//! passes bytes through unchanged.
//!
//! Setting a fault closes every open pass-through connection, so pooled client
//! connections cannot slip past it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// What the proxy does to new connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Pass through.
    None,
    /// Wait this long, then pass through.
    Latency(Duration),
    /// Reset the next `n` connections (RST, nothing read), then pass through.
    ResetNext(usize),
    /// Answer the next `n` connections with this HTTP status, then pass through.
    StatusNext(u16, usize),
    /// Reset every connection until changed (the endpoint is down).
    Down,
    /// Accept and never answer until changed (a hung endpoint).
    Hang,
}

/// A running proxy.
pub struct FaultProxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    fault: Arc<Mutex<Fault>>,
    generation: watch::Sender<u64>,
    connections: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `target` (`host:port`).
    pub async fn start(target: &str) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let fault = Arc::new(Mutex::new(Fault::None));
        let (generation, _) = watch::channel(0u64);
        let connections = Arc::new(AtomicUsize::new(0));
        let target = target.to_string();
        let (f, g, c) = (fault.clone(), generation.clone(), connections.clone());
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                c.fetch_add(1, Ordering::SeqCst);
                let action = take(&f);
                let gen_rx = g.subscribe();
                tokio::spawn(serve(client, target.clone(), action, gen_rx));
            }
        });
        FaultProxy {
            url,
            fault,
            generation,
            connections,
            task,
        }
    }

    /// Sets the fault for new connections and drops open pass-through ones.
    pub fn set(&self, fault: Fault) {
        if let Ok(mut f) = self.fault.lock() {
            *f = fault;
        }
        self.generation.send_modify(|g| *g += 1);
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The fault for one new connection (counting down the `…Next` ones).
fn take(fault: &Mutex<Fault>) -> Fault {
    let Ok(mut f) = fault.lock() else {
        return Fault::None;
    };
    let now = *f;
    match now {
        Fault::ResetNext(n) | Fault::StatusNext(_, n) if n == 0 => {
            *f = Fault::None;
            Fault::None
        }
        Fault::ResetNext(n) => {
            *f = if n == 1 {
                Fault::None
            } else {
                Fault::ResetNext(n - 1)
            };
            Fault::Down
        }
        Fault::StatusNext(code, n) => {
            *f = if n == 1 {
                Fault::None
            } else {
                Fault::StatusNext(code, n - 1)
            };
            Fault::StatusNext(code, 1)
        }
        other => other,
    }
}

async fn serve(
    mut client: TcpStream,
    target: String,
    fault: Fault,
    mut gen_rx: watch::Receiver<u64>,
) {
    match fault {
        Fault::Down | Fault::ResetNext(_) => {
            let _ = client.set_zero_linger();
            drop(client);
        }
        Fault::Hang => {
            // Hold the connection until the fault changes (or the client gives up).
            let mut buf = [0u8; 4096];
            loop {
                tokio::select! {
                    r = client.read(&mut buf) => if matches!(r, Ok(0) | Err(_)) { return },
                    _ = gen_rx.changed() => return,
                }
            }
        }
        Fault::StatusNext(code, _) => {
            let mut head = Vec::new();
            let mut buf = [0u8; 4096];
            while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 65536 {
                match client.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let body = format!("{{\"errors\":[\"injected HTTP {code}\"]}}");
            let answer = format!(
                "HTTP/1.1 {code} Injected\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = client.write_all(answer.as_bytes()).await;
            let _ = client.shutdown().await;
        }
        Fault::Latency(d) => {
            tokio::time::sleep(d).await;
            pass(client, &target, gen_rx).await;
        }
        Fault::None => pass(client, &target, gen_rx).await,
    }
}

async fn pass(mut client: TcpStream, target: &str, mut gen_rx: watch::Receiver<u64>) {
    let Ok(mut upstream) = TcpStream::connect(target).await else {
        let _ = client.set_zero_linger();
        return;
    };
    tokio::select! {
        _ = tokio::io::copy_bidirectional(&mut client, &mut upstream) => {}
        _ = gen_rx.changed() => {
            let _ = client.set_zero_linger();
        }
    }
}
