//! API tokens: shown once, stored hashed, authenticate/revoke/last-used/expiry, source
//! binding, issuing rules.

mod common;

use chrono::Duration;
use common::{contains, db_bytes, fixture, GOOD_PW};
use vigil_auth::{issuable, AuthError, AuthMethod, Clock, Grant, NewToken, Permission, Role};

fn req(owner: &str, role: Role) -> NewToken {
    NewToken {
        owner: owner.into(),
        name: "shipper on web-01".into(),
        role,
        grants: vec![],
        source: None,
        ttl: None,
    }
}

#[tokio::test]
async fn secret_shown_once_and_stored_hashed() {
    let f = fixture().await;
    let (info, secret) = f
        .store
        .tokens
        .create(req("filebeat", Role::Ingest))
        .await
        .unwrap();
    assert!(secret.starts_with("vgl_"));
    assert_eq!(secret.len(), 4 + 43);
    assert!(info.id.starts_with("tok_"));
    assert!(info.last_used_at.is_none());
    // Metadata never carries the secret.
    assert!(!serde_json::to_string(&info).unwrap().contains(&secret[4..]));
    let listed = f.store.tokens.list(None).await.unwrap();
    assert_eq!(listed, vec![info.clone()]);

    f.pool.close().await;
    let bytes = db_bytes(&f.dir);
    assert!(
        contains(&bytes, info.id.as_bytes()),
        "sanity: the row is on disk"
    );
    assert!(!contains(&bytes, secret.as_bytes()));
    assert!(!contains(&bytes, &secret.as_bytes()[4..]));
}

