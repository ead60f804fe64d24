import ShoalCore
import ShoalDockerAPI
import ShoalModel

/// The API's swarm backend. Until the manager lands this node is never part of a swarm: every call answers as
/// Docker answers on a node outside one.
struct SwarmBackendAdapter: SwarmBackend {
    static var notManager: ShoalError {
        ShoalError(.unavailable,
                   "This node is not a swarm manager. Use \"docker swarm init\" or \"docker swarm join\" to connect this node to swarm and try again.")
    }

    func initSwarm(_ request: SwarmInitRequest) async throws -> String {
        throw ShoalError(.notImplemented, "swarm mode is not available in this build yet")
    }
    func joinSwarm(_ request: SwarmJoinRequest) async throws {
        throw ShoalError(.notImplemented, "swarm mode is not available in this build yet")
    }
    func leaveSwarm(force: Bool) async throws {
        throw ShoalError(.unavailable, "This node is not part of a swarm")
    }
    func inspectSwarm() async throws -> SwarmInfo { throw Self.notManager }
    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        throw Self.notManager
    }
    func localSwarmState() async -> LocalSwarmState { LocalSwarmState() }
    func listNodes() async throws -> [SwarmNode] { throw Self.notManager }
    func node(_ ref: String) async throws -> SwarmNode { throw Self.notManager }
    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws { throw Self.notManager }
    func removeNode(_ ref: String, force: Bool) async throws { throw Self.notManager }
}
