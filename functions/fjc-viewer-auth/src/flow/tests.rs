//! The routes over in-memory ports (fakes, named as such), with ID tokens really signed
//! (ES256, a key made for the test) and really verified.

use std::collections::BTreeMap;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use jsonwebtoken::{EncodingKey, Header, encode};
use serde_json::json;

use super::*;
use crate::access::GroupMap;
use crate::memory::{FixedKey, MemoryProvider};
use crate::session::{Refusal, SessionKey, verify};
use crate::token::IdTokenRules;

const ISSUER: &str = "https://issuer.example";

struct Issuer {
    pkcs8: Vec<u8>,
    jwks: jsonwebtoken::jwk::JwkSet,
}

fn issuer() -> Issuer {
    let rng = SystemRandom::new();
    let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, doc.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec(); // 0x04 || x || y
    let jwks = serde_json::from_value(json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "t1", "alg": "ES256", "use": "sig",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]}))
    .unwrap();
    Issuer {
        pkcs8: doc.as_ref().to_vec(),
        jwks,
    }
}

impl Issuer {
    fn token(&self, claims: serde_json::Value) -> String {
        let mut header = Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("t1".into());
        encode(&header, &claims, &EncodingKey::from_ec_der(&self.pkcs8)).unwrap()
    }
}

fn claims(groups: &[&str], nonce: Option<&str>, now: i64) -> serde_json::Value {
    let mut c = json!({
        "iss": ISSUER, "aud": "client", "sub": "u-1", "token_use": "id",
        "email": "alice@example.com", "cognito:groups": groups, "exp": now + 600, "iat": now,
    });
    if let Some(n) = nonce {
        c["nonce"] = n.into();
    }
    c
}

fn config(flow: Flow) -> SignInConfig {
    SignInConfig {
        flow,
        rules: IdTokenRules {
            issuer: ISSUER.into(),
            client_id: "client".into(),
            groups_claim: "cognito:groups".into(),
        },
        groups: GroupMap::parse("admins=*;pay=payments").unwrap(),
        session_ttl: 900,
        public_url: None,
        scopes: "openid email".into(),
    }
}

fn code_flow() -> Flow {
    Flow::Code {
        authorize_url: "https://idp.example/oauth2/authorize".into(),
        token_url: "https://idp.example/oauth2/token".into(),
        logout_url: Some("https://idp.example/logout".into()),
    }
}

fn key() -> SessionKey {
    SessionKey::new("k1", [3; 32]).unwrap()
}

fn get(path: &str, query: &[(&str, &str)], cookies: &[(&str, &str)]) -> AuthRequest {
    AuthRequest {
        method: "GET".into(),
        path: path.into(),
        query: query
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        cookies: cookies
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        host: Some("abc.lambda-url.eu-west-1.on.aws".into()),
        forwarded_host: Some("dash.example.com".into()),
        form: Vec::new(),
    }
}

fn query_of(location: &str) -> BTreeMap<String, String> {
    let q = location.split_once('?').map(|(_, q)| q).unwrap_or("");
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

fn cookie_value<'a>(resp: &'a AuthResponse, name: &str) -> Option<&'a str> {
    resp.cookies
        .iter()
        .find_map(|c| c.strip_prefix(&format!("{name}=")))
        .map(|rest| rest.split(';').next().unwrap_or(""))
}

