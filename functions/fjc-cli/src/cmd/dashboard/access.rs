//! Who may read what `fjc dashboard serve` serves. The dashboard shows job ids,
//! namespaces, cluster names, artifact paths and error messages, so it is served
//! to anyone only on a loopback address. Listening anywhere else needs a token
//! (`--token` / `FJC_DASHBOARD_TOKEN`), which every request then carries, or the
//! explicit `--allow-anonymous`.
//!
//! A browser gets the token once in the address (`/?token=…`): the server answers
//! with a cookie holding it and sends the browser to the same page without it.
//! Programs send `Authorization: Bearer <token>`. Pure: no I/O.

use std::net::SocketAddr;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE, COOKIE, HeaderValue, LOCATION, SET_COOKIE,
    WWW_AUTHENTICATE,
};
use hyper::{Request, Response, StatusCode};

/// The cookie that carries the token after the first visit.
pub const TOKEN_COOKIE: &str = "fjc_dashboard_token";

/// The shortest token accepted.
pub const MIN_TOKEN_LEN: usize = 16;

/// Who may read the dashboard.
#[derive(Clone, PartialEq, Eq)]
pub enum Access {
    /// Anyone who can reach the address.
    Open,
    /// Holders of this token.
    Token(String),
}

impl std::fmt::Debug for Access {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Access::Open => f.write_str("Open"),
            // Never the token itself.
            Access::Token(_) => f.write_str("Token(***)"),
        }
    }
}

/// What to do with one request.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Serve it.
    Serve,
    /// The token came in the address: set the cookie and send the browser to
    /// `location` (the same path and query without the token).
    Remember { location: String },
    /// No valid token.
    Refuse,
}

impl Access {
    /// The rule for a server listening on `addr`; an error (naming the flags)
    /// for a non-loopback address with neither a token nor `--allow-anonymous`,
    /// for both at once, and for a weak token.
    pub fn for_listener(
        addr: SocketAddr,
        token: Option<String>,
        allow_anonymous: bool,
    ) -> Result<Access, String> {
        match (token, allow_anonymous) {
            (Some(_), true) => {
                Err("--token (FJC_DASHBOARD_TOKEN) and --allow-anonymous exclude each other".into())
            }
            (Some(token), false) => {
                let plain = token
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b));
                if token.len() < MIN_TOKEN_LEN || !plain {
                    return Err(format!(
                        "--token (FJC_DASHBOARD_TOKEN): use {MIN_TOKEN_LEN} or more of A-Z a-z \
                         0-9 . _ ~ - (e.g. `openssl rand -hex 24`)"
                    ));
                }
                Ok(Access::Token(token))
            }
            (None, true) => Ok(Access::Open),
            (None, false) if addr.ip().is_loopback() => Ok(Access::Open),
            (None, false) => Err(format!(
                "--addr {addr} is not a loopback address: anyone who reaches it would read job \
                 ids, namespaces, artifact paths and error messages. Give --token (or \
                 FJC_DASHBOARD_TOKEN) so only holders of the token read it, or \
                 --allow-anonymous to serve it to everyone on that network"
            )),
        }
    }

    /// Whether `req` may be served.
    pub fn check<B>(&self, req: &Request<B>) -> Verdict {
        let Access::Token(token) = self else {
            return Verdict::Serve;
        };
        let bearer = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let cookie = req
            .headers()
            .get_all(COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|c| c.trim().strip_prefix(TOKEN_COOKIE)?.strip_prefix('='));
        if bearer.into_iter().chain(cookie).any(|t| same(t, token)) {
            return Verdict::Serve;
        }
        let query = req.uri().query().unwrap_or("");
        let (given, rest): (Vec<&str>, Vec<&str>) = query
            .split('&')
            .filter(|p| !p.is_empty())
            .partition(|p| p.starts_with("token="));
        if given.iter().any(|p| same(&p["token=".len()..], token)) {
            let path = req.uri().path();
            let location = if rest.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{}", rest.join("&"))
            };
            return Verdict::Remember { location };
        }
        Verdict::Refuse
    }

    /// The answer to a request that is not served.
    pub fn answer(&self, verdict: Verdict) -> Option<Response<Full<Bytes>>> {
        let Access::Token(token) = self else {
            return None;
        };
        let mut r = match verdict {
            Verdict::Serve => return None,
            Verdict::Remember { location } => {
                let mut r = Response::new(Full::new(Bytes::new()));
                *r.status_mut() = StatusCode::SEE_OTHER;
                let cookie = format!("{TOKEN_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict");
                for (name, value) in [(LOCATION, location), (SET_COOKIE, cookie)] {
                    if let Ok(v) = HeaderValue::from_str(&value) {
                        r.headers_mut().insert(name, v);
                    }
                }
                r
            }
            Verdict::Refuse => {
                let mut r = Response::new(Full::new(Bytes::from_static(
                    b"this dashboard needs its token: open it once as /?token=<token>, or send \
                      Authorization: Bearer <token>\n",
                )));
                *r.status_mut() = StatusCode::UNAUTHORIZED;
                r.headers_mut().insert(
                    CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                r.headers_mut()
                    .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
                r
            }
        };
        r.headers_mut()
            .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        Some(r)
    }
}

