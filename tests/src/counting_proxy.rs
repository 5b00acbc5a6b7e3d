//! A test fake: a counting proxy. It forwards every request unchanged to the real
//! service (the local Flink REST endpoint or moto) and counts it, so a test can
//! see from outside the controller exactly which calls a cycle made.
//!
//! It is a small HTTP/1.1 reverse proxy built on tokio alone: it reads each
//! request (method, path and query, headers, body), records it as a [`Seen`],
//! sends it to the target with the target's `Host` (hop-by-hop headers dropped,
//! the body re-framed with `content-length`), and returns the response status,
//! headers and body unchanged. One upstream connection per client connection,
//! one request at a time (clients do not pipeline).

use std::collections::BTreeMap;
use std::io;
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request the proxy forwarded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, without the query.
    pub path: String,
    /// The `X-Amz-Target` header (DynamoDB's operation), if any.
    pub amz_target: Option<String>,
}

/// What a DynamoDB call does to the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamoKind {
    /// Reads items (`GetItem`, `Query`, `Scan`, `TransactGetItems`, `BatchGetItem`).
    Read,
    /// Writes items (`PutItem`, `UpdateItem`, `DeleteItem`, `TransactWriteItems`,
    /// `BatchWriteItem`).
    Write,
    /// Anything else (`DescribeTable`, `CreateTable`, ...).
    Other,
}

/// Classifies a DynamoDB operation by its name or its `X-Amz-Target`
/// (`DynamoDB_20120810.Query`).
pub fn classify(target: &str) -> DynamoKind {
    match target.rsplit('.').next().unwrap_or(target) {
        "PutItem" | "UpdateItem" | "DeleteItem" | "TransactWriteItems" | "BatchWriteItem" => {
            DynamoKind::Write
        }
        "GetItem" | "Query" | "Scan" | "TransactGetItems" | "BatchGetItem" => DynamoKind::Read,
        _ => DynamoKind::Other,
    }
}

impl Seen {
    /// The DynamoDB operation (`Query`), when the request carried `X-Amz-Target`.
    pub fn dynamo_operation(&self) -> Option<&str> {
        let t = self.amz_target.as_deref()?;
        Some(t.rsplit('.').next().unwrap_or(t))
    }

    /// What the DynamoDB call does, when it is one.
    pub fn dynamo_kind(&self) -> Option<DynamoKind> {
        self.amz_target.as_deref().map(classify)
    }

    /// Whether this is a DynamoDB item write.
    pub fn is_dynamo_write(&self) -> bool {
        self.dynamo_kind() == Some(DynamoKind::Write)
    }

    /// Whether this is a DynamoDB item read.
    pub fn is_dynamo_read(&self) -> bool {
        self.dynamo_kind() == Some(DynamoKind::Read)
    }
}

/// Requests counted by `METHOD /path`.
pub fn by_path(seen: &[Seen]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in seen {
        *out.entry(format!("{} {}", s.method, s.path)).or_default() += 1;
    }
    out
}

/// DynamoDB calls counted by operation (`Query`, `PutItem`, ...); requests
/// without `X-Amz-Target` count as `-`.
pub fn by_operation(seen: &[Seen]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in seen {
        *out.entry(s.dynamo_operation().unwrap_or("-").to_string())
            .or_default() += 1;
    }
    out
}

/// DynamoDB item reads among `seen`.
pub fn dynamo_reads(seen: &[Seen]) -> usize {
    seen.iter().filter(|s| s.is_dynamo_read()).count()
}

/// DynamoDB item writes among `seen`.
pub fn dynamo_writes(seen: &[Seen]) -> usize {
    seen.iter().filter(|s| s.is_dynamo_write()).count()
}

/// Where the proxy forwards to.
#[derive(Debug, Clone)]
struct Target {
    /// `host:port`, to connect to and to send as `Host`.
    authority: String,
    /// A path prefix of the target base URL ("" for none).
    prefix: String,
}

impl Target {
    fn parse(base_url: &str) -> Target {
        let rest = base_url.strip_prefix("http://").unwrap_or_else(|| {
            panic!("counting proxy: only http:// targets are supported, not {base_url}")
        });
        let (authority, prefix) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let authority = if authority.contains(':') {
            authority.to_string()
        } else {
            format!("{authority}:80")
        };
        Target {
            authority,
            prefix: prefix.to_string(),
        }
    }
}

/// A running counting proxy (stopped when dropped).
pub struct CountingProxy {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    task: tokio::task::JoinHandle<()>,
}

