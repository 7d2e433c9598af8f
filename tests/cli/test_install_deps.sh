#!/usr/bin/env bash
# scripts/install-deps.sh, which both README commands run first, on the three machines a user may
# paste them on: root without sudo (a fresh Debian 12 container), a user with sudo, a user without
# it. apt-get, dpkg-query, id and sudo are stubs on PATH that record how they were called, so the
# test needs neither network nor root; a missing package is simulated by dpkg-query.
# usage: test_install_deps.sh <repo root> <scratch dir>
set -uo pipefail
root=$1; work=$2
source "$(dirname "${BASH_SOURCE[0]}")/harness.sh" "$work"

make_stubs() {  # make_stubs <dir> <uid> <with sudo: 0/1> <missing package or ''>
    local d=$1 uid=$2 sudo=$3 missing=$4
    mkdir -p "$d"
    cat >"$d/dpkg-query" <<STUB
#!/bin/sh
# dpkg-query -W -f='\${Status}' <package>
for last; do :; done
[ "\$last" = "$missing" ] && exit 1
printf 'install ok installed'
STUB
    cat >"$d/apt-get" <<STUB
#!/bin/sh
echo "apt-get uid=\${STUB_UID:-$uid} \$*" >>"$d/calls"
STUB
    printf '#!/bin/sh\n[ "$1" = -u ] && { echo %s; exit 0; }\nexec /usr/bin/id "$@"\n' "$uid" >"$d/id"
    if [ "$sudo" = 1 ]; then
        printf '#!/bin/sh\necho "sudo $*" >>"%s/calls"\nSTUB_UID=0 exec "$@"\n' "$d" >"$d/sudo"
    fi
    chmod +x "$d"/*
    # Only the stubs and the basic tools: no real sudo on this PATH.
    mkdir -p "$d/bin"
    for t in bash sh grep env cat printf; do ln -sf "$(command -v $t)" "$d/bin/$t"; done
}
run() {  # run <stub dir>: install-deps.sh with PATH = stubs + basic tools only
    PATH="$1:$1/bin" bash "$root/scripts/install-deps.sh" >"$1/out" 2>&1
}

make_stubs rootok 0 0 ""
run rootok && grep -q "already installed" rootok/out && [ ! -e rootok/calls ] \
    && ok "everything installed: a no-op (no apt-get, no sudo needed)" || fail "no-op: $(cat rootok/out)"

make_stubs rootmiss 0 0 catch2
run rootmiss && grep -q "^apt-get uid=0 update" rootmiss/calls && grep -q "^apt-get uid=0 install -y --no-install-recommends catch2$" rootmiss/calls \
    && ! grep -q sudo rootmiss/calls \
    && ok "root without sudo: apt-get directly, only the missing package" || fail "root: $(cat rootmiss/out; cat rootmiss/calls 2>/dev/null)"

make_stubs usersudo 1000 1 libbigwig-dev
run usersudo && grep -q "^sudo apt-get update" usersudo/calls && grep -q "^apt-get uid=0 install -y --no-install-recommends libbigwig-dev$" usersudo/calls \
    && ok "a user with sudo: apt-get through sudo" || fail "sudo user: $(cat usersudo/out; cat usersudo/calls 2>/dev/null)"

make_stubs usernosudo 1000 0 libbigwig-dev
run usernosudo; rc=$?
[ "$rc" -ne 0 ] && grep -q "need root or sudo to install: libbigwig-dev" usernosudo/out && [ ! -e usernosudo/calls ] \
    && ok "a user without sudo: one clear message naming the packages, nothing run" || fail "no sudo (exit $rc): $(cat usernosudo/out)"

# The README's two commands are the scripts this test covers (and .ci/run calls the second).
head -5 "$root/README.md" | grep -qx 'bash scripts/run-main.sh    # the main job: prepare data, train, embed, evaluate; prints where the results went' \
    && head -6 "$root/README.md" | grep -q '^bash scripts/run-tests.sh' && grep -q 'exec bash scripts/run-tests.sh' "$root/.ci/run" \
    && grep -q '^bash scripts/install-deps.sh' "$root/scripts/run-main.sh" && grep -q 'scripts/install-deps.sh' "$root/scripts/run-tests.sh" \
    && ok "README opens with the two commands; both install through install-deps.sh; .ci/run runs the second" \
    || fail "README / .ci/run commands changed"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
