# shellcheck shell=bash
# What the fleet tests share: the collection built and installed in a work dir, host
# roots copied from examples/hosts, and the scenario of the issue's acceptance, run by
# ansible-playbook against an inventory of three hosts.
set -euo pipefail
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# fleet_setup WORK: binaries, the collection installed under WORK, ansible's settings.
fleet_setup() {
  local work=$1
  command -v ansible-playbook >/dev/null || fail "ansible-playbook is not on PATH (ansible-core 2.19)"
  (cd "$top" && cargo build --quiet --locked --bin runbook --bin runbook-ansible)
  # The installed runbook, stripped: the role copies it to every host.
  install -m 0755 "$top/target/debug/runbook" "$work/runbook"
  strip "$work/runbook"
  "$top/ansible/build.sh" "$work/dist" "$top/target/debug/runbook-ansible" >/dev/null
  export ANSIBLE_COLLECTIONS_PATH=$work/collections ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0
  ansible-galaxy collection install --force -p "$work/collections" "$work"/dist/runbook-fleet-*.tar.gz >/dev/null
  export ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_RETRY_FILES_ENABLED=False
  export ANSIBLE_LOCAL_TEMP=$work/ansible-local ANSIBLE_REMOTE_TEMP=$work/ansible-remote
  ansible-doc runbook.fleet.runbook | grep -q "state_dir" || fail "ansible-doc runbook.fleet.runbook shows no options"
  ansible-doc runbook.fleet.runbook_facts | grep -q "ansible_facts.runbook" || fail "ansible-doc runbook.fleet.runbook_facts"
}

# docs_match: docs/fleet.md shows each playbook as it is.
docs_match() {
  local file
  for file in ansible/playbooks/outbreak.yml ansible/playbooks/rollback.yml; do
    awk -v marker="<!-- $file -->" '$0 == marker { on = 1; getline; next } on && /^```$/ { exit } on' \
      "$top/docs/fleet.md" | cmp -s - "$top/$file" || fail "docs/fleet.md does not show $file as it is"
  done
}

# make_host WORK NAME EXAMPLE: WORK/NAME/root, a copy of examples/hosts/EXAMPLE.
make_host() {
  mkdir -p "$1/$2/bin" "$1/$2/state"
  cp -a "$top/examples/hosts/$3" "$1/$2/root"
}

# sums DIR: every entry's type, mode, owner, size, link target and content checksum.
sums() {
  (cd "$1" && find . -printf '%p %y %m %U:%G %s %l\n' | LC_ALL=C sort &&
    find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
}

# same WORK HOST: whether HOST's root is as it was before the scenario.
same() {
  sums "$1/$2/root" >"$1/$2.now"
  cmp -s "$1/$2.now" "$1/$2.before"
}

# playbook LOG ARGS...: ansible-playbook, its output kept in LOG; fails when it fails.
playbook() {
  local log=$1
  shift
  if ! ansible-playbook "$@" >"$log" 2>&1; then
    cat "$log" >&2
    fail "ansible-playbook $* failed"
  fi
}

# recap LOG HOST FIELD: the count PLAY RECAP gives HOST for FIELD (changed, failed...).
recap() {
  sed -n "s/^$2 *:.* $3=\([0-9]*\).*/\1/p" "$1"
}

# refused WORK INVENTORY HOST TEXT ARGS: the module, given ARGS (JSON) by Ansible, fails
# on HOST with TEXT in its message.
refused() {
  local log=$1/refused.log
  if ansible "$3" -i "$2" -m runbook.fleet.runbook -a "$5" >"$log" 2>&1; then
    cat "$log" >&2
    fail "$3: the module took $5"
  fi
  grep -qF "$4" "$log" || {
    cat "$log" >&2
    fail "$3: no \"$4\" in the failure"
  }
}

# scenario WORK INVENTORY HOST...: the acceptance, in order.
scenario() {
  local work=$1 inventory=$2 host
  shift 2
  # The playbooks by name, as docs/fleet.md runs them from the installed collection.
  local hosts=("$@") outbreak=runbook.fleet.outbreak rollback=runbook.fleet.rollback
  for host in "${hosts[@]}"; do sums "$work/$host/root" >"$work/$host.before"; done

  # Facts on every host, and the summary across them.
  playbook "$work/facts.log" -i "$inventory" "$outbreak" --tags facts
  grep -q '"tools.php": \[' "$work/facts.log" || fail "the summary names no host for tools.php"
  for host in "${hosts[@]}"; do
    [ "$(recap "$work/facts.log" "$host" ok)" -ge 2 ] || fail "$host: facts were not taken"
  done

  # A check with diff changes no byte anywhere, and shows each file's diff.
  playbook "$work/check.log" -i "$inventory" "$outbreak" --tags check
  for host in "${hosts[@]}"; do
    same "$work" "$host" || fail "$host: the check changed the host"
    [ "$(recap "$work/check.log" "$host" changed)" = 1 ] || fail "$host: the check found nothing to change"
  done
  grep -q '^+++ after: /etc/php/8.2/cli/php.ini' "$work/check.log" || fail "the check showed no diff of php.ini"

  # Apply: canary first, then the rest; a second apply changes nothing.
  playbook "$work/apply.log" -i "$inventory" "$outbreak" --tags apply
  for host in "${hosts[@]}"; do
    [ "$(recap "$work/apply.log" "$host" changed)" = 1 ] || fail "$host: the apply changed nothing"
    ! same "$work" "$host" || fail "$host: the apply left no trace"
  done
  playbook "$work/apply2.log" -i "$inventory" "$outbreak" --tags apply
  for host in "${hosts[@]}"; do
    [ "$(recap "$work/apply2.log" "$host" changed)" = 0 ] || fail "$host: a second apply reported changed"
  done

  # Rollback restores every file byte for byte; a second one has nothing to do.
  playbook "$work/rollback.log" -i "$inventory" "$rollback"
  playbook "$work/rollback2.log" -i "$inventory" "$rollback"
  for host in "${hosts[@]}"; do
    [ "$(recap "$work/rollback.log" "$host" changed)" = 1 ] || fail "$host: the rollback changed nothing"
    [ "$(recap "$work/rollback2.log" "$host" changed)" = 0 ] || fail "$host: a second rollback reported changed"
    same "$work" "$host" || {
      diff "$work/$host.before" "$work/$host.now" >&2
      fail "$host: not restored byte for byte"
    }
  done
  # Ansible's own colour is off (ANSIBLE_NOCOLOR): an escape would be the module's.
  ! grep -l $'\x1b' "$work"/*.log >&2 || fail "colour codes in the output (files above)"
}
