//! The realistic fleet's specs and jars: three builds of 20, 35 and 60 MB put into
//! S3 and shared by the stream jobs, each spec pinning its jar's sha256, and the
//! artifact source that lets the initial `apply` read each jar only once.

use std::collections::BTreeMap;
use std::path::Path;

use fjc_aws::artifacts::Artifacts;
use fjc_aws::wiring;
use fjc_core::artifacts::{
    ArtifactError, ArtifactInfo, ArtifactSource, FetchedArtifact, sha256_file,
};
use fjc_spec::JobSpec;
use serde_json::json;

use crate::Error;
use crate::stateless::batch_spec;

/// The jar builds the stream jobs share: S3 key and size in bytes.
const BUILDS: [(&str, u64); 3] = [
    ("builds/orders-stream-1.14.2.jar", 20_000_000),
    ("builds/enrichment-2.3.0.jar", 35_000_000),
    ("builds/analytics-4.1.7-all.jar", 60_000_000),
];

/// `deployment.stable_after` of the fleet (default 1 m): shorter, so the fleet is
/// at rest sooner between scenarios. It changes when the one write that marks a
/// job STABLE happens, not whether.
pub(super) const STABLE_AFTER_S: u64 = 20;

/// One jar in S3.
pub(super) struct Jar {
    path: String,
    digest: String,
}

/// The spec of job `i` of `n`; `note` is the argument a change changes.
pub(super) fn fleet_spec(i: usize, n: usize, note: &str, jars: &[Jar]) -> Result<JobSpec, Error> {
    let id = format!("fleet-{n}-{i:05}");
    let value = if i % 5 == 4 {
        batch_spec(&id, i)
    } else {
        let jar = &jars[i % jars.len()];
        let interval = 10 + (i * 37) % 51;
        json!({
            "job_id": id, "job_type": "stream",
            "artifact_path": jar.path, "artifact_signature": jar.digest,
            "entry_class": "bench.Stream", "args": ["--i", i.to_string(), "--note", note],
            "deployment": {
                "parallelism": 2, "upgrade_mode": "savepoint",
                "checkpoint_interval": format!("{interval}s"),
                "stable_after": format!("{STABLE_AFTER_S}s"),
            },
            "env_vars": {"REGION": "eu-west-1", "TEAM": format!("team-{}", i % 40)},
        })
    };
    Ok(serde_json::from_value(value)?)
}

/// Writes `size` pseudo-random bytes (a zip's magic first) to `path`.
fn write_jar(path: &Path, size: u64, seed: u64) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    let mut first = true;
    while left > 0 {
        for chunk in buf.chunks_exact_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            chunk.copy_from_slice(&x.to_le_bytes());
        }
        if first {
            buf[..4].copy_from_slice(b"PK\x03\x04");
            first = false;
        }
        let k = usize::try_from(left).map_or(buf.len(), |l| l.min(buf.len()));
        file.write_all(&buf[..k])?;
        left -= k as u64;
    }
    file.flush()
}

/// Builds the jars and puts them into `bucket`, through `sdk`'s endpoint (moto
/// itself, not the counting relay).
pub(super) async fn upload_jars(
    sdk: &aws_config::SdkConfig,
    bucket: &str,
    dir: &Path,
) -> Result<Vec<Jar>, Error> {
    let s3 = wiring::s3_client(sdk);
    if let Err(e) = s3.create_bucket().bucket(bucket).send().await {
        let text = format!("{e:?}");
        if !text.contains("BucketAlreadyOwnedByYou") {
            return Err(format!("create bucket {bucket}: {text}").into());
        }
    }
    let mut jars = Vec::new();
    for (seed, (key, size)) in (1u64..).zip(BUILDS) {
        let file = dir.join(format!("jar-{seed}.jar"));
        write_jar(&file, size, seed.wrapping_mul(0x2545_f491_4f6c_dd1d))?;
        let (digest, _) = sha256_file(&file).await?;
        let bytes = tokio::fs::read(&file).await?;
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .body(bytes.into())
            .send()
            .await
            .map_err(|e| format!("put s3://{bucket}/{key}: {e:?}"))?;
        let _ = std::fs::remove_file(&file);
        jars.push(Jar {
            path: format!("s3://{bucket}/{key}"),
            digest,
        });
    }
    Ok(jars)
}

/// The artifact source of the initial `apply` only: the real one, asked once per
/// distinct jar. `apply` downloads each spec's jar in full to take its digest;
/// for thousands of specs sharing three jars that would read tens of GB from
/// moto before anything is measured. What a spec change applies later goes
/// through the real source, one download per spec, as `fjc apply` does.
pub(super) struct SetupArtifacts<'a> {
    pub(super) inner: &'a Artifacts,
    pub(super) kept: std::sync::Mutex<BTreeMap<String, FetchedArtifact>>,
}

impl SetupArtifacts<'_> {
    fn cached(&self, path: &str) -> Option<FetchedArtifact> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.get(path).map(|f| FetchedArtifact {
            path: f.path.clone(),
            info: f.info.clone(),
            _temp: None,
        })
    }
}

impl ArtifactSource for SetupArtifacts<'_> {
    async fn describe(&self, path: &str) -> Result<ArtifactInfo, ArtifactError> {
        Ok(self.fetch(path, None).await?.info)
    }

    async fn fetch_signature(&self, path: &str) -> Result<Option<Vec<u8>>, ArtifactError> {
        self.inner.fetch_signature(path).await
    }

    async fn fetch(
        &self,
        path: &str,
        version: Option<&str>,
    ) -> Result<FetchedArtifact, ArtifactError> {
        if version.is_some() {
            return self.inner.fetch(path, version).await;
        }
        if let Some(f) = self.cached(path) {
            return Ok(f);
        }
        let fetched = self.inner.fetch(path, None).await?;
        let copy = FetchedArtifact {
            path: fetched.path.clone(),
            info: fetched.info.clone(),
            _temp: None,
        };
        self.kept
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(path.to_string(), fetched);
        Ok(copy)
    }
}
