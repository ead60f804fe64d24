import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing

@testable import ShoalManager

/// What the store keeps of the managers' keys is sealed with the data key: the CA key and the manager unlock
/// key never reach etcd in clear, an update of the cluster keeps the unlock key, and only the data key opens them.
@Suite struct SwarmObjectsSealedTests {
    @Test func theCAKeyAndTheUnlockKeyAreStoredSealed() async throws {
        let store = MemoryClusterStore()
        let dataKey = ClusterDataKey.generate()
        let objects = SwarmObjects(store: store, clusterID: "c1", dataKey: dataKey)
        let root = try RootCA.create()
        let keyPEM = try #require(root.keyPEM)
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        info.spec.autoLockManagers = true
        #expect(try await objects.createSwarm(info, rootCAKeyPEM: keyPEM,
                                              firstNode: SwarmObjectsTests.node("m1", role: .manager)))
        let authority = try #require(try await StoreTable<Shoal_Cluster_V1_CertificateAuthority>(store).get("c1"))
        #expect(authority.object.keyPem.hasPrefix(SwarmObjects.sealedCAKeyPrefix))
        #expect(!authority.object.keyPem.contains("PRIVATE KEY"))
        #expect(try await objects.rootCA().keyPEM == keyPEM)
        #expect(try await objects.cluster().spec.autoLockManagers)

        #expect(try await objects.managerUnlockKey() == nil)
        let key = UnlockKey.generate()
        var current = try await objects.cluster()
        #expect(try await objects.replaceCluster(current, unlockKey: key, ifVersion: current.version))
        let stored = try #require(try await StoreTable<Shoal_Cluster_V1_Cluster>(store).get("c1"))
        #expect(!stored.object.sealedManagerUnlockKey.isEmpty)
        #expect(stored.object.sealedManagerUnlockKey.range(of: Data(key.bytes)) == nil)
        #expect(try await objects.managerUnlockKey() == key)

        // An update that is not about the key keeps it; a stale one writes nothing.
        current = try await objects.cluster()
        current.spec.labels = ["x": "y"]
        #expect(try await objects.replaceCluster(current, ifVersion: current.version))
        #expect(try await !objects.replaceCluster(current, unlockKey: nil, ifVersion: current.version))
        #expect(try await objects.managerUnlockKey() == key)
        current = try await objects.cluster()
        #expect(try await objects.replaceCluster(current, unlockKey: nil, ifVersion: current.version))
        #expect(try await objects.managerUnlockKey() == nil)

        // Another data key opens neither.
        let stranger = SwarmObjects(store: store, clusterID: "c1", dataKey: ClusterDataKey.generate())
        await #expect(throws: ShoalError.self) { try await stranger.rootCA() }
    }

    /// A CA key a swarm stored before sealing (in clear) still signs.
    @Test func aCAKeyStoredInClearStillReads() async throws {
        let store = MemoryClusterStore()
        let root = try RootCA.create()
        let plain = SwarmObjects(store: store, clusterID: "c1")
        var info = SwarmObjectsTests.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        #expect(try await plain.createSwarm(info, rootCAKeyPEM: try #require(root.keyPEM),
                                            firstNode: SwarmObjectsTests.node("m1", role: .manager)))
        let sealing = SwarmObjects(store: store, clusterID: "c1", dataKey: ClusterDataKey.generate())
        #expect(try await sealing.rootCA().keyPEM == root.keyPEM)
    }
}
