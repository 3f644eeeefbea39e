#!/usr/bin/env bash
# The one test command: installs what the tests need, then runs every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIL_TEST_DATA="${VIGIL_TEST_DATA:-$(cd .. && pwd)/shared/data}"
if [ ! -d "$VIGIL_TEST_DATA/loghub" ]; then
  echo "test data not found at $VIGIL_TEST_DATA (set VIGIL_TEST_DATA)" >&2
  exit 1
fi
# rsyslog with omelasticsearch and omrelp: the real shipper of e2e_shippers and e2e_relp
# (which skip without rsyslogd).
if ! command -v rsyslogd >/dev/null 2>&1 && [ ! -x /usr/sbin/rsyslogd ] \
  || ! ls /usr/lib/*/rsyslog/omelasticsearch.so >/dev/null 2>&1 \
  || ! ls /usr/lib/*/rsyslog/omrelp.so >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  apt_log="$(mktemp)"
  if ! { $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsyslog rsyslog-elasticsearch rsyslog-relp \
         || { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends rsyslog rsyslog-elasticsearch rsyslog-relp; }; } >"$apt_log" 2>&1; then
    echo "warning: could not install rsyslog rsyslog-elasticsearch rsyslog-relp; the rsyslog e2e test will be skipped:" >&2
    tail -5 "$apt_log" >&2
  fi
  rm -f "$apt_log"
fi
cargo test --workspace --locked
