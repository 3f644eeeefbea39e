//! Users: Argon2id hashes, login verification, initial admin, password policy.

mod common;

use common::{fixture, GOOD_PW};
use sqlx::Row;
use vigil_auth::{AuthError, Grant, Role};

#[tokio::test]
async fn stores_argon2id_and_verifies() {
    let f = fixture().await;
    let u = f
        .store
        .users
        .add("alice", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    assert_eq!(u.name, "alice");
    assert_eq!(u.role, Role::Analyst);
    assert!(!u.disabled);

    let hash: String = sqlx::query("SELECT password_hash FROM auth_users WHERE name = 'alice'")
        .fetch_one(&f.pool)
        .await
        .unwrap()
        .get(0);
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(!hash.contains(GOOD_PW));

    let ok = f
        .store
        .users
        .verify_password("alice", GOOD_PW)
        .await
        .unwrap();
    assert_eq!(ok.id, u.id);

    let wrong = f
        .store
        .users
        .verify_password("alice", "incorrect horse battery")
        .await;
    assert!(matches!(wrong, Err(AuthError::InvalidCredentials)));
    let unknown = f.store.users.verify_password("mallory", GOOD_PW).await;
    assert!(matches!(unknown, Err(AuthError::InvalidCredentials)));
    let garbage = f.store.users.verify_password("", "").await;
    assert!(matches!(garbage, Err(AuthError::InvalidCredentials)));
    // Unknown and wrong look the same to the caller.
    assert_eq!(
        wrong.unwrap_err().to_string(),
        unknown.unwrap_err().to_string()
    );
}

#[tokio::test]
async fn disabled_users_cannot_log_in_until_enabled() {
    let f = fixture().await;
    f.store
        .users
        .add("bob", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    f.store.users.disable("bob").await.unwrap();
    assert!(f.store.users.get("bob").await.unwrap().unwrap().disabled);
    let r = f.store.users.verify_password("bob", GOOD_PW).await;
    assert!(matches!(r, Err(AuthError::InvalidCredentials)));
    f.store.users.enable("bob").await.unwrap();
    f.store.users.verify_password("bob", GOOD_PW).await.unwrap();
    assert!(matches!(
        f.store.users.disable("nobody").await,
        Err(AuthError::NoSuchUser(_))
    ));
}

#[tokio::test]
async fn password_policy_and_names() {
    let f = fixture().await;
    let short = f
        .store
        .users
        .add("carol", Role::Analyst, "elevenchars")
        .await;
    match short {
        Err(AuthError::WeakPassword(msg)) => assert!(msg.contains("12"), "{msg}"),
        other => panic!("expected WeakPassword, got {other:?}"),
    }
    // Exactly 12 characters (multi-byte counts as one) passes.
    f.store
        .users
        .add("carol", Role::Analyst, "ééééééééééé1")
        .await
        .unwrap();
    let long = "x".repeat(1025);
    assert!(matches!(
        f.store.users.add("dave", Role::Analyst, &long).await,
        Err(AuthError::WeakPassword(_))
    ));
    assert!(matches!(
        f.store.users.add("bad name", Role::Analyst, GOOD_PW).await,
        Err(AuthError::InvalidName(_))
    ));
    assert!(matches!(
        f.store.users.add("carol", Role::Admin, GOOD_PW).await,
        Err(AuthError::UserExists(_))
    ));
    assert!(matches!(
        f.store.users.set_password("carol", "short").await,
        Err(AuthError::WeakPassword(_))
    ));
}

#[tokio::test]
async fn initial_admin_generated_once() {
    let f = fixture().await;
    let pw = f
        .store
        .users
        .ensure_initial_admin(None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(pw.chars().count(), 20);
    assert!(pw.chars().all(|c| c.is_ascii_alphanumeric()));
    let admin = f.store.users.verify_password("admin", &pw).await.unwrap();
    assert_eq!(admin.role, Role::Admin);
    // Second start: users exist, nothing created or returned.
    assert_eq!(
        f.store.users.ensure_initial_admin(None).await.unwrap(),
        None
    );
    assert_eq!(
        f.store
            .users
            .ensure_initial_admin(Some("another long password".into()))
            .await
            .unwrap(),
        None
    );
    assert_eq!(f.store.users.list().await.unwrap().len(), 1);
    f.store.users.verify_password("admin", &pw).await.unwrap();
}

#[tokio::test]
async fn initial_admin_from_env() {
    let f = fixture().await;
    let r = f
        .store
        .users
        .ensure_initial_admin(Some("from the environment".into()))
        .await
        .unwrap();
    assert_eq!(r, None);
    f.store
        .users
        .verify_password("admin", "from the environment")
        .await
        .unwrap();

    let g = common::fixture().await;
    assert!(matches!(
        g.store
            .users
            .ensure_initial_admin(Some("short".into()))
            .await,
        Err(AuthError::WeakPassword(_))
    ));
    assert_eq!(g.store.users.count().await.unwrap(), 0);
}

#[tokio::test]
async fn reset_password_and_set_role() {
    let f = fixture().await;
    f.store
        .users
        .add("erin", Role::Analyst, GOOD_PW)
        .await
        .unwrap();
    let t0 = f
        .store
        .users
        .get("erin")
        .await
        .unwrap()
        .unwrap()
        .password_changed_at;
    f.clock.advance(chrono::Duration::minutes(1));
    let new_pw = f.store.users.reset_password("erin").await.unwrap();
    assert_eq!(new_pw.len(), 20);
    assert!(f
        .store
        .users
        .verify_password("erin", GOOD_PW)
        .await
        .is_err());
    let u = f
        .store
        .users
        .verify_password("erin", &new_pw)
        .await
        .unwrap();
    assert!(u.password_changed_at > t0);
    assert!(matches!(
        f.store.users.reset_password("nobody").await,
        Err(AuthError::NoSuchUser(_))
    ));

    f.store
        .users
        .set_role(
            "erin",
            Role::Analyst,
            &[Grant::DetectionEngineer, Grant::DetectionEngineer],
        )
        .await
        .unwrap();
    let u = f.store.users.get("erin").await.unwrap().unwrap();
    assert_eq!(u.grants, vec![Grant::DetectionEngineer]);
    f.store
        .users
        .set_role("erin", Role::Auditor, &[])
        .await
        .unwrap();
    let listed = f.store.users.list().await.unwrap();
    assert_eq!(listed[0].role, Role::Auditor);
    assert!(listed[0].grants.is_empty());
}

#[tokio::test]
async fn migrations_are_idempotent() {
    let f = fixture().await;
    f.store
        .users
        .add("frank", Role::Admin, GOOD_PW)
        .await
        .unwrap();
    let again = vigil_auth::AuthStore::new(f.pool.clone()).await.unwrap();
    assert_eq!(again.users.count().await.unwrap(), 1);
}
