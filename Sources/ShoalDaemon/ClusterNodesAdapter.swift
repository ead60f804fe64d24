import Foundation
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
