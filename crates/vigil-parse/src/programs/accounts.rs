//! Account management messages of the shadow-utils programs (`useradd`, `usermod`,
//! `userdel`, `groupadd`, `groupdel`, `passwd`, `chage`, `gpasswd`), in the shapes they
//! write to the auth log, plus `pam_unix(passwd:chauthtok): password changed for X`;
//! other `pam_unix` lines go to [`super::pam`].
//!
//! | message | event.type | event.action | outcome |
//! | --- | --- | --- | --- |
//! | `new user: name=X, UID=N, GID=N, home=H, shell=S[, from=T]` | user, creation | `add_user` | success |
//! | `failed adding user 'X', exit code: N` | user, creation | `add_user` | failure |
//! | `new group: name=G, GID=N`, `group added to /etc/group: name=G, GID=N`, `group added to /etc/gshadow: name=G` | group, creation | `add_group` | success |
//! | `delete user 'X'` | user, deletion | `del_user` | success |
//! | `removed group 'G' owned by 'X'`, `removed shadow group ...`, `group 'G' removed[ from F]` | group, deletion | `del_group` | success |
//! | `add 'X' to [shadow ]group 'G'`, `user X added by Y to group G` | group, change | `add_user_to_group` | success |
//! | `delete 'X' from [shadow ]group 'G'`, `user X removed by Y from group G` | group, change | `del_user_from_group` | success |
//! | `change user 'X' <what> from 'A' to 'B'`, `change user name 'A' to 'B'` | user, change | `modify_user` | success |
//! | `lock user 'X' password`, `unlock user 'X' password` | user, change | `lock_user` / `unlock_user` | success |
//! | `change user 'X' password`, `password changed for X`, `password for 'X' changed by 'Y'` | user, change | `change_password` | success |
//! | `changed password expiry for X` | user, change | `change_password_expiry` | success |
//!
//! All set `event.category: ["iam"]`. `user.target.name` is the account acted on; `user.name`
//! is the actor when the line names one (`by Y`), else the account acted on (as the
//! Wazuh and Elastic system-auth decoders do); `user.id` (`UID=`), `group.name`,
//! `group.id` (`GID=`), `user.changes.name` (a rename), `file.path` (`/etc/group`,
//! `/etc/gshadow`), `error.code` (useradd's exit code), `related.user`; native details
//! under `shadow_utils.*` (`home`, `shell`, `from`, `change`, `old_value`, `new_value`).

use vigil_core::Event;

use super::{categorise, pam, push_related, set_user};

