#!/usr/bin/env bash
# The install role's molecule scenario (delegated driver, this machine), against the
# collection as built. Needs molecule and ansible-core 2.19 on PATH.
source "$(dirname "$0")/lib.sh"
command -v molecule >/dev/null || fail "molecule is not on PATH"
work=$(mktemp -d /tmp/runbook-fleet-molecule.XXXXXX)
trap 'rm -rf "$work"' EXIT
start=$SECONDS
fleet_setup "$work"
export RUNBOOK_INSTALL_SRC=$work/runbook
# molecule keeps its state under this cache, not in the user's home.
export XDG_CACHE_HOME=$work/cache
(cd "$top/ansible/roles/install" && molecule test)
echo "molecule (role install): passed in $((SECONDS - start))s"
