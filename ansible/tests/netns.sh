#!/usr/bin/env bash
# The fleet scenario over ssh: three hosts, each a network namespace made here with a
# veth pair (10.231.N.1 on this side, 10.231.N.2 inside, a /24 per host) and its own
# sshd, its own --root copy and state dir. The namespaces share this machine's files,
# so each host's paths are its own. Root only; needs ansible-core 2.19 on PATH, sshd, ip.
source "$(dirname "$0")/lib.sh"
[ "$(id -u)" = 0 ] || fail "netns.sh makes network namespaces: run it as root"
for tool in ip /usr/sbin/sshd ssh-keygen; do command -v "$tool" >/dev/null || fail "$tool is missing"; done
work=$(mktemp -d /tmp/runbook-fleet-netns.XXXXXX)
tag=rbf$$ # unique names: another run of this test may be going on
hosts=(host1 host2 host3)

teardown() {
  local n
  for n in 1 2 3; do
    [ -f "$work/sshd$n.pid" ] && kill "$(cat "$work/sshd$n.pid")" 2>/dev/null
    ip netns del "$tag-$n" 2>/dev/null
    ip link del "${tag}h$n" 2>/dev/null
  done
  if [ -n "${FLEET_KEEP:-}" ]; then echo "kept $work" >&2; else rm -rf "$work"; fi
  return 0
}
trap teardown EXIT

start=$SECONDS
fleet_setup "$work"
ssh-keygen -q -t ed25519 -N '' -f "$work/client_key"
cp "$work/client_key.pub" "$work/authorized_keys"
mkdir -p /run/sshd # sshd's privilege separation directory
for n in 1 2 3; do
  ns=$tag-$n
  ip netns add "$ns"
  ip link add "${tag}h$n" type veth peer name "${tag}n$n"
  ip link set "${tag}n$n" netns "$ns"
  ip addr add "10.231.$n.1/24" dev "${tag}h$n"
  ip link set "${tag}h$n" up
  ip -n "$ns" addr add "10.231.$n.2/24" dev "${tag}n$n"
  ip -n "$ns" link set "${tag}n$n" up
  ip -n "$ns" link set lo up
  ssh-keygen -q -t ed25519 -N '' -f "$work/host_key$n"
  cat >"$work/sshd$n.conf" <<CONF
ListenAddress 10.231.$n.2
HostKey $work/host_key$n
PidFile $work/sshd$n.pid
AuthorizedKeysFile $work/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# The client key is in this test's temp dir, under the world-writable /tmp.
StrictModes no
Subsystem sftp internal-sftp
CONF
  ip netns exec "$ns" /usr/sbin/sshd -f "$work/sshd$n.conf" -E "$work/sshd$n.log"
done
make_host "$work" host1 exim-outbreak
make_host "$work" host2 debian-apache-modphp
make_host "$work" host3 ispmanager-apache
{
  echo "[fleet]"
  n=0
  for spec in host1:exim-block-unlock host2:php-disable-mail host3:php-disable-mail; do
    n=$((n + 1))
    host=${spec%%:*}
    echo "$host ansible_host=10.231.$n.2 runbook_id=${spec#*:} runbook_root=$work/$host/root runbook_state_dir=$work/$host/state runbook_install_dest=$work/$host/bin/runbook"
  done
  echo "[canary]"
  echo "host1"
  echo "[fleet:vars]"
  echo "ansible_user=root"
  echo "ansible_ssh_private_key_file=$work/client_key"
  echo "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'"
  echo "ansible_python_interpreter=/usr/bin/python3"
  echo "runbook_install_src=$work/runbook"
} >"$work/inventory"
scenario "$work" "$work/inventory" "${hosts[@]}"
# The module ran over ssh in each namespace: each sshd logged its root session.
for n in 1 2 3; do
  grep -q "Accepted publickey for root" "$work/sshd$n.log" || fail "host$n: no session through its sshd"
done
echo "fleet (netns + sshd, 3 hosts): passed in $((SECONDS - start))s"
