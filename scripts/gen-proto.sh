#!/usr/bin/env bash
# Regenerates the Swift code in Sources/ShoalEtcdProto and Sources/ShoalClusterProto from the .proto files under
# protos/. The generated code is
# committed (FIELD-NOTES: no SwiftPM build plugin); run this only when a .proto or a generator version changes.
#
#   scripts/gen-proto.sh            # builds the two protoc plugins once (~2.5 min), then generates
#
# Needs protoc 3.21 (Debian: apt-get install protobuf-compiler). The plugins are built from the same package
# versions Shoal links against, in a scratch package outside the repository ($SHOAL_PROTOC_PLUGINS).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
plugins=${SHOAL_PROTOC_PLUGINS:-/tmp/shoal-protoc-plugins}
swift_protobuf_version=1.39.0
grpc_swift_protobuf_version=2.4.1

command -v protoc >/dev/null 2>&1 || { echo "protoc is missing: apt-get install -y protobuf-compiler" >&2; exit 1; }

if [[ ! -x "$plugins/.build/release/protoc-gen-swift" || ! -x "$plugins/.build/release/protoc-gen-grpc-swift-2" ]]; then
  echo "building protoc-gen-swift $swift_protobuf_version and protoc-gen-grpc-swift-2 $grpc_swift_protobuf_version in $plugins"
  mkdir -p "$plugins"
  cat >"$plugins/Package.swift" <<EOF
// swift-tools-version: 6.1
import PackageDescription
let package = Package(
    name: "ShoalProtocPlugins",
    dependencies: [
        .package(url: "https://github.com/apple/swift-protobuf.git", exact: "$swift_protobuf_version"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "$grpc_swift_protobuf_version"),
    ]
)
EOF
  (cd "$plugins" && swift build -c release --product protoc-gen-swift && swift build -c release --product protoc-gen-grpc-swift-2)
fi

# generate OUT_DIR PROTO_ROOT SERVER(true|false) PROTO_FILES...
generate() {
  local out=$1 proto_root=$2 server=$3
  shift 3
  # Only generated files go: the target's own doc file stays.
  mkdir -p "$out"
  find "$out" \( -name '*.pb.swift' -o -name '*.grpc.swift' \) -delete
  (cd "$proto_root" && protoc \
    --plugin=protoc-gen-swift="$plugins/.build/release/protoc-gen-swift" \
    --plugin=protoc-gen-grpc-swift-2="$plugins/.build/release/protoc-gen-grpc-swift-2" \
    --swift_out="$out" --swift_opt=Visibility=Public \
    --grpc-swift-2_out="$out" --grpc-swift-2_opt=Visibility=Public,Client=true,Server="$server" \
    "$@")
  # protoc-gen-grpc-swift-2 writes a file even for a .proto without services: drop those.
  grep -rl --include='*.grpc.swift' '^// This file contained no services.' "$out" | xargs -r rm --
}

# etcd v3 API subset (client side only: Shoal talks to etcd, never serves its API).
generate "$root/Sources/ShoalEtcdProto" "$root/protos/etcd" false etcdserverpb/rpc.proto mvccpb/kv.proto
# Shoal's control API on :2377 (NodeCA, Dispatcher): managers serve it, nodes call it; and the objects managers
# keep in the cluster store (services.proto: swarm services and tasks; secrets.proto: secrets and configs, and the
# calls that write them).
generate "$root/Sources/ShoalClusterProto" "$root/protos" true shoal/cluster/v1/node.proto shoal/cluster/v1/objects.proto \
  shoal/cluster/v1/services.proto shoal/cluster/v1/secrets.proto shoal/cluster/v1/logs.proto

echo "generated:"
find "$root/Sources/ShoalEtcdProto" "$root/Sources/ShoalClusterProto" -name '*.pb.swift' -o -name '*.grpc.swift' | sort
