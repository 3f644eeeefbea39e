//! Web sessions: idle and absolute expiry with an injected clock, logout, CSRF, storage.

mod common;

use chrono::Duration;
use common::{contains, db_bytes, fixture, fixture_with, GOOD_PW};
use vigil_auth::{AuthError, Clock, Permission, Role, SessionPolicy, SessionStore};

#[tokio::test]
async fn create_validate_logout() {
    let f = fixture().await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    assert_ne!(s.id, s.csrf_token);
    assert_eq!(s.expires_at, f.clock.now() + Duration::hours(12));
    assert!(!format!("{s:?}").contains(&s.id), "Debug hides the secrets");

    let p = f.store.sessions.validate(&s.id).await.unwrap();
    assert_eq!(p.user, "alice");
    assert!(p.allows(Permission::SearchEvents));
    assert!(!format!("{p:?}").contains(&s.csrf_token));

    assert!(f.store.sessions.logout(&s.id).await.unwrap());
    assert!(!f.store.sessions.logout(&s.id).await.unwrap());
    assert!(matches!(
        f.store.sessions.validate(&s.id).await,
        Err(AuthError::SessionExpired)
    ));
    assert!(f.store.sessions.validate("").await.is_err());
    assert!(f.store.sessions.validate("unknown").await.is_err());
}

#[tokio::test]
async fn csrf_is_checked() {
    let f = fixture().await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    let other = f.store.sessions.create(&user).await.unwrap();
    let p = f.store.sessions.validate(&s.id).await.unwrap();
    assert!(SessionStore::check_csrf(&p, &s.csrf_token));
    assert!(!SessionStore::check_csrf(&p, &other.csrf_token));
    assert!(!SessionStore::check_csrf(&p, ""));
    assert!(!SessionStore::check_csrf(&p, &s.id));
    assert!(p.csrf_ok(Some(&s.csrf_token)));
    assert!(
        !p.csrf_ok(None),
        "a cookie request without the CSRF header is refused"
    );
}

#[tokio::test]
async fn idle_timeout() {
    let f = fixture().await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    // Activity every 29 minutes keeps it alive well past 30 minutes.
    for _ in 0..4 {
        f.clock.advance(Duration::minutes(29));
        f.store.sessions.validate(&s.id).await.unwrap();
    }
    f.clock.advance(Duration::minutes(30));
    assert!(matches!(
        f.store.sessions.validate(&s.id).await,
        Err(AuthError::SessionExpired)
    ));
    assert_eq!(
        f.store.sessions.count().await.unwrap(),
        0,
        "expired session deleted"
    );
}

#[tokio::test]
async fn absolute_timeout_and_custom_policy() {
    let policy = SessionPolicy {
        idle_timeout: Duration::minutes(10),
        absolute_timeout: Duration::hours(1),
    };
    let f = fixture_with(policy).await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    for _ in 0..6 {
        f.clock.advance(Duration::minutes(9));
        f.store.sessions.validate(&s.id).await.unwrap();
    }
    // 54 minutes in; active, but the absolute limit is 60.
    f.clock.advance(Duration::minutes(6));
    assert!(matches!(
        f.store.sessions.validate(&s.id).await,
        Err(AuthError::SessionExpired)
    ));
}

#[tokio::test]
async fn disable_and_password_reset_end_sessions_and_role_changes_apply() {
    let f = fixture().await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    f.store
        .users
        .set_role("alice", Role::Auditor, &[])
        .await
        .unwrap();
    let p = f.store.sessions.validate(&s.id).await.unwrap();
    assert_eq!(p.role, Role::Auditor);
    assert!(p.allows(Permission::ReadAuditTrail));

    f.store.users.disable("alice").await.unwrap();
    assert!(f.store.sessions.validate(&s.id).await.is_err());
    let disabled = f.store.users.get("alice").await.unwrap().unwrap();
    assert!(f.store.sessions.create(&disabled).await.is_err());
    f.store.users.enable("alice").await.unwrap();

    let user = f.store.users.get("alice").await.unwrap().unwrap();
    let s2 = f.store.sessions.create(&user).await.unwrap();
    f.store.users.reset_password("alice").await.unwrap();
    assert!(f.store.sessions.validate(&s2.id).await.is_err());
}

#[tokio::test]
async fn stored_hashed_and_pruned() {
    let f = fixture().await;
    let user = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let s = f.store.sessions.create(&user).await.unwrap();
    let _other = f.store.sessions.create(&user).await.unwrap();
    f.clock.advance(Duration::hours(1));
    assert_eq!(f.store.sessions.prune_expired().await.unwrap(), 2);
    assert_eq!(f.store.sessions.logout_user("alice").await.unwrap(), 0);
    f.pool.close().await;
    let bytes = db_bytes(&f.dir);
    assert!(!contains(&bytes, s.id.as_bytes()));
    assert!(!contains(&bytes, s.csrf_token.as_bytes()));
}
