//! `sudo` messages: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls -l`
//! (allowed) and the same with a reason first (`3 incorrect password attempts ;`,
//! `user NOT in sudoers ;`, `command not allowed ;`: denied), plus its `pam_unix(sudo:...)`
//! lines (delegated to [`super::pam`]).
//!
//! Fields: `user.name` (the invoking user), `user.effective.name` (`USER=`),
//! `process.command_line` (`COMMAND=`), `process.working_directory` (`PWD=`),
//! `event.reason` (the denial reason), `related.user`; `event.category: ["process"]`,
//! `event.action: "sudo"`, `event.type` start (allowed) / info (denied),
//! `event.outcome` success / failure.

use vigil_core::Event;

use super::{categorise, pam, push_related, set_user};

/// Recognises one sudo message; returns whether it was understood.
pub fn parse(message: &str, event: &mut Event) -> bool {
    if message.starts_with("pam_unix(") {
        return pam::parse(message, event);
    }
    let Some((user, rest)) = message.split_once(" : ") else {
        return false;
    };
    let user = user.trim();
    if user.is_empty() || user.contains(' ') {
        return false;
    }
    // COMMAND= comes last and may itself contain " ; ".
    let (fields, command) = match rest.find("COMMAND=") {
        Some(i) => (&rest[..i], Some(rest[i + "COMMAND=".len()..].trim_end())),
        None => (rest, None),
    };
    let (mut reason, mut pwd, mut runas, mut tty) = (None, None, None, None);
    for item in fields.split(';').map(str::trim).filter(|i| !i.is_empty()) {
        match item.split_once('=') {
            Some(("TTY", v)) => tty = Some(v),
            Some(("PWD", v)) => pwd = Some(v),
            Some(("USER", v)) => runas = Some(v),
            Some(_) => {}
            None if reason.is_none() && tty.is_none() && pwd.is_none() => reason = Some(item),
            None => {}
        }
    }
    if command.is_none() && runas.is_none() && tty.is_none() {
        return false;
    }
    match reason {
        Some(reason) => {
            categorise(event, "process", "info", "sudo", Some("failure"));
            event.set("event.reason", reason);
        }
        None => categorise(event, "process", "start", "sudo", Some("success")),
    }
    set_user(event, user);
    if let Some(runas) = runas.filter(|r| !r.is_empty()) {
        event.set("user.effective.name", runas);
        push_related(event, "related.user", runas);
    }
    if let Some(pwd) = pwd.filter(|p| !p.is_empty()) {
        event.set("process.working_directory", pwd);
    }
    if let Some(command) = command.filter(|c| !c.is_empty()) {
        event.set("process.command_line", command);
    }
    true
}
