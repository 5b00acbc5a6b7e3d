//! The `sign-in` Lambda function: the dashboard's `/auth/` routes behind a Function URL
//! (CloudFront sends `/auth/*` to it). A thin binary: settings and clients at cold start,
//! then each request translated to [`fjc_viewer_auth::flow::AuthRequest`] and back.
//! Its settings are `FJC_AUTH_*` (see `fjc_viewer_auth::config::vars`), plus
//! `FJC_AUTH_CLIENT_ID_SECRET` (a secret holding the client id) in place of
//! `FJC_AUTH_CLIENT_ID`.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use fjc_viewer_auth::AuthError;
use fjc_viewer_auth::adapters::oidc::{Endpoints, HttpProvider};
use fjc_viewer_auth::adapters::secrets::{SecretsManagerKey, secret_string};
use fjc_viewer_auth::config::{Flow, SignInConfig, vars};
use fjc_viewer_auth::flow::{AuthRequest, AuthResponse, SignIn};
use lambda_http::{Body, Error, Request, RequestExt, Response, service_fn};

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

/// Cognito's API endpoint for the password flow: the SDK's endpoint override when set (an
/// emulator), else the issuer's region.
fn cognito_url(issuer: &str) -> Option<String> {
    if let Some(url) =
        env("AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER").or_else(|| env("AWS_ENDPOINT_URL"))
    {
        return Some(url);
    }
    let host = issuer.strip_prefix("https://")?.split('/').next()?;
    let region = host
        .strip_prefix("cognito-idp.")?
        .strip_suffix(".amazonaws.com")?;
    Some(format!("https://cognito-idp.{region}.amazonaws.com/"))
}

/// The client id secret: the stack's own Cognito client id is kept in a secret, because
/// the client names the distribution, which names this function's URL (a reference from
/// the function's environment to the client would be a cycle).
const CLIENT_ID_SECRET: &str = "FJC_AUTH_CLIENT_ID_SECRET";

async fn sign_in() -> Result<SignIn, AuthError> {
    let aws = aws_config::load_from_env().await;
    let secrets = aws_sdk_secretsmanager::Client::new(&aws);
    let client_id = match (
        env(vars::CLIENT_ID).filter(|v| !v.trim().is_empty()),
        env(CLIENT_ID_SECRET).filter(|v| !v.trim().is_empty()),
    ) {
        (None, Some(secret)) => Some(secret_string(&secrets, &secret).await?.trim().to_string()),
        _ => None,
    };
    let config = SignInConfig::load(|name| {
        if name == vars::CLIENT_ID && client_id.is_some() {
            return client_id.clone();
        }
        env(name)
    })?;
    let client_secret = match env(vars::CLIENT_SECRET_ARN).filter(|v| !v.is_empty()) {
        Some(arn) => Some(secret_string(&secrets, &arn).await?),
        None => None,
    };
    let key_secret =
        env(vars::SESSION_KEY_ARN)
            .filter(|v| !v.is_empty())
            .ok_or(AuthError::Config {
                name: vars::SESSION_KEY_ARN,
                reason: "must be set".into(),
            })?;
    let endpoints = Endpoints {
        token_url: match &config.flow {
            Flow::Code { token_url, .. } => Some(token_url.clone()),
            Flow::Password => None,
        },
        cognito_url: cognito_url(&config.rules.issuer),
        jwks_url: config.jwks_url(env),
        client_id: config.rules.client_id.clone(),
        client_secret,
    };
    let provider = Arc::new(HttpProvider::new(endpoints)?);
    let keys = Arc::new(SecretsManagerKey::new(secrets, key_secret));
    Ok(SignIn::new(config, provider, keys))
}

fn pairs(text: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(text.as_bytes())
        .into_owned()
        .collect()
}

fn translate(req: &Request) -> AuthRequest {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let cookies = req
        .headers()
        .get_all("cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let form = match req.body() {
        Body::Text(t) => pairs(t),
        Body::Binary(b) => pairs(&String::from_utf8_lossy(b)),
        _ => Vec::new(),
    };
    AuthRequest {
        method: req.method().as_str().to_string(),
        path: req.raw_http_path().to_string(),
        query: req
            .query_string_parameters_ref()
            .map(|q| {
                q.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect()
            })
            .unwrap_or_default(),
        cookies,
        host: header("host"),
        forwarded_host: header("x-forwarded-host"),
        form,
    }
}

fn respond(answer: AuthResponse) -> Result<Response<Body>, Error> {
    let mut builder = Response::builder().status(answer.status);
    for (k, v) in &answer.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    for c in &answer.cookies {
        builder = builder.header("set-cookie", c.as_str());
    }
    Ok(builder.body(Body::Text(answer.body))?)
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    fjc_viewer_auth::init_logging();
    let routes = match sign_in().await {
        Ok(r) => r,
        Err(e) => {
            tracing::error!(error = %e, "sign-in cannot start");
            return Err(e.into());
        }
    };
    let routes = &routes;
    lambda_http::run(service_fn(move |req: Request| async move {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or_default();
        let request = translate(&req);
        tracing::info!(method = %request.method, path = %request.path, "sign-in request");
        respond(routes.handle(&request, now).await)
    }))
    .await
}
