#!/usr/bin/env python3
"""Regenerates crates/vigil-detect/routing/windows.yml from SigmaHQ's tests/thor.yml.

thor.yml (SigmaHQ, Detection Rule License 1.1) is the routing table SigmaHQ's own CI uses:
which (Channel, EventID) pairs a Windows logsource means, and the field names that differ
between sources (Security 4688 `NewProcessName` is Sysmon 1 `Image`). Vigil keeps the same
facts in its own, simpler format. Usage: scripts/gen-windows-routing.py ../shared/data/sigmahq/tests/thor.yml
"""
import sys, yaml

thor = yaml.safe_load(open(sys.argv[1]))["logsources"]
services = {}
for v in thor.values():
    if "sources" in v and v.get("service"):
        key = (v.get("product"), v["service"])
        chans = services.setdefault(key, [])
        for s in v["sources"]:
            c = s.split(":", 1)[1]
            if c not in chans:
                chans.append(c)
print("# Windows log-source routing: which events a Sigma `logsource` means, and field aliases.")
print("# Derived by scripts/gen-windows-routing.py from SigmaHQ tests/thor.yml (Detection Rule")
print("# License 1.1, https://github.com/SigmaHQ/sigma). Do not edit by hand: regenerate.")
print("services:")
for (p, s), chans in sorted(services.items(), key=lambda kv: (str(kv[0][0]), kv[0][1])):
    print("  - " + yaml.safe_dump({"product": p, "service": s, "channels": chans}, default_flow_style=True, width=10000).strip())
print("categories:")
for v in thor.values():
    if not v.get("category"):
        continue
    rw = v.get("rewrite", {}) or {}
    conds = v.get("conditions", {}) or {}
    eids = conds.get("EventID")
    if eids is not None and not isinstance(eids, list):
        eids = [eids]
    entry = {"product": v.get("product"), "category": v["category"]}
    if rw.get("service"):
        entry["service"] = rw["service"]
    chans = services.get((rw.get("product"), rw.get("service")))
    if chans:
        entry["channels"] = chans
    if eids is not None:
        entry["event_ids"] = [int(e) for e in eids]
    if v.get("fieldmappings"):
        entry["fieldmappings"] = v["fieldmappings"]
    print("  - " + yaml.safe_dump(entry, default_flow_style=True, width=10000).strip())
