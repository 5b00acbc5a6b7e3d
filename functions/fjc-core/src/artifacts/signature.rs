//! Detached Ed25519 signatures over whole artifact files.
//!
//! A signature is pure Ed25519 (RFC 8032, not Ed25519ph) over the file's bytes, as
//! made by `openssl pkeyutl -sign -rawin -inkey key.pem -in app.jar -out app.jar.sig`.
//! Trusted keys are configured as PEM (`openssl pkey -pubout`) or as base64 of the
//! raw 32-byte key; [`verify_file`] reads the file once, in 64 KiB chunks, and
//! reports which trusted key signed it.

use std::path::Path;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use ed25519_dalek::pkcs8::DecodePublicKey;
use ed25519_dalek::{Signature, VerifyingKey};
use sha2::{Digest, Sha256};
use thiserror::Error;
use tokio::io::AsyncReadExt;

/// Bytes read from the file at a time.
const CHUNK: usize = 64 * 1024;

/// At most this many characters of a rejected entry appear in an error.
const PREVIEW_CHARS: usize = 6;

/// Standard base64, with or without padding.
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// DER prefix of an Ed25519 SubjectPublicKeyInfo (the key's 32 bytes follow).
const SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// Signature errors.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// Verification was asked for, but no trusted key is configured.
    #[error("no trusted signing keys are configured, so no signature can be verified")]
    NoTrustedKeys,
    /// A configured trusted key could not be read.
    #[error("trusted key at index {index}: {reason}")]
    BadKey {
        /// 0-based position of the entry in the configured list.
        index: usize,
        /// What is wrong with it (never the key material itself).
        reason: String,
    },
    /// The signature file is not an Ed25519 signature.
    #[error("signature is malformed: {reason}")]
    Malformed {
        /// What is wrong with it.
        reason: String,
    },
    /// No trusted key verifies the signature over these bytes.
    #[error("{}", mismatch_message(*keys))]
    Mismatch {
        /// How many trusted keys were tried.
        keys: usize,
    },
    /// The file could not be read.
    #[error("cannot read {path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What happened.
        message: String,
    },
}

fn mismatch_message(keys: usize) -> String {
    let against = if keys == 1 {
        "the trusted key".to_string()
    } else {
        format!("any of the {keys} trusted keys")
    };
    format!(
        "signature does not verify against {against} \
         (the file differs from what was signed, or another key signed it)"
    )
}

impl SignatureError {
    /// Whether a later attempt may succeed without a configuration change: only
    /// reading the file can fail transiently.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SignatureError::Io { .. })
    }

    /// A short, stable label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            SignatureError::NoTrustedKeys => "no_trusted_keys",
            SignatureError::BadKey { .. } => "bad_key",
            SignatureError::Malformed { .. } => "malformed",
            SignatureError::Mismatch { .. } => "mismatch",
            SignatureError::Io { .. } => "io",
        }
    }
}

/// `ed25519:` followed by the first 16 hex characters of the sha256 of the raw
/// 32-byte key: a short, stable name for logs and metrics.
pub fn key_id(key: &VerifyingKey) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let hex = hex::encode(digest);
    format!("ed25519:{}", &hex[..16])
}

#[derive(Debug, Clone)]
struct TrustedKey {
    id: String,
    key: VerifyingKey,
}

/// The public keys whose signatures are accepted (duplicates kept once, in
/// configuration order).
#[derive(Debug, Clone, Default)]
pub struct TrustedKeys {
    keys: Vec<TrustedKey>,
}

impl TrustedKeys {
    /// Reads the configured keys. Each entry is either PEM holding one or more
    /// `PUBLIC KEY` blocks (SubjectPublicKeyInfo, as `openssl pkey -pubout` prints
    /// it) or base64 of a raw 32-byte key. No entries gives an empty set.
    ///
    /// Fails on the first unreadable entry, naming its index; the error never
    /// shows more than the entry's first few characters.
    pub fn parse(entries: &[String]) -> Result<TrustedKeys, SignatureError> {
        let mut keys: Vec<TrustedKey> = Vec::new();
        for (index, entry) in entries.iter().enumerate() {
            for key in
                parse_entry(entry).map_err(|reason| SignatureError::BadKey { index, reason })?
            {
                if key.is_weak() {
                    return Err(SignatureError::BadKey {
                        index,
                        reason: "is a weak (small-order) Ed25519 key, which would accept \
                                 forged signatures"
                            .into(),
                    });
                }
                if !keys.iter().any(|k| k.key == key) {
                    keys.push(TrustedKey {
                        id: key_id(&key),
                        key,
                    });
                }
            }
        }
        Ok(TrustedKeys { keys })
    }

    /// Whether no key is trusted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// How many distinct keys are trusted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// The [`key_id`] of every trusted key, in configuration order.
    pub fn ids(&self) -> Vec<&str> {
        self.keys.iter().map(|k| k.id.as_str()).collect()
    }
}

