import Foundation
import ServiceLifecycle
import NIOCore
import ShoalClusterEndpoint
import ShoalCore
import ShoalManager
import ShoalModel

/// The cluster endpoint's view of the swarm: the nodes this manager's store lists, and their engines over the
/// node engine channel with this node's own certificate.
struct ClusterNodesAdapter: NodeEngines {
    let swarm: SwarmMembership
    let client: NodeEngineClient

    init(swarm: SwarmMembership, paths: SwarmPaths, nodeEnginePort: Int) {
        self.swarm = swarm
        client = NodeEngineClient(
            files: .init(caCertificate: paths.caCertificate, certificate: paths.nodeCertificate, key: paths.nodeKey),
            port: nodeEnginePort)
    }

    func nodes() async throws -> [ClusterNode] {
        try await swarm.nodes().map { node in
            ClusterNode(id: node.id, hostname: node.description.hostname, address: node.status.address,
                        ready: node.status.state == .ready && node.spec.availability == .active,
                        down: node.status.state == .down,
                        labels: node.description.engineLabels.merging(node.spec.labels) { _, spec in spec },
                        nanoCPUs: node.description.nanoCPUs, memoryBytes: node.description.memoryBytes)
        }
    }

    func send(_ request: EngineRequest, to node: ClusterNode) async throws -> EngineResponse {
        try await client.send(request, to: node.address)
    }

    func connect(to node: ClusterNode) async throws -> NIOAsyncChannel<ByteBuffer, ByteBuffer> {
        try await client.connect(to: node.address)
    }
}

/// The node engine client's HTTP client lives as long as the daemon runs and is shut down when it stops (one
/// released without a shutdown traps in AsyncHTTPClient, and a trapping daemon leaves its backtracer behind).
struct NodeEngineClientLifecycle: Service {
    let client: NodeEngineClient

    func run() async throws {
        try? await gracefulShutdown()
        await client.shutdown()
    }
}

/// The rescheduled containers' records in the swarm's store, through this manager.
struct RescheduleRecordsAdapter: RescheduleRecords {
    let swarm: SwarmMembership

    func remember(_ record: ReschedulableContainer) async throws { try await swarm.rememberReschedulable(record) }
    func forget(_ id: String) async throws { try await swarm.forgetReschedulable(id) }
    func all() async throws -> [ReschedulableContainer] { try await swarm.reschedulables() }
    func leads() async -> Bool { await swarm.leads() }
}

/// Classic Swarm's rescheduling on this manager: once a second, when it leads, containers with
/// `reschedule:on-node-failure` whose node is Down are made again elsewhere.
struct ClusterReschedulerService: Service {
    static let interval: Duration = .seconds(1)
    let interceptor: ClusterInterceptor

    func run() async throws {
        while !Task.isCancelled, !Task.isShuttingDownGracefully {
            await interceptor.rescheduleRound()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: Self.interval) }
        }
    }
}
