use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey, EncodePublicKey};
use ed25519_dalek::{Signer, SigningKey};

use super::*;

fn signing_key(seed: u8) -> SigningKey {
    SigningKey::from_bytes(&[seed; 32])
}

fn raw_b64(key: &SigningKey) -> String {
    STANDARD.encode(key.verifying_key().as_bytes())
}

fn pem(key: &SigningKey) -> String {
    key.verifying_key()
        .to_public_key_pem(LineEnding::LF)
        .unwrap()
}

fn trusted(entries: &[String]) -> TrustedKeys {
    TrustedKeys::parse(entries).unwrap()
}

/// Deterministic, non-repeating bytes.
fn content(len: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).unwrap();
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).unwrap();
}

#[tokio::test]
async fn round_trip_returns_the_signing_key_id() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(1);
    let bytes = content(10_000);
    let path = write(&dir, "app.jar", &bytes);
    let keys = trusted(&[raw_b64(&key)]);

    let id = verify_file(&path, &key.sign(&bytes), &keys).await.unwrap();

    assert_eq!(id, key_id(&key.verifying_key()));
    assert_eq!(keys.ids(), [id.as_str()]);
}

#[test]
fn key_id_is_prefix_of_sha256_of_raw_key() {
    let key = signing_key(1).verifying_key();
    let expected = hex::encode(Sha256::digest(key.as_bytes()));
    let id = key_id(&key);
    assert_eq!(id, format!("ed25519:{}", &expected[..16]));
    assert_eq!(id.len(), "ed25519:".len() + 16);
}

#[tokio::test]
async fn a_flipped_byte_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(1);
    let bytes = content(1000);
    let path = write(&dir, "app.jar", &bytes);
    flip_byte(&path, 500);

    let err = verify_file(&path, &key.sign(&bytes), &trusted(&[raw_b64(&key)]))
        .await
        .unwrap_err();

    assert_eq!(err, SignatureError::Mismatch { keys: 1 });
    assert_eq!(err.kind(), "mismatch");
    assert!(!err.is_retryable());
    assert!(
        err.to_string()
            .starts_with("signature does not verify against the trusted key"),
        "{err}"
    );
}

#[tokio::test]
async fn a_signature_by_another_key_is_a_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = content(1000);
    let path = write(&dir, "app.jar", &bytes);
    let signature = signing_key(9).sign(&bytes);
    let keys = trusted(&[raw_b64(&signing_key(1)), raw_b64(&signing_key(2))]);

    let err = verify_file(&path, &signature, &keys).await.unwrap_err();

    assert_eq!(err, SignatureError::Mismatch { keys: 2 });
    assert!(
        err.to_string()
            .starts_with("signature does not verify against any of the 2 trusted keys"),
        "{err}"
    );
}

#[tokio::test]
async fn the_second_of_two_keys_verifies_and_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = content(1000);
    let path = write(&dir, "app.jar", &bytes);
    let second = signing_key(2);
    let keys = trusted(&[raw_b64(&signing_key(1)), pem(&second)]);

    let id = verify_file(&path, &second.sign(&bytes), &keys)
        .await
        .unwrap();

    assert_eq!(id, key_id(&second.verifying_key()));
    assert_eq!(keys.ids()[1], id);
}

#[tokio::test]
async fn raw_and_base64_signature_files_are_equivalent() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(3);
    let bytes = content(5000);
    let path = write(&dir, "app.jar", &bytes);
    let raw = key.sign(&bytes).to_bytes();
    let b64 = STANDARD.encode(raw);
    let wrapped = format!("  {}\n{}\n\n", &b64[..64], &b64[64..]);
    let keys = trusted(&[raw_b64(&key)]);

    for form in [raw.to_vec(), b64.clone().into_bytes(), wrapped.into_bytes()] {
        let signature = parse_signature(&form).unwrap();
        assert_eq!(signature.to_bytes(), raw);
        verify_file(&path, &signature, &keys).await.unwrap();
    }
    // Without padding too.
    let unpadded = b64.trim_end_matches('=');
    assert_eq!(
        parse_signature(unpadded.as_bytes()).unwrap().to_bytes(),
        raw
    );
}

#[test]
fn pem_entry_with_two_keys_trusts_both() {
    let (a, b) = (signing_key(4), signing_key(5));
    let both = format!("{}\n{}", pem(&a), pem(&b));

    let keys = trusted(&[both]);

    assert_eq!(keys.len(), 2);
    assert_eq!(
        keys.ids(),
        [key_id(&a.verifying_key()), key_id(&b.verifying_key())]
    );
}

#[test]
fn duplicate_keys_are_kept_once() {
    let key = signing_key(4);
    let keys = trusted(&[raw_b64(&key), pem(&key)]);
    assert_eq!(keys.len(), 1);
}

