#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIL_TEST_DATA="${VIGIL_TEST_DATA:-$(cd .. && pwd)/shared/data}"
if [ ! -d "$VIGIL_TEST_DATA/loghub" ]; then
  echo "test data not found at $VIGIL_TEST_DATA (set VIGIL_TEST_DATA)" >&2
  exit 1
fi
# rsyslog with omelasticsearch, omrelp and the gtls stream driver: the real shipper of
# e2e_shippers, e2e_relp and e2e_syslog_tls (which skip without rsyslogd).
if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ] \
  || ! ls /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1 \
  || ! ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1 \
  || ! ls /usr/lib/*/rsyslog/lmnsd_gtls.so >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_log="$(mktemp)"
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsyslog rsyslog-elasticsearch rsyslog-relp rsyslog-gnutls \
         || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsyslog rsyslog-elasticsearch rsyslog-relp rsyslog-gnutls; }; } >"$apt_log" 2>&1; then
    echo "warning: could not install rsyslog rsyslog-elasticsearch rsyslog-relp rsyslog-gnutls; the rsyslog e2e test will be skipped:" >&2
    tail -5 "$apt_log" >&2
  fi
  rm -f "$apt_log"
fi
# The OpenTelemetry Python SDK with its OTLP/HTTP exporters (protobuf and JSON): the real
# client of e2e_otlp (which skips without it), in a venv under target/. Pinned together:
# proto-http 1.45.1 and the JSON exporter 0.66b1 share their transport package's version.
otlp_venv="target/otlp-venv"
if ! "$otlp_venv/bin/python" -c "import opentelemetry.exporter.otlp.proto.http, opentelemetry.exporter.otlp.json.http" >/dev/null 2>&1; then
  pip_log="$(mktemp)"
  if ! { python3 -m venv "$otlp_venv" \
         && "$otlp_venv/bin/pip" install -q --disable-pip-version-check \
              "opentelemetry-sdk==1.45.1" "opentelemetry-exporter-otlp-proto-http==1.45.1" \
              "opentelemetry-exporter-otlp-json-http==0.66b1"; } >"$pip_log" 2>&1; then
    echo "warning: could not install the OpenTelemetry Python SDK into $otlp_venv; the OTLP exporter e2e test will be skipped:" >&2
    tail -5 "$pip_log" >&2
  fi
  rm -f "$pip_log"
fi
cargo test --workspace --locked
