//! A fake OIDC provider (named as such: moto has no `/oauth2/*` endpoints) for the code
//! flow: `/authorize` answers with a code for the client's redirect URI, `/token` gives an
//! ES256 ID token for it only with the PKCE verifier of the challenge, `/jwks` publishes
//! the key, `/logout` records the call. Raw HTTP/1.1 on tokio, one request per connection.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What one authorization left for its token request.
#[derive(Debug, Clone)]
struct Grant {
    challenge: String,
    nonce: String,
    redirect_uri: String,
}

#[derive(Default)]
struct Inner {
    grants: BTreeMap<String, Grant>,
    /// The token requests' forms, as received.
    pub token_requests: Vec<BTreeMap<String, String>>,
    /// Query strings of `/logout` calls.
    pub logouts: Vec<BTreeMap<String, String>>,
}

/// The fake provider; stops when dropped.
pub struct FakeOidc {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    inner: Arc<Mutex<Inner>>,
    task: tokio::task::JoinHandle<()>,
}

fn form(text: &str) -> BTreeMap<String, String> {
    url_pairs(text).into_iter().collect()
}

fn url_pairs(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (decode(k), decode(v)))
        .collect()
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(&s.replace('+', " "))
        .decode_utf8_lossy()
        .into_owned()
}

impl FakeOidc {
    /// Starts a provider whose tokens say `sub` is in `groups`, for `client_id`.
    pub async fn start(client_id: &str, sub: &str, groups: &[&str]) -> FakeOidc {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let rng = SystemRandom::new();
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).expect("key");
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
            .expect("pair");
        let point = pair.public_key().as_ref().to_vec();
        let jwks = json!({"keys": [{
            "kty": "EC", "crv": "P-256", "kid": "fake-1", "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        }]});
        let signing = EncodingKey::from_ec_der(pkcs8.as_ref());
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (state, issuer, client, sub, groups) = (
            inner.clone(),
            url.clone(),
            client_id.to_string(),
            sub.to_string(),
            groups.iter().map(|g| g.to_string()).collect::<Vec<_>>(),
        );
        let task = tokio::spawn(async move {
            let mut n = 0u32;
            while let Ok((stream, _)) = listener.accept().await {
                let mut reader = BufReader::new(stream);
                let mut head = String::new();
                let mut length = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).await.unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap_or(0);
                    }
                    if head.is_empty() {
                        head = line.trim().to_string();
                    }
                }
                let mut body = vec![0u8; length];
                let _ = reader.read_exact(&mut body).await;
                let body = String::from_utf8_lossy(&body).into_owned();
                let target = head.split(' ').nth(1).unwrap_or("/").to_string();
                let (path, query) = target.split_once('?').unwrap_or((&target, ""));
                let (status, headers, text): (u16, Vec<(String, String)>, String) = match path {
                    "/authorize" => {
                        let q = form(query);
                        n += 1;
                        let code = format!("code-{n}");
                        let ok = q.get("client_id") == Some(&client)
                            && q.get("response_type").map(String::as_str) == Some("code")
                            && q.get("code_challenge_method").map(String::as_str) == Some("S256");
                        if ok {
                            state
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .grants
                                .insert(
                                    code.clone(),
                                    Grant {
                                        challenge: q
                                            .get("code_challenge")
                                            .cloned()
                                            .unwrap_or_default(),
                                        nonce: q.get("nonce").cloned().unwrap_or_default(),
                                        redirect_uri: q
                                            .get("redirect_uri")
                                            .cloned()
                                            .unwrap_or_default(),
                                    },
                                );
                            let location = format!(
                                "{}?code={code}&state={}",
                                q.get("redirect_uri").cloned().unwrap_or_default(),
                                percent_encoding::utf8_percent_encode(
                                    q.get("state").map(String::as_str).unwrap_or(""),
                                    percent_encoding::NON_ALPHANUMERIC
                                )
                            );
                            (302, vec![("location".into(), location)], String::new())
                        } else {
                            (400, vec![], "bad authorize request".into())
                        }
                    }
                    "/token" => {
                        let f = form(&body);
                        let mut g = state.lock().unwrap_or_else(|p| p.into_inner());
                        g.token_requests.push(f.clone());
                        let grant = f.get("code").and_then(|c| g.grants.remove(c));
                        let verifier = f.get("code_verifier").cloned().unwrap_or_default();
                        match grant {
                            Some(grant)
                                if URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
                                    == grant.challenge
                                    && f.get("redirect_uri") == Some(&grant.redirect_uri)
                                    && f.get("grant_type").map(String::as_str)
                                        == Some("authorization_code") =>
                            {
                                let now = std::time::SystemTime::now()
                                    .duration_since(std::time::UNIX_EPOCH)
                                    .map(|d| d.as_secs())
                                    .unwrap_or_default();
                                let claims = json!({
                                    "iss": issuer, "aud": client, "sub": sub, "nonce": grant.nonce,
                                    "groups": groups, "email": format!("{sub}@example.com"),
                                    "iat": now, "exp": now + 300,
                                });
                                let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
                                header.kid = Some("fake-1".into());
                                let token = encode(&header, &claims, &signing).unwrap_or_default();
                                (
                                    200,
                                    vec![("content-type".into(), "application/json".into())],
                                    json!({"id_token": token, "token_type": "Bearer"}).to_string(),
                                )
                            }
                            _ => (
                                400,
                                vec![("content-type".into(), "application/json".into())],
                                json!({"error": "invalid_grant"}).to_string(),
                            ),
                        }
                    }
                    "/jwks" => (
                        200,
                        vec![("content-type".into(), "application/json".into())],
                        jwks.to_string(),
                    ),
                    "/logout" => {
                        state
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .logouts
                            .push(form(query));
                        (200, vec![], "signed out at the provider".into())
                    }
                    _ => (404, vec![], String::new()),
                };
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    text.len()
                );
                for (k, v) in headers {
                    out.push_str(&format!("{k}: {v}\r\n"));
                }
                out.push_str("\r\n");
                out.push_str(&text);
                let mut stream = reader.into_inner();
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        FakeOidc { url, inner, task }
    }

    /// The forms the token endpoint received.
    pub fn token_requests(&self) -> Vec<BTreeMap<String, String>> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .token_requests
            .clone()
    }

    /// The `/logout` calls' query parameters.
    pub fn logouts(&self) -> Vec<BTreeMap<String, String>> {
        self.inner
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .logouts
            .clone()
    }
}

impl Drop for FakeOidc {
    fn drop(&mut self) {
        self.task.abort();
    }
}
