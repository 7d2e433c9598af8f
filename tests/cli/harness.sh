# The part every CLI test script shares. Source it once its arguments are read:
#   source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"
# It starts the test in a fresh scratch folder $work and defines ok/fail, which print one line a
# check and count them; each script ends with echo "$passed passed, $failures failed" and its status.
failures=0; passed=0
ok()   { echo "ok   - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1"; failures=$((failures + 1)); }
rm -rf "$1"; mkdir -p "$1"; cd "$1" || exit 1
