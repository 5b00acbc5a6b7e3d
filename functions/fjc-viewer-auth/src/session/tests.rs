use super::*;
use crate::access::GroupMap;

fn key(kid: &str, byte: u8) -> SessionKey {
    SessionKey::new(kid, [byte; 32]).unwrap()
}

#[test]
fn a_minted_cookie_verifies_and_carries_the_claims() {
    let k = key("k1", 7);
    let ns = GroupMap::parse("pay=payments,refunds")
        .unwrap()
        .namespaces_for(&["pay"])
        .unwrap();
    let claims = Claims::new("alice", &ns, 1_000, 3_600);
    let value = mint(&k, &claims);
    assert!(value.starts_with("v1.k1."), "{value}");
    assert_eq!(verify(&k, &value, 1_000), Ok(claims.clone()));
    assert_eq!(claims.ns, vec!["payments", "refunds"]);
    assert_eq!(claims.exp, 4_600);
}

#[test]
fn refusals_match_the_edge_rules() {
    let k = key("k1", 7);
    let good = mint(
        &k,
        &Claims {
            sub: "a".into(),
            ns: vec!["*".into()],
            exp: 100,
        },
    );
    let (head, sig) = good.rsplit_once('.').unwrap();
    let mut flipped = sig.to_string().into_bytes();
    flipped[0] = if flipped[0] == b'A' { b'B' } else { b'A' };
    let tampered = format!("{head}.{}", String::from_utf8(flipped).unwrap());
    let cases = [
        (good.clone(), 100, Err(Refusal::Expired)),
        (good.clone(), 99, Ok(())),
        (tampered, 1, Err(Refusal::Tampered)),
        (
            mint(
                &key("k0", 7),
                &Claims {
                    sub: "a".into(),
                    ns: vec![],
                    exp: 100,
                },
            ),
            1,
            Err(Refusal::OtherKey),
        ),
        (
            mint(
                &key("k1", 8),
                &Claims {
                    sub: "a".into(),
                    ns: vec![],
                    exp: 100,
                },
            ),
            1,
            Err(Refusal::Tampered),
        ),
        ("v2.k1.e30.AAAA".to_string(), 1, Err(Refusal::Malformed)),
        ("garbage".to_string(), 1, Err(Refusal::Malformed)),
        (String::new(), 1, Err(Refusal::Malformed)),
    ];
    for (value, now, want) in cases {
        assert_eq!(verify(&k, &value, now).map(|_| ()), want, "{value}");
    }
}

#[test]
fn keys_parse_from_their_stored_form_and_never_show_their_bytes() {
    let k = SessionKey::generate("k9").unwrap();
    let back = SessionKey::from_json(&k.to_json()).unwrap();
    assert_eq!(back, k);
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(k.key_base64())
            .unwrap()
            .len(),
        32
    );
    assert!(!format!("{k:?}").contains(&k.key_base64()), "{k:?}");
    for (text, want) in [
        ("{}", "not {\"kid\", \"key\"} JSON"),
        (
            r#"{"kid":"a.b","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}"#,
            "must be 1 to 64",
        ),
        (r#"{"kid":"a","key":"c2hvcnQ="}"#, "32 bytes"),
        (r#"{"kid":"a","key":"not base64!"}"#, "not standard base64"),
    ] {
        let err = SessionKey::from_json(text).unwrap_err().to_string();
        assert!(err.contains(want), "{text}: {err}");
    }
    assert_ne!(
        SessionKey::generate("x").unwrap(),
        SessionKey::generate("x").unwrap()
    );
}

#[test]
fn cookie_headers_scope_the_session_to_the_site() {
    assert_eq!(
        set_cookie("v", 60, true),
        "fjc_session=v; Path=/; Max-Age=60; HttpOnly; SameSite=Lax; Secure"
    );
    assert_eq!(
        clear_cookie(false),
        "fjc_session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax"
    );
}

#[test]
fn the_namespaces_cookie_lists_the_claim_for_the_picker() {
    let ns = vec!["payments".to_string(), "refunds".to_string()];
    assert_eq!(
        namespaces_cookie(&ns, 900, true),
        "fjc_namespaces=payments.refunds; Path=/; Max-Age=900; SameSite=Lax; Secure"
    );
    assert_eq!(
        namespaces_cookie(&["*".into()], 0, false),
        "fjc_namespaces=*; Path=/; Max-Age=0; SameSite=Lax"
    );
}
