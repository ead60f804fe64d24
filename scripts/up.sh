#!/usr/bin/env bash
# Installs what is missing, builds Shoal (release) and starts the daemon on this host, then prints the
# DOCKER_HOST to export. Run again to restart it with a new build; containers keep running across restarts.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"

bash scripts/install-deps.sh
echo "building (release)…"
swift build -c release --product shoal 2>&1 | grep -v "found 1 file(s) which are unhandled" | tail -n 3
install -m 0755 "$(swift build -c release --show-bin-path)/shoal" /usr/local/bin/shoal

socket=/run/shoal/shoal.sock
pidfile=/run/shoal/shoal.pid
log=/var/log/shoal.log
if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  echo "stopping the running daemon (pid $(cat "$pidfile")); its containers keep running"
  kill -TERM "$(cat "$pidfile")"
  for _ in $(seq 100); do kill -0 "$(cat "$pidfile")" 2>/dev/null || break; sleep 0.1; done
fi
mkdir -p /run/shoal
setsid /usr/local/bin/shoal daemon -H "unix://$socket" >>"$log" 2>&1 < /dev/null &
echo $! > "$pidfile"
for _ in $(seq 200); do
  DOCKER_HOST="unix://$socket" /usr/local/bin/docker version >/dev/null 2>&1 && break
  sleep 0.05
done
DOCKER_HOST="unix://$socket" /usr/local/bin/docker version --format 'Shoal {{.Server.Version}} (API {{.Server.APIVersion}}) is up' \
  || { echo "the daemon did not start; see $log" >&2; exit 1; }
echo
echo "  export DOCKER_HOST=unix://$socket"
echo
echo "log: $log"
