#!/usr/bin/env bash
# Succeeds when a surefire report shows that its tests really ran: the report exists, its suite counted at
# least one test, and none was skipped, failed or in error. Used by .ci/run for the browser, memcached and PostgreSQL tests,
# which skip themselves without Chromium, memcached or PostgreSQL.
#   scripts/ran-tests.sh tests/target/surefire-reports/TEST-....xml
set -euo pipefail
report=${1:?usage: ran-tests.sh SUREFIRE_REPORT.xml}
[ -f "$report" ] || { echo "ran-tests: no report at $report" >&2; exit 1; }
suite=$(tr '\n' ' ' < "$report" | grep -o '<testsuite [^>]*>' | head -n 1)
count() { printf '%s' "$suite" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' || echo missing; }
tests=$(count tests) skipped=$(count skipped) failures=$(count failures) errors=$(count errors)
if [ "$tests" = missing ] || [ "$tests" -lt 1 ] || [ "$skipped" != 0 ] || [ "$failures" != 0 ] || [ "$errors" != 0 ]; then
  echo "ran-tests: $report: tests=$tests skipped=$skipped failures=$failures errors=$errors" >&2
  exit 1
fi
