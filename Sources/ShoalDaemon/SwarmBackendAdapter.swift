import ServiceLifecycle
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalManager
import ShoalModel

/// The API's swarm backend: the node's SwarmMembership (init and join, a manager's store, a worker's agent).
struct SwarmBackendAdapter: SwarmBackend {
    let swarm: SwarmMembership
    let networks: NetworkService
    let containers: ContainerService
    /// The cluster endpoint's port, for the URLs a credentials bundle names (0: none served).
    var clusterEndpointPort = ClusterEndpoint.defaultPort

    func initSwarm(_ request: SwarmInitRequest) async throws -> String { try await swarm.initialize(request) }
    func joinSwarm(_ request: SwarmJoinRequest) async throws { try await swarm.join(request) }
    /// As Docker does when a node leaves, its containers are disconnected from the swarm's networks (they keep
    /// running, with their other networks).
    func leaveSwarm(force: Bool) async throws {
        let networks = self.networks
        let containers = self.containers
        try await swarm.leave(force: force) {
            for view in await networks.list() where view.record.isSwarmScoped {
                for container in view.containers {
                    try? await containers.disconnect(container.containerID, network: view.record.id, force: true)
                }
            }
            await networks.removeIngressSandbox()
        }
    }
    func inspectSwarm() async throws -> SwarmInfo { try await swarm.inspect() }
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        try await swarm.update(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                                 rotateManagerToken: rotateManagerToken)
    }
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                     rotateManagerUnlockKey: Bool) async throws {
        try await swarm.update(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                               rotateManagerToken: rotateManagerToken, rotateManagerUnlockKey: rotateManagerUnlockKey)
    }
    func swarmUnlockKey() async throws -> String { try await swarm.unlockKey() }
    func unlockSwarm(key: String) async throws { try await swarm.unlock(keyText: key) }
    func localSwarmState() async -> LocalSwarmState { await swarm.localState() }
    func listNodes() async throws -> [SwarmNode] { try await swarm.nodes() }
    func node(_ ref: String) async throws -> SwarmNode { try await swarm.node(ref) }
    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        try await swarm.updateNode(ref, version: version, spec: spec)
    }
    func removeNode(_ ref: String, force: Bool) async throws { try await swarm.removeNode(ref, force: force) }

    func issueUserCredentials(csrPEM: String, name: String) async throws -> IssuedCredentials {
        guard clusterEndpointPort > 0 else {
            throw ShoalError.invalidState("this daemon serves no cluster endpoint (--cluster-endpoint-port 0)")
        }
        let issued = try await swarm.issueUserCredentials(csrPEM: csrPEM, name: name)
        return IssuedCredentials(certificatePEM: issued.certificatePEM, caCertificatePEM: issued.caCertificatePEM,
                                 endpoints: issued.managerHosts.map { ClusterEndpoint.url(host: $0, port: clusterEndpointPort) })
    }

    func revokeUserCredentials(certificatePEM: String) async throws -> String {
        try await swarm.revokeUserCredentials(certificatePEM: certificatePEM)
    }
}

/// Stops the node's agent and its manager's etcd member when the daemon shuts down gracefully (it starts again with the daemon).
struct SwarmService: Service {
    let swarm: SwarmMembership

    func run() async throws {
        try? await gracefulShutdown()
        await swarm.shutdown()
    }
}
