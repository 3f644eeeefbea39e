//! `su` messages: the user switch itself, as shadow-utils' `su` (`Successful su for bob by
//! alice`, `FAILED su for root by alice`, `+ /dev/pts/1 alice:bob`, `- /dev/pts/1
//! alice:root`) and util-linux's `su` (`(to root) alice on pts/0`, `FAILED SU (to root)
//! alice on pts/0`) log it, plus its `pam_unix(su:...)` / `pam_unix(su-l:...)` lines
//! (delegated to [`super::pam`]) and util-linux's `pam_authenticate: Authentication failure`.
//!
//! Fields: `event.category: ["authentication"]`, `event.action: "su"`, `event.type`
//! start (the switch line) or info (the `+` / `-` tty line that accompanies it),
//! `event.outcome` success / failure, `user.name` (who ran su), `user.target.name` and
//! `user.effective.name` (the account switched to), `process.tty.name`, `related.user`.

use vigil_core::Event;

use super::{categorise, pam, push_related, set_user};

/// Recognises one su message; returns whether it was understood.
pub fn parse(message: &str, event: &mut Event) -> bool {
    let msg = message.trim();
    if let Some(rest) = msg.strip_prefix("Successful su for ") {
        return for_by(rest, true, event);
    }
    if let Some(rest) = msg.strip_prefix("FAILED su for ") {
        return for_by(rest, false, event);
    }
    if let Some(rest) = msg.strip_prefix("FAILED SU ") {
        return to_on(rest, false, event);
    }
    if msg.starts_with("(to ") {
        return to_on(msg, true, event);
    }
    if let Some(rest) = msg.strip_prefix("+ ") {
        return tty_line(rest, true, event);
    }
    if let Some(rest) = msg.strip_prefix("- ") {
        return tty_line(rest, false, event);
    }
    if msg.starts_with("pam_authenticate: Authentication failure") {
        categorise(event, "authentication", "start", "su", Some("failure"));
        event.set("event.reason", "Authentication failure");
        return true;
    }
    pam::parse(message, event)
}

/// `bob by alice` (shadow-utils).
fn for_by(rest: &str, success: bool, event: &mut Event) -> bool {
    let Some((target, actor)) = rest.split_once(" by ") else {
        return false;
    };
    switch(event, "start", success, actor.trim(), target.trim());
    true
}

/// `(to root) alice on pts/0` (util-linux).
fn to_on(rest: &str, success: bool, event: &mut Event) -> bool {
    let Some((target, rest)) = rest.strip_prefix("(to ").and_then(|r| r.split_once(") ")) else {
        return false;
    };
    let (actor, tty) = rest.split_once(" on ").unwrap_or((rest, ""));
    switch(event, "start", success, actor.trim(), target.trim());
    set_tty(event, tty.trim());
    true
}

/// `/dev/pts/1 alice:bob` (shadow-utils' sulog line).
fn tty_line(rest: &str, success: bool, event: &mut Event) -> bool {
    let Some((tty, users)) = rest.trim().split_once(' ') else {
        return false;
    };
    let Some((actor, target)) = users.trim().split_once(':') else {
        return false;
    };
    if actor.contains(' ') || target.contains(' ') {
        return false;
    }
    switch(event, "info", success, actor, target);
    set_tty(event, tty);
    true
}

fn switch(event: &mut Event, kind: &str, success: bool, actor: &str, target: &str) {
    let outcome = if success { "success" } else { "failure" };
    categorise(event, "authentication", kind, "su", Some(outcome));
    set_user(event, actor);
    if !target.is_empty() {
        event.set("user.target.name", target);
        event.set("user.effective.name", target);
        push_related(event, "related.user", target);
    }
}

fn set_tty(event: &mut Event, tty: &str) {
    let tty = tty.strip_prefix("/dev/").unwrap_or(tty);
    if !tty.is_empty() && tty != "???" && tty != "none" {
        event.set("process.tty.name", tty);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(message: &str) -> Option<Event> {
        let mut event = Event::new();
        parse(message, &mut event).then_some(event)
    }

    #[test]
    fn shadow_utils_and_util_linux() {
        let event = run("Successful su for user02 by root").unwrap_or_default();
        assert_eq!(event.get_str("user.name"), Some("root"));
        assert_eq!(event.get_str("user.target.name"), Some("user02"));
        assert_eq!(event.get_str("event.outcome"), Some("success"));
        let event = run("FAILED su for root by alice").unwrap_or_default();
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("user.name"), Some("alice"));
        let event = run("+ /dev/pts/1 root:user02").unwrap_or_default();
        assert_eq!(event.get_str("process.tty.name"), Some("pts/1"));
        assert_eq!(event.get_str("user.target.name"), Some("user02"));
        let event = run("FAILED SU (to root) alice on pts/0").unwrap_or_default();
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("user.target.name"), Some("root"));
        assert_eq!(event.get_str("user.name"), Some("alice"));
        let event = run("(to root) alice on pts/0").unwrap_or_default();
        assert_eq!(event.get_str("event.outcome"), Some("success"));
        let event = run("pam_unix(su-l:session): session opened for user root by milad(uid=0)")
            .unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("session_opened"));
    }

    #[test]
    fn unknown_and_malformed() {
        for message in [
            "Successful su for",
            "(to root",
            "+ ",
            "- x",
            "+ /dev/pts/1 a b:c",
            "x",
        ] {
            assert!(run(message).is_none(), "{message}");
        }
    }
}
