#!/bin/sh
# Tests that cannot fail are defects. fail() (tests/integ/lib.sh) returns 1, so
#   cond && fail "msg" && return 1
# never reaches its return: the test carries on and passes. Write
#   cond && { fail "msg"; return 1; }   or   cond || fail "msg" || return 1
set -u
cd "$(dirname "$0")/.."
bad=$(grep -nE '&&[[:space:]]*fail[[:space:]][^|;{}]*&&' tests/integ/*.sh)
if [ -n "$bad" ]; then
	echo "$bad"
	echo "FAIL check_tests: 'cond && fail ... && return' can never fail a test"
	exit 1
fi
echo "ok   check_tests: no check that cannot fail"
