//! The sign-in routes under `/auth/`, served by the `sign-in` function behind a Function
//! URL that CloudFront sends `/auth/*` to:
//!
//! | route | code flow | password flow |
//! |---|---|---|
//! | `GET /auth/login?next=` | 302 to the provider, PKCE and state in a cookie | the form |
//! | `POST /auth/login` | 405 | Cognito `USER_PASSWORD_AUTH`, then the session |
//! | `GET /auth/callback` | code exchanged, then the session | 404 |
//! | `GET`/`POST /auth/logout` | session cleared, then the provider's logout | session cleared |
//! | `GET /auth/signed-out` | a page saying so | the same |
//!
//! "The session" is: the ID token verified ([`crate::token`]), its groups mapped to
//! namespaces ([`crate::access`]; none mapped = 403, no cookie), a cookie signed with the
//! current key ([`crate::session`]) and a 303 to the page the viewer asked for.

mod pages;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::config::{Flow, SignInConfig};
use crate::error::AuthError;
use crate::ports::{IdentityProvider, SessionKeys};
use crate::session::{self, Claims};
use crate::token::Identity;

/// The short-lived cookie carrying a code flow's state, PKCE verifier, nonce and target.
pub const FLOW_COOKIE: &str = "fjc_auth";

/// A request to a sign-in route, as the function received it.
#[derive(Debug, Clone, Default)]
pub struct AuthRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path, e.g. `/auth/login`.
    pub path: String,
    /// Query parameters, decoded.
    pub query: Vec<(String, String)>,
    /// Cookies, decoded.
    pub cookies: Vec<(String, String)>,
    /// The `Host` header.
    pub host: Option<String>,
    /// The `X-Forwarded-Host` header (the viewer's host, set by the edge function).
    pub forwarded_host: Option<String>,
    /// An `application/x-www-form-urlencoded` body, decoded.
    pub form: Vec<(String, String)>,
}

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl AuthRequest {
    fn query(&self, name: &str) -> Option<&str> {
        find(&self.query, name)
    }
    fn cookie(&self, name: &str) -> Option<&str> {
        find(&self.cookies, name)
    }
    fn form(&self, name: &str) -> Option<&str> {
        find(&self.form, name)
    }
}

/// What to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthResponse {
    /// HTTP status.
    pub status: u16,
    /// Headers besides `Set-Cookie`.
    pub headers: Vec<(String, String)>,
    /// `Set-Cookie` values.
    pub cookies: Vec<String>,
    /// The body (HTML or empty).
    pub body: String,
}

impl AuthResponse {
    fn html(status: u16, body: String) -> AuthResponse {
        AuthResponse {
            status,
            headers: vec![
                ("content-type".into(), "text/html; charset=utf-8".into()),
                ("cache-control".into(), "no-store".into()),
                ("content-security-policy".into(), "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'".into()),
            ],
            cookies: Vec::new(),
            body,
        }
    }

    fn redirect(status: u16, location: &str) -> AuthResponse {
        AuthResponse {
            status,
            headers: vec![
                ("location".into(), location.into()),
                ("cache-control".into(), "no-store".into()),
            ],
            cookies: Vec::new(),
            body: String::new(),
        }
    }

    fn with_cookie(mut self, cookie: String) -> AuthResponse {
        self.cookies.push(cookie);
        self
    }

    /// The `location` header, if any.
    pub fn location(&self) -> Option<&str> {
        find(&self.headers, "location")
    }
}

/// Where to send the viewer after signing in: a path on this site, never another host
/// (`//evil`, `/\evil`, a scheme) nor a sign-in route; anything else is `/`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && !n.contains('\\')
                && !n.starts_with("/auth/")
                && n.len() <= 2048
                && !n.chars().any(char::is_control) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