/// Recognises one account management message; returns whether it was understood.
pub fn parse(message: &str, event: &mut Event) -> bool {
    let msg = message.trim();
    if let Some(rest) = msg.strip_prefix("new user: ") {
        return new_user(rest, event);
    }
    if let Some(rest) = msg.strip_prefix("new group: ") {
        return new_group(rest, None, event);
    }
    if let Some(rest) = msg.strip_prefix("group added to ") {
        let Some((file, rest)) = rest.split_once(": ") else {
            return false;
        };
        return new_group(rest, Some(file), event);
    }
    if let Some(rest) = msg.strip_prefix("failed adding user ") {
        let Some((user, rest)) = quoted(rest) else {
            return false;
        };
        account(event, "user", "creation", "add_user", false, None, user);
        if let Some(code) = rest.split_once("exit code: ").map(|(_, c)| c.trim()) {
            if !code.is_empty() {
                event.set("error.code", code);
            }
        }
        return true;
    }
    if let Some(rest) = msg.strip_prefix("delete user ") {
        let Some((user, _)) = quoted(rest) else {
            return false;
        };
        account(event, "user", "deletion", "del_user", true, None, user);
        return true;
    }
    if let Some(rest) = msg
        .strip_prefix("removed shadow group ")
        .or_else(|| msg.strip_prefix("removed group "))
    {
        let Some((group, rest)) = quoted(rest) else {
            return false;
        };
        categorise(event, "iam", "deletion", "del_group", Some("success"));
        set_kinds(event, "group", "deletion");
        event.set("group.name", group);
        if let Some((owner, _)) = rest.strip_prefix(" owned by ").and_then(quoted) {
            set_user(event, owner);
        }
        return true;
    }
    if let Some(rest) = msg.strip_prefix("group ") {
        if let Some((group, rest)) = quoted(rest) {
            if let Some(after) = rest.strip_prefix(" removed") {
                categorise(event, "iam", "deletion", "del_group", Some("success"));
                set_kinds(event, "group", "deletion");
                event.set("group.name", group);
                if let Some(file) = after.trim().strip_prefix("from ") {
                    event.set("file.path", file.trim());
                }
                return true;
            }
        }
        return false;
    }
    if let Some(rest) = msg.strip_prefix("add ") {
        return membership(rest, " to ", "add_user_to_group", event);
    }
    if let Some(rest) = msg.strip_prefix("delete ") {
        return membership(rest, " from ", "del_user_from_group", event);
    }
    if let Some(rest) = msg.strip_prefix("user ") {
        return gpasswd(rest, event);
    }
    if let Some(rest) = msg.strip_prefix("change user name ") {
        let Some((old, rest)) = quoted(rest) else {
            return false;
        };
        let Some((new, _)) = rest.strip_prefix(" to ").and_then(quoted) else {
            return false;
        };
        account(event, "user", "change", "modify_user", true, None, old);
        event.set("user.changes.name", new);
        push_related(event, "related.user", new);
        event.set("shadow_utils.change", "name");
        return true;
    }
    if let Some(rest) = msg.strip_prefix("change user ") {
        return change_user(rest, event);
    }
    for (prefix, action) in [("lock user ", "lock_user"), ("unlock user ", "unlock_user")] {
        if let Some(rest) = msg.strip_prefix(prefix) {
            let Some((user, _)) = quoted(rest) else {
                return false;
            };
            account(event, "user", "change", action, true, None, user);
            return true;
        }
    }
    if let Some(rest) = msg.strip_prefix("password for ") {
        let Some((user, rest)) = quoted(rest) else {
            return false;
        };
        let actor = rest
            .strip_prefix(" changed by ")
            .and_then(quoted)
            .map(|(a, _)| a);
        account(
            event,
            "user",
            "change",
            "change_password",
            true,
            actor,
            user,
        );
        return true;
    }
    if let Some(user) = msg
        .strip_prefix("changed password expiry for ")
        .or_else(|| msg.strip_prefix("change password expiry for "))
    {
        return simple_user(user, "change_password_expiry", event);
    }
    if let Some(user) = msg.strip_prefix("password changed for ") {
        return simple_user(user, "change_password", event);
    }
    if let Some(body) = msg
        .strip_prefix("pam_unix(")
        .and_then(|rest| rest.split_once("): "))
        .map(|(_, body)| body)
    {
        if let Some(user) = body.strip_prefix("password changed for ") {
            return simple_user(user, "change_password", event);
        }
    }
    pam::parse(message, event)
}

/// `name=X, UID=N, GID=N, home=H, shell=S, from=T`
fn new_user(rest: &str, event: &mut Event) -> bool {
    let pairs = pairs(rest);
    let Some(name) = value(&pairs, "name") else {
        return false;
    };
    account(event, "user", "creation", "add_user", true, None, name);
    if let Some(uid) = value(&pairs, "UID") {
        event.set("user.id", uid);
    }
    if let Some(gid) = value(&pairs, "GID") {
        event.set("group.id", gid);
    }
    for key in ["home", "shell", "from"] {
        if let Some(v) = value(&pairs, key) {
            event.set(&format!("shadow_utils.{key}"), v);
        }
    }
    true
}

/// `name=G, GID=N` (optionally `file` it was added to).
fn new_group(rest: &str, file: Option<&str>, event: &mut Event) -> bool {
    let pairs = pairs(rest);
    let Some(name) = value(&pairs, "name") else {
        return false;
    };
    categorise(event, "iam", "creation", "add_group", Some("success"));
    set_kinds(event, "group", "creation");
    event.set("group.name", name);
    if let Some(gid) = value(&pairs, "GID") {
        event.set("group.id", gid);
    }
    if let Some(file) = file.map(str::trim).filter(|f| !f.is_empty()) {
        event.set("file.path", file);
        let base = file.rsplit('/').next().unwrap_or(file);
        event.set("file.name", base);
    }
    true
}