/// The keys of one configured entry, or why it is unreadable.
fn parse_entry(entry: &str) -> Result<Vec<VerifyingKey>, String> {
    let text = entry.trim();
    if text.is_empty() {
        return Err("is empty".into());
    }
    if text.contains("-----BEGIN ") {
        return parse_pem(text);
    }
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    let bytes = BASE64.decode(compact.as_bytes()).map_err(|_| {
        format!(
            "is neither PEM nor base64 (starts with {:?})",
            preview(text)
        )
    })?;
    let raw: [u8; 32] = match bytes.try_into() {
        Ok(raw) => raw,
        Err(bytes) if bytes.len() == 44 && bytes.starts_with(&SPKI_PREFIX) => {
            return Err(
                "is base64 of a DER SubjectPublicKeyInfo; give the PEM text or base64 \
                        of the raw 32-byte key"
                    .into(),
            );
        }
        Err(bytes) => {
            return Err(format!(
                "base64 decodes to {} bytes; a raw Ed25519 public key is 32",
                bytes.len()
            ));
        }
    };
    let key = VerifyingKey::from_bytes(&raw)
        .map_err(|_| "is not a valid Ed25519 public key".to_string())?;
    Ok(vec![key])
}

/// Every `PUBLIC KEY` block of a PEM text.
fn parse_pem(text: &str) -> Result<Vec<VerifyingKey>, String> {
    let mut keys = Vec::new();
    let mut rest = text;
    let mut block = 0;
    while let Some(start) = rest.find("-----BEGIN ") {
        block += 1;
        let from_begin = &rest[start..];
        let after_begin = &from_begin["-----BEGIN ".len()..];
        let label = after_begin
            .find("-----")
            .map(|end| &after_begin[..end])
            .filter(|label| label.len() <= 40 && !label.contains(['\n', '\r']))
            .ok_or_else(|| format!("PEM block {block} has a malformed BEGIN line"))?;
        let end_line = format!("-----END {label}-----");
        let end = from_begin
            .find(&end_line)
            .ok_or_else(|| format!("PEM block {block} ({label}) has no `{end_line}` line"))?
            + end_line.len();
        if label != "PUBLIC KEY" {
            let hint = if label.contains("PRIVATE") {
                " (never configure a private key; export the public one with \
                 `openssl pkey -in key.pem -pubout`)"
            } else {
                ""
            };
            return Err(format!(
                "PEM block {block} is a {label:?}, expected \"PUBLIC KEY\"{hint}"
            ));
        }
        let key = VerifyingKey::from_public_key_pem(&from_begin[..end])
            .map_err(|e| format!("PEM block {block} is not an Ed25519 public key ({e})"))?;
        keys.push(key);
        rest = &from_begin[end..];
    }
    Ok(keys)
}

/// The first few characters of a rejected entry, for the error message.
fn preview(text: &str) -> String {
    let mut shown: String = text.chars().take(PREVIEW_CHARS).collect();
    if text.chars().count() > PREVIEW_CHARS {
        shown.push('…');
    }
    shown
}

/// Reads a signature file: the raw 64 bytes, or base64 text of them (whitespace,
/// including the line breaks `openssl base64` inserts, is ignored).
pub fn parse_signature(bytes: &[u8]) -> Result<Signature, SignatureError> {
    if let Ok(raw) = <[u8; 64]>::try_from(bytes) {
        return Ok(Signature::from_bytes(&raw));
    }
    let malformed = |reason: String| SignatureError::Malformed { reason };
    let text = std::str::from_utf8(bytes).map_err(|_| {
        malformed(format!(
            "{} bytes of binary data; expected the raw 64-byte signature or base64 text",
            bytes.len()
        ))
    })?;
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if compact.is_empty() {
        return Err(malformed("the signature file is empty".into()));
    }
    let decoded = BASE64.decode(compact.as_bytes()).map_err(|_| {
        malformed(format!(
            "{} bytes of text that is not base64; expected the raw 64-byte signature or base64",
            bytes.len()
        ))
    })?;
    let raw = <[u8; 64]>::try_from(decoded.as_slice()).map_err(|_| {
        malformed(format!(
            "base64 decodes to {} bytes; an Ed25519 signature is 64",
            decoded.len()
        ))
    })?;
    Ok(Signature::from_bytes(&raw))
}

/// Verifies `signature` over the whole file at `path` against every trusted key in
/// one streaming pass (64 KiB at a time; the file is never held in memory) and
/// returns the [`key_id`] of the key that signed it.
pub async fn verify_file(
    path: &Path,
    signature: &Signature,
    keys: &TrustedKeys,
) -> Result<String, SignatureError> {
    if keys.is_empty() {
        return Err(SignatureError::NoTrustedKeys);
    }
    let mut verifiers = Vec::with_capacity(keys.len());
    for trusted in &keys.keys {
        // Fails only for the signature itself (its scalar is out of range), so
        // it fails for every key alike.
        let verifier =
            trusted
                .key
                .verify_stream(signature)
                .map_err(|_| SignatureError::Malformed {
                    reason: "not a valid Ed25519 signature (its scalar is out of range)".into(),
                })?;
        verifiers.push((trusted, verifier));
    }
    let io_err = |e: std::io::Error| SignatureError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    let mut file = tokio::fs::File::open(path).await.map_err(io_err)?;
    let mut buf = vec![0u8; CHUNK];
    loop {
        let n = file.read(&mut buf).await.map_err(io_err)?;
        if n == 0 {
            break;
        }
        for (_, verifier) in &mut verifiers {
            verifier.update(&buf[..n]);
        }
    }
    for (trusted, verifier) in verifiers {
        if verifier.finalize_and_verify().is_ok() {
            return Ok(trusted.id.clone());
        }
    }
    Err(SignatureError::Mismatch { keys: keys.len() })
}

#[cfg(test)]
mod tests;
