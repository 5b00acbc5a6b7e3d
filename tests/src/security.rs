//! Test support for artifact trust and secrets: versioned buckets in moto, jar
//! variants with other bytes, ed25519 signing keys, Secrets Manager secrets.

use std::path::{Path, PathBuf};

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ed25519_dalek::{Signer, SigningKey};
use fjc_aws::wiring;
use fjc_core::artifacts::signature::TrustedKeys;

use crate::harness::{s3_client, unique};

/// A new versioned bucket in moto.
pub async fn versioned_bucket() -> (aws_sdk_s3::Client, String) {
    let s3 = s3_client(&wiring::aws_config().await);
    let bucket = unique("fjc-artifacts");
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("create bucket");
    s3.put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .expect("versioning");
    (s3, bucket)
}

/// Uploads bytes; returns the version id.
pub async fn put(s3: &aws_sdk_s3::Client, bucket: &str, key: &str, bytes: Vec<u8>) -> String {
    s3.put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(bytes))
        .send()
        .await
        .expect("put object")
        .version_id()
        .expect("version id")
        .to_string()
}

/// A copy of `jar` with one more entry (`fjc-variant.txt` holding `tag`): a
/// valid jar with other bytes, as a new build would be.
pub fn jar_variant(jar: &Path, tag: &str, dir: &Path) -> PathBuf {
    let out = dir.join(format!("variant-{tag}.jar"));
    let script = "import shutil, sys, zipfile\n\
                  shutil.copy(sys.argv[1], sys.argv[2])\n\
                  with zipfile.ZipFile(sys.argv[2], 'a') as z:\n    z.writestr('fjc-variant.txt', sys.argv[3])\n";
    let status = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(jar)
        .arg(&out)
        .arg(tag)
        .status()
        .expect("python3");
    assert!(status.success(), "jar variant");
    out
}

/// An ed25519 key pair for signing test artifacts.
pub struct Signer25519 {
    key: SigningKey,
}

impl Signer25519 {
    /// A fresh random key.
    pub fn generate() -> Signer25519 {
        let seed: [u8; 32] = std::array::from_fn(|_| rand_byte());
        Signer25519 {
            key: SigningKey::from_bytes(&seed),
        }
    }

    /// The public key, base64 of its 32 raw bytes (a configuration entry).
    pub fn public_b64(&self) -> String {
        STANDARD.encode(self.key.verifying_key().to_bytes())
    }

    /// Trusted keys holding just this key.
    pub fn trusted(&self) -> TrustedKeys {
        TrustedKeys::parse(&[self.public_b64()]).expect("trusted keys")
    }

    /// The detached signature of `bytes` (raw 64 bytes, like `openssl pkeyutl -sign`).
    pub fn sign(&self, bytes: &[u8]) -> Vec<u8> {
        self.key.sign(bytes).to_bytes().to_vec()
    }
}

fn rand_byte() -> u8 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u8(0);
    h.finish() as u8
}

/// Creates (or overwrites) a Secrets Manager secret in moto; returns its id.
pub async fn put_secret(id: &str, value: &str) -> String {
    let sm = aws_sdk_secretsmanager::Client::new(&wiring::aws_config().await);
    match sm
        .create_secret()
        .name(id)
        .secret_string(value)
        .send()
        .await
    {
        Ok(_) => {}
        Err(_) => {
            sm.put_secret_value()
                .secret_id(id)
                .secret_string(value)
                .send()
                .await
                .expect("put secret value");
        }
    }
    id.to_string()
}