/// `'X' to [shadow ]group 'G'` / `'X' from [shadow ]group 'G'`.
fn membership(rest: &str, joiner: &str, action: &str, event: &mut Event) -> bool {
    let Some((user, rest)) = quoted(rest) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(joiner) else {
        return false;
    };
    let rest = rest.strip_prefix("shadow ").unwrap_or(rest);
    let Some((group, _)) = rest.strip_prefix("group ").and_then(quoted) else {
        return false;
    };
    account(event, "group", "change", action, true, None, user);
    event.set("group.name", group);
    true
}

/// gpasswd: `X added by Y to group G`, `X removed by Y from group G`.
fn gpasswd(rest: &str, event: &mut Event) -> bool {
    let (user, rest, action, joiner) = if let Some((u, r)) = rest.split_once(" added by ") {
        (u, r, "add_user_to_group", " to group ")
    } else if let Some((u, r)) = rest.split_once(" removed by ") {
        (u, r, "del_user_from_group", " from group ")
    } else {
        return false;
    };
    let Some((actor, group)) = rest.split_once(joiner) else {
        return false;
    };
    let (user, actor, group) = (user.trim(), actor.trim(), group.trim());
    if [user, actor, group]
        .iter()
        .any(|w| w.is_empty() || w.contains(' '))
    {
        return false;
    }
    account(event, "group", "change", action, true, Some(actor), user);
    event.set("group.name", group);
    true
}

/// `'X' <what> from 'A' to 'B'`, `'X' password`.
fn change_user(rest: &str, event: &mut Event) -> bool {
    let Some((user, rest)) = quoted(rest) else {
        return false;
    };
    let rest = rest.trim();
    if rest == "password" {
        account(event, "user", "change", "change_password", true, None, user);
        return true;
    }
    let Some((what, values)) = rest.split_once(" from ") else {
        return false;
    };
    account(event, "user", "change", "modify_user", true, None, user);
    event.set("shadow_utils.change", what.trim());
    if let Some((old, values)) = quoted(values) {
        event.set("shadow_utils.old_value", old);
        if let Some((new, _)) = values.strip_prefix(" to ").and_then(quoted) {
            event.set("shadow_utils.new_value", new);
        }
    }
    true
}

/// A bare user name at the end of the message.
fn simple_user(user: &str, action: &str, event: &mut Event) -> bool {
    let user = user.trim();
    if user.is_empty() || user.contains(' ') {
        return false;
    }
    account(event, "user", "change", action, true, None, user);
    true
}

/// Sets the categorisation and the users of an account event: `target` is the account
/// acted on, `actor` who did it (the target stands in for `user.name` when unknown).
fn account(
    event: &mut Event,
    object: &str,
    kind: &str,
    action: &str,
    success: bool,
    actor: Option<&str>,
    target: &str,
) {
    let outcome = if success { "success" } else { "failure" };
    categorise(event, "iam", kind, action, Some(outcome));
    set_kinds(event, object, kind);
    set_user(event, actor.unwrap_or(target));
    if !target.is_empty() {
        event.set("user.target.name", target);
        push_related(event, "related.user", target);
    }
}

/// `event.type: [object, kind]` (`["user", "creation"]`).
fn set_kinds(event: &mut Event, object: &str, kind: &str) {
    event.set(
        "event.type",
        serde_json::Value::Array(vec![object.into(), kind.into()]),
    );
}

/// The text between the first pair of single quotes (or backquote + quote) and what
/// follows it.
fn quoted(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_start();
    let rest = s.strip_prefix('\'').or_else(|| s.strip_prefix('`'))?;
    let end = rest.find('\'')?;
    Some((&rest[..end], &rest[end + 1..]))
}

/// `k=v, k=v` pairs.
fn pairs(s: &str) -> Vec<(&str, &str)> {
    s.split(", ")
        .filter_map(|item| item.split_once('='))
        .map(|(k, v)| (k.trim(), v.trim()))
        .collect()
}

