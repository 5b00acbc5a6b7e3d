//! Dashboard sign-in in tests: a Cognito user pool in moto (users in groups), the session
//! key in Secrets Manager, and the local edge (`infra/edge/edge-server.mjs`, a fake of
//! CloudFront, named as such) running the real viewer function in front of the sign-in
//! function and the published snapshot, with its KeyValueStore in a file ([`FileKvs`],
//! a fake of the CloudFront KeyValueStore).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use fjc_viewer_auth::AuthError;
use fjc_viewer_auth::ports::EdgeKeys;
use fjc_viewer_auth::session::SessionKey;
use serde_json::{Value, json};

use crate::lambda::repo_root;

/// A Cognito Identity Provider call to moto. moto routes an unsigned request by its
/// `X-Amz-Target` header, as AWS does for `InitiateAuth`.
pub async fn cognito(endpoint: &str, action: &str, body: Value) -> Value {
    let response = reqwest::Client::new()
        .post(endpoint)
        .header(
            "x-amz-target",
            format!("AWSCognitoIdentityProviderService.{action}"),
        )
        .header("content-type", "application/x-amz-json-1.1")
        .body(body.to_string())
        .send()
        .await
        .unwrap_or_else(|e| panic!("cognito {action}: {e}"));
    let status = response.status();
    let text = response.text().await.expect("cognito answer");
    assert!(status.is_success(), "cognito {action}: {status} {text}");
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

/// A user pool with an app client that allows `USER_PASSWORD_AUTH`.
#[derive(Debug, Clone)]
pub struct Pool {
    /// moto's endpoint.
    pub endpoint: String,
    /// The pool id.
    pub id: String,
    /// The app client id.
    pub client_id: String,
}

impl Pool {
    /// Creates the pool and its client.
    pub async fn create(endpoint: &str, name: &str) -> Pool {
        let pool = cognito(endpoint, "CreateUserPool", json!({ "PoolName": name })).await;
        let id = pool["UserPool"]["Id"]
            .as_str()
            .expect("pool id")
            .to_string();
        let client = cognito(
            endpoint,
            "CreateUserPoolClient",
            json!({ "UserPoolId": id, "ClientName": "dashboard",
                    "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"] }),
        )
        .await;
        let client_id = client["UserPoolClient"]["ClientId"]
            .as_str()
            .expect("client id")
            .to_string();
        Pool {
            endpoint: endpoint.to_string(),
            id,
            client_id,
        }
    }

    /// A confirmed user with a permanent password, in `groups` (created when missing).
    pub async fn user(&self, name: &str, password: &str, groups: &[&str]) {
        let e = &self.endpoint;
        cognito(
            e,
            "AdminCreateUser",
            json!({ "UserPoolId": self.id, "Username": name, "MessageAction": "SUPPRESS" }),
        )
        .await;
        cognito(e, "AdminSetUserPassword", json!({ "UserPoolId": self.id, "Username": name, "Password": password, "Permanent": true })).await;
        for g in groups {
            let _ = reqwest::Client::new()
                .post(e)
                .header(
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.CreateGroup",
                )
                .header("content-type", "application/x-amz-json-1.1")
                .body(json!({ "UserPoolId": self.id, "GroupName": g }).to_string())
                .send()
                .await;
            cognito(
                e,
                "AdminAddUserToGroup",
                json!({ "UserPoolId": self.id, "Username": name, "GroupName": g }),
            )
            .await;
        }
    }

    /// The issuer moto writes into its tokens.
    pub fn issuer(&self) -> String {
        format!("https://cognito-idp.us-east-1.amazonaws.com/{}", self.id)
    }

    /// The pool's JWKS at moto.
    pub fn jwks_url(&self) -> String {
        format!(
            "{}/{}/.well-known/jwks.json",
            self.endpoint.trim_end_matches('/'),
            self.id
        )
    }
}

/// The edge's KeyValueStore as a JSON file the local edge reads on every request (a fake
/// of the CloudFront KeyValueStore, named as such).
#[derive(Debug, Clone)]
pub struct FileKvs(pub PathBuf);

impl FileKvs {
    /// A store holding `key`.
    pub fn with(path: PathBuf, key: &SessionKey) -> FileKvs {
        let kvs = FileKvs(path);
        kvs.write(key);
        kvs
    }

    fn write(&self, key: &SessionKey) {
        let data = json!({ "session-key-id": key.kid(), "session-key": key.key_base64() });
        std::fs::write(&self.0, data.to_string()).expect("write kvs file");
    }
}

#[async_trait]
impl EdgeKeys for FileKvs {
    async fn publish(&self, key: &SessionKey) -> Result<(), AuthError> {
        self.write(key);
        Ok(())
    }
    async fn current_kid(&self) -> Result<Option<String>, AuthError> {
        let text = std::fs::read_to_string(&self.0).unwrap_or_default();
        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok(v["session-key-id"].as_str().map(str::to_string))
    }
}

/// The local edge (`node infra/edge/edge-server.mjs`); stopped on drop.
pub struct Edge {
    child: Child,
    /// `http://localhost:PORT/`.
    pub url: String,
}

impl Edge {
    /// Starts the edge with `kvs`, sending `/auth/*` to `auth_origin` and the rest to
    /// `origins`, in order.
    pub fn start(kvs: &Path, auth_origin: &str, origins: &[&Path]) -> Edge {
        let mut cmd = Command::new(std::env::var("FJC_NODE").unwrap_or_else(|_| "node".into()));
        cmd.arg(repo_root().join("infra/edge/edge-server.mjs"))
            .arg("--kvs")
            .arg(kvs)
            .arg("--auth-origin")
            .arg(auth_origin);
        for o in origins {
            cmd.arg("--origin").arg(o);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start node infra/edge/edge-server.mjs");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("edge stdout");
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("edge prints its url");
        let url = line
            .trim()
            .strip_prefix("edge: ")
            .unwrap_or_else(|| panic!("edge did not start: {line:?}"))
            .to_string();
        Edge { child, url }
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP client that follows no redirect and keeps no cookie: each test step says what
/// it sends.
pub fn browserless() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

/// The value the response sets for cookie `name`, if it sets one.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<(String, String)> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            let rest = c.strip_prefix(&format!("{name}="))?;
            let (value, attributes) = rest.split_once(';').unwrap_or((rest, ""));
            Some((value.to_string(), attributes.trim().to_string()))
        })
}
