//! `systemd-logind` messages about sessions: `New session 12 of user alice.`,
//! `New session c1 of user gdm.`, `Session 12 logged out. Waiting for processes to exit.`,
//! `Removed session 12.`, plus the `pam_unix` lines some systems log under its name
//! (delegated to [`super::pam`]). Seat, button and power messages are left as they are.
//!
//! | message | event.category | event.type | event.action |
//! | --- | --- | --- | --- |
//! | `New session N of user X.` | session | start | `new_session` |
//! | `Session N logged out. ...` | session | end | `session_logged_out` |
//! | `Removed session N.` | session | end | `removed_session` |
//!
//! `event.outcome: success`, `user.name` (with `related.user`) when the message names the
//! user, `logind.session.id` (native: the session id, as written).

use vigil_core::Event;

use super::{categorise, pam, set_user};

/// Recognises one systemd-logind message; returns whether it was understood.
pub fn parse(message: &str, event: &mut Event) -> bool {
    let msg = message.trim().trim_end_matches('.');
    if let Some(rest) = msg.strip_prefix("New session ") {
        let Some((id, user)) = rest.split_once(" of user ") else {
            return false;
        };
        if !valid_id(id) {
            return false;
        }
        categorise(event, "session", "start", "new_session", Some("success"));
        event.set("logind.session.id", id);
        set_user(event, user.trim());
        return true;
    }
    if let Some(rest) = msg.strip_prefix("Removed session ") {
        if !valid_id(rest) {
            return false;
        }
        categorise(event, "session", "end", "removed_session", Some("success"));
        event.set("logind.session.id", rest);
        return true;
    }
    if let Some(rest) = msg.strip_prefix("Session ") {
        if let Some(id) = rest
            .strip_suffix(" logged out. Waiting for processes to exit")
            .or_else(|| rest.split_once(" logged out").map(|(id, _)| id))
        {
            if valid_id(id) {
                categorise(
                    event,
                    "session",
                    "end",
                    "session_logged_out",
                    Some("success"),
                );
                event.set("logind.session.id", id);
                return true;
            }
        }
        return false;
    }
    pam::parse(message, event)
}

/// A session id: letters and digits (`12`, `c1`), no spaces.
fn valid_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 32 && id.bytes().all(|b| b.is_ascii_alphanumeric())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(message: &str) -> Option<Event> {
        let mut event = Event::new();
        parse(message, &mut event).then_some(event)
    }

    #[test]
    fn sessions() {
        let event = run("New session 12 of user alice.").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("new_session"));
        assert_eq!(event.get_str("user.name"), Some("alice"));
        assert_eq!(event.get_str("logind.session.id"), Some("12"));
        let event = run("Removed session c1.").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("removed_session"));
        assert_eq!(event.get_str("logind.session.id"), Some("c1"));
        assert_eq!(event.get("user.name"), None);
        let event =
            run("Session 12 logged out. Waiting for processes to exit.").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("session_logged_out"));
    }

    #[test]
    fn others_are_left_alone() {
        for message in [
            "New seat seat0.",
            "Watching system buttons on /dev/input/event0 (Power Button)",
            "New session of user",
            "Removed session .",
            "Session  logged out",
            "Removed session 1 2.",
        ] {
            assert!(run(message).is_none(), "{message}");
        }
    }
}