#[tokio::test]
async fn the_code_flow_signs_in_with_pkce_state_and_nonce_and_returns_to_the_page() {
    let idp = issuer();
    let provider = Arc::new(MemoryProvider::new(idp.jwks.clone()));
    let routes = SignIn::new(
        config(code_flow()),
        provider.clone(),
        Arc::new(FixedKey(key())),
    );
    let now = 1_800_000_000;

    let start = routes
        .handle(&get("/auth/login", &[("next", "/jobs/x")], &[]), now)
        .await;
    assert_eq!(start.status, 302);
    let location = start.location().unwrap();
    assert!(
        location.starts_with("https://idp.example/oauth2/authorize?"),
        "{location}"
    );
    let q = query_of(location);
    assert_eq!(q["redirect_uri"], "https://dash.example.com/auth/callback");
    assert_eq!(
        (
            q["response_type"].as_str(),
            q["code_challenge_method"].as_str()
        ),
        ("code", "S256")
    );
    let flow = cookie_value(&start, FLOW_COOKIE).unwrap().to_string();
    assert!(
        start.cookies[0].contains("Path=/auth/; Max-Age=600; HttpOnly; SameSite=Lax; Secure"),
        "{:?}",
        start.cookies
    );
    let [state, verifier, nonce, _next]: [&str; 4] =
        flow.split('.').collect::<Vec<_>>().try_into().unwrap();
    assert_eq!(q["state"], state);
    assert_eq!(q["nonce"], nonce);
    assert_eq!(
        q["code_challenge"],
        URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
    );

    let callback = |state: &str, flow: &str| {
        get(
            "/auth/callback",
            &[("code", "c1"), ("state", state)],
            &[(FLOW_COOKIE, flow)],
        )
    };
    // The provider answers the code with a token carrying the nonce.
    let token = idp.token(claims(&["pay"], Some(nonce), now));
    provider
        .codes
        .lock()
        .unwrap()
        .insert("c1".into(), (verifier.into(), token));
    let back = routes.handle(&callback(state, &flow), now).await;
    assert_eq!(back.status, 303, "{}", back.body);
    assert_eq!(back.location(), Some("/jobs/x"));
    let session = cookie_value(&back, "fjc_session").unwrap();
    let claims = verify(&key(), session, now).unwrap();
    assert_eq!(
        (claims.sub.as_str(), claims.ns.clone(), claims.exp),
        ("u-1", vec!["payments".to_string()], now + 900)
    );
    assert_eq!(cookie_value(&back, "fjc_namespaces"), Some("payments"));
    assert!(
        back.cookies
            .iter()
            .any(|c| c.starts_with("fjc_auth=; Path=/auth/; Max-Age=0")),
        "{:?}",
        back.cookies
    );
    assert_eq!(
        provider.redirects.lock().unwrap().as_slice(),
        ["https://dash.example.com/auth/callback"]
    );

    // The same code again, or a forged state, gets no session.
    let again = routes.handle(&callback(state, &flow), now).await;
    assert_eq!(
        (again.status, cookie_value(&again, "fjc_session")),
        (401, None)
    );
    let forged = routes.handle(&callback("other", &flow), now).await;
    assert_eq!(forged.status, 401);
    assert!(
        forged.body.contains("state does not match"),
        "{}",
        forged.body
    );
    let no_cookie = routes
        .handle(
            &get("/auth/callback", &[("code", "c1"), ("state", state)], &[]),
            now,
        )
        .await;
    assert!(
        no_cookie.body.contains("not started here"),
        "{}",
        no_cookie.body
    );
}

