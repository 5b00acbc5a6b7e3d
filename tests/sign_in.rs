//! Dashboard viewer sign-in, end to end on this machine: a Cognito user pool in moto with
//! users in groups, the `sign-in` function under `cargo lambda watch` (the real
//! `lambda_http` process), its session key in Secrets Manager (moto), and the local edge
//! running the real CloudFront Function code in front of it and of a snapshot published
//! by the real publisher (`fjc dashboard sample --out`: namespaces `default`, `payments`,
//! `web`). The edge and its KeyValueStore are fakes of CloudFront, named as such. The
//! code flow runs against a fake OIDC provider (`oidc.rs`: moto has no `/oauth2/*`).

use std::io::Write;
use std::time::Duration;

use fjc_integration_tests::harness::{fjc_binary, unique};
use fjc_integration_tests::lambda::LambdaWatch;
use fjc_integration_tests::oidc::FakeOidc;
use fjc_integration_tests::viewer::{Edge, FileKvs, Pool, browserless, set_cookie};
use fjc_viewer_auth::adapters::secrets::SecretsManagerVersions;
use fjc_viewer_auth::rotation::{Step, rotate};
use fjc_viewer_auth::session::{Refusal, SessionKey, verify};
use serde_json::Value;

const FIRST: Duration = Duration::from_secs(600);

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

async fn sign_in(edge: &Edge, user: &str, password: &str, next: &str) -> reqwest::Response {
    browserless()
        .post(format!("{}auth/login", edge.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(
            [("username", user), ("password", password), ("next", next)]
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{k}={}",
                        percent_encoding::utf8_percent_encode(
                            v,
                            percent_encoding::NON_ALPHANUMERIC
                        )
                    )
                })
                .collect::<Vec<_>>()
                .join("&"),
        )
        .send()
        .await
        .expect("sign-in through the edge")
}

async fn get(edge: &Edge, path: &str, session: Option<&str>) -> reqwest::Response {
    let mut req = browserless().get(format!("{}{}", edge.url, path.trim_start_matches('/')));
    if let Some(s) = session {
        req = req.header("cookie", format!("fjc_session={s}"));
    }
    req.send().await.expect("request through the edge")
}

