#!/usr/bin/env python3
"""Builds the seed corpora in fuzz/corpus/<target>/ from the real samples in
/work/shared/data (or $VIGIL_SAMPLES), plus a few hand-written protocol seeds.
Run it once before `cargo fuzz run`; the corpora are not committed (fuzz/.gitignore).

    python3 fuzz/seed.py            # all targets
"""
import gzip, hashlib, json, os, struct, sys
from pathlib import Path

DATA = Path(os.environ.get("VIGIL_SAMPLES", "/work/shared/data"))
OUT = Path(__file__).resolve().parent / "corpus"
PER_FILE = 6          # lines taken from each sample file
MAX_LINE = 4096       # longer sample lines are skipped (libFuzzer's default -max_len)


def write(target, data):
    d = OUT / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / hashlib.sha1(data).hexdigest()).write_bytes(data)


def sample_files():
    skip = ("expected", "LICENSE", ".yml", ".csv", ".conf", ".md", ".json")
    for path in sorted((DATA / "parsers").rglob("*")):
        if path.is_file() and not any(s in str(path) for s in skip):
            yield path
    for path in sorted((DATA / "loghub").rglob("*.log")):
        yield path


def sample_lines():
    seen = set()
    for path in sample_files():
        if path.suffix == ".xml":
            continue
        taken = 0
        for line in path.read_bytes().splitlines():
            if not line.strip() or len(line) > MAX_LINE or line in seen:
                continue
            seen.add(line)
            yield line
            taken += 1
            if taken == PER_FILE:
                break


def xml_docs():
    for path in sorted((DATA / "parsers").rglob("*.xml")):
        data = path.read_bytes()
        if len(data) <= MAX_LINE:
            yield data


def pb_varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def pb_field(num, wire, payload):
    key = pb_varint((num << 3) | wire)
    if wire == 2:
        return key + pb_varint(len(payload)) + payload
    return key + payload


def pb_str(num, s):
    return pb_field(num, 2, s.encode() if isinstance(s, str) else s)


def otlp_request(body_line):
    # AnyValue{string_value=1}; KeyValue{key=1,value=2}; LogRecord{time=1 fixed64,
    # severity_number=2, severity_text=3, body=5, attributes=6, trace_id=9, span_id=10}
    anyv = pb_str(1, body_line)
    kv = pb_str(1, "service.name") + pb_str(2, pb_str(1, "api"))
    attr = pb_str(1, "http.method") + pb_str(2, pb_str(1, "GET"))
    rec = (pb_field(1, 1, struct.pack("<Q", 1_767_225_600_000_000_000))
           + pb_field(2, 0, pb_varint(9)) + pb_str(3, "INFO") + pb_str(5, anyv)
           + pb_str(6, attr) + pb_str(9, bytes(range(16))) + pb_str(10, bytes(range(8))))
    scope = pb_str(1, pb_str(1, "my.logger")) + pb_str(2, rec)
    resource = pb_str(1, kv)
    rl = pb_str(1, resource) + pb_str(2, scope)
    return pb_str(1, rl)


def otlp_json(body_line):
    return json.dumps({"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "api"}}]},
        "scopeLogs": [{"scope": {"name": "my.logger"}, "logRecords": [{
            "timeUnixNano": "1767225600000000000", "severityNumber": 9,
            "severityText": "INFO", "body": {"stringValue": body_line},
            "attributes": [{"key": "http.status", "value": {"intValue": "200"}},
                           {"key": "tags", "value": {"arrayValue": {"values": [{"boolValue": True}]}}},
                           {"key": "kv", "value": {"kvlistValue": {"values": [{"key": "a", "value": {"doubleValue": 1.5}}]}}}],
            "traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"}]}]}]})


