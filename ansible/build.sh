#!/usr/bin/env bash
# Build the collection: the runbook-ansible binary as both modules, then the tarball.
# Usage: ansible/build.sh OUT_DIR [MODULE_BINARY]
# MODULE_BINARY defaults to target/release/runbook-ansible, built here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build.sh OUT_DIR [MODULE_BINARY]}
module=${2:-}
if [ -z "$module" ]; then
  (cd "$here/.." && cargo build --release --locked --bin runbook-ansible)
  module=$here/../target/release/runbook-ansible
fi
# Ansible copies the module to the host every task: strip it to keep that small.
for name in runbook runbook_facts; do
  install -m 0755 "$module" "$here/plugins/modules/$name"
  strip "$here/plugins/modules/$name" 2>/dev/null || true
done
mkdir -p "$out"
ansible-galaxy collection build --force --output-path "$out" "$here"
