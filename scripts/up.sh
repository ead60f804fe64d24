#!/usr/bin/env bash
# Installs what is missing, builds Shoal (release), installs it as /usr/local/bin/shoal and starts a local
# multi-host cluster on this machine: SHOAL_NODES hosts (default 3), SHOAL_MANAGERS of them managers (default 1),
# each a network namespace with its own daemon, formed into a swarm. Prints the DOCKER_HOST to export.
# Run again to rebuild: the cluster is removed and made anew with the new build.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
name=${SHOAL_CLUSTER:-shoal}
nodes=${SHOAL_NODES:-3}
managers=${SHOAL_MANAGERS:-1}

bash scripts/install-deps.sh
echo "building (release)…"
swift build -c release --product shoal --scratch-path .build-release 2>&1 | grep -v "found 1 file(s) which are unhandled" | tail -n 3
install -m 0755 "$(swift build -c release --scratch-path .build-release --show-bin-path)/shoal" /usr/local/bin/shoal

# A single-host daemon started by an earlier version of this script: stop it (its containers keep running).
pidfile=/run/shoal/shoal.pid
if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "stopping the single-host daemon (pid $(cat "$pidfile")) started earlier"
  kill -TERM "$(cat "$pidfile")"
  for _ in $(seq 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
  rm -f "$pidfile"
fi

if /usr/local/bin/shoal cluster ls | awk 'NR > 1 { print $1 }' | grep -qx "$name"; then
  echo "removing the existing cluster $name"
  /usr/local/bin/shoal cluster down --name "$name"
fi
/usr/local/bin/shoal cluster up --name "$name" --nodes "$nodes" --managers "$managers"
# A credentials bundle for the cluster endpoint (TCP 2376 of the managers, mutual TLS), as Carina gave out.
bundle=$(/usr/local/bin/shoal cluster credentials --name "$name")
echo
echo "Shoal cluster $name is up. Point docker at it in either way:"
echo "  the first manager's own socket: the export line above"
echo "  the cluster endpoint with its credentials bundle: $bundle"
echo "Remove it with: shoal cluster down --name $name"
