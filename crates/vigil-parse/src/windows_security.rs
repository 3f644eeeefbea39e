//! ECS categorisation of Windows events by provider and event id: the Security auditing
//! events (logons, account and group management, Kerberos, audit policy, shares, Windows
//! Filtering Platform), Sysmon (for Windows and Linux) and Windows PowerShell engine events. Applied by
//! [`crate::windows`] after the native fields are flattened.
//!
//! Sets `event.category`, `event.type`, `event.action` (the de-facto ECS vocabulary for
//! Windows events: `logged-in`, `added-member-to-group`, `kerberos-preauth-failed` ...),
//! `event.outcome` (Security and event log service: the audit success / failure bits of
//! `Keywords`, e.g. `0x8020000000000000` / `0x8010000000000000`), `user.name` (the account the event is about for logon and
//! Kerberos events: `TargetUserName` / `AccountName`; otherwise the acting
//! `SubjectUserName`; Sysmon: the name part of `User`), `process.name` / `process.pid`
//! (`ProcessName` / `ProcessId`, `NewProcessName` / `NewProcessId` for 4688 with the creator
//! as `process.parent.*`, `Application` /
//! `ProcessID` for 5156 / 5157, Sysmon `Image` / `ProcessId`; hexadecimal ids decoded),
//! and `source.*` / `destination.*` (`IpAddress` / `IpPort`, `ClientAddress`,
//! `SourceAddress` / `DestAddress`, Sysmon `SourceIp` / `DestinationIp`). Fields already
//! set are kept; `-` values are skipped.

use vigil_core::Event;

use crate::ecs;

/// (event ids, categories, types, action).
type Mapping = (
    &'static [u64],
    &'static [&'static str],
    &'static [&'static str],
    &'static str,
);