#[tokio::test]
async fn authenticate_updates_last_used_and_revoke_works() {
    let f = fixture().await;
    let (info, secret) = f
        .store
        .tokens
        .create(req("filebeat", Role::Ingest))
        .await
        .unwrap();
    let p = f.store.tokens.authenticate(&secret).await.unwrap();
    assert_eq!(p.user, "filebeat");
    assert_eq!(p.role, Role::Ingest);
    assert_eq!(p.token_id(), Some(info.id.as_str()));
    assert!(p.allows(Permission::IngestEvents));
    assert!(
        !p.allows(Permission::SearchEvents),
        "an ingest token cannot search"
    );
    assert!(p.csrf_ok(None), "bearer tokens need no CSRF token");

    let t1 = f
        .store
        .tokens
        .get(&info.id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at;
    assert_eq!(t1, Some(f.clock.now()));
    f.clock.advance(Duration::minutes(5));
    f.store.tokens.authenticate(&secret).await.unwrap();
    let t2 = f
        .store
        .tokens
        .get(&info.id)
        .await
        .unwrap()
        .unwrap()
        .last_used_at;
    assert_eq!(t2, Some(f.clock.now()));

    f.store.tokens.revoke(&info.id).await.unwrap();
    f.store.tokens.revoke(&info.id).await.unwrap();
    assert!(matches!(
        f.store.tokens.authenticate(&secret).await,
        Err(AuthError::InvalidToken)
    ));
    assert!(f
        .store
        .tokens
        .get(&info.id)
        .await
        .unwrap()
        .unwrap()
        .revoked_at
        .is_some());
    assert!(matches!(
        f.store.tokens.revoke("tok_nope").await,
        Err(AuthError::NoSuchToken(_))
    ));
}

#[tokio::test]
async fn malformed_and_unknown_secrets_are_refused() {
    let f = fixture().await;
    let (_, secret) = f
        .store
        .tokens
        .create(req("filebeat", Role::Ingest))
        .await
        .unwrap();
    let mut flipped = secret.clone().into_bytes();
    let last = flipped.len() - 1;
    flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
    let flipped = String::from_utf8(flipped).unwrap();
    for bad in [
        "",
        "vgl_",
        "Bearer x",
        &secret[4..],
        &flipped,
        &format!("{secret}x"),
    ] {
        assert!(
            matches!(
                f.store.tokens.authenticate(bad).await,
                Err(AuthError::InvalidToken)
            ),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn expiry() {
    let f = fixture().await;
    let mut r = req("filebeat", Role::Ingest);
    r.ttl = Some(Duration::hours(1));
    let (info, secret) = f.store.tokens.create(r).await.unwrap();
    assert_eq!(info.expires_at, Some(f.clock.now() + Duration::hours(1)));
    f.clock.advance(Duration::minutes(59));
    f.store.tokens.authenticate(&secret).await.unwrap();
    f.clock.advance(Duration::minutes(1));
    assert!(matches!(
        f.store.tokens.authenticate(&secret).await,
        Err(AuthError::InvalidToken)
    ));
    let mut bad = req("filebeat", Role::Ingest);
    bad.ttl = Some(Duration::zero());
    assert!(f.store.tokens.create(bad).await.is_err());
}

#[tokio::test]
async fn source_binding() {
    let f = fixture().await;
    let mut r = req("syslog-shipper", Role::Ingest);
    r.source = Some("firewall".into());
    let (info, secret) = f.store.tokens.create(r).await.unwrap();
    assert_eq!(info.source.as_deref(), Some("firewall"));
    let p = f.store.tokens.authenticate(&secret).await.unwrap();
    assert_eq!(
        p.via,
        AuthMethod::Token {
            id: info.id.clone(),
            source: Some("firewall".into())
        }
    );
    assert!(p.may_send_as("firewall"));
    assert!(
        !p.may_send_as("web"),
        "a source-bound token cannot send as another source"
    );

    let (_, unbound) = f
        .store
        .tokens
        .create(req("any", Role::Ingest))
        .await
        .unwrap();
    assert!(f
        .store
        .tokens
        .authenticate(&unbound)
        .await
        .unwrap()
        .may_send_as("web"));

    let mut bad = req("x", Role::Ingest);
    bad.source = Some("not a name".into());
    assert!(matches!(
        f.store.tokens.create(bad).await,
        Err(AuthError::InvalidName(_))
    ));
}

#[tokio::test]
async fn list_by_owner_and_disabled_owner() {
    let f = fixture().await;
    f.store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let (_, a) = f
        .store
        .tokens
        .create(req("alice", Role::Analyst))
        .await
        .unwrap();
    f.store
        .tokens
        .create(req("filebeat", Role::Ingest))
        .await
        .unwrap();
    assert_eq!(f.store.tokens.list(Some("alice")).await.unwrap().len(), 1);
    assert_eq!(f.store.tokens.list(None).await.unwrap().len(), 2);
    assert_eq!(
        f.store.tokens.authenticate(&a).await.unwrap().role,
        Role::Analyst
    );

    f.store.users.disable("alice").await.unwrap();
    assert!(f.store.tokens.authenticate(&a).await.is_err());
    f.store.users.enable("alice").await.unwrap();
    f.store.tokens.authenticate(&a).await.unwrap();

    // Demotion revokes tokens the new role could not have issued.
    f.store
        .users
        .set_role("alice", Role::Auditor, &[])
        .await
        .unwrap();
    assert!(f.store.tokens.authenticate(&a).await.is_err());
}

#[test]
fn issuing_rules() {
    use Role::*;
    // Same role, grants a subset of the issuer's.
    assert!(issuable(Analyst, &[], Analyst, &[]));
    assert!(issuable(
        Analyst,
        &[Grant::DetectionEngineer],
        Analyst,
        &[Grant::DetectionEngineer]
    ));
    assert!(!issuable(
        Analyst,
        &[],
        Analyst,
        &[Grant::DetectionEngineer]
    ));
    assert!(issuable(Auditor, &[], Auditor, &[]));
    // Admins mint admin and ingest tokens, never auditor or analyst ones.
    assert!(issuable(Admin, &[], Admin, &[]));
    assert!(issuable(Admin, &[], Ingest, &[]));
    assert!(!issuable(Admin, &[], Auditor, &[]));
    assert!(!issuable(Admin, &[], Analyst, &[]));
    // Nobody below admin escalates.
    assert!(!issuable(Analyst, &[], Admin, &[]));
    assert!(!issuable(Auditor, &[], Ingest, &[]));
    assert!(!issuable(Ingest, &[], Analyst, &[]));
}
