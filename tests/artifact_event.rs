//! The upload trigger against moto (versioned S3) and the real Flink cluster:
//! an upload event verifies the object (digest, ed25519 signature) and redeploys
//! just the jobs that use it; wrong digests and bad signatures are refused while
//! the old version keeps running; uploads within the debounce window lead to one
//! redeploy; unknown objects are ignored; malformed events change nothing; specs
//! outside their namespace's allowlist are refused at apply and held by the
//! function.

use std::collections::BTreeMap;
use std::time::Duration;

use fjc_core::artifact_event::{EventReport, handle_event};
use fjc_core::artifacts::sha256_file;
use fjc_core::policy::{NamespacePolicy, Security};
use fjc_core::state::Lifecycle;
use fjc_core::store::{HistoryStore, SpecStore, StateStore, Store};
use fjc_flink::FlinkJobState;
use fjc_integration_tests::harness::{ClusterAccess, World, unique};
use fjc_integration_tests::lambda::event_fixture;
use fjc_integration_tests::security::{Signer25519, jar_variant, put, versioned_bucket};
use fjc_spec::JobSpec;
use serde_json::Value;

const KEY: &str = "jobs/app.jar";
const WAIT: Duration = Duration::from_secs(120);

/// The checked-in S3 notification, pointed at `bucket`/`key`.
fn s3_event(bucket: &str, key: &str, version: &str) -> Value {
    let text = std::fs::read_to_string(event_fixture("s3-object-created.json")).unwrap();
    let mut v: Value = serde_json::from_str(&text).unwrap();
    let object = &mut v["Records"][0]["s3"];
    object["bucket"]["name"] = bucket.into();
    object["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
    object["object"]["key"] = key.into();
    object["object"]["versionId"] = version.into();
    v
}

/// Handles the S3 notification for `key` (version `version`) with no debounce.
async fn on_upload(w: &World, bucket: &str, key: &str, version: &str) -> EventReport {
    handle_event(
        &w.ctx,
        &s3_event(bucket, key, version),
        Duration::ZERO,
        "it",
    )
    .await
    .unwrap()
}

async fn signed_world(name: &str, signer: &Signer25519) -> World {
    let security = Security {
        trusted_keys: signer.trusted(),
        ..Security::default()
    };
    World::with_access(name, ClusterAccess::default(), security).await
}

fn s3_spec(w: &World, id: &str, bucket: &str) -> JobSpec {
    let mut spec = w.stream_spec(id);
    spec.artifact_path = format!("s3://{bucket}/{KEY}");
    spec.security.artifact_verification = true;
    spec
}

/// Uploads `jar` and its signature by `signer`; returns the jar's version id.
async fn upload_signed(
    s3: &aws_sdk_s3::Client,
    bucket: &str,
    jar: &std::path::Path,
    signer: &Signer25519,
) -> String {
    let bytes = std::fs::read(jar).unwrap();
    let version = put(s3, bucket, KEY, bytes.clone()).await;
    put(s3, bucket, &format!("{KEY}.sig"), signer.sign(&bytes)).await;
    version
}

async fn running(w: &World, id: &str) -> fjc_core::state::JobState {
    let s = w
        .cycle_until(id, WAIT, |s| s.lifecycle == Lifecycle::Running)
        .await;
    w.wait_flink_state(
        s.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_event_verifies_and_redeploys_only_the_jobs_using_it() {
    let signer = Signer25519::generate();
    let w = signed_world("evt-deploy", &signer).await;
    let (s3, bucket) = versioned_bucket().await;
    upload_signed(&s3, &bucket, &w.artifact("stream-counter.jar"), &signer).await;
    let a = unique("evt-a");
    let b = unique("evt-b");
    w.apply(vec![s3_spec(&w, &a, &bucket), w.stream_spec(&b)])
        .await;
    let before_a = running(&w, &a).await;
    let before_b = running(&w, &b).await;
    let record = w.spec_record(&a).await.unwrap();
    assert!(
        record
            .trust
            .signed_by
            .as_deref()
            .unwrap()
            .starts_with("ed25519:")
    );

    // A new build lands, signed.
    let tmp = tempfile::tempdir().unwrap();
    let v2 = jar_variant(&w.artifact("stream-counter.jar"), "v2", tmp.path());
    let (v2_digest, _) = sha256_file(&v2).await.unwrap();
    let version = upload_signed(&s3, &bucket, &v2, &signer).await;
    let report = on_upload(&w, &bucket, KEY, &version).await;
    assert_eq!(report.objects.len(), 1);
    assert_eq!(report.objects[0].accepted, vec![a.clone()], "{report:?}");
    assert_eq!(report.cycles.len(), 1, "one cycle (unsharded)");
    let cycle = &report.cycles[0];
    assert_eq!(
        cycle.specs, 1,
        "only the job using the object is reconciled"
    );
    let record = w.spec_record(&a).await.unwrap();
    assert_eq!(record.artifact_digest, v2_digest);
    assert_eq!(record.artifact_version.as_deref(), Some(version.as_str()));

    // It converges to the new version; the other job is untouched.
    let after = w
        .cycle_until(&a, WAIT, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref() == Some(&record.fingerprint)
        })
        .await;
    assert_ne!(after.flink_job_id, before_a.flink_job_id);
    w.wait_flink_state(
        after.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    let old = w
        .flink_job(before_a.flink_job_id.as_ref().unwrap())
        .await
        .unwrap();
    assert!(
        old.state.is_globally_terminal(),
        "old version stopped: {old:?}"
    );
    assert_eq!(
        w.state(&b).await.unwrap().flink_job_id,
        before_b.flink_job_id
    );

    // The signature's own upload event finds nothing new to do.
    let again = on_upload(&w, &bucket, &format!("{KEY}.sig"), "x").await;
    assert_eq!(again.objects[0].unchanged, vec![a.clone()]);
    assert!(again.cycles.is_empty());

    let history = w.ctx.store.list_audit(&a).await.unwrap();
    let actions: Vec<&str> = history.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, vec!["create", "artifact-update"]);
    assert_eq!(
        history[1].from.as_ref(),
        Some(&before_a.deployed_fingerprint.unwrap().0)
    );
    assert_eq!(history[1].to.as_ref(), Some(&record.fingerprint.0));
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_digest_and_bad_signatures_are_refused_and_the_old_version_keeps_running() {
    let signer = Signer25519::generate();
    let w = signed_world("evt-refuse", &signer).await;
    let (s3, bucket) = versioned_bucket().await;
    upload_signed(&s3, &bucket, &w.artifact("stream-counter.jar"), &signer).await;
    let (v1_digest, _) = sha256_file(&w.artifact("stream-counter.jar"))
        .await
        .unwrap();
    let pinned = unique("evt-pin");
    let mut pinned_spec = s3_spec(&w, &pinned, &bucket);
    pinned_spec.artifact_signature = Some(v1_digest.clone());
    let open = unique("evt-open");
    w.apply(vec![pinned_spec, s3_spec(&w, &open, &bucket)])
        .await;
    let pinned_before = running(&w, &pinned).await;
    let open_before = running(&w, &open).await;
    let tmp = tempfile::tempdir().unwrap();

    // 1. Correctly signed, but not the digest the pinned spec wants.
    let v2 = jar_variant(&w.artifact("stream-counter.jar"), "v2", tmp.path());
    let version = upload_signed(&s3, &bucket, &v2, &signer).await;
    let r = on_upload(&w, &bucket, KEY, &version).await;
    assert!(
        r.objects[0].refused[&pinned].contains("digest mismatch"),
        "{r:?}"
    );
    assert_eq!(r.objects[0].accepted, vec![open.clone()]);
    let pinned_record = w.spec_record(&pinned).await.unwrap();
    assert_eq!(pinned_record.artifact_digest, v1_digest);
    assert!(
        pinned_record
            .trust
            .refusal
            .as_ref()
            .unwrap()
            .reason
            .contains("digest mismatch")
    );
    let open_v2 = w
        .cycle_until(&open, WAIT, |s| {
            s.flink_job_id != open_before.flink_job_id && s.lifecycle == Lifecycle::Running
        })
        .await;

    // 2. Signed by a key nobody trusts.
    let v3 = jar_variant(&w.artifact("stream-counter.jar"), "v3", tmp.path());
    let version = upload_signed(&s3, &bucket, &v3, &Signer25519::generate()).await;
    let r = on_upload(&w, &bucket, KEY, &version).await;
    assert!(
        r.objects[0].refused[&open].contains("signature does not verify"),
        "{r:?}"
    );
    assert!(r.cycles.is_empty(), "nothing accepted, nothing reconciled");

    // 3. New bytes under the old signature (tampered).
    let v4 = jar_variant(&w.artifact("stream-counter.jar"), "v4", tmp.path());
    let version = put(&s3, &bucket, KEY, std::fs::read(&v4).unwrap()).await;
    let r = on_upload(&w, &bucket, KEY, &version).await;
    assert!(
        r.objects[0].refused[&open].contains("signature does not verify"),
        "{r:?}"
    );

    // 4. No signature at all.
    s3.delete_object()
        .bucket(&bucket)
        .key(format!("{KEY}.sig"))
        .send()
        .await
        .unwrap();
    let r = on_upload(&w, &bucket, KEY, &version).await;
    assert!(r.objects[0].refused[&open].contains("unsigned"), "{r:?}");

    // Both jobs keep running what they ran; status says why.
    for _ in 0..3 {
        w.cycle().await;
    }
    let pinned_now = w.state(&pinned).await.unwrap();
    assert_eq!(pinned_now.flink_job_id, pinned_before.flink_job_id);
    assert_eq!(pinned_now.lifecycle, Lifecycle::Running);
    let open_now = w.state(&open).await.unwrap();
    assert_eq!(open_now.flink_job_id, open_v2.flink_job_id);
    w.wait_flink_state(
        open_now.flink_job_id.as_ref().unwrap(),
        FlinkJobState::Running,
        WAIT,
    )
    .await;
    let specs: BTreeMap<_, _> = w
        .ctx
        .store
        .list_specs()
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.spec.job_id.clone(), r))
        .collect();
    let states: BTreeMap<_, _> = w
        .ctx
        .store
        .list_states()
        .await
        .unwrap()
        .into_iter()
        .map(|s| (s.job_id.clone(), s))
        .collect();
    let rows = fjc_core::status::job_statuses(&specs, &states, &Default::default(), 0);
    let open_row = rows.iter().find(|r| r.job_id == open).unwrap();
    assert!(
        open_row
            .artifact_refused
            .as_deref()
            .unwrap()
            .contains("unsigned"),
        "{open_row:?}"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_within_the_debounce_window_lead_to_one_redeploy() {
    let signer = Signer25519::generate();
    let w = signed_world("evt-debounce", &signer).await;
    let (s3, bucket) = versioned_bucket().await;
    upload_signed(&s3, &bucket, &w.artifact("stream-counter.jar"), &signer).await;
    let id = unique("evt-deb");
    w.apply(vec![s3_spec(&w, &id, &bucket)]).await;
    let before = running(&w, &id).await;

    let tmp = tempfile::tempdir().unwrap();
    let jars: Vec<_> = ["b1", "b2", "b3"]
        .iter()
        .map(|tag| jar_variant(&w.artifact("stream-counter.jar"), tag, tmp.path()))
        .collect();
    let last_digest = sha256_file(&jars[2]).await.unwrap().0;
    // Three uploads 300 ms apart, each event handled as it arrives (concurrently).
    let reports = futures::future::join_all(jars.iter().enumerate().map(|(i, jar)| {
        let (w, s3, bucket, signer) = (&w, &s3, &bucket, &signer);
        async move {
            tokio::time::sleep(Duration::from_millis(300 * i as u64)).await;
            let version = upload_signed(s3, bucket, jar, signer).await;
            handle_event(
                &w.ctx,
                &s3_event(bucket, KEY, &version),
                Duration::from_secs(3),
                "it",
            )
            .await
            .unwrap()
        }
    }))
    .await;
    let accepted: usize = reports.iter().map(|r| r.objects[0].accepted.len()).sum();
    let coalesced = reports.iter().filter(|r| r.objects[0].coalesced).count();
    assert_eq!(
        (accepted, coalesced),
        (1, 2),
        "one redeploy for three uploads"
    );
    let record = w.spec_record(&id).await.unwrap();
    assert_eq!(record.artifact_digest, last_digest, "the last upload wins");
    let after = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref() == Some(&record.fingerprint)
        })
        .await;
    assert_ne!(after.flink_job_id, before.flink_job_id);
    let name = format!("fjc:{id}");
    assert_eq!(
        w.jobs_named(&name).await.len(),
        2,
        "the first deploy and one redeploy"
    );
    w.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_objects_are_ignored_and_malformed_events_change_nothing() {
    let w = World::new("evt-bad").await;
    let r = on_upload(&w, "nobody", "jobs/x.jar", "v").await;
    assert!(r.objects[0].unused && r.cycles.is_empty(), "{r:?}");
    let writes = w.ctx.store.stats().writes;
    for (event, field) in [
        (serde_json::json!({}), ""),
        (serde_json::json!({"Records": []}), "Records"),
        (
            serde_json::json!({"Records": [{"eventSource": "aws:s3", "eventName": "ObjectCreated:Put", "s3": {"bucket": {"name": "b"}}}]}),
            "Records[0].s3.object",
        ),
        (
            serde_json::json!({"source": "aws.s3", "detail-type": "Object Created", "detail": {}}),
            "detail.bucket",
        ),
    ] {
        let e = handle_event(&w.ctx, &event, Duration::ZERO, "it")
            .await
            .unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("malformed event"), "{msg}");
        assert!(msg.contains(field), "{field}: {msg}");
        assert!(!e.is_retryable());
    }
    assert_eq!(w.ctx.store.stats().writes, writes, "nothing written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn specs_outside_the_namespace_allowlist_are_refused_and_held() {
    let (s3, bucket) = versioned_bucket().await;
    let mut w = World::new("evt-policy").await;
    put(
        &s3,
        &bucket,
        KEY,
        std::fs::read(w.artifact("stream-counter.jar")).unwrap(),
    )
    .await;
    let allow = |prefix: &str| Security {
        namespaces: BTreeMap::from([(
            "default".to_string(),
            NamespacePolicy {
                allowed_artifacts: vec![prefix.to_string()],
                max_parallelism: Some(2),
                ..Default::default()
            },
        )]),
        ..Security::default()
    };
    // Applied while the bucket's jobs/ prefix is allowed.
    w.ctx.security = allow(&format!("s3://{bucket}/jobs/"));
    let id = unique("pol");
    let mut spec = w.stream_spec(&id);
    spec.artifact_path = format!("s3://{bucket}/{KEY}");
    let mut too_wide = spec.clone();
    too_wide.deployment.parallelism = 4;
    let e = w.try_apply(vec![too_wide]).await.unwrap_err().to_string();
    assert!(e.contains("deployment.parallelism: 4 exceeds"), "{e}");
    w.apply(vec![spec.clone()]).await;

    // Outside the allowlist: refused at apply, nothing written.
    let mut outside = w.stream_spec(&unique("pol-out"));
    outside.artifact_path = format!("s3://{bucket}/elsewhere/app.jar");
    let e = w.try_apply(vec![outside]).await.unwrap_err().to_string();
    assert!(
        e.contains("artifact_path: s3://") && e.contains("outside what namespace default allows"),
        "{e}"
    );
    assert_eq!(w.ctx.store.list_specs().await.unwrap().len(), 1);

    // The policy tightens: the stored spec is held by the reconcile and refused by the function.
    w.ctx.security = allow(&format!("s3://{bucket}/other/"));
    let report = w.cycle().await;
    assert!(report.actions.is_empty(), "{:?}", report.actions);
    let held = report.plan.skipped.iter().find(|s| s.job_id == id).unwrap();
    assert!(
        held.reason.starts_with("held by policy: artifact_path"),
        "{held:?}"
    );
    let r = on_upload(&w, &bucket, KEY, "v").await;
    assert!(
        r.objects[0].refused[&id].contains("held by policy"),
        "{r:?}"
    );
    assert!(w.state(&id).await.is_none(), "never deployed");
}

/// A PyFlink script in S3, signed: deployed from `s3://`, then a new signed
/// version uploaded. The upload trigger verifies it like a jar (digest,
/// signature, the offline check) and the job is upgraded through a savepoint; an
/// empty script uploaded next is refused and the job keeps running.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_uploaded_python_script_is_verified_and_upgrades_its_job() {
    const PY: &str = "jobs/counts.py";
    let signer = Signer25519::generate();
    let w = signed_world("evt-py", &signer).await;
    let (s3, bucket) = versioned_bucket().await;
    let id = unique("evt-py");
    let mut spec = w.python_spec(&id, &["--ident", &format!("e{}", id.replace('-', ""))]);
    let script = std::fs::read(w.artifact_root.path().join(&spec.artifact_path)).unwrap();
    spec.artifact_path = format!("s3://{bucket}/{PY}");
    spec.security.artifact_verification = true;
    let upload = |bytes: Vec<u8>| {
        let (s3, bucket, signer) = (&s3, &bucket, &signer);
        async move {
            let version = put(s3, bucket, PY, bytes.clone()).await;
            put(s3, bucket, &format!("{PY}.sig"), signer.sign(&bytes)).await;
            version
        }
    };
    upload(script.clone()).await;
    w.apply(vec![spec]).await;
    let before = running(&w, &id).await;

    let mut v2 = script.clone();
    v2.extend_from_slice(b"\n# v2: rebuilt\n");
    let version = upload(v2).await;
    let report = on_upload(&w, &bucket, PY, &version).await;
    assert_eq!(report.objects[0].accepted, vec![id.clone()], "{report:?}");
    let record = w.spec_record(&id).await.unwrap();
    let after = w
        .cycle_until(&id, WAIT, |s| {
            s.lifecycle == Lifecycle::Running
                && s.deployed_fingerprint.as_ref() == Some(&record.fingerprint)
        })
        .await;
    assert_ne!(after.flink_job_id, before.flink_job_id);
    let sp = after
        .last_savepoint
        .clone()
        .expect("upgraded through a savepoint");
    assert_eq!(after.restored_from.as_deref(), Some(sp.location.as_str()));

    let version = upload(b"# nothing left\n".to_vec()).await;
    let report = on_upload(&w, &bucket, PY, &version).await;
    assert!(report.objects[0].accepted.is_empty(), "{report:?}");
    let refused = format!("{:?}", report.objects[0]);
    assert!(refused.contains("the Python script is empty"), "{refused}");
    assert_eq!(
        w.spec_record(&id).await.unwrap().fingerprint,
        record.fingerprint
    );
    assert_eq!(
        w.state(&id).await.unwrap().flink_job_id,
        after.flink_job_id,
        "the job keeps running"
    );
    w.cleanup().await;
}