/// (event ids, categories, types, action) for `Microsoft-Windows-Security-Auditing` and the
/// event log service.
const SECURITY: &[Mapping] = &[
    (&[1100], &["process"], &["end"], "logging-service-shutdown"),
    (&[1102], &["iam"], &["admin", "change"], "audit-log-cleared"),
    (&[1104], &["iam"], &["admin"], "logging-full"),
    (&[1105], &["iam"], &["admin"], "auditlog-archieved"),
    (&[1108], &["iam"], &["admin"], "logging-processing-error"),
    (
        &[4616],
        &["configuration"],
        &["change"],
        "system-time-changed",
    ),
    (
        &[4657],
        &["registry", "configuration"],
        &["change"],
        "registry-value-modified",
    ),
    (
        &[4670],
        &["iam", "configuration"],
        &["admin", "change"],
        "permissions-changed",
    ),
    (&[4624], &["authentication"], &["start"], "logged-in"),
    (&[4625], &["authentication"], &["start"], "logon-failed"),
    (&[4634, 4647], &["authentication"], &["end"], "logged-out"),
    (
        &[4648],
        &["authentication"],
        &["start"],
        "logged-in-explicit",
    ),
    (
        &[4662],
        &["iam", "configuration"],
        &["admin", "change"],
        "object-operation-performed",
    ),
    (&[4672], &["iam"], &["admin"], "logged-in-special"),
    (&[4673], &["iam"], &["admin"], "privileged-service-called"),
    (&[4674], &["iam"], &["admin"], "privileged-operation"),
    (&[4688], &["process"], &["start"], "created-process"),
    (&[4689], &["process"], &["end"], "exited-process"),
    (
        &[4697],
        &["iam", "configuration"],
        &["admin", "change"],
        "service-installed",
    ),
    (
        &[4698],
        &["iam", "configuration"],
        &["creation", "admin"],
        "scheduled-task-created",
    ),
    (
        &[4699],
        &["iam", "configuration"],
        &["deletion", "admin"],
        "scheduled-task-deleted",
    ),
    (
        &[4700],
        &["iam", "configuration"],
        &["change", "admin"],
        "scheduled-task-enabled",
    ),
    (
        &[4701],
        &["iam", "configuration"],
        &["change", "admin"],
        "scheduled-task-disabled",
    ),
    (
        &[4702],
        &["iam", "configuration"],
        &["change", "admin"],
        "scheduled-task-updated",
    ),
    (
        &[4706],
        &["configuration"],
        &["creation"],
        "domain-trust-added",
    ),
    (
        &[4707],
        &["configuration"],
        &["deletion"],
        "domain-trust-removed",
    ),
    (
        &[4713],
        &["configuration"],
        &["change"],
        "kerberos-policy-changed",
    ),
    (
        &[4716],
        &["configuration"],
        &["change"],
        "trusted-domain-information-changed",
    ),
    (
        &[4717],
        &["iam", "configuration"],
        &["admin", "change"],
        "system-security-access-granted",
    ),
    (
        &[4718],
        &["iam", "configuration"],
        &["admin", "deletion"],
        "system-security-access-removed",
    ),
    (
        &[4719],
        &["iam", "configuration"],
        &["admin", "change"],
        "changed-audit-config",
    ),
    (
        &[4720],
        &["iam"],
        &["user", "creation"],
        "added-user-account",
    ),
    (
        &[4722],
        &["iam"],
        &["user", "change"],
        "enabled-user-account",
    ),
    (&[4723], &["iam"], &["user", "change"], "changed-password"),
    (&[4724], &["iam"], &["user", "change"], "reset-password"),
    (
        &[4725],
        &["iam"],
        &["user", "deletion"],
        "disabled-user-account",
    ),
    (
        &[4726],
        &["iam"],
        &["user", "deletion"],
        "deleted-user-account",
    ),
    (
        &[4727, 4731, 4754],
        &["iam"],
        &["group", "creation"],
        "added-group-account",
    ),
    (
        &[4728, 4732, 4756],
        &["iam"],
        &["group", "change"],
        "added-member-to-group",
    ),
    (
        &[4729, 4733, 4757],
        &["iam"],
        &["group", "change"],
        "removed-member-from-group",
    ),
    (
        &[4730, 4734, 4758],
        &["iam"],
        &["group", "deletion"],
        "deleted-group-account",
    ),
    (
        &[4735, 4737, 4755],
        &["iam"],
        &["group", "change"],
        "modified-group-account",
    ),
    (
        &[4738],
        &["iam"],
        &["user", "change"],
        "modified-user-account",
    ),
    (
        &[4739],
        &["configuration"],
        &["change"],
        "domain-policy-changed",
    ),
    (
        &[4740],
        &["iam"],
        &["user", "change"],
        "locked-out-user-account",
    ),
    (
        &[4741],
        &["iam"],
        &["creation", "admin"],
        "added-computer-account",
    ),
    (
        &[4742],
        &["iam"],
        &["change", "admin"],
        "changed-computer-account",
    ),
    (
        &[4743],
        &["iam"],
        &["deletion", "admin"],
        "deleted-computer-account",
    ),
    (
        &[4744, 4749, 4759],
        &["iam"],
        &["group", "creation"],
        "added-distribution-group-account",
    ),
    (
        &[4745, 4750, 4760],
        &["iam"],
        &["group", "change"],
        "changed-distribution-group-account",
    ),
    (
        &[4746, 4751, 4761],
        &["iam"],
        &["group", "change"],
        "added-member-to-distribution-group",
    ),
    (
        &[4747, 4752, 4762],
        &["iam"],
        &["group", "change"],
        "removed-member-from-distribution-group",
    ),
    (
        &[4748, 4753, 4763],
        &["iam"],
        &["group", "deletion"],
        "deleted-distribution-group-account",
    ),
    (
        &[4764],
        &["iam"],
        &["group", "change"],
        "type-changed-group-account",
    ),
    (
        &[4767],
        &["iam"],
        &["user", "change"],
        "unlocked-user-account",
    ),
    (
        &[4768],
        &["authentication"],
        &["start"],
        "kerberos-authentication-ticket-requested",
    ),
    (
        &[4769],
        &["authentication"],
        &["start"],
        "kerberos-service-ticket-requested",
    ),
    (
        &[4770],
        &["authentication"],
        &["start"],
        "kerberos-service-ticket-renewed",
    ),
    (
        &[4771],
        &["authentication"],
        &["start"],
        "kerberos-preauth-failed",
    ),
    (
        &[4776],
        &["authentication"],
        &["start"],
        "credential-validated",
    ),
    (
        &[4778],
        &["authentication", "session"],
        &["start"],
        "session-reconnected",
    ),
    (
        &[4779],
        &["authentication", "session"],
        &["end"],
        "session-disconnected",
    ),
    (
        &[4781],
        &["iam"],
        &["user", "change"],
        "renamed-user-account",
    ),
    (
        &[4798],
        &["iam"],
        &["user", "info"],
        "group-membership-enumerated",
    ),
    (
        &[4799],
        &["iam"],
        &["group", "info"],
        "user-member-enumerated",
    ),
    (
        &[4817],
        &["iam", "configuration"],
        &["admin", "change"],
        "object-audit-changed",
    ),
    (
        &[4902],
        &["iam", "configuration"],
        &["admin", "creation"],
        "user-audit-policy-created",
    ),
    (
        &[4904],
        &["iam", "configuration"],
        &["admin", "change"],
        "security-event-source-added",
    ),
    (
        &[4905],
        &["iam", "configuration"],
        &["admin", "deletion"],
        "security-event-source-removed",
    ),
    (
        &[4906],
        &["iam", "configuration"],
        &["admin", "change"],
        "crash-on-audit-changed",
    ),
    (
        &[4907],
        &["iam", "configuration"],
        &["admin", "change"],
        "audit-setting-changed",
    ),
    (
        &[4912],
        &["iam", "configuration"],
        &["admin", "change"],
        "per-user-audit-policy-changed",
    ),
    (
        &[5136],
        &["iam", "configuration"],
        &["admin", "change"],
        "directory-service-object-modified",
    ),
    (
        &[5137],
        &["iam", "configuration"],
        &["admin", "creation"],
        "directory-service-object-created",
    ),
    (
        &[5141],
        &["iam", "configuration"],
        &["admin", "deletion"],
        "directory-service-object-deleted",
    ),
    (
        &[5140],
        &["network", "file"],
        &["info", "access"],
        "network-share-object-accessed",
    ),
    (
        &[5145],
        &["network", "file"],
        &["info", "access"],
        "network-share-object-access-checked",
    ),
    (
        &[5156],
        &["network"],
        &["connection", "info", "allowed"],
        "windows-firewall-connection",
    ),
    (
        &[5157],
        &["network"],
        &["connection", "info", "denied"],
        "windows-firewall-packet-block",
    ),
];