impl CountingProxy {
    /// Starts a proxy on a free local port that forwards to `target_url`
    /// (`http://host:port`, optionally with a path prefix).
    pub async fn start(target_url: &str) -> CountingProxy {
        let target = Target::parse(target_url);
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind counting proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy addr"));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let task = tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let (t, s) = (target.clone(), s.clone());
                tokio::spawn(async move {
                    let _ = serve(client, &t, &s).await;
                });
            }
        });
        CountingProxy { url, seen, task }
    }

    /// Every request forwarded since the last `take`, oldest first; clears them.
    pub fn take(&self) -> Vec<Seen> {
        self.seen
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }

    /// Every request forwarded since the last `take`, without clearing them.
    pub fn peek(&self) -> Vec<Seen> {
        self.seen.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for CountingProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Headers that describe one connection, not the message (RFC 9110 7.6.1).
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// A message head: the start line and the headers in order.
struct Head {
    start: String,
    headers: Vec<(String, String)>,
}

impl Head {
    fn get(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn has_token(&self, name: &str, token: &str) -> bool {
        self.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .flat_map(|(_, v)| v.split(','))
            .any(|t| t.trim().eq_ignore_ascii_case(token))
    }

    fn chunked(&self) -> bool {
        self.has_token("transfer-encoding", "chunked")
    }

    fn content_length(&self) -> io::Result<Option<usize>> {
        self.get("content-length")
            .map(|v| v.trim().parse().map_err(|_| bad("bad content-length")))
            .transpose()
    }

    /// The headers to pass on: no hop-by-hop ones (nor those `Connection` names),
    /// none of `drop`.
    fn end_to_end<'a>(&'a self, drop: &'a [&str]) -> impl Iterator<Item = &'a (String, String)> {
        let named: Vec<String> = self
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("connection"))
            .flat_map(|(_, v)| v.split(',').map(|t| t.trim().to_ascii_lowercase()))
            .collect();
        self.headers.iter().filter(move |(k, _)| {
            let k = k.to_ascii_lowercase();
            !HOP_BY_HOP.contains(&k.as_str()) && !drop.contains(&k.as_str()) && !named.contains(&k)
        })
    }
}

fn bad(what: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.to_string())
}

/// Reads a message head; `None` at a clean end of stream before it.
async fn read_head<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> io::Result<Option<Head>> {
    let mut start = String::new();
    // Tolerate empty lines before a request line (RFC 9112 2.2).
    while start.trim_end().is_empty() {
        start.clear();
        if r.read_line(&mut start).await? == 0 {
            return Ok(None);
        }
    }
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(bad("end of stream in the headers"));
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            break;
        }
        let (k, v) = line.split_once(':').ok_or_else(|| bad("bad header line"))?;
        headers.push((k.trim().to_string(), v.trim().to_string()));
    }
    Ok(Some(Head {
        start: start.trim_end_matches(['\r', '\n']).to_string(),
        headers,
    }))
}

/// Reads a chunked body (trailers are dropped) and returns it decoded.
async fn read_chunked<R: AsyncRead + Unpin>(r: &mut BufReader<R>) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    loop {
        let mut line = String::new();
        if r.read_line(&mut line).await? == 0 {
            return Err(bad("end of stream in a chunk size"));
        }
        let size = line.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| bad("bad chunk size"))?;
        if size == 0 {
            loop {
                let mut trailer = String::new();
                if r.read_line(&mut trailer).await? == 0 || trailer.trim_end().is_empty() {
                    return Ok(body);
                }
            }
        }
        let at = body.len();
        body.resize(at + size, 0);
        r.read_exact(&mut body[at..]).await?;
        let mut crlf = [0u8; 2];
        r.read_exact(&mut crlf).await?;
    }
}

/// Reads a body framed by `head`: chunked, `content-length`, or (responses only,
/// `to_eof`) until the peer closes. `None` when the message has no framing.
async fn read_body<R: AsyncRead + Unpin>(
    r: &mut BufReader<R>,
    head: &Head,
    to_eof: bool,
) -> io::Result<Option<Vec<u8>>> {
    if head.chunked() {
        return read_chunked(r).await.map(Some);
    }
    if let Some(n) = head.content_length()? {
        let mut body = vec![0u8; n];
        r.read_exact(&mut body).await?;
        return Ok(Some(body));
    }
    if to_eof {
        let mut body = Vec::new();
        r.read_to_end(&mut body).await?;
        return Ok(Some(body));
    }
    Ok(None)
}