fn namespaces(snapshot: &Value) -> Vec<String> {
    let mut ns: Vec<String> = snapshot["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| j["namespace"].as_str().unwrap_or("default").to_string())
        .collect();
    ns.sort();
    ns.dedup();
    ns
}

/// What the stack holds besides the functions: the session key in Secrets Manager (as
/// the rotation leaves it) and the dashboard bucket (an app page and the published
/// snapshot).
struct Site {
    secrets: aws_sdk_secretsmanager::Client,
    secret_id: String,
    first: SessionKey,
    tmp: tempfile::TempDir,
    published: std::path::PathBuf,
    app: std::path::PathBuf,
}

impl Site {
    async fn new() -> Site {
        let sdk = aws_config::load_defaults(aws_config::BehaviorVersion::latest()).await;
        let secrets = aws_sdk_secretsmanager::Client::new(&sdk);
        let secret_id = unique("fjc-session-key");
        let first = SessionKey::generate("k0").expect("key");
        secrets
            .create_secret()
            .name(&secret_id)
            .secret_string(first.to_json())
            .send()
            .await
            .expect("create the session-key secret");
        let tmp = tempfile::tempdir().expect("tmp");
        let published = tmp.path().join("published");
        let out = std::process::Command::new(fjc_binary())
            .args(["dashboard", "sample", "--quiet", "--out"])
            .arg(&published)
            .output()
            .expect("fjc dashboard sample");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let app = tmp.path().join("app");
        std::fs::create_dir_all(&app).expect("app dir");
        std::fs::write(app.join("index.html"), "<!doctype html><title>fjc</title>").expect("index");
        Site {
            secrets,
            secret_id,
            first,
            tmp,
            published,
            app,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn viewers_sign_in_through_cognito_and_see_only_their_namespaces_until_the_key_rotates() {
    let endpoint =
        std::env::var("AWS_ENDPOINT_URL").expect("AWS_ENDPOINT_URL (source .local/env.sh)");
    let pool = Pool::create(&endpoint, &unique("dash")).await;
    pool.user("pat", "Pay-ments-2026", &["payments-team"]).await;
    pool.user("ada", "Ad-min-2026!", &["fjc-admins", "payments-team"])
        .await;
    pool.user("ivy", "Int-ern-2026", &["interns"]).await;

    let site = Site::new().await;
    let (secrets, secret_id, first, tmp, published, app) = (
        &site.secrets,
        &site.secret_id,
        &site.first,
        &site.tmp,
        &site.published,
        &site.app,
    );
    let mut watch = LambdaWatch::start(
        "sign-in",
        &[
            ("FJC_AUTH_FLOW", "password".into()),
            ("FJC_AUTH_ISSUER", pool.issuer()),
            ("FJC_AUTH_CLIENT_ID", pool.client_id.clone()),
            ("FJC_AUTH_JWKS_URL", pool.jwks_url()),
            (
                "FJC_AUTH_GROUPS",
                "fjc-admins=*;payments-team=payments".into(),
            ),
            ("FJC_AUTH_SESSION_KEY_ARN", secret_id.clone()),
            ("FJC_AUTH_SESSION_TTL", "900".into()),
        ],
    );
    let kvs = FileKvs::with(tmp.path().join("kvs.json"), first);
    let auth_origin = format!("http://127.0.0.1:{}/lambda-url/sign-in", watch.port());
    let edge = Edge::start(&kvs.0, &auth_origin, &[app, published]);

    // Anonymous: pages go to sign-in, data gets a 401 naming no job.
    let page = get(&edge, "/", None).await;
    assert_eq!(page.status(), 302);
    assert_eq!(page.headers()["location"], "/auth/login?next=%2F");
    for path in [
        "/snapshot.json",
        "/jobs/payments/payments-v2.json",
        "/snapshots/ns/payments.json",
    ] {
        let r = get(&edge, path, None).await;
        let status = r.status().as_u16();
        let body = r.text().await.unwrap_or_default();
        assert!(status == 401 || status == 403, "{path}: {status}");
        assert!(
            !body.contains("payments-v2") && !body.contains("jobs\""),
            "{path}: {body}"
        );
    }

    // The sign-in form, served by the function through the edge (the first request may
    // wait for `cargo run` to start the function).
    let form = tokio::time::timeout(FIRST, get(&edge, "/auth/login?next=%2F", None))
        .await
        .expect("sign-in form within the first-start time");
    assert_eq!(form.status(), 200, "{}", watch.log_tail(20));
    assert!(
        form.text()
            .await
            .unwrap_or_default()
            .contains("name=\"password\"")
    );

    // Wrong password, and a user whose groups map to nothing: no cookie.
    let wrong = sign_in(&edge, "pat", "nope", "/").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(set_cookie(&wrong, "fjc_session"), None);
    let intern = sign_in(&edge, "ivy", "Int-ern-2026", "/").await;
    assert_eq!(intern.status(), 403);
    assert_eq!(set_cookie(&intern, "fjc_session"), None);
    assert!(
        intern
            .text()
            .await
            .unwrap_or_default()
            .contains("none of their groups (interns)")
    );

    // A payments viewer: a cookie for the payments namespace, short-lived.
    let ok = sign_in(&edge, "pat", "Pay-ments-2026", "/?job=payments-v2").await;
    assert_eq!(ok.status(), 303, "{}", watch.log_tail(20));
    assert_eq!(ok.headers()["location"], "/?job=payments-v2");
    let (pat, attributes) = set_cookie(&ok, "fjc_session").expect("session cookie");
    assert_eq!(attributes, "Path=/; Max-Age=900; HttpOnly; SameSite=Lax");
    let claims = verify(first, &pat, now()).expect("the cookie verifies with the key");
    assert_eq!(claims.ns, vec!["payments"]);
    assert!((claims.exp - now() - 900).abs() <= 5, "{claims:?}");

    // The edge accepts it and serves only the payments overview and documents.
    let snap = get(&edge, "/snapshot.json", Some(&pat)).await;
    assert_eq!(snap.status(), 200);
    let snap: Value = snap.json().await.expect("overview json");
    assert_eq!(namespaces(&snap), vec!["payments"], "{snap}");
    assert_eq!(
        get(&edge, "/snapshot.json?ns=web", Some(&pat))
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&edge, "/jobs/web/clicks-enrich.json", Some(&pat))
            .await
            .status(),
        403
    );
    assert_eq!(
        get(&edge, "/jobs/payments/payments-v2.json", Some(&pat))
            .await
            .status(),
        200
    );
    assert_eq!(get(&edge, "/", Some(&pat)).await.status(), 200);

    // An admin sees every namespace.
    let admin = sign_in(&edge, "ada", "Ad-min-2026!", "/").await;
    let (ada, _) = set_cookie(&admin, "fjc_session").expect("admin cookie");
    let all: Value = get(&edge, "/snapshot.json", Some(&ada))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(namespaces(&all), vec!["default", "payments", "web"]);

    // Rotation, through the real Secrets Manager adapter (moto): the new key reaches the
    // edge, then becomes current. Sessions signed with the old key end at once.
    let versions = SecretsManagerVersions::new(secrets.clone(), secret_id.clone());
    let token = "00000000-rotation-0000-000000000001";
    for step in [Step::Create, Step::Set, Step::Test, Step::Finish] {
        rotate(step, token, &versions, &kvs)
            .await
            .expect("rotation step");
    }
    let old = get(&edge, "/snapshot.json", Some(&pat)).await;
    assert_eq!(old.status(), 401);
    assert_eq!(
        set_cookie(&old, "fjc_session").map(|c| c.0),
        Some(String::new()),
        "the old cookie is cleared"
    );
    assert_eq!(get(&edge, "/", Some(&ada)).await.status(), 302);
    let again = sign_in(&edge, "pat", "Pay-ments-2026", "/").await;
    let (fresh, _) = set_cookie(&again, "fjc_session").expect("new session");
    assert!(fresh.starts_with("v1.k00000000rota."), "{fresh}");
    assert_eq!(verify(first, &fresh, now()), Err(Refusal::OtherKey));
    assert_eq!(
        get(&edge, "/snapshot.json", Some(&fresh)).await.status(),
        200
    );

    // The function's cold start and peak memory, straight to stderr past the capture.
    let cold = watch
        .cold_start("sign-in request")
        .expect("the function process was seen");
    let _ = writeln!(
        std::io::stderr(),
        "sign-in (debug build, cargo lambda watch): init duration {}, max memory {}",
        cold.init
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
            .unwrap_or_else(|| "unknown".into()),
        cold.max_rss_kib
            .map(|k| format!("{:.1} MiB", k as f64 / 1024.0))
            .unwrap_or_else(|| "unknown".into()),
    );

    // Sign-out clears the cookie.
    let out = browserless()
        .get(format!("{}auth/logout", edge.url))
        .header("cookie", format!("fjc_session={fresh}"))
        .send()
        .await
        .expect("sign out");
    assert_eq!(out.status(), 303);
    assert_eq!(out.headers()["location"], "/auth/signed-out");
    assert_eq!(
        set_cookie(&out, "fjc_session").map(|c| c.0),
        Some(String::new())
    );
    watch.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_code_flow_signs_in_through_an_oidc_provider_with_pkce_and_signs_out_there() {
    let site = Site::new().await;
    let idp = FakeOidc::start("dash-client", "wes", &["web-team"]).await;
    let mut watch = LambdaWatch::start(
        "sign-in",
        &[
            ("FJC_AUTH_FLOW", "code".into()),
            ("FJC_AUTH_ISSUER", idp.url.clone()),
            ("FJC_AUTH_CLIENT_ID", "dash-client".into()),
            ("FJC_AUTH_AUTHORIZE_URL", format!("{}/authorize", idp.url)),
            ("FJC_AUTH_TOKEN_URL", format!("{}/token", idp.url)),
            ("FJC_AUTH_LOGOUT_URL", format!("{}/logout", idp.url)),
            ("FJC_AUTH_JWKS_URL", format!("{}/jwks", idp.url)),
            ("FJC_AUTH_GROUPS", "web-team=web".into()),
            ("FJC_AUTH_GROUPS_CLAIM", "groups".into()),
            ("FJC_AUTH_SESSION_KEY_ARN", site.secret_id.clone()),
        ],
    );
    let kvs = FileKvs::with(site.tmp.path().join("kvs.json"), &site.first);
    let auth_origin = format!("http://127.0.0.1:{}/lambda-url/sign-in", watch.port());
    let edge = Edge::start(&kvs.0, &auth_origin, &[&site.app, &site.published]);
    let http = browserless();

    // The edge sends an anonymous page view to sign-in, which sends it to the provider.
    let start = tokio::time::timeout(FIRST, get(&edge, "/auth/login?next=%2F%3Fns%3Dweb", None))
        .await
        .expect("sign-in within the first-start time");
    assert_eq!(start.status(), 302, "{}", watch.log_tail(20));
    let authorize = start.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    assert!(
        authorize.starts_with(&format!("{}/authorize?", idp.url)),
        "{authorize}"
    );
    let (flow, attributes) = set_cookie(&start, "fjc_auth").expect("flow cookie");
    assert_eq!(
        attributes,
        "Path=/auth/; Max-Age=600; HttpOnly; SameSite=Lax"
    );

    // The provider authorizes and sends the browser back to the dashboard's callback.
    let back = http.get(&authorize).send().await.expect("authorize");
    assert_eq!(back.status(), 302);
    let callback = back.headers()["location"]
        .to_str()
        .expect("callback")
        .to_string();
    assert!(
        callback.starts_with(&format!("{}auth/callback?code=", edge.url)),
        "{callback}"
    );
    let done = http
        .get(&callback)
        .header("cookie", format!("fjc_auth={flow}"))
        .send()
        .await
        .expect("callback through the edge");
    assert_eq!(done.status(), 303, "{}", watch.log_tail(20));
    assert_eq!(done.headers()["location"], "/?ns=web");
    let (session, _) = set_cookie(&done, "fjc_session").expect("session");
    let claims = verify(&site.first, &session, now()).expect("signed with the current key");
    assert_eq!(
        (claims.sub.as_str(), claims.ns.clone()),
        ("wes", vec!["web".to_string()])
    );
    let token_calls = idp.token_requests();
    assert_eq!(token_calls.len(), 1);
    assert_eq!(
        token_calls[0]["redirect_uri"],
        format!("{}auth/callback", edge.url)
    );

    // The session reads the web overview; the code cannot be used twice.
    let snap: Value = get(&edge, "/snapshot.json", Some(&session))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(namespaces(&snap), vec!["web"]);
    let replay = http
        .get(&callback)
        .header("cookie", format!("fjc_auth={flow}"))
        .send()
        .await
        .expect("replay");
    assert_eq!(replay.status(), 401);
    assert_eq!(set_cookie(&replay, "fjc_session"), None);

    // Sign-out ends the session here and at the provider.
    let out = get(&edge, "/auth/logout", Some(&session)).await;
    assert_eq!(out.status(), 303);
    let logout = out.headers()["location"]
        .to_str()
        .expect("logout")
        .to_string();
    assert!(
        logout.starts_with(&format!("{}/logout?", idp.url)),
        "{logout}"
    );
    assert_eq!(
        http.get(&logout)
            .send()
            .await
            .expect("provider logout")
            .status(),
        200
    );
    assert_eq!(
        idp.logouts()[0]["logout_uri"],
        format!("{}auth/signed-out", edge.url)
    );
    assert_eq!(
        set_cookie(&out, "fjc_session").map(|c| c.0),
        Some(String::new())
    );
    watch.stop();
}
