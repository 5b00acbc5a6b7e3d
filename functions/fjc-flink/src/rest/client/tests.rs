use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::*;
use crate::FlinkApi;

fn client(url: &str) -> RestClient {
    RestClient::new(RestClientConfig::new(url)).unwrap()
}

/// Answers one connection with `status` and `body` and hands back the request head.
fn answer_once(status: &'static str, body: &'static str) -> (String, mpsc::Receiver<String>) {
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = stream.read(&mut buf).unwrap();
            if n == 0 {
                break;
            }
            head.extend_from_slice(&buf[..n]);
        }
        stream.write_all(response.as_bytes()).unwrap();
        tx.send(String::from_utf8_lossy(&head).into_owned())
            .unwrap();
    });
    (url, rx)
}

#[tokio::test]
async fn closed_port_is_connection_refused() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let started = Instant::now();
    let err = client(&format!("http://127.0.0.1:{port}"))
        .list_jobs()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FlinkError::ConnectionRefused {
            url: format!("http://127.0.0.1:{port}/")
        }
    );
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn silent_server_is_a_timeout() {
    // The kernel accepts the connection into the backlog; nobody ever answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let mut config = RestClientConfig::new(format!("http://{}", listener.local_addr().unwrap()));
    config.request_timeout = Duration::from_millis(200);
    let started = Instant::now();
    let err = RestClient::new(config)
        .unwrap()
        .cluster_overview()
        .await
        .unwrap_err();
    assert_eq!(
        err,
        FlinkError::Timeout {
            operation: "cluster_overview".into(),
            seconds: 1
        }
    );
    assert!(err.is_ambiguous());
    assert!(started.elapsed() < Duration::from_secs(2));
    drop(listener);
}

#[tokio::test]
async fn sends_credentials_under_the_base_path_and_maps_401() {
    let (url, head) = answer_once("401 Unauthorized", "");
    let mut config = RestClientConfig::new(format!("{url}/flink/"));
    config.auth = FlinkAuth::Bearer {
        token: "tok-123".into(),
    };
    let err = RestClient::new(config)
        .unwrap()
        .cluster_overview()
        .await
        .unwrap_err();
    assert_eq!(err, FlinkError::Unauthorized { status: 401 });
    let head = head.recv().unwrap().to_ascii_lowercase();
    assert!(
        head.starts_with("get /flink/overview http/1.1\r\n"),
        "{head}"
    );
    assert!(head.contains("authorization: bearer tok-123\r\n"), "{head}");
}

#[tokio::test]
async fn cancel_sends_patch_with_mode_and_maps_409() {
    let (url, head) = answer_once("409 Conflict", r#"{"errors":["already terminal."]}"#);
    let id = crate::JobId::parse("0123456789abcdef0123456789abcdef").unwrap();
    let err = client(&url).cancel(&id).await.unwrap_err();
    assert_eq!(
        err,
        FlinkError::AlreadyTerminal {
            job: id.to_string()
        }
    );
    let head = head.recv().unwrap();
    assert!(
        head.starts_with("PATCH /jobs/0123456789abcdef0123456789abcdef?mode=cancel HTTP/1.1"),
        "{head}"
    );
}

#[tokio::test]
async fn garbage_answer_is_a_decode_error() {
    let (url, _head) = answer_once("200 OK", "<html>");
    let err = client(&url).list_jobs().await.unwrap_err();
    assert_eq!(err.kind(), "decode");
}

#[test]
fn bad_configuration_is_a_config_error() {
    for url in ["not a url", "ftp://127.0.0.1/", "mailto:ops@example.com"] {
        let err = RestClient::new(RestClientConfig::new(url)).unwrap_err();
        assert_eq!(err.kind(), "config", "{url}");
    }
    let mut config = RestClientConfig::new("https://127.0.0.1:8443");
    config.ca_bundle_pem = Some("no pem here".into());
    assert_eq!(RestClient::new(config).unwrap_err().kind(), "config");
    let mut config = RestClientConfig::new("https://127.0.0.1:8443");
    config.client_identity_pem = Some("-----BEGIN PRIVATE KEY-----\nsecret-bits\n".into());
    let err = RestClient::new(config).unwrap_err();
    assert_eq!(err.kind(), "config");
    assert!(!err.to_string().contains("secret-bits"), "{err}");
}

#[test]
fn client_debug_hides_secrets() {
    let mut config = RestClientConfig::new("http://user:pw-secret@127.0.0.1:8081");
    config.auth = FlinkAuth::Basic {
        username: "u".into(),
        password: "pass-secret".into(),
    };
    let printed = format!("{:?}", RestClient::new(config).unwrap());
    assert!(!printed.contains("secret"), "{printed}");
    assert!(printed.contains("127.0.0.1:8081"), "{printed}");
}
