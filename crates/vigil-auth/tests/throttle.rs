//! Login throttling with an injected clock.

use std::net::IpAddr;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use vigil_auth::{LoginThrottle, ManualClock, ThrottleDecision, ThrottlePolicy};

fn throttle(policy: ThrottlePolicy) -> (LoginThrottle, ManualClock) {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap());
    (LoginThrottle::new(policy, Arc::new(clock.clone())), clock)
}

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn refused(d: ThrottleDecision) -> Option<std::time::Duration> {
    match d {
        ThrottleDecision::Allow => None,
        ThrottleDecision::Refuse { retry_after } => Some(retry_after),
    }
}

#[test]
fn per_user_lockout_across_ips_and_expiry() {
    let (t, clock) = throttle(ThrottlePolicy::default());
    for i in 0..4 {
        assert_eq!(
            t.check("alice", ip(&format!("10.0.0.{i}"))),
            ThrottleDecision::Allow
        );
        assert_eq!(
            t.record_failure("alice", ip(&format!("10.0.0.{i}"))),
            ThrottleDecision::Allow
        );
        clock.advance(Duration::seconds(30));
    }
    // Fifth failure within five minutes locks the user out, whatever the address.
    assert!(refused(t.record_failure("ALICE", ip("10.0.0.9"))).is_some());
    let retry = refused(t.check("alice", ip("192.168.1.1"))).unwrap();
    assert_eq!(retry, std::time::Duration::from_secs(15 * 60));
    assert_eq!(t.check("bob", ip("192.168.1.1")), ThrottleDecision::Allow);

    clock.advance(Duration::minutes(14));
    assert_eq!(
        refused(t.check("alice", None)),
        Some(std::time::Duration::from_secs(60))
    );
    clock.advance(Duration::minutes(1));
    assert_eq!(t.check("alice", None), ThrottleDecision::Allow);
    // The count starts over after the lockout.
    assert_eq!(t.record_failure("alice", None), ThrottleDecision::Allow);
}

#[test]
fn per_ip_lockout_across_users() {
    let (t, clock) = throttle(ThrottlePolicy::default());
    for i in 0..4 {
        assert_eq!(
            t.record_failure(&format!("user{i}"), ip("203.0.113.7")),
            ThrottleDecision::Allow
        );
    }
    assert!(refused(t.record_failure("user4", ip("203.0.113.7"))).is_some());
    assert!(refused(t.check("someone-else", ip("203.0.113.7"))).is_some());
    assert_eq!(
        t.check("someone-else", ip("203.0.113.8")),
        ThrottleDecision::Allow
    );
    // A success for a user does not clear the address.
    t.record_success("user4");
    assert!(refused(t.check("user4", ip("203.0.113.7"))).is_some());
    clock.advance(Duration::minutes(15));
    assert_eq!(t.check("user4", ip("203.0.113.7")), ThrottleDecision::Allow);
}

#[test]
fn failures_outside_the_window_do_not_count_and_success_resets_user() {
    let (t, clock) = throttle(ThrottlePolicy::default());
    for _ in 0..4 {
        t.record_failure("alice", None);
    }
    clock.advance(Duration::minutes(5));
    assert_eq!(t.record_failure("alice", None), ThrottleDecision::Allow);
    for _ in 0..3 {
        t.record_failure("alice", None);
    }
    t.record_success("alice");
    for _ in 0..4 {
        assert_eq!(t.record_failure("alice", None), ThrottleDecision::Allow);
    }
}

#[test]
fn memory_is_bounded_and_locks_survive_floods() {
    let policy = ThrottlePolicy {
        max_keys: 100,
        ..ThrottlePolicy::default()
    };
    let (t, clock) = throttle(policy);
    for _ in 0..5 {
        t.record_failure("admin", None);
    }
    assert!(refused(t.check("admin", None)).is_some());
    for i in 0..10_000u32 {
        let addr = IpAddr::from(i.to_be_bytes());
        t.record_failure(&format!("spray{i}"), Some(addr));
        assert!(t.tracked_keys() <= 100);
        if i % 1000 == 0 {
            clock.advance(Duration::seconds(1));
        }
    }
    assert!(t.tracked_keys() <= 100);
    assert!(
        refused(t.check("admin", None)).is_some(),
        "locked keys are evicted last"
    );
}