#[test]
fn no_entries_is_an_empty_set() {
    let keys = trusted(&[]);
    assert!(keys.is_empty());
    assert_eq!(keys.len(), 0);
    assert!(keys.ids().is_empty());
}

#[tokio::test]
async fn verifying_without_keys_is_no_trusted_keys() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = content(10);
    let path = write(&dir, "app.jar", &bytes);

    let err = verify_file(&path, &signing_key(1).sign(&bytes), &TrustedKeys::default())
        .await
        .unwrap_err();

    assert_eq!(err, SignatureError::NoTrustedKeys);
    assert_eq!(err.kind(), "no_trusted_keys");
    assert!(!err.is_retryable());
}

fn bad_key_reason(entries: &[String], index: usize) -> String {
    match TrustedKeys::parse(entries) {
        Err(SignatureError::BadKey { index: i, reason }) if i == index => reason,
        other => panic!("expected BadKey at {index}, got {other:?}"),
    }
}

#[test]
fn garbage_keys_are_rejected_with_their_index() {
    let good = raw_b64(&signing_key(1));
    let cases = [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("not base64 at all!", "neither PEM nor base64"),
        ("AAAA", "decodes to 3 bytes"),
        (
            "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA\n",
            "no `-----END PUBLIC KEY-----` line",
        ),
        (
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
            "not an Ed25519 public key",
        ),
        (
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "is a \"CERTIFICATE\", expected \"PUBLIC KEY\"",
        ),
    ];
    for (entry, expected) in cases {
        let reason = bad_key_reason(&[good.clone(), entry.to_string()], 1);
        assert!(reason.contains(expected), "{entry:?}: {reason}");
    }
}

#[test]
fn der_spki_in_base64_gets_a_hint() {
    let der = signing_key(1).verifying_key().to_public_key_der().unwrap();
    let reason = bad_key_reason(&[STANDARD.encode(der.as_bytes())], 0);
    assert!(reason.contains("DER SubjectPublicKeyInfo"), "{reason}");
}

#[test]
fn weak_keys_are_rejected() {
    // The identity point: a small-order key that "verifies" forged signatures.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let reason = bad_key_reason(&[STANDARD.encode(identity)], 0);
    assert!(reason.contains("weak"), "{reason}");
}

#[test]
fn a_private_key_is_rejected_without_echoing_it() {
    let private_pem = signing_key(7).to_pkcs8_pem(LineEnding::LF).unwrap();
    let body: Vec<&str> = private_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();

    let err = TrustedKeys::parse(&[private_pem.to_string()]).unwrap_err();

    let message = err.to_string();
    assert!(message.starts_with("trusted key at index 0: "), "{message}");
    assert!(message.contains("PRIVATE KEY"), "{message}");
    assert!(message.contains("openssl pkey"), "{message}");
    for line in body {
        assert!(!message.contains(line), "{message}");
    }
    assert_eq!(err.kind(), "bad_key");
    assert!(!err.is_retryable());
}

#[test]
fn rejected_entries_are_previewed_briefly() {
    let secret = "zzzzzz-this-part-must-not-appear-in-the-error";
    let message = TrustedKeys::parse(&[secret.to_string()])
        .unwrap_err()
        .to_string();
    assert!(message.contains("\"zzzzzz…\""), "{message}");
    assert!(!message.contains("this-part"), "{message}");
}

