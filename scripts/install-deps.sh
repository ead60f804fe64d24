#!/usr/bin/env bash
# Installs what Shoal needs on Debian 12, from Debian's packages only. Idempotent: a machine that has
# everything is left alone (no apt-get update).
set -euo pipefail

packages=(
  runc conmon tini            # the OCI runtime, its per-container monitor, docker-init for --init
  libarchive-dev zlib1g-dev libsqlite3-dev   # image layers, gRPC transport, host-local state
  busybox-static              # test images are built from it (nothing is downloaded)
  iproute2 nftables util-linux procps         # netns, links, rules, nsenter/unshare, ps
  docker-registry apache2-utils               # a local registry and htpasswd for pull/push tests
  etcd-server                 # managers' cluster state; Shoal runs its own members, never the system one on :2379
  python3 python3-cryptography  # test fixtures (the token server signs JWTs)
  openssl strace curl         # tests make TLS certificates, cross-check certificates and netlink bytes, call the API
  gcc libc6-dev               # tests build static helpers busybox lacks (a UDP echo server, syscall probes)
  passwd                      # useradd/usermod: --userns-remap default creates dockremap and its subordinate ids
  apparmor                    # apparmor_parser loads docker-default on hosts whose kernel has AppArmor
  docker-compose              # the compose test runs a project with Debian's docker-compose 1.29
  golang-cfssl                # the --external-ca test runs a CFSSL server
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done

if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The Debian registry package starts a system registry on :5000; tests run their own on free loopback ports.
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet docker-registry 2>/dev/null; then
  systemctl disable --now docker-registry >/dev/null 2>&1 || true
fi

command -v swift >/dev/null 2>&1 || { echo "swift 6.3 is required (expected at /opt/swift/usr/bin)" >&2; exit 1; }