/// (event ids, categories, types, action) for Sysmon (Windows and Linux); the action is
/// the event's Sysmon name in snake case.
const SYSMON: &[Mapping] = &[
    (&[1], &["process"], &["start"], "process_creation"),
    (&[2], &["file"], &["change"], "file_creation_time_changed"),
    (
        &[3],
        &["network"],
        &["connection", "start", "protocol"],
        "network_connection",
    ),
    (&[5], &["process"], &["end"], "process_terminated"),
    (&[6], &["driver"], &["start"], "driver_loaded"),
    (&[7], &["library"], &["start"], "image_loaded"),
    (&[8], &["process"], &["change"], "create_remote_thread"),
    (&[9], &["file"], &["access"], "raw_access_read"),
    (&[10], &["process"], &["access"], "process_access"),
    (&[11], &["file"], &["creation"], "file_created"),
    (
        &[12],
        &["registry", "configuration"],
        &["change"],
        "registry_object_added_or_deleted",
    ),
    (
        &[13],
        &["registry", "configuration"],
        &["change"],
        "registry_value_set",
    ),
    (
        &[14],
        &["registry", "configuration"],
        &["change"],
        "registry_object_renamed",
    ),
    (&[15], &["file"], &["access"], "file_stream_created"),
    (
        &[16],
        &["configuration"],
        &["change"],
        "sysmon_config_changed",
    ),
    (&[17], &["file"], &["creation"], "pipe_created"),
    (&[18], &["file"], &["access"], "pipe_connected"),
    (&[22], &["network"], &["protocol", "info"], "dns_query"),
    (&[23], &["file"], &["deletion"], "file_deleted"),
    (&[24], &["host"], &["change"], "clipboard_changed"),
    (&[25], &["process"], &["change"], "process_tampering"),
    (&[26], &["file"], &["deletion"], "file_delete_detected"),
];