def main():
    lines = list(sample_lines())
    text_lines = [l for l in lines]
    for line in text_lines:
        write("parse_line", line)
    for doc in xml_docs():
        write("windows_xml", doc)
        write("parse_line", doc.replace(b"\r", b"").replace(b"\n", b""))
    audit = [l for l in lines if b"type=" in l and b"msg=audit(" in l]
    for i in range(0, len(audit), 3):
        write("auditd_join", b"\n".join(audit[i:i + 3]))
    # Pinned parsers: the first byte picks the parser (9 of them), the rest is the line.
    for n, line in enumerate(text_lines):
        write("pinned_parsers", bytes([n % 9]) + line)
    head = b"<14>Dec  7 06:10:00 web-01 audisp-syslog: "
    for i in range(0, len(audit), 3):
        write("pinned_parsers", bytes([6]) + b"\n".join(head + l for l in audit[i:i + 3]))
    # Stream framing: chunk-size header (see the targets) + octet-counted / LF-framed mixes.
    syslog = [l for l in lines if l.startswith(b"<")][:40] or lines[:40]
    for i in range(0, len(syslog), 4):
        msgs = syslog[i:i + 4]
        lf = b"\n".join(msgs) + b"\n"
        oc = b"".join(str(len(m)).encode() + b" " + m for m in msgs)
        mixed = oc[: len(oc) // 2] + b"\r\n" + lf
        for n, stream in enumerate((lf, oc, mixed)):
            write("syslog_framing", bytes([0, 1 + n, 7, 64, 255]) + stream)
            write("syslog_framing", bytes([40, 3, 1, 200, 9]) + stream)
    for i, msg in enumerate(syslog[:20]):
        relp = (b"1 open 85 relp_version=0\nrelp_software=librelp,1.2.13,http://librelp.adiscon.com\ncommands=syslog\n"
                + b"2 syslog " + str(len(msg)).encode() + b" " + msg + b"\n"
                + b"3 close 0\n")
        write("relp", bytes([0, 1 + i, 13, 5, 255]) + relp)
    write("relp", bytes([0, 255, 255, 255, 255]) + b"1 open 0\n")
    ndjson = [l for l in lines if l.startswith(b"{")][:30]
    for i, l in enumerate(ndjson):
        body = l + b"\n" + b'{"message":"hello","host":{"name":"h1"}}\n'
        write("http_body", bytes([0]) + body)
        write("http_body", bytes([1]) + gzip.compress(body, mtime=0))
        bulk = (b'{"index":{"_index":"logs-a","_id":"1"}}\n' + l + b"\n"
                b'{"create":{}}\n{"message":"x"}\n{"delete":{"_index":"a","_id":7}}\n'
                b'{"update":{"_index":"a"}}\n{"doc":{}}\n')
        write("es_bulk", bytes([i % 4]) + bulk)
        hec = (b'{"event":' + l + b',"time":1767225600.5,"host":"h","source":"/var/log/x",'
               b'"sourcetype":"json","index":"main","fields":{"k":"v"}}'
               b'{"event":"plain text"}')
        write("hec", bytes([0]) + hec)
    for i, l in enumerate(lines[:60:3]):
        write("hec", bytes([0]) + l + b"\n" + l)
        write("otlp_proto", otlp_request(l))
        write("otlp_json", otlp_json(l.decode("utf-8", "replace")))
    # x509: any DER certificates shipped with the repo's tests, else a minimal shape.
    repo = Path(__file__).resolve().parent.parent
    for pem in list(repo.rglob("*.pem"))[:10] + list(repo.rglob("*.crt"))[:10]:
        import base64
        text = pem.read_text(errors="replace")
        if "BEGIN CERTIFICATE" in text:
            b64 = text.split("BEGIN CERTIFICATE-----")[1].split("-----END")[0]
            write("x509_names", base64.b64decode("".join(b64.split())))
    write("x509_names", bytes.fromhex("3003020100"))
    for d in sorted(OUT.iterdir()):
        files = list(d.iterdir())
        print(f"{d.name}: {len(files)} seeds, {sum(f.stat().st_size for f in files)} bytes")


if __name__ == "__main__":
    sys.exit(main())
