import ServiceLifecycle
import ShoalCore
import ShoalDockerAPI
import ShoalManager
import ShoalModel

/// The API's swarm backend: the node's SwarmManager (init and join, a manager's store, a worker's agent).
struct SwarmBackendAdapter: SwarmBackend {
    let manager: SwarmManager

    func initSwarm(_ request: SwarmInitRequest) async throws -> String { try await manager.initialize(request) }
    func joinSwarm(_ request: SwarmJoinRequest) async throws { try await manager.join(request) }
    func leaveSwarm(force: Bool) async throws { try await manager.leave(force: force) }
    func inspectSwarm() async throws -> SwarmInfo { try await manager.inspect() }
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        try await manager.update(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                                 rotateManagerToken: rotateManagerToken)
    }
    func localSwarmState() async -> LocalSwarmState { await manager.localState() }
    func listNodes() async throws -> [SwarmNode] { try await manager.nodes() }
    func node(_ ref: String) async throws -> SwarmNode { try await manager.node(ref) }
    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        try await manager.updateNode(ref, version: version, spec: spec)
    }
    func removeNode(_ ref: String, force: Bool) async throws { try await manager.removeNode(ref, force: force) }
}

/// Stops the manager's etcd member when the daemon shuts down gracefully (it starts again with the daemon).
struct SwarmService: Service {
    let manager: SwarmManager

    func run() async throws {
        try? await gracefulShutdown()
        await manager.shutdown()
    }
}