fn value<'a>(pairs: &[(&str, &'a str)], key: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn run(message: &str) -> Option<Event> {
        let mut event = Event::new();
        parse(message, &mut event).then_some(event)
    }

    #[test]
    fn user_lifecycle() {
        let event = run("new user: name=user02, UID=1001, GID=1003, home=/home/user02, shell=/bin/bash, from=/dev/pts/0").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("add_user"));
        assert_eq!(event.get("event.type"), Some(&json!(["user", "creation"])));
        assert_eq!(event.get("event.category"), Some(&json!(["iam"])));
        assert_eq!(event.get_str("user.name"), Some("user02"));
        assert_eq!(event.get_str("user.target.name"), Some("user02"));
        assert_eq!(event.get_str("user.id"), Some("1001"));
        assert_eq!(event.get_str("group.id"), Some("1003"));
        assert_eq!(event.get_str("shadow_utils.from"), Some("/dev/pts/0"));
        let event = run("failed adding user 'user01', exit code: 4").unwrap_or_default();
        assert_eq!(event.get_str("event.outcome"), Some("failure"));
        assert_eq!(event.get_str("error.code"), Some("4"));
        let event = run("delete user 'user02'").unwrap_or_default();
        assert_eq!(event.get("event.type"), Some(&json!(["user", "deletion"])));
        let event = run("change user 'user03' expiration from '2001-01-01' to '2243-10-16'")
            .unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("modify_user"));
        assert_eq!(event.get_str("shadow_utils.change"), Some("expiration"));
        assert_eq!(event.get_str("shadow_utils.new_value"), Some("2243-10-16"));
        let event = run("change user name 'bob' to 'robert'").unwrap_or_default();
        assert_eq!(event.get_str("user.changes.name"), Some("robert"));
        let event = run("lock user 'bob' password").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("lock_user"));
    }

    #[test]
    fn groups_and_membership() {
        let event = run("group added to /etc/group: name=user02, GID=1003").unwrap_or_default();
        assert_eq!(event.get_str("group.name"), Some("user02"));
        assert_eq!(event.get_str("group.id"), Some("1003"));
        assert_eq!(event.get_str("file.path"), Some("/etc/group"));
        assert_eq!(event.get("event.type"), Some(&json!(["group", "creation"])));
        let event = run("add 'mallory' to shadow group 'sudo'").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("add_user_to_group"));
        assert_eq!(event.get_str("group.name"), Some("sudo"));
        assert_eq!(event.get_str("user.target.name"), Some("mallory"));
        let event = run("user mallory added by root to group wheel").unwrap_or_default();
        assert_eq!(event.get_str("user.name"), Some("root"));
        assert_eq!(event.get_str("user.target.name"), Some("mallory"));
        let event = run("removed group 'bob' owned by 'bob'").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("del_group"));
        let event = run("group 'devs' removed from /etc/group").unwrap_or_default();
        assert_eq!(event.get_str("file.path"), Some("/etc/group"));
        assert_eq!(event.get_str("group.name"), Some("devs"));
    }

    #[test]
    fn passwords() {
        let event =
            run("pam_unix(passwd:chauthtok): password changed for user02").unwrap_or_default();
        assert_eq!(event.get_str("event.action"), Some("change_password"));
        assert_eq!(event.get_str("user.name"), Some("user02"));
        let event = run("password for 'bob' changed by 'root'").unwrap_or_default();
        assert_eq!(event.get_str("user.name"), Some("root"));
        assert_eq!(event.get_str("user.target.name"), Some("bob"));
        let event = run("changed password expiry for user03").unwrap_or_default();
        assert_eq!(
            event.get_str("event.action"),
            Some("change_password_expiry")
        );
    }

    #[test]
    fn malformed_is_not_recognised() {
        for message in [
            "new user: UID=1",
            "failed adding user user01",
            "delete user",
            "add 'x' to nothing",
            "user x added by y",
            "change user 'x'",
            "change user 'x",
            "group 'x' created",
            "password changed for a b",
            "something else",
        ] {
            assert!(run(message).is_none(), "{message}");
        }
    }
}