/// Equal, in time that depends only on the lengths.
fn same(given: &str, token: &str) -> bool {
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef-token";

    fn addr(s: &str) -> SocketAddr {
        s.parse().expect("address")
    }

    fn get(uri: &str, headers: &[(&str, &str)]) -> Request<()> {
        let mut b = Request::get(uri);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).expect("request")
    }

    #[test]
    fn a_non_loopback_address_needs_a_token_or_the_explicit_opt_out() {
        let token = || Some(TOKEN.to_string());
        assert_eq!(
            Access::for_listener(addr("127.0.0.1:8088"), None, false),
            Ok(Access::Open)
        );
        assert_eq!(
            Access::for_listener(addr("[::1]:8088"), None, false),
            Ok(Access::Open)
        );
        let refused = Access::for_listener(addr("0.0.0.0:8088"), None, false).unwrap_err();
        assert!(
            refused.contains("--addr 0.0.0.0:8088 is not a loopback address")
                && refused.contains("--token")
                && refused.contains("--allow-anonymous"),
            "{refused}"
        );
        assert_eq!(
            Access::for_listener(addr("0.0.0.0:8088"), None, true),
            Ok(Access::Open)
        );
        assert_eq!(
            Access::for_listener(addr("0.0.0.0:8088"), token(), false),
            Ok(Access::Token(TOKEN.into()))
        );
        // A token applies on loopback too.
        assert_eq!(
            Access::for_listener(addr("127.0.0.1:8088"), token(), false),
            Ok(Access::Token(TOKEN.into()))
        );
        assert!(
            Access::for_listener(addr("0.0.0.0:1"), token(), true)
                .unwrap_err()
                .contains("exclude each other")
        );
        for weak in ["short", "has space in it 1234", "ünïcödé-token-12345"] {
            let e = Access::for_listener(addr("0.0.0.0:1"), Some(weak.into()), false).unwrap_err();
            assert!(e.contains("16 or more"), "{e}");
            assert!(!e.contains(weak), "the error never repeats the token: {e}");
        }
        assert_eq!(format!("{:?}", Access::Token(TOKEN.into())), "Token(***)");
    }

    #[test]
    fn requests_carry_the_token_as_bearer_or_cookie_or_once_in_the_address() {
        let access = Access::Token(TOKEN.into());
        assert_eq!(Access::Open.check(&get("/", &[])), Verdict::Serve);
        assert_eq!(access.check(&get("/", &[])), Verdict::Refuse);
        let bearer = format!("Bearer {TOKEN}");
        assert_eq!(
            access.check(&get("/snapshot.json", &[("authorization", &bearer)])),
            Verdict::Serve
        );
        assert_eq!(
            access.check(&get(
                "/",
                &[("authorization", "Bearer wrong-token-0123456")]
            )),
            Verdict::Refuse
        );
        let cookie = format!("theme=dark; {TOKEN_COOKIE}={TOKEN}");
        assert_eq!(
            access.check(&get("/jobs/a.json", &[("cookie", &cookie)])),
            Verdict::Serve
        );
        assert_eq!(
            access.check(&get(
                "/",
                &[("cookie", &format!("{TOKEN_COOKIE}={TOKEN}x"))]
            )),
            Verdict::Refuse
        );
        assert_eq!(
            access.check(&get(&format!("/?token={TOKEN}"), &[])),
            Verdict::Remember {
                location: "/".into()
            }
        );
        assert_eq!(
            access.check(&get(&format!("/index.html?job=a&token={TOKEN}&x=1"), &[])),
            Verdict::Remember {
                location: "/index.html?job=a&x=1".into()
            }
        );
        assert_eq!(
            access.check(&get("/?token=0123456789abcdef-tokeN", &[])),
            Verdict::Refuse
        );
    }

    #[test]
    fn refusals_and_the_first_visit_are_answered_without_caching() {
        let access = Access::Token(TOKEN.into());
        assert!(Access::Open.answer(Verdict::Serve).is_none());
        assert!(access.answer(Verdict::Serve).is_none());
        let refused = access.answer(Verdict::Refuse).expect("an answer");
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(refused.headers()[CACHE_CONTROL], "no-store");
        let remembered = access
            .answer(Verdict::Remember {
                location: "/?job=a".into(),
            })
            .expect("an answer");
        assert_eq!(remembered.status(), StatusCode::SEE_OTHER);
        assert_eq!(remembered.headers()[LOCATION], "/?job=a");
        assert_eq!(
            remembered.headers()[SET_COOKIE],
            format!("{TOKEN_COOKIE}={TOKEN}; Path=/; HttpOnly; SameSite=Strict").as_str()
        );
    }
}