#[test]
fn garbage_signatures_are_malformed() {
    let cases: [(&[u8], &str); 5] = [
        (b"", "empty"),
        (b" \n\t", "empty"),
        (&[0xff; 63], "binary data"),
        (b"this is not base64!", "not base64"),
        (
            b"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
            "decodes to 32 bytes",
        ),
    ];
    for (bytes, expected) in cases {
        match parse_signature(bytes) {
            Err(err @ SignatureError::Malformed { .. }) => {
                assert!(err.to_string().contains(expected), "{bytes:?}: {err}");
                assert_eq!(err.kind(), "malformed");
            }
            other => panic!("{bytes:?}: expected Malformed, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn an_out_of_range_scalar_is_malformed() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "app.jar", b"x");
    let signature = parse_signature(&[0xff; 64]).unwrap();

    let err = verify_file(&path, &signature, &trusted(&[raw_b64(&signing_key(1))]))
        .await
        .unwrap_err();

    assert!(matches!(err, SignatureError::Malformed { .. }), "{err:?}");
}

#[tokio::test]
async fn a_missing_file_is_a_retryable_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing.jar");
    let key = signing_key(1);

    let err = verify_file(&path, &key.sign(b"x"), &trusted(&[raw_b64(&key)]))
        .await
        .unwrap_err();

    assert!(matches!(err, SignatureError::Io { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(err.kind(), "io");
    assert!(err.to_string().contains("missing.jar"), "{err}");
}

#[tokio::test]
async fn a_multi_megabyte_file_verifies_across_chunk_boundaries() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(6);
    // Not a multiple of the chunk size, so the last read is partial.
    let bytes = content(5 * 1024 * 1024 + 12_345);
    let path = write(&dir, "big.jar", &bytes);
    let signature = key.sign(&bytes);
    let keys = trusted(&[raw_b64(&signing_key(1)), raw_b64(&key)]);

    assert_eq!(
        verify_file(&path, &signature, &keys).await.unwrap(),
        key_id(&key.verifying_key())
    );

    // A change in the last, partial chunk is caught.
    flip_byte(&path, bytes.len() - 1);
    assert_eq!(
        verify_file(&path, &signature, &keys).await.unwrap_err(),
        SignatureError::Mismatch { keys: 2 }
    );
}

// --- Interoperability with the OpenSSL command line -------------------------------
//
// These run the real `openssl` (OpenSSL 3) and fail, not skip, when it is missing.

/// Runs `openssl ARGS` (split at spaces) in `dir`; panics unless it succeeds.
fn openssl(dir: &Path, args: &str) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(args.split_whitespace())
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("these tests need the openssl CLI (apt-get install openssl): {e}")
        });
    assert!(
        output.status.success(),
        "openssl {args} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

/// A key made by `openssl genpkey`, its public PEM, and `app.jar` signed with
/// `openssl pkeyutl -sign -rawin` into `app.jar.sig`.
fn openssl_signed_jar(dir: &Path, jar: &[u8]) -> String {
    std::fs::write(dir.join("app.jar"), jar).unwrap();
    openssl(dir, "genpkey -algorithm ed25519 -out key.pem");
    openssl(dir, "pkey -in key.pem -pubout -out pub.pem");
    openssl(
        dir,
        "pkeyutl -sign -rawin -inkey key.pem -in app.jar -out app.jar.sig",
    );
    std::fs::read_to_string(dir.join("pub.pem")).unwrap()
}

#[tokio::test]
async fn openssl_signature_verifies_and_a_flipped_byte_does_not() {
    let dir = tempfile::tempdir().unwrap();
    let jar = content(300_000);
    let public_pem = openssl_signed_jar(dir.path(), &jar);
    let keys = trusted(std::slice::from_ref(&public_pem));
    let jar_path = dir.path().join("app.jar");

    // Raw signature file.
    let raw_sig = std::fs::read(dir.path().join("app.jar.sig")).unwrap();
    assert_eq!(raw_sig.len(), 64);
    let signature = parse_signature(&raw_sig).unwrap();
    let id = verify_file(&jar_path, &signature, &keys).await.unwrap();
    let public = VerifyingKey::from_public_key_pem(&public_pem).unwrap();
    assert_eq!(id, key_id(&public));

    // `openssl base64` wraps its output at 64 columns.
    openssl(dir.path(), "base64 -in app.jar.sig -out app.jar.sig.b64");
    let b64_sig = std::fs::read(dir.path().join("app.jar.sig.b64")).unwrap();
    assert!(b64_sig.iter().filter(|b| **b == b'\n').count() >= 2);
    assert_eq!(parse_signature(&b64_sig).unwrap(), signature);

    flip_byte(&jar_path, 150_000);
    assert_eq!(
        verify_file(&jar_path, &signature, &keys).await.unwrap_err(),
        SignatureError::Mismatch { keys: 1 }
    );
}

#[test]
fn openssl_and_dalek_make_the_same_signature() {
    // Ed25519 is deterministic: the same key over the same bytes must give the
    // same signature, which shows openssl's `-rawin` is pure Ed25519 over the file.
    let dir = tempfile::tempdir().unwrap();
    let jar = content(70_000);
    openssl_signed_jar(dir.path(), &jar);
    let private_pem = std::fs::read_to_string(dir.path().join("key.pem")).unwrap();
    let key = SigningKey::from_pkcs8_pem(&private_pem).unwrap();

    let ours = key.sign(&jar).to_bytes();

    let theirs = std::fs::read(dir.path().join("app.jar.sig")).unwrap();
    assert_eq!(ours.as_slice(), theirs.as_slice());
}

#[test]
fn openssl_verifies_a_dalek_signature() {
    let dir = tempfile::tempdir().unwrap();
    let key = signing_key(8);
    let jar = content(70_000);
    std::fs::write(dir.path().join("app.jar"), &jar).unwrap();
    std::fs::write(dir.path().join("pub.pem"), pem(&key)).unwrap();
    std::fs::write(dir.path().join("app.jar.sig"), key.sign(&jar).to_bytes()).unwrap();

    let out = openssl(
        dir.path(),
        "pkeyutl -verify -rawin -pubin -inkey pub.pem -in app.jar -sigfile app.jar.sig",
    );
    assert!(
        String::from_utf8_lossy(&out).contains("Signature Verified Successfully"),
        "{}",
        String::from_utf8_lossy(&out)
    );
}
