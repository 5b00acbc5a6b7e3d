//! The identity provider over HTTP: the OIDC token endpoint (authorization code + PKCE),
//! Cognito's `InitiateAuth` (`USER_PASSWORD_AUTH`, a public API that needs no AWS
//! signature), and the issuer's JWKS, kept for 10 minutes.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use jsonwebtoken::jwk::JwkSet;
use serde_json::{Value, json};

use crate::error::AuthError;
use crate::ports::IdentityProvider;

const KEYS_FOR: Duration = Duration::from_secs(600);

/// Where the provider's endpoints are.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// The token endpoint (code flow).
    pub token_url: Option<String>,
    /// Cognito's API endpoint (password flow), e.g. `https://cognito-idp.eu-west-1.amazonaws.com/`.
    pub cognito_url: Option<String>,
    /// The issuer's JWKS.
    pub jwks_url: String,
    /// The client id.
    pub client_id: String,
    /// The client secret, for confidential clients (never logged).
    pub client_secret: Option<String>,
}

/// [`IdentityProvider`] over HTTP.
pub struct HttpProvider {
    http: reqwest::Client,
    endpoints: Endpoints,
    keys: Mutex<Option<(Instant, JwkSet)>>,
}

impl HttpProvider {
    /// A provider at `endpoints`, with 10 s timeouts.
    pub fn new(endpoints: Endpoints) -> Result<HttpProvider, AuthError> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .map_err(|e| AuthError::upstream("http client", e.to_string(), false))?;
        Ok(HttpProvider {
            http,
            endpoints,
            keys: Mutex::new(None),
        })
    }
}

fn transport(service: &'static str, e: &reqwest::Error) -> AuthError {
    AuthError::upstream(
        service,
        e.to_string(),
        e.is_timeout() || e.is_connect() || e.is_request(),
    )
}

/// Cognito's `SECRET_HASH`: base64(HMAC-SHA256(client secret, user name + client id)).
pub fn secret_hash(client_secret: &str, username: &str, client_id: &str) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA256, client_secret.as_bytes());
    STANDARD.encode(hmac::sign(&key, format!("{username}{client_id}").as_bytes()).as_ref())
}

#[async_trait]
impl IdentityProvider for HttpProvider {
    async fn exchange_code(
        &self,
        code: &str,
        verifier: &str,
        redirect_uri: &str,
    ) -> Result<String, AuthError> {
        const S: &str = "token endpoint";
        let url = self
            .endpoints
            .token_url
            .as_deref()
            .ok_or_else(|| AuthError::Config {
                name: crate::config::vars::TOKEN_URL,
                reason: "must be set for the code flow".into(),
            })?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", verifier),
            ("client_id", self.endpoints.client_id.as_str()),
        ];
        let mut request = self.http.post(url);
        if let Some(secret) = &self.endpoints.client_secret {
            request = request.basic_auth(&self.endpoints.client_id, Some(secret));
        }
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .map_err(|e| transport(S, &e))?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| transport(S, &e))?;
        if !status.is_success() {
            // OAuth errors: {"error": "invalid_grant", "error_description": ...}
            let error = value["error"].as_str().unwrap_or("error");
            if status.is_server_error() || status.as_u16() == 429 {
                return Err(AuthError::upstream(S, format!("{status}: {error}"), true));
            }
            let detail = value["error_description"]
                .as_str()
                .map(|d| format!(": {d}"))
                .unwrap_or_default();
            return Err(AuthError::Refused(format!("{error}{detail}")));
        }
        value["id_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| {
                AuthError::upstream(
                    S,
                    "no id_token in the answer (is the openid scope allowed?)",
                    false,
                )
            })
    }

    async fn password(&self, username: &str, password: &str) -> Result<String, AuthError> {
        const S: &str = "cognito";
        let url = self
            .endpoints
            .cognito_url
            .as_deref()
            .ok_or_else(|| AuthError::Config {
                name: crate::config::vars::ISSUER,
                reason: "not a Cognito issuer, so the password flow has no endpoint".into(),
            })?;
        let mut params = json!({ "USERNAME": username, "PASSWORD": password });
        if let Some(secret) = &self.endpoints.client_secret {
            params["SECRET_HASH"] = secret_hash(secret, username, &self.endpoints.client_id).into();
        }
        let body = json!({
            "AuthFlow": "USER_PASSWORD_AUTH",
            "ClientId": self.endpoints.client_id,
            "AuthParameters": params,
        });
        let response = self
            .http
            .post(url)
            .header(
                "x-amz-target",
                "AWSCognitoIdentityProviderService.InitiateAuth",
            )
            .header("content-type", "application/x-amz-json-1.1")
            .body(body.to_string())
            .send()
            .await
            .map_err(|e| transport(S, &e))?;
        let status = response.status();
        let value: Value = response.json().await.map_err(|e| transport(S, &e))?;
        if !status.is_success() {
            let kind = value["__type"]
                .as_str()
                .unwrap_or("")
                .rsplit('#')
                .next()
                .unwrap_or("");
            let message = value["message"]
                .as_str()
                .or(value["Message"].as_str())
                .unwrap_or("");
            return Err(match kind {
                "NotAuthorizedException" | "UserNotFoundException" => {
                    AuthError::Refused("Wrong user name or password.".into())
                }
                "UserNotConfirmedException" => {
                    AuthError::Refused("This account is not confirmed yet.".into())
                }
                "PasswordResetRequiredException" => {
                    AuthError::Refused("This account must reset its password first.".into())
                }
                "TooManyRequestsException" | "InternalErrorException" => {
                    AuthError::upstream(S, format!("{kind}: {message}"), true)
                }
                _ => AuthError::upstream(
                    S,
                    format!("{status} {kind}: {message}"),
                    status.is_server_error(),
                ),
            });
        }
        if let Some(challenge) = value["ChallengeName"].as_str() {
            return Err(AuthError::Refused(format!(
                "this account needs the {challenge} step, which this form does not do; use the code flow (managed login)"
            )));
        }
        value["AuthenticationResult"]["IdToken"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| AuthError::upstream(S, "no IdToken in the answer", false))
    }

    async fn keys(&self, refresh: bool) -> Result<JwkSet, AuthError> {
        const S: &str = "jwks";
        if !refresh
            && let Some((at, keys)) = self.keys.lock().unwrap_or_else(|p| p.into_inner()).as_ref()
            && at.elapsed() < KEYS_FOR
        {
            return Ok(keys.clone());
        }
        let response = self
            .http
            .get(&self.endpoints.jwks_url)
            .send()
            .await
            .map_err(|e| transport(S, &e))?;
        let status = response.status();
        if !status.is_success() {
            return Err(AuthError::upstream(
                S,
                format!("{status} from {}", self.endpoints.jwks_url),
                status.is_server_error(),
            ));
        }
        let keys: JwkSet = response.json().await.map_err(|e| transport(S, &e))?;
        *self.keys.lock().unwrap_or_else(|p| p.into_inner()) = Some((Instant::now(), keys.clone()));
        Ok(keys)
    }
}