fn random_token() -> Result<String, AuthError> {
    let mut bytes = [0u8; 32];
    aws_lc_rs::rand::fill(&mut bytes)
        .map_err(|_| AuthError::Key("no randomness from the system".into()))?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

fn encode_query(pairs: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q.finish()
}

/// The sign-in routes over their ports.
pub struct SignIn {
    config: SignInConfig,
    provider: Arc<dyn IdentityProvider>,
    keys: Arc<dyn SessionKeys>,
}

impl SignIn {
    /// Routes over `provider` and `keys`.
    pub fn new(
        config: SignInConfig,
        provider: Arc<dyn IdentityProvider>,
        keys: Arc<dyn SessionKeys>,
    ) -> SignIn {
        SignIn {
            config,
            provider,
            keys,
        }
    }

    /// The dashboard's origin for this request.
    fn origin(&self, req: &AuthRequest) -> String {
        if let Some(u) = &self.config.public_url {
            return u.clone();
        }
        let host = req
            .forwarded_host
            .as_deref()
            .or(req.host.as_deref())
            .unwrap_or("localhost");
        // Plain HTTP only for a local run (the edge is always HTTPS).
        let local = host.starts_with("localhost") || host.starts_with("127.0.0.1");
        format!("{}://{host}", if local { "http" } else { "https" })
    }

    fn secure(&self, req: &AuthRequest) -> bool {
        self.origin(req).starts_with("https://")
    }

    /// Answers one request at `now` (epoch seconds).
    pub async fn handle(&self, req: &AuthRequest, now: i64) -> AuthResponse {
        let method = req.method.to_ascii_uppercase();
        let result = match (method.as_str(), req.path.as_str(), &self.config.flow) {
            ("GET", "/auth/login", Flow::Code { .. }) => self.start_code_flow(req),
            ("GET", "/auth/login", Flow::Password) => Ok(AuthResponse::html(
                200,
                pages::password_form(&safe_next(req.query("next")), None),
            )),
            ("POST", "/auth/login", Flow::Password) => self.password(req, now).await,
            ("GET", "/auth/callback", Flow::Code { .. }) => self.callback(req, now).await,
            ("GET" | "POST", "/auth/logout", _) => Ok(self.logout(req)),
            ("GET", "/auth/signed-out", _) => Ok(AuthResponse::html(
                200,
                pages::message("Signed out", "You are signed out of the fjc dashboard."),
            )),
            (_, "/auth/login", _) => Ok(AuthResponse::html(
                405,
                pages::message("Not allowed", "This sign-in does not take that method."),
            )),
            _ => Ok(AuthResponse::html(
                404,
                pages::message("Not found", "There is no such sign-in page."),
            )),
        };
        result.unwrap_or_else(|e| self.failure(&e))
    }

    fn failure(&self, e: &AuthError) -> AuthResponse {
        match e {
            AuthError::Refused(_) | AuthError::Token(_) => {
                tracing::warn!(error = %e, "sign-in refused");
                AuthResponse::html(401, pages::message("Sign-in failed", &e.to_string()))
            }
            e if e.retryable() => {
                tracing::warn!(error = %e, "sign-in could not complete");
                AuthResponse::html(
                    503,
                    pages::message(
                        "Try again",
                        "The identity provider could not be reached. Try again in a moment.",
                    ),
                )
            }
            e => {
                tracing::error!(error = %e, "sign-in failed");
                AuthResponse::html(
                    500,
                    pages::message(
                        "Sign-in unavailable",
                        "Sign-in is misconfigured; the function's log says why.",
                    ),
                )
            }
        }
    }

    fn start_code_flow(&self, req: &AuthRequest) -> Result<AuthResponse, AuthError> {
        let Flow::Code { authorize_url, .. } = &self.config.flow else {
            return Err(AuthError::Refused("not the code flow".into()));
        };
        let (state, verifier, nonce) = (random_token()?, random_token()?, random_token()?);
        let next = safe_next(req.query("next"));
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let redirect_uri = format!("{}/auth/callback", self.origin(req));
        let query = encode_query(&[
            ("response_type", "code"),
            ("client_id", &self.config.rules.client_id),
            ("redirect_uri", &redirect_uri),
            ("scope", &self.config.scopes),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
        ]);
        let sep = if authorize_url.contains('?') {
            '&'
        } else {
            '?'
        };
        let flow_cookie = format!(
            "{FLOW_COOKIE}={state}.{verifier}.{nonce}.{}; Path=/auth/; Max-Age=600; HttpOnly; SameSite=Lax{}",
            URL_SAFE_NO_PAD.encode(next.as_bytes()),
            if self.secure(req) { "; Secure" } else { "" }
        );
        Ok(
            AuthResponse::redirect(302, &format!("{authorize_url}{sep}{query}"))
                .with_cookie(flow_cookie),
        )
    }

    async fn callback(&self, req: &AuthRequest, now: i64) -> Result<AuthResponse, AuthError> {
        let clear_flow = format!("{FLOW_COOKIE}=; Path=/auth/; Max-Age=0; HttpOnly; SameSite=Lax");
        if let Some(error) = req.query("error") {
            let detail = req.query("error_description").unwrap_or(error);
            return Err(AuthError::Refused(format!(
                "the identity provider said: {detail}"
            )));
        }
        let (Some(code), Some(state)) = (req.query("code"), req.query("state")) else {
            return Err(AuthError::Refused(
                "the callback has no code or state".into(),
            ));
        };
        let parts: Vec<&str> = req.cookie(FLOW_COOKIE).unwrap_or("").split('.').collect();
        let [want_state, verifier, nonce, next] = parts[..] else {
            return Err(AuthError::Refused(
                "this sign-in was not started here, or took more than 10 minutes; start again"
                    .into(),
            ));
        };
        if aws_lc_rs::constant_time::verify_slices_are_equal(
            state.as_bytes(),
            want_state.as_bytes(),
        )
        .is_err()
        {
            return Err(AuthError::Refused(
                "the state does not match this browser's sign-in".into(),
            ));
        }
        let next = URL_SAFE_NO_PAD
            .decode(next.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok());
        let redirect_uri = format!("{}/auth/callback", self.origin(req));
        let token = self
            .provider
            .exchange_code(code, verifier, &redirect_uri)
            .await?;
        let identity = self.verify(&token, Some(nonce)).await?;
        Ok(self
            .session(req, &identity, next.as_deref(), now)
            .await?
            .with_cookie(clear_flow))
    }

    async fn password(&self, req: &AuthRequest, now: i64) -> Result<AuthResponse, AuthError> {
        let next = safe_next(req.form("next"));
        let (Some(user), Some(password)) = (req.form("username"), req.form("password")) else {
            return Ok(AuthResponse::html(
                400,
                pages::password_form(&next, Some("Enter a user name and a password.")),
            ));
        };
        let token = match self.provider.password(user.trim(), password).await {
            Ok(t) => t,
            Err(AuthError::Refused(why)) => {
                tracing::warn!(user = user.trim(), reason = %why, "password sign-in refused");
                return Ok(AuthResponse::html(
                    401,
                    pages::password_form(&next, Some(&why)),
                ));
            }
            Err(e) => return Err(e),
        };
        let identity = self.verify(&token, None).await?;
        self.session(req, &identity, Some(&next), now).await
    }

    async fn verify(&self, token: &str, nonce: Option<&str>) -> Result<Identity, AuthError> {
        let keys = self.provider.keys(false).await?;
        match self.config.rules.verify(token, &keys, nonce) {
            // A key the cached set lacks: the issuer may have rotated; look once more.
            Err(AuthError::Token(m)) if m.contains("is not among the issuer's keys") => {
                let keys = self.provider.keys(true).await?;
                self.config.rules.verify(token, &keys, nonce)
            }
            other => other,
        }
    }

    async fn session(
        &self,
        req: &AuthRequest,
        identity: &Identity,
        next: Option<&str>,
        now: i64,
    ) -> Result<AuthResponse, AuthError> {
        let Some(namespaces) = self.config.groups.namespaces_for(&identity.groups) else {
            tracing::warn!(user = %identity.name, groups = ?identity.groups, "signed in, but no group may see the dashboard");
            let groups = if identity.groups.is_empty() {
                "no groups".to_string()
            } else {
                identity.groups.join(", ")
            };
            return Ok(AuthResponse::html(
                403,
                pages::message(
                    "No access",
                    &format!(
                        "{} is signed in, but none of their groups ({groups}) may see the dashboard. Ask an administrator to add you to a group that maps to your namespaces.",
                        identity.name
                    ),
                ),
            ));
        };
        let key = self.keys.current().await?;
        let claims = Claims::new(&identity.sub, &namespaces, now, self.config.session_ttl);
        let value = session::mint(&key, &claims);
        tracing::info!(user = %identity.name, namespaces = ?claims.ns, kid = key.kid(), "signed in");
        Ok(AuthResponse::redirect(303, &safe_next(next))
            .with_cookie(session::set_cookie(
                &value,
                self.config.session_ttl,
                self.secure(req),
            ))
            .with_cookie(session::namespaces_cookie(
                &claims.ns,
                self.config.session_ttl,
                self.secure(req),
            )))
    }

    fn logout(&self, req: &AuthRequest) -> AuthResponse {
        let signed_out = format!("{}/auth/signed-out", self.origin(req));
        let location = match &self.config.flow {
            Flow::Code {
                logout_url: Some(url),
                ..
            } => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!(
                    "{url}{sep}{}",
                    encode_query(&[
                        ("client_id", &self.config.rules.client_id),
                        ("logout_uri", &signed_out),
                    ])
                )
            }
            _ => "/auth/signed-out".to_string(),
        };
        tracing::info!("signed out");
        AuthResponse::redirect(303, &location)
            .with_cookie(session::clear_cookie(self.secure(req)))
            .with_cookie(session::namespaces_cookie(&[], 0, self.secure(req)))
    }
}

#[cfg(test)]
mod tests;
