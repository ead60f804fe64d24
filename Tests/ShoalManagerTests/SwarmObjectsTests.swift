import Foundation
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// The swarm's own objects in typed tables: what is written is read back the same (every field of the domain
/// values the store keeps), a new swarm is all or nothing, node changes are compare-and-swaps (a
/// write based on an old read is refused), and a deposed leader's fenced change is refused and stores nothing.
@Suite struct SwarmObjectsTests {
    static func node(_ id: String, role: NodeRoleName = .worker) -> SwarmNode {
        var spec = NodeSpec(role: role)
        spec.name = "n-\(id)"
        spec.labels = ["zone": "a"]
        spec.availability = .drain
        let description = NodeDescription(
            hostname: "host-\(id)", architecture: "x86_64", os: "linux", nanoCPUs: 2_000_000_000,
            memoryBytes: 1 << 30, engineVersion: "20.10.24", engineLabels: ["disk": "ssd"],
            plugins: [EnginePlugin(kind: "Network", name: "overlay")])
        let now = Date(milliseconds: 1_765_000_000_123)
        return SwarmNode(
            id: id, version: 0, createdAt: now, updatedAt: now, spec: spec, description: description,
            status: NodeStatus(state: .ready, message: "up", address: "10.0.0.\(id.count)"),
            managerStatus: role == .manager
                ? ManagerStatus(leader: false, reachability: .reachable, address: "10.0.0.1:2377") : nil,
            trustRoot: "ROOT")
    }

    static func cluster(_ id: String) -> SwarmInfo {
        var spec = SwarmSpec()
        spec.labels = ["team": "x"]
        spec.heartbeatPeriod = 1.5
        spec.nodeCertExpiry = 7200
        spec.taskHistoryRetentionLimit = 3
        let now = Date(milliseconds: 1_765_000_000_456)
        return SwarmInfo(id: id, version: 0, createdAt: now, updatedAt: now, spec: spec,
                         joinTokens: SwarmJoinTokens(worker: "W", manager: "M"), rootCACertificate: "ROOT",
                         dataPathPort: 4790, defaultAddressPools: ["10.20.0.0/16"], subnetSize: 26)
    }

    @Test func aNewSwarmReadsBackAsWrittenAndIsCreatedOnce() async throws {
        let objects = SwarmObjects(store: MemoryClusterStore(), clusterID: "c1")
        let root = try RootCA.create()
        let keyPEM = try #require(root.keyPEM)
        var info = Self.cluster("c1")
        info.rootCACertificate = root.certificatePEM
        let first = Self.node("m1", role: .manager)
        #expect(try await objects.createSwarm(info, rootCAKeyPEM: keyPEM, firstNode: first))
        #expect(try await !objects.createSwarm(info, rootCAKeyPEM: keyPEM, firstNode: Self.node("m2")))
        #expect(try await objects.nodes().map(\.id) == ["m1"])

        var read = try await objects.cluster()
        #expect(read.version > 0)
        read.version = 0
        #expect(read == info)
        var node = try #require(try await objects.node("m1"))
        node.version = 0
        #expect(node == first)
        #expect(try await objects.rootCA().certificatePEM == root.certificatePEM)
    }

    @Test func nodeChangesAreCompareAndSwaps() async throws {
        let objects = SwarmObjects(store: MemoryClusterStore(), clusterID: "c1")
        #expect(try await objects.createNode(Self.node("w1")))
        #expect(try await !objects.createNode(Self.node("w1")))
        let before = try #require(try await objects.node("w1"))

        let changed = try await objects.updateNode("w1") { node in
            node.status.message = "changed"
            return true
        }
        #expect(changed?.status.message == "changed")
        // A write based on what was read before that change is refused.
        var stale = before
        stale.spec.availability = .active
        #expect(try await !objects.replaceNode(stale, ifVersion: before.version))
        let current = try #require(try await objects.node("w1"))
        #expect(current.version == changed?.version)
        #expect(try await objects.replaceNode(stale, ifVersion: current.version))

        // A change that decides to do nothing writes nothing.
        let unchanged = try await objects.updateNode("w1") { _ in false }
        #expect(unchanged?.version == (try await objects.node("w1"))?.version)
        #expect(try await objects.updateNode("gone") { _ in true } == nil)

        try await objects.deleteNode("w1")
        try await objects.deleteNode("w1")
        #expect(try await objects.node("w1") == nil)
    }

    /// `docker node update` read the node, then its status changed (a heartbeat's Down, a renewed certificate):
    /// the update is in sequence, as it saw the spec it replaces. After a spec change it is not.
    @Test func aNodeSpecUpdateIgnoresStatusWritesSinceItsRead() async throws {
        let objects = SwarmObjects(store: MemoryClusterStore(), clusterID: "c1")
        #expect(try await objects.createNode(Self.node("w1")))
        let read = try #require(try await objects.node("w1"))
        try await objects.updateNode("w1") { node in node.status.state = .down; return true }

        var drained = read.spec
        drained.availability = .drain
        drained.labels["zone"] = "b"
        let now = try #require(try await objects.node("w1"))
        try await objects.changeNodeSpec(now, readAt: read.version, to: drained)
        let changed = try #require(try await objects.node("w1"))
        #expect(changed.spec == drained && changed.status.state == .down)
        #expect(changed.specChangedAfter == now.version && changed.version > now.version)

        var active = read.spec
        active.availability = .active
        for version in [read.version, changed.version + 1] {
            await #expect(throws: ShoalError.self) {
                try await objects.changeNodeSpec(changed, readAt: version, to: active)
            }
        }
        #expect(try await objects.node("w1")?.spec == drained)
        // Written meanwhile by another manager: the node as read is no longer the node.
        try await objects.updateNode("w1") { node in node.status.state = .ready; return true }
        await #expect(throws: ShoalError.self) {
            try await objects.changeNodeSpec(changed, readAt: changed.version, to: active)
        }
        try await objects.changeNodeSpec(try #require(try await objects.node("w1")), readAt: changed.version, to: active)
        #expect(try await objects.node("w1")?.spec.availability == .active)
    }

    @Test func aDeposedLeadersFencedNodeChangeIsRefused() async throws {
        let store = MemoryClusterStore()
        let objects = SwarmObjects(store: store, clusterID: "c1")
        #expect(try await objects.createNode(Self.node("w1")))
        let old = try await LeaderFence.claim(for: "m1", in: store)
        try await objects.updateNode("w1", fencedBy: old) { node in
            node.status.state = .down
            return true
        }
        _ = try await LeaderFence.claim(for: "m2", in: store)
        await #expect(throws: ShoalError.self) {
            try await objects.updateNode("w1", fencedBy: old) { node in
                node.status.state = .ready
                return true
            }
        }
        #expect(try await objects.node("w1")?.status.state == .down)
    }
}
