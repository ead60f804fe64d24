import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// What the store keeps of the managers' keys, sealed with the cluster's data key so that etcd's files (its
/// database, WAL and snapshots on every manager's disk) never hold them in clear: the manager unlock key
/// (autolock) and the root CA's key. With autolock on, the data key itself is sealed at rest with the unlock key
/// (`SwarmKeyFiles`), so a locked manager's disk opens nothing.
extension SwarmObjects {
    static let sealedCAKeyPrefix = "sealed:"

    // MARK: the manager unlock key

    /// The manager unlock key in the store; nil while autolock is off.
    func managerUnlockKey() async throws -> UnlockKey? {
        let sealed = try await storedCluster().object.sealedManagerUnlockKey
        guard !sealed.isEmpty else { return nil }
        return UnlockKey(bytes: try requireDataKey().open(Array(sealed), context: unlockKeyContext))
    }

    /// Writes `info` if the cluster is still at `version`, with `change` applied to the stored object; what the
    /// domain value does not carry (the sealed unlock key) is kept unless `change` changes it.
    func replaceCluster(_ info: SwarmInfo, ifVersion version: UInt64,
                        _ change: (inout Shoal_Cluster_V1_Cluster) throws -> Void) async throws -> Bool {
        guard let current = try await clusterTable.get(clusterID), current.version == Int64(version) else { return false }
        var cluster = info.stored
        cluster.sealedManagerUnlockKey = current.object.sealedManagerUnlockKey
        try change(&cluster)
        return try await store.commit(try clusterTable.update(cluster, ifVersion: Int64(version))).succeeded
    }

    /// `info` with the manager unlock key `key` (nil: none), if the cluster is still at `version`.
    func replaceCluster(_ info: SwarmInfo, unlockKey key: UnlockKey?, ifVersion version: UInt64) async throws -> Bool {
        let sealed = try sealedUnlockKey(key)
        return try await replaceCluster(info, ifVersion: version) { $0.sealedManagerUnlockKey = sealed }
    }

    /// The manager unlock key as the cluster object keeps it (empty: none).
    func sealedUnlockKey(_ key: UnlockKey?) throws -> Data {
        Data(try key.map { try requireDataKey().seal($0.bytes, context: unlockKeyContext) } ?? [])
    }

    private var unlockKeyContext: String { "cluster/\(clusterID)/unlock-key" }

    private func requireDataKey() throws -> ClusterDataKey {
        guard let dataKey else {
            throw ShoalError.invalidState(
                "this manager holds no data key (a swarm made before Shoal kept one): autolock is not available")
        }
        return dataKey
    }

    // MARK: the root CA's key

    /// The CA key as the store keeps it: sealed when the manager has a data key (a swarm made before Shoal kept
    /// one keeps it in clear).
    func sealedCAKey(_ pem: String) throws -> String {
        guard let dataKey else { return pem }
        let box = try dataKey.seal(Array(pem.utf8), context: caKeyContext)
        return Self.sealedCAKeyPrefix + Data(box).base64EncodedString()
    }

    /// The CA key in PEM from what the store keeps (sealed, or in clear from before); nil for a root whose key
    /// the store does not hold (an external CA's).
    func openedCAKey(_ stored: String) throws -> String? {
        guard !stored.isEmpty else { return nil }
        guard stored.hasPrefix(Self.sealedCAKeyPrefix) else { return stored }
        guard let box = Data(base64Encoded: String(stored.dropFirst(Self.sealedCAKeyPrefix.count))) else {
            throw ShoalError.internalError("the CA key in the store is damaged")
        }
        return String(decoding: try requireDataKey().open(Array(box), context: caKeyContext), as: UTF8.self)
    }

    private var caKeyContext: String { "ca/\(clusterID)/key" }
}