#[tokio::test]
async fn tokens_with_a_wrong_nonce_issuer_audience_expiry_or_key_are_refused() {
    let idp = issuer();
    let other = issuer();
    // jsonwebtoken checks expiry against the system clock.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let base = claims(&["admins"], Some("n"), now);
    let with = |k: &str, v: serde_json::Value| {
        let mut c = base.clone();
        c[k] = v;
        c
    };
    let cases = [
        (
            idp.token(with("nonce", "other".into())),
            "nonce does not match",
        ),
        (
            idp.token(with("iss", "https://evil.example".into())),
            "InvalidIssuer",
        ),
        (
            idp.token(with("aud", "someone-else".into())),
            "InvalidAudience",
        ),
        (
            idp.token(with("exp", (now - 3600).into())),
            "ExpiredSignature",
        ),
        (
            idp.token(with("token_use", "access".into())),
            "token_use is \"access\"",
        ),
        (other.token(base.clone()), "InvalidSignature"),
        ("not.a.jwt".to_string(), "not a JWT"),
    ];
    let rules = config(code_flow()).rules;
    for (token, want) in cases {
        let err = rules
            .verify(&token, &idp.jwks, Some("n"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(want), "{want}: {err}");
    }
    assert!(rules.verify(&idp.token(base), &idp.jwks, Some("n")).is_ok());
}

#[tokio::test]
async fn password_flow_signs_in_refuses_bad_passwords_and_viewers_without_a_group() {
    let idp = issuer();
    let now = 1_800_000_000;
    let mut provider = MemoryProvider::new(idp.jwks.clone());
    provider.passwords.insert(
        ("alice".into(), "pw".into()),
        idp.token(claims(&["admins"], None, now)),
    );
    provider.passwords.insert(
        ("bob".into(), "pw".into()),
        idp.token(claims(&["interns"], None, now)),
    );
    let routes = SignIn::new(
        config(Flow::Password),
        Arc::new(provider),
        Arc::new(FixedKey(key())),
    );
    let post = |user: &str, pass: &str, next: &str| {
        let mut r = get("/auth/login", &[], &[]);
        r.method = "POST".into();
        r.form = vec![
            ("username".into(), user.into()),
            ("password".into(), pass.into()),
            ("next".into(), next.into()),
        ];
        r
    };

    let form = routes
        .handle(
            &get("/auth/login", &[("next", "//evil.example/x")], &[]),
            now,
        )
        .await;
    assert_eq!(form.status, 200);
    assert!(
        form.body.contains("name=\"next\" value=\"/\""),
        "{}",
        form.body
    );

    let ok = routes
        .handle(&post("alice", "pw", "/?ns=payments"), now)
        .await;
    assert_eq!((ok.status, ok.location()), (303, Some("/?ns=payments")));
    let claims = verify(&key(), cookie_value(&ok, "fjc_session").unwrap(), now).unwrap();
    assert_eq!(claims.ns, vec!["*"]);

    let wrong = routes.handle(&post("alice", "nope", "/"), now).await;
    assert_eq!((wrong.status, wrong.cookies.len()), (401, 0));
    assert!(
        wrong.body.contains("Incorrect username or password."),
        "{}",
        wrong.body
    );

    let stranger = routes.handle(&post("bob", "pw", "/"), now).await;
    assert_eq!((stranger.status, stranger.cookies.len()), (403, 0));
    assert!(
        stranger.body.contains("none of their groups (interns)"),
        "{}",
        stranger.body
    );

    // No callback in the password flow; the code flow takes no POST login.
    assert_eq!(
        routes
            .handle(&get("/auth/callback", &[], &[]), now)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn sign_out_clears_the_session_and_ends_the_providers_session() {
    let routes = SignIn::new(
        config(code_flow()),
        Arc::new(MemoryProvider::new(issuer().jwks)),
        Arc::new(FixedKey(key())),
    );
    let out = routes
        .handle(&get("/auth/logout", &[], &[("fjc_session", "x")]), 0)
        .await;
    assert_eq!(out.status, 303);
    assert_eq!(
        out.cookies,
        vec![
            "fjc_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax; Secure",
            "fjc_namespaces=; Path=/; Max-Age=0; SameSite=Lax; Secure",
        ]
    );
    let q = query_of(out.location().unwrap());
    assert_eq!(q["logout_uri"], "https://dash.example.com/auth/signed-out");
    assert_eq!(q["client_id"], "client");
    let page = routes.handle(&get("/auth/signed-out", &[], &[]), 0).await;
    assert!(page.body.contains("You are signed out"), "{}", page.body);
    assert_eq!(verify(&key(), "", 0), Err(Refusal::Malformed));
}

#[test]
fn next_stays_on_this_site() {
    for (given, want) in [
        (Some("/jobs/a?x=1"), "/jobs/a?x=1"),
        (Some("//evil.example"), "/"),
        (Some("/\\evil.example"), "/"),
        (Some("https://evil.example"), "/"),
        (Some("/auth/logout"), "/"),
        (Some("/a\nb"), "/"),
        (None, "/"),
    ] {
        assert_eq!(safe_next(given), want, "{given:?}");
    }
}