/// The `Keywords` bit of an audit success.
const AUDIT_SUCCESS: u64 = 0x0020_0000_0000_0000;
/// The `Keywords` bit of an audit failure.
const AUDIT_FAILURE: u64 = 0x0010_0000_0000_0000;

/// Logon and Kerberos events whose `user.name` is the account logging on.
const TARGET_USER: &[u64] = &[4624, 4625, 4634, 4647, 4768, 4769, 4770, 4771, 4776];

/// Adds the ECS fields for the event's provider and id (see the module documentation).
pub(crate) fn apply(event: &mut Event, id: u64, provider: Option<&str>) {
    match provider {
        Some("Microsoft-Windows-Sysmon" | "Linux-Sysmon") => sysmon(event, id),
        Some("PowerShell") | Some("Microsoft-Windows-PowerShell") => powershell(event, id),
        _ => security(event, id),
    }
}

fn native(event: &Event, key: &str) -> Option<String> {
    event
        .as_map()
        .get(key)
        .and_then(ecs::scalar)
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s != "-")
}

fn categorise(event: &mut Event, categories: &[&str], types: &[&str]) {
    // Values set earlier (the 4624 / 4625 / 4688 strings of `windows`) are kept.
    if event.get("event.category").is_none() {
        ecs::set_array(event, "event.category", categories);
    }
    if event.get("event.type").is_none() {
        ecs::set_array(event, "event.type", types);
    }
}

fn security(event: &mut Event, id: u64) {
    if let Some((_, categories, types, action)) =
        SECURITY.iter().find(|(ids, ..)| ids.contains(&id))
    {
        categorise(event, categories, types);
        event.set_default("event.action", *action);
    }
    // The audit success / failure keyword bits.
    let keywords = native(event, "Keywords")
        .and_then(|k| number(&k))
        .unwrap_or(0);
    if keywords & AUDIT_SUCCESS != 0 {
        event.set("event.outcome", "success");
    } else if keywords & AUDIT_FAILURE != 0 {
        event.set("event.outcome", "failure");
    }
    let user = if TARGET_USER.contains(&id) {
        native(event, "TargetUserName")
    } else if matches!(id, 4778 | 4779) {
        native(event, "AccountName")
    } else {
        native(event, "SubjectUserName")
    };
    if let Some(user) = user {
        if event.get("user.name").is_none() {
            ecs::set_user(event, "user.name", &user);
        }
    }
    let (name_key, pid_key) = match id {
        4688 => ("NewProcessName", "NewProcessId"),
        5156 | 5157 => ("Application", "ProcessID"),
        _ => ("ProcessName", "ProcessId"),
    };
    set_process(event, name_key, pid_key);
    if id == 4688 {
        if let Some(parent) = native(event, "ParentProcessName") {
            let name = parent
                .rsplit(['\\', '/'])
                .next()
                .unwrap_or(&parent)
                .to_string();
            ecs::set_str(event, "process.parent.name", &name);
            ecs::set_str(event, "process.parent.executable", &parent);
        }
        if let Some(pid) = native(event, "ProcessId").and_then(|p| number(&p)) {
            event.set("process.parent.pid", pid);
        }
    }
    for (ip, port) in [
        ("IpAddress", "IpPort"),
        ("ClientAddress", ""),
        ("SourceAddress", "SourcePort"),
    ] {
        set_endpoint(event, "source", ip, port);
    }
    set_endpoint(event, "destination", "DestAddress", "DestPort");
}

