//! The role × permission policy, walked exhaustively against an explicit table.

use vigil_auth::{
    authorize, check, role_allows, Access, AccessDecision, AuthMethod, Grant, Permission,
    Principal, Role, RouteRule,
};

/// Columns: admin, analyst, analyst + detection-engineer, auditor, ingest.
/// Changing the policy must change this table: that is the point.
const EXPECTED: &[(Permission, [bool; 5])] = {
    use Permission as P;
    const T: bool = true;
    const F: bool = false;
    &[
        //                      admin analyst  a+DE  auditor ingest
        (P::IngestEvents, /*   */ [F, F, F, F, T]),
        (P::SearchEvents, /*   */ [F, T, T, T, F]),
        (P::ViewAlerts, /*     */ [F, T, T, T, F]),
        (P::WorkAlerts, /*     */ [F, T, T, F, F]),
        (P::RunHunts, /*       */ [F, T, T, F, F]),
        (P::ViewRules, /*      */ [T, T, T, T, F]),
        (P::ManageRules, /*    */ [T, F, T, F, F]),
        (P::ViewUsers, /*      */ [T, F, F, T, F]),
        (P::ManageUsers, /*    */ [T, F, F, F, F]),
        (P::ManageTokens, /*   */ [T, F, F, F, F]),
        (P::ViewSources, /*    */ [T, T, T, T, F]),
        (P::ManageSources, /*  */ [T, F, F, F, F]),
        (P::ViewSettings, /*   */ [T, F, F, T, F]),
        (P::ManageSettings, /* */ [T, F, F, F, F]),
        (P::ReadAuditTrail, /* */ [F, F, F, T, F]),
        (P::VerifyIntegrity, /**/ [F, F, F, T, F]),
        (P::ExportEvidence, /* */ [F, F, F, T, F]),
        (P::ViewHealth, /*     */ [T, T, T, T, F]),
        (P::ViewMetrics, /*    */ [T, T, T, T, F]),
        (P::OwnAccount, /*     */ [T, T, T, T, F]),
    ]
};

fn subjects() -> [(Role, Vec<Grant>); 5] {
    [
        (Role::Admin, vec![]),
        (Role::Analyst, vec![]),
        (Role::Analyst, vec![Grant::DetectionEngineer]),
        (Role::Auditor, vec![]),
        (Role::Ingest, vec![]),
    ]
}

#[test]
fn every_role_permission_pair_matches_the_table() {
    // The table lists every permission exactly once.
    assert_eq!(EXPECTED.len(), Permission::ALL.len());
    for p in Permission::ALL {
        assert_eq!(EXPECTED.iter().filter(|(q, _)| *q == p).count(), 1, "{p}");
    }
    let mut mismatches = Vec::new();
    for (perm, row) in EXPECTED {
        for ((role, grants), expected) in subjects().iter().zip(row) {
            let got = role_allows(*role, grants, *perm);
            if got != *expected {
                mismatches.push(format!(
                    "{role}{grants:?} {perm}: got {got}, want {expected}"
                ));
            }
        }
    }
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}

#[test]
fn grants_only_extend_analysts() {
    for role in [Role::Admin, Role::Auditor, Role::Ingest] {
        for p in Permission::ALL {
            assert_eq!(
                role_allows(role, &[Grant::DetectionEngineer], p),
                role_allows(role, &[], p),
                "{role} {p}"
            );
        }
    }
}

#[test]
fn separation_of_duties_spot_checks() {
    assert!(!role_allows(Role::Admin, &[], Permission::ReadAuditTrail));
    assert!(!role_allows(Role::Admin, &[], Permission::ExportEvidence));
    for p in Permission::ALL {
        if p.as_str().starts_with("manage_") || p == Permission::WorkAlerts {
            assert!(
                !role_allows(Role::Auditor, &[Grant::DetectionEngineer], p),
                "auditor {p}"
            );
        }
        assert_eq!(
            role_allows(Role::Ingest, &[], p),
            p == Permission::IngestEvents,
            "ingest {p}"
        );
    }
}

#[test]
fn no_permission_touches_stored_events() {
    for p in Permission::ALL {
        let name = p.as_str();
        assert!(
            !(name.contains("delete") || name.contains("edit") || name.contains("modify")),
            "{name}"
        );
        assert!(
            !(name.starts_with("manage_") && name.contains("event")),
            "{name}"
        );
    }
}

#[test]
fn names_round_trip() {
    for r in Role::ALL {
        assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        assert_eq!(serde_json::to_value(r).unwrap(), r.as_str());
    }
    for g in Grant::ALL {
        assert_eq!(g.as_str().parse::<Grant>().unwrap(), g);
        assert_eq!(serde_json::to_value(g).unwrap(), g.as_str());
    }
    for p in Permission::ALL {
        assert_eq!(p.as_str().parse::<Permission>().unwrap(), p);
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
    }
    assert!("root".parse::<Role>().is_err());
}

const ROUTES: &[RouteRule] = &[
    RouteRule::new("POST", "/api/v1/login", Access::Public),
    RouteRule::new("GET", "/api/v1/me", Access::Authenticated),
    RouteRule::new(
        "GET",
        "/api/v1/search",
        Access::Need(Permission::SearchEvents),
    ),
    RouteRule::new(
        "GET",
        "/api/v1/audit",
        Access::Need(Permission::ReadAuditTrail),
    ),
    RouteRule::new(
        "PATCH",
        "/api/v1/alerts/{id}",
        Access::Need(Permission::WorkAlerts),
    ),
];

fn principal(role: Role) -> Principal {
    Principal {
        user: "u".into(),
        role,
        grants: vec![],
        via: AuthMethod::Token {
            id: "tok_1".into(),
            source: None,
        },
    }
}

#[test]
fn route_table_lookup_and_decisions() {
    assert_eq!(
        check(ROUTES, "patch", "/api/v1/alerts/{id}").map(|r| r.access),
        Some(Access::Need(Permission::WorkAlerts))
    );
    assert!(check(ROUTES, "DELETE", "/api/v1/alerts/{id}").is_none());
    assert!(check(&[], "GET", "/api/v1/me").is_none());

    assert_eq!(
        authorize(ROUTES, "POST", "/api/v1/login", None),
        AccessDecision::Allow
    );
    assert_eq!(
        authorize(ROUTES, "GET", "/api/v1/me", None),
        AccessDecision::Unauthenticated
    );
    let ingest = principal(Role::Ingest);
    assert_eq!(
        authorize(ROUTES, "GET", "/api/v1/me", Some(&ingest)),
        AccessDecision::Allow
    );
    assert_eq!(
        authorize(ROUTES, "GET", "/api/v1/search", Some(&ingest)),
        AccessDecision::Forbidden(Permission::SearchEvents)
    );
    assert_eq!(
        authorize(
            ROUTES,
            "GET",
            "/api/v1/audit",
            Some(&principal(Role::Admin))
        ),
        AccessDecision::Forbidden(Permission::ReadAuditTrail)
    );
    assert_eq!(
        authorize(
            ROUTES,
            "GET",
            "/api/v1/audit",
            Some(&principal(Role::Auditor))
        ),
        AccessDecision::Allow
    );
    assert_eq!(
        authorize(
            ROUTES,
            "DELETE",
            "/api/v1/events/{id}",
            Some(&principal(Role::Admin))
        ),
        AccessDecision::Undeclared
    );
}
