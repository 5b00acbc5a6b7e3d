//! The byte-counting TCP relay in front of the S3 endpoint (moto).

use super::*;

/// The counting TCP relay to `upstream` (`http://host:port`); its URL.
pub(super) async fn relay(c: Arc<Cluster>, upstream: &str) -> std::io::Result<String> {
    let target = upstream
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let c = c.clone();
            let target = target.clone();
            tokio::spawn(async move {
                let Ok(server) = TcpStream::connect(&target).await else {
                    return;
                };
                let (cr, cw) = client.into_split();
                let (sr, sw) = server.into_split();
                let up = pump(cr, sw, c.clone(), false);
                let down = pump(sr, cw, c, true);
                let _ = tokio::join!(up, down);
            });
        }
    });
    Ok(format!("http://{addr}"))
}

/// Copies until end of stream, counting bytes (toward the client: read from S3).
pub(super) async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    c: Arc<Cluster>,
    to_client: bool,
) {
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match from.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).await.is_err() {
            break;
        }
        let counter = if to_client {
            &c.served.s3_bytes_read
        } else {
            &c.served.s3_bytes_sent
        };
        add(counter, n as u64);
    }
    let _ = to.shutdown().await;
}