/// A serialised message: start line, `headers`, then `content-length` and the
/// body when there is one.
fn message<'a>(
    start: &str,
    headers: impl Iterator<Item = &'a (String, String)>,
    extra: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Vec<u8> {
    let mut out = format!("{start}\r\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    for (k, v) in extra {
        out.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        out.push_str(&format!("content-length: {}\r\n", b.len()));
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    if let Some(b) = body {
        bytes.extend_from_slice(b);
    }
    bytes
}

/// A response read from the target.
struct Answer {
    head: Head,
    body: Option<Vec<u8>>,
    /// The target closes the connection after it.
    close: bool,
}

/// Sends `request` on `upstream` and reads the answer (skipping `1xx` heads).
async fn exchange(
    upstream: &mut BufReader<TcpStream>,
    request: &[u8],
    method: &str,
) -> io::Result<Option<Answer>> {
    upstream.get_mut().write_all(request).await?;
    loop {
        let Some(head) = read_head(upstream).await? else {
            return Ok(None);
        };
        let status: u16 = head
            .start
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("bad status line"))?;
        if (100..200).contains(&status) {
            continue;
        }
        let bodiless = method.eq_ignore_ascii_case("HEAD") || status == 204 || status == 304;
        let unframed = !head.chunked() && head.get("content-length").is_none();
        let body = if bodiless {
            None
        } else {
            read_body(upstream, &head, true).await?
        };
        let close = head.has_token("connection", "close")
            || head.start.starts_with("HTTP/1.0")
            || (!bodiless && unframed);
        return Ok(Some(Answer { head, body, close }));
    }
}

