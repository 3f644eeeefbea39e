//! `pam_unix` messages, whichever program logs them: as `pam_unix(sshd:auth): ...`
//! (modern), under a `sshd(pam_unix)` tag (old Linux), or as sshd's
//! `PAM N more authentication failures; ...`.
//!
//! | message | event.category | event.type | event.action | event.outcome |
//! | --- | --- | --- | --- | --- |
//! | `authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=X` | authentication | info | `authentication_failure` | failure |
//! | `PAM 2 more authentication failures; ... rhost=IP  user=X` | authentication | info | `authentication_failure` | failure |
//! | `check pass; user unknown` | authentication | info | `user_unknown` | failure |
//! | `session opened for user X by (uid=0)` | session | start | `session_opened` | success |
//! | `session closed for user X` | session | end | `session_closed` | success |
//!
//! `user=` becomes `user.name`, `rhost=` `source.ip` (or `source.domain`), with `related.*`.

use vigil_core::Event;

use super::{categorise, push_related, set_source_address, set_user};

/// Recognises a message from any program that starts with `pam_unix(svc:type): ` or
/// `PAM `, or a bare body (see [`parse_body`]).
pub fn parse(message: &str, event: &mut Event) -> bool {
    if let Some(rest) = message.strip_prefix("pam_unix(") {
        return match rest.split_once("): ") {
            Some((_, body)) => parse_body(body, event),
            None => false,
        };
    }
    if let Some(rest) = message.strip_prefix("PAM ") {
        return match rest.split_once("; ") {
            Some((what, kv)) if what.contains("more authentication failure") => {
                auth_failure(kv, event);
                true
            }
            _ => false,
        };
    }
    parse_body(message, event)
}

/// Recognises the body of a pam_unix message (after any `pam_unix(...): ` prefix).
pub fn parse_body(body: &str, event: &mut Event) -> bool {
    if let Some(kv) = body.strip_prefix("authentication failure;") {
        auth_failure(kv, event);
        true
    } else if body.starts_with("check pass; user unknown") {
        categorise(
            event,
            "authentication",
            "info",
            "user_unknown",
            Some("failure"),
        );
        true
    } else if let Some(rest) = body.strip_prefix("session opened for user ") {
        categorise(event, "session", "start", "session_opened", Some("success"));
        set_user(event, session_user(rest));
        if let Some(invoker) = invoking_user(rest) {
            push_related(event, "related.user", invoker);
        }
        true
    } else if let Some(rest) = body.strip_prefix("session closed for user ") {
        categorise(event, "session", "end", "session_closed", Some("success"));
        set_user(event, session_user(rest));
        true
    } else {
        false
    }
}

/// `X by (uid=0)`, `root(uid=0) by alice(uid=1000)` -> the session user.
fn session_user(rest: &str) -> &str {
    let user = rest
        .split_once(" by ")
        .map_or(rest, |(user, _)| user)
        .trim();
    user.split_once('(').map_or(user, |(name, _)| name)
}

/// `root(uid=0) by alice(uid=1000)` -> `alice`, the user who opened the session (kept in
/// `related.user`); `None` for `by (uid=0)`.
fn invoking_user(rest: &str) -> Option<&str> {
    let (_, by) = rest.split_once(" by ")?;
    let name = by.split_once('(').map_or(by, |(name, _)| name).trim();
    (!name.is_empty()).then_some(name)
}

/// `logname= uid=0 euid=0 tty=ssh ruser= rhost=IP  user=X`
fn auth_failure(kv: &str, event: &mut Event) {
    categorise(
        event,
        "authentication",
        "info",
        "authentication_failure",
        Some("failure"),
    );
    for item in kv.split_ascii_whitespace() {
        match item.split_once('=') {
            Some(("user", name)) => set_user(event, name),
            Some(("rhost", host)) => set_source_address(event, host),
            _ => {}
        }
    }
}