fn sysmon(event: &mut Event, id: u64) {
    if let Some((_, categories, types, action)) = SYSMON.iter().find(|(ids, ..)| ids.contains(&id))
    {
        categorise(event, categories, types);
        event.set_default("event.action", *action);
    } else if id == 4 {
        // Sysmon service state changed: `State` Started / Stopped.
        categorise(event, &["process"], &["change"]);
        match native(event, "State").as_deref() {
            Some("Started") => event.set_default("event.action", "service_start"),
            Some("Stopped") => event.set_default("event.action", "service_stop"),
            _ => {}
        }
    }
    if let Some(user) = native(event, "User") {
        let name = user.rsplit('\\').next().unwrap_or(&user).to_string();
        if event.get("user.name").is_none() {
            ecs::set_user(event, "user.name", &name);
        }
    }
    set_process(event, "Image", "ProcessId");
    set_endpoint(event, "source", "SourceIp", "SourcePort");
    set_endpoint(event, "destination", "DestinationIp", "DestinationPort");
}

fn powershell(event: &mut Event, id: u64) {
    let types: &[&str] = match id {
        400 | 600 => &["start"],
        403 => &["end"],
        _ => return,
    };
    categorise(event, &["process"], types);
}

/// `process.name` (the executable's base name), `process.executable`, `process.pid`.
fn set_process(event: &mut Event, name_key: &str, pid_key: &str) {
    if let Some(path) = native(event, name_key) {
        let name = path
            .rsplit(['\\', '/'])
            .find(|p| !p.is_empty())
            .unwrap_or(&path)
            .to_string();
        if event.get("process.name").is_none() {
            ecs::set_str(event, "process.name", &name);
        }
        if event.get("process.executable").is_none() {
            ecs::set_str(event, "process.executable", &path);
        }
    }
    if event.get("process.pid").is_none() {
        if let Some(pid) = native(event, pid_key).and_then(|p| number(&p)) {
            event.set("process.pid", pid);
        }
    }
}

/// A decimal or `0x` hexadecimal number.
fn number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

fn set_endpoint(event: &mut Event, side: &str, ip_key: &str, port_key: &str) {
    let Some(ip) = native(event, ip_key) else {
        return;
    };
    let port_path = format!("{side}.port");
    match event.get_str(&format!("{side}.ip")) {
        // Set earlier from the same field: only the port may be missing.
        Some(existing) if existing == ip => {}
        Some(_) => return,
        None => {
            if !ecs::set_ip(event, side, &ip) {
                return;
            }
        }
    }
    if event.get(&port_path).is_none() {
        if let Some(port) = native(event, port_key) {
            ecs::set_port(event, &port_path, &port);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_membership_change() {
        let mut event = Event::from_map(
            json!({"Keywords": "0x8020000000000000", "SubjectUserName": "admin",
                   "MemberName": "CN=bob", "ProcessId": "0x1f4"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        apply(
            &mut event,
            4732,
            Some("Microsoft-Windows-Security-Auditing"),
        );
        assert_eq!(event.get_str("event.action"), Some("added-member-to-group"));
        assert_eq!(event.get("event.type"), Some(&json!(["group", "change"])));
        assert_eq!(event.get_str("event.outcome"), Some("success"));
        assert_eq!(event.get_str("user.name"), Some("admin"));
        assert_eq!(event.get("process.pid"), Some(&json!(500)));
    }

    #[test]
    fn sysmon_file_delete() {
        let mut event = Event::from_map(
            json!({"User": "NT AUTHORITY\\SYSTEM", "Image": "C:\\Windows\\svchost.exe",
                   "ProcessId": "820"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
        );
        apply(&mut event, 23, Some("Microsoft-Windows-Sysmon"));
        assert_eq!(event.get("event.category"), Some(&json!(["file"])));
        assert_eq!(event.get_str("user.name"), Some("SYSTEM"));
        assert_eq!(event.get_str("process.name"), Some("svchost.exe"));
        assert_eq!(event.get("process.pid"), Some(&json!(820)));
    }
}