/// Serves one client connection until either side closes it.
async fn serve(client: TcpStream, target: &Target, seen: &Mutex<Vec<Seen>>) -> io::Result<()> {
    let mut client = BufReader::new(client);
    let mut upstream: Option<BufReader<TcpStream>> = None;
    while let Some(head) = read_head(&mut client).await? {
        let mut parts = head.start.split_whitespace();
        let (Some(method), Some(uri)) = (parts.next(), parts.next()) else {
            return Err(bad("bad request line"));
        };
        let (method, uri) = (method.to_string(), uri.to_string());
        let path = uri.split('?').next().unwrap_or(&uri).to_string();
        if let Ok(mut s) = seen.lock() {
            s.push(Seen {
                method: method.clone(),
                path,
                amz_target: head.get("x-amz-target").map(str::to_string),
            });
        }
        if head.has_token("expect", "100-continue") {
            client
                .get_mut()
                .write_all(b"HTTP/1.1 100 Continue\r\n\r\n")
                .await?;
        }
        let body = read_body(&mut client, &head, false).await?;
        let client_closes = head.has_token("connection", "close");
        let request = message(
            &format!("{method} {}{uri} HTTP/1.1", target.prefix),
            head.end_to_end(&["host", "content-length", "expect"]),
            &[("host", &target.authority)],
            body.as_deref(),
        );

        // A pooled upstream connection may have been closed by the target while
        // idle: then try once more on a fresh one.
        let mut answer = None;
        for _ in 0..2 {
            let reused = upstream.is_some();
            let conn = match upstream.as_mut() {
                Some(c) => c,
                None => {
                    upstream.insert(BufReader::new(TcpStream::connect(&target.authority).await?))
                }
            };
            match exchange(conn, &request, &method).await {
                Ok(Some(a)) => {
                    answer = Some(a);
                    break;
                }
                Ok(None) | Err(_) if reused => upstream = None,
                Ok(None) => return Err(bad("target closed without answering")),
                Err(e) => return Err(e),
            }
        }
        let Some(answer) = answer else {
            return Err(bad("target closed without answering"));
        };
        let close = answer.close || client_closes;
        let drop: &[&str] = if answer.body.is_some() {
            &["content-length"]
        } else {
            &[]
        };
        let extra: &[(&str, &str)] = if close {
            &[("connection", "close")]
        } else {
            &[]
        };
        let response = message(
            &answer.head.start,
            answer.head.end_to_end(drop),
            extra,
            answer.body.as_deref(),
        );
        client.get_mut().write_all(&response).await?;
        if close {
            let _ = client.get_mut().shutdown().await;
            return Ok(());
        }
        if answer.close {
            upstream = None;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dynamo_operations_are_classified() {
        for op in [
            "PutItem",
            "UpdateItem",
            "DeleteItem",
            "TransactWriteItems",
            "BatchWriteItem",
        ] {
            assert_eq!(classify(op), DynamoKind::Write, "{op}");
            assert_eq!(
                classify(&format!("DynamoDB_20120810.{op}")),
                DynamoKind::Write
            );
        }
        for op in [
            "GetItem",
            "Query",
            "Scan",
            "TransactGetItems",
            "BatchGetItem",
        ] {
            assert_eq!(classify(op), DynamoKind::Read, "{op}");
            assert_eq!(
                classify(&format!("DynamoDB_20120810.{op}")),
                DynamoKind::Read
            );
        }
        for op in ["DescribeTable", "CreateTable", "ListTables", ""] {
            assert_eq!(
                classify(&format!("DynamoDB_20120810.{op}")),
                DynamoKind::Other
            );
        }
    }

    #[test]
    fn seen_requests_are_counted() {
        let seen = |m: &str, p: &str, t: Option<&str>| Seen {
            method: m.into(),
            path: p.into(),
            amz_target: t.map(str::to_string),
        };
        let all = vec![
            seen("GET", "/jobs/overview", None),
            seen("GET", "/jobs/overview", None),
            seen("POST", "/", Some("DynamoDB_20120810.Query")),
            seen("POST", "/", Some("DynamoDB_20120810.Query")),
            seen("POST", "/", Some("DynamoDB_20120810.UpdateItem")),
            seen("POST", "/", Some("DynamoDB_20120810.DescribeTable")),
        ];
        assert_eq!(by_path(&all)["GET /jobs/overview"], 2);
        assert_eq!(by_path(&all)["POST /"], 4);
        let ops = by_operation(&all);
        assert_eq!(ops["Query"], 2);
        assert_eq!(ops["UpdateItem"], 1);
        assert_eq!(ops["-"], 2);
        assert_eq!(dynamo_reads(&all), 2);
        assert_eq!(dynamo_writes(&all), 1);
        assert!(all[4].is_dynamo_write() && !all[4].is_dynamo_read());
        assert_eq!(all[5].dynamo_kind(), Some(DynamoKind::Other));
        assert_eq!(all[0].dynamo_kind(), None);
    }

    #[test]
    fn targets_are_parsed() {
        let t = Target::parse("http://127.0.0.1:18081");
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("127.0.0.1:18081", "")
        );
        let t = Target::parse("http://flink/api/");
        assert_eq!(
            (t.authority.as_str(), t.prefix.as_str()),
            ("flink:80", "/api")
        );
    }

    /// End to end against a tiny fixed-answer server: method, path and query,
    /// headers and body arrive; status, headers and body come back.
    #[tokio::test]
    async fn forwards_and_counts() {
        let server = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = server.local_addr().expect("addr");
        let got = Arc::new(Mutex::new(Vec::<String>::new()));
        let g = got.clone();
        tokio::spawn(async move {
            while let Ok((conn, _)) = server.accept().await {
                let g = g.clone();
                tokio::spawn(async move {
                    let mut r = BufReader::new(conn);
                    while let Ok(Some(head)) = read_head(&mut r).await {
                        let body = read_body(&mut r, &head, false).await.ok().flatten();
                        let text = format!(
                            "{} host={} x={} body={}",
                            head.start,
                            head.get("host").unwrap_or(""),
                            head.get("x-test").unwrap_or(""),
                            String::from_utf8_lossy(&body.unwrap_or_default())
                        );
                        g.lock().unwrap().push(text);
                        let answer = "HTTP/1.1 201 Created\r\nx-answer: yes\r\n\
                                      transfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
                        if r.get_mut().write_all(answer.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        let proxy = CountingProxy::start(&format!("http://{addr}")).await;
        let mut conn = BufReader::new(
            TcpStream::connect(proxy.url.trim_start_matches("http://"))
                .await
                .expect("connect"),
        );
        for _ in 0..2 {
            conn.get_mut()
                .write_all(
                    b"POST /a/b?c=1 HTTP/1.1\r\nhost: whatever\r\nx-test: 7\r\n\
                      x-amz-target: DynamoDB_20120810.PutItem\r\ncontent-length: 5\r\n\r\nhello",
                )
                .await
                .expect("write");
            let head = read_head(&mut conn).await.expect("head").expect("answer");
            let body = read_body(&mut conn, &head, false).await.expect("body");
            assert_eq!(head.start, "HTTP/1.1 201 Created");
            assert_eq!(head.get("x-answer"), Some("yes"));
            assert_eq!(body.as_deref(), Some(&b"abcde"[..]));
        }
        assert_eq!(
            *got.lock().unwrap(),
            vec![format!("POST /a/b?c=1 HTTP/1.1 host={addr} x=7 body=hello"); 2]
        );
        let seen = proxy.take();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0].path, "/a/b");
        assert_eq!(dynamo_writes(&seen), 2);
        assert!(proxy.take().is_empty());
    }
}
