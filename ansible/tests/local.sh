#!/usr/bin/env bash
# The fleet scenario on three hosts with ansible_connection=local, each its own --root
# (a copy of an example host) and state dir. Needs ansible-core 2.19 on PATH.
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d /tmp/runbook-fleet-local.XXXXXX)
# FLEET_KEEP=1 keeps the hosts and the playbooks' logs to look at.
trap '[ -n "${FLEET_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
start=$SECONDS
docs_match
fleet_setup "$work"
make_host "$work" host1 exim-outbreak
make_host "$work" host2 debian-apache-modphp
make_host "$work" host3 ispmanager-apache
{
  echo "[fleet]"
  for spec in host1:exim-block-unlock host2:php-disable-mail host3:php-disable-mail; do
    host=${spec%%:*}
    echo "$host runbook_id=${spec#*:} runbook_root=$work/$host/root runbook_state_dir=$work/$host/state runbook_install_dest=$work/$host/bin/runbook"
  done
  echo "[canary]"
  echo "host1"
  echo "[fleet:vars]"
  echo "ansible_connection=local"
  echo "ansible_python_interpreter=$(command -v python3)"
  echo "runbook_install_src=$work/runbook"
} >"$work/inventory"
scenario "$work" "$work/inventory" host1 host2 host3
# Through Ansible: an unknown option fails (Ansible does not check a binary module's
# options), and a failing runbook's own message is the task's.
here='"root": "{{ runbook_root }}", "state_dir": "{{ runbook_state_dir }}", "runbook_bin": "{{ runbook_install_dest }}"'
refused "$work" "$work/inventory" host1 "Unsupported parameters for (runbook) module: parms." \
  "{\"id\": \"exim-block-unlock\", \"parms\": {\"purge\": \"all\"}, $here}"
refused "$work" "$work/inventory" host1 "param \`purge\`: \`everything\` is not one of: source, frozen, all, none" \
  "{\"id\": \"exim-block-unlock\", \"params\": {\"purge\": \"everything\"}, $here}"
# A failing canary stops the rollout: the batches do not run, the other hosts stay as
# they were (the scenario left them so).
sed "s|^host1 |host1 runbook_params=\"{'purge': 'everything'}\" |" "$work/inventory" >"$work/inventory.bad"
if ansible-playbook -i "$work/inventory.bad" runbook.fleet.outbreak --tags apply >"$work/canary.log" 2>&1; then
  fail "the rollout went on past a failing canary"
fi
[ "$(recap "$work/canary.log" host1 failed)" = 1 ] || fail "the canary did not fail"
! grep -q "^PLAY \[Apply on the rest" "$work/canary.log" || fail "the batches ran after the canary failed"
for host in host2 host3; do same "$work" "$host" || fail "$host changed after the canary failed"; done
echo "fleet (local, 3 hosts): passed in $((SECONDS - start))s"
