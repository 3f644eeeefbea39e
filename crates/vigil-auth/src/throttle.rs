//! Login throttling, in memory.
//!
//! Owns [`LoginThrottle`]: counting failed logins per user name and per client IP within a
//! sliding window and refusing further attempts for a lockout period once either reaches
//! the limit. Memory is bounded by [`ThrottlePolicy::max_keys`]. It must never store a
//! password, must never grow without bound under a flood of distinct user names or
//! addresses, and must never let a successful login reset an IP's failure count (an
//! attacker with one valid account would otherwise reset their own counter).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use parking_lot::Mutex;

use crate::clock::SharedClock;

/// Throttling parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Failures within `window` that trigger a lockout (default 5).
    pub max_failures: usize,
    /// The sliding window failures are counted in (default 5 minutes).
    pub window: Duration,
    /// How long a locked user or IP is refused (default 15 minutes).
    pub lockout: Duration,
    /// Most keys (user names + IPs) tracked at once (default 10 000); the least recently
    /// touched unlocked key is evicted first.
    pub max_keys: usize,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        ThrottlePolicy {
            max_failures: 5,
            window: Duration::minutes(5),
            lockout: Duration::minutes(15),
            max_keys: 10_000,
        }
    }
}

/// Whether a login attempt may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThrottleDecision {
    /// Go ahead and check the password.
    Allow,
    /// Refuse without checking; send `Retry-After`.
    Refuse {
        /// Time until the lockout ends.
        retry_after: std::time::Duration,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    User(String),
    Ip(IpAddr),
}

#[derive(Debug)]
struct Entry {
    failures: VecDeque<DateTime<Utc>>,
    locked_until: Option<DateTime<Utc>>,
    /// Logical time of the last touch (a counter, so ties cannot happen).
    touched: u64,
}

/// In-memory login throttle. Share it (e.g. in an `Arc`) between request handlers.
pub struct LoginThrottle {
    policy: ThrottlePolicy,
    clock: SharedClock,
    entries: Mutex<HashMap<Key, Entry>>,
    seq: AtomicU64,
}

/// User names are compared case-insensitively and truncated, so variants of one name share
/// a counter and a flood of long names costs bounded memory.
fn user_key(user: &str) -> Key {
    Key::User(user.chars().take(64).collect::<String>().to_lowercase())
}

impl LoginThrottle {
    /// A throttle with `policy`, reading time from `clock`.
    pub fn new(policy: ThrottlePolicy, clock: SharedClock) -> Self {
        LoginThrottle {
            policy,
            clock,
            entries: Mutex::new(HashMap::new()),
            seq: AtomicU64::new(0),
        }
    }

    /// The policy in force.
    pub fn policy(&self) -> ThrottlePolicy {
        self.policy
    }

    /// Before checking a password: is either the user or the IP locked out?
    pub fn check(&self, user: &str, ip: Option<IpAddr>) -> ThrottleDecision {
        let now = self.clock.now();
        let mut entries = self.entries.lock();
        let mut until: Option<DateTime<Utc>> = None;
        for key in keys(user, ip) {
            if let Some(e) = entries.get_mut(&key) {
                if let Some(t) = Self::expire_lock(e, now) {
                    until = Some(until.map_or(t, |u| u.max(t)));
                }
            }
        }
        decision(until, now)
    }

    /// After a failed password check: count it against the user and the IP. Returns
    /// `Refuse` when this failure started (or is inside) a lockout — the moment to emit an
    /// `auth.lockout` event.
    pub fn record_failure(&self, user: &str, ip: Option<IpAddr>) -> ThrottleDecision {
        let now = self.clock.now();
        let policy = self.policy;
        let mut entries = self.entries.lock();
        let mut until: Option<DateTime<Utc>> = None;
        for key in keys(user, ip) {
            let seq = self.seq.fetch_add(1, Ordering::Relaxed);
            if !entries.contains_key(&key) {
                self.make_room(&mut entries, now);
            }
            let e = entries.entry(key).or_insert_with(|| Entry {
                failures: VecDeque::new(),
                locked_until: None,
                touched: seq,
            });
            e.touched = seq;
            Self::expire_lock(e, now);
            while e
                .failures
                .front()
                .is_some_and(|t| now - *t >= policy.window)
            {
                e.failures.pop_front();
            }
            e.failures.push_back(now);
            while e.failures.len() > policy.max_failures {
                e.failures.pop_front();
            }
            if e.locked_until.is_none() && e.failures.len() >= policy.max_failures {
                e.locked_until = Some(now + policy.lockout);
            }
            if let Some(t) = e.locked_until {
                until = Some(until.map_or(t, |u| u.max(t)));
            }
        }
        decision(until, now)
    }

    /// After a successful login: forget the user's failures (the IP's stay).
    pub fn record_success(&self, user: &str) {
        self.entries.lock().remove(&user_key(user));
    }

    /// Number of keys currently tracked.
    pub fn tracked_keys(&self) -> usize {
        self.entries.lock().len()
    }

    /// Clear an ended lockout (and its failures); return the lock end if still locked.
    fn expire_lock(e: &mut Entry, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match e.locked_until {
            Some(t) if now < t => Some(t),
            Some(_) => {
                e.locked_until = None;
                e.failures.clear();
                None
            }
            None => None,
        }
    }

    /// Ensure there is room for one more key: drop stale entries, then evict the least
    /// recently touched unlocked entry (or, if all are locked, the least recently touched).
    fn make_room(&self, entries: &mut HashMap<Key, Entry>, now: DateTime<Utc>) {
        let cap = self.policy.max_keys.max(1);
        if entries.len() < cap {
            return;
        }
        let window = self.policy.window;
        entries.retain(|_, e| {
            e.locked_until.is_some_and(|t| now < t)
                || e.failures.back().is_some_and(|t| now - *t < window)
        });
        while entries.len() >= cap {
            let victim = entries
                .iter()
                .min_by_key(|(_, e)| (e.locked_until.is_some_and(|t| now < t), e.touched))
                .map(|(k, _)| k.clone());
            match victim {
                Some(k) => {
                    entries.remove(&k);
                }
                None => break,
            }
        }
    }
}

fn keys(user: &str, ip: Option<IpAddr>) -> impl Iterator<Item = Key> {
    std::iter::once(user_key(user)).chain(ip.map(Key::Ip))
}

fn decision(until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> ThrottleDecision {
    match until {
        Some(t) if now < t => ThrottleDecision::Refuse {
            retry_after: (t - now).to_std().unwrap_or_default(),
        },
        _ => ThrottleDecision::Allow,
    }
}
