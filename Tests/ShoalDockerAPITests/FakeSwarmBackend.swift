import Foundation
import ShoalCore
@testable import ShoalDockerAPI
import ShoalModel

/// A swarm backend in memory: outside a swarm until `initSwarm`, then the one manager of a cluster with a
/// second (worker) node; records what the routes passed in.
actor FakeSwarmBackend: SwarmBackend {
    static let notManager = ShoalError(
        .unavailable,
        #"This node is not a swarm manager. Use "docker swarm init" or "docker swarm join" to connect this node to swarm and try again."#)
    static let created = Date(timeIntervalSince1970: 1_700_000_000.123456789)
    static let trustRoot = "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n"
    static let issuer = CertificateIssuer(subject: Data([0x30, 0x13, 0x31, 0x11]), publicKey: Data([0x30, 0x59, 0x30, 0x13]))

    private(set) var cluster: SwarmInfo?
    private(set) var nodes: [SwarmNode] = []
    private(set) var initRequests: [SwarmInitRequest] = []
    private(set) var joinRequests: [SwarmJoinRequest] = []
    private(set) var leaves: [Bool] = []
    private(set) var updates: [(version: UInt64, spec: SwarmSpec, rotateWorker: Bool, rotateManager: Bool)] = []
    private(set) var unlockKeyRotations: [Bool] = []
    private(set) var nodeUpdates: [(ref: String, version: UInt64, spec: NodeSpec)] = []
    private(set) var removals: [(ref: String, force: Bool)] = []

    static let managerID = "manageridmanageridmanageri"
    static let workerID = "workeridworkeridworkeridw"
    var managerID: String { Self.managerID }

    init(active: Bool = false) {
        if active { (cluster, nodes) = Self.state(SwarmInitRequest(advertiseAddress: "10.0.0.1")) }
    }

    private func activate(_ request: SwarmInitRequest) { (cluster, nodes) = Self.state(request) }

    private static func state(_ request: SwarmInitRequest) -> (SwarmInfo, [SwarmNode]) {
        let cluster = SwarmInfo(
            id: "clusteridclusteridcluster", version: 10, createdAt: Self.created, updatedAt: Self.created,
            spec: request.spec,
            joinTokens: SwarmJoinTokens(worker: "SWMTKN-1-abc-worker", manager: "SWMTKN-1-abc-manager"),
            rootCACertificate: Self.trustRoot, issuer: Self.issuer, dataPathPort: request.dataPathPort,
            defaultAddressPools: request.defaultAddressPools, subnetSize: request.subnetSize)
        var managerSpec = NodeSpec(role: .manager)
        managerSpec.labels = ["zone": "a"]
        var workerSpec = NodeSpec(role: .worker)
        workerSpec.availability = .drain
        let nodes = [
            SwarmNode(id: managerID, version: 9, createdAt: Self.created, updatedAt: Self.created, spec: managerSpec,
                      description: NodeDescription(hostname: "alpha", architecture: "x86_64", os: "linux",
                                                   nanoCPUs: 2_000_000_000, memoryBytes: 4 << 30,
                                                   engineVersion: "20.10.99-shoal", engineLabels: ["disk": "ssd"],
                                                   plugins: [EnginePlugin(kind: "Network", name: "bridge")]),
                      status: NodeStatus(state: .ready, address: "10.0.0.1"),
                      managerStatus: ManagerStatus(leader: true, reachability: .reachable, address: "10.0.0.1:2377"),
                      trustRoot: Self.trustRoot, issuer: Self.issuer),
            SwarmNode(id: workerID, version: 12, createdAt: Self.created, updatedAt: Self.created, spec: workerSpec,
                      description: NodeDescription(hostname: "beta", architecture: "x86_64", os: "linux",
                                                   nanoCPUs: 1_000_000_000, memoryBytes: 1 << 30,
                                                   engineVersion: "20.10.99-shoal"),
                      status: NodeStatus(state: .down, message: "heartbeat failure", address: "10.0.0.2"),
                      managerStatus: nil, trustRoot: Self.trustRoot, issuer: Self.issuer),
        ]
        return (cluster, nodes)
    }

    func initSwarm(_ request: SwarmInitRequest) async throws -> String {
        guard cluster == nil else {
            throw ShoalError(.unavailable,
                             #"This node is already part of a swarm. Use "docker swarm leave" to leave this swarm and join another one."#)
        }
        initRequests.append(request)
        activate(request)
        return managerID
    }

    func joinSwarm(_ request: SwarmJoinRequest) async throws { joinRequests.append(request) }

    func leaveSwarm(force: Bool) async throws {
        guard cluster != nil else { throw ShoalError(.unavailable, "This node is not part of a swarm") }
        leaves.append(force)
        cluster = nil
        nodes = []
    }

    func inspectSwarm() async throws -> SwarmInfo {
        guard let cluster else { throw Self.notManager }
        return cluster
    }

    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool) async throws {
        guard var cluster else { throw Self.notManager }
        guard version == cluster.version else { throw ShoalError(.invalidState, "update out of sequence") }
        updates.append((version, spec, rotateWorkerToken, rotateManagerToken))
        cluster.spec = spec
        cluster.version += 1
        if rotateWorkerToken { cluster.joinTokens.worker += "-rotated" }
        if rotateManagerToken { cluster.joinTokens.manager += "-rotated" }
        self.cluster = cluster
    }

    func updateSwarm(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                     rotateManagerUnlockKey: Bool) async throws {
        try await updateSwarm(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                              rotateManagerToken: rotateManagerToken)
        unlockKeyRotations.append(rotateManagerUnlockKey)
    }

    func localSwarmState() async -> LocalSwarmState {
        guard let cluster else { return LocalSwarmState() }
        return LocalSwarmState(
            membership: .active, nodeID: managerID, nodeAddress: "10.0.0.1", isManager: true,
            remoteManagers: [(nodeID: managerID, address: "10.0.0.1:2377")], nodes: nodes.count,
            managers: nodes.filter { $0.managerStatus != nil }.count, cluster: cluster)
    }

    func listNodes() async throws -> [SwarmNode] {
        guard cluster != nil else { throw Self.notManager }
        return nodes
    }

    func node(_ ref: String) async throws -> SwarmNode {
        guard cluster != nil else { throw Self.notManager }
        guard let node = nodes.first(where: { $0.id == ref || $0.description.hostname == ref }) else {
            throw ShoalError.notFound("node \(ref) not found")
        }
        return node
    }

    func updateNode(_ ref: String, version: UInt64, spec: NodeSpec) async throws {
        let node = try await node(ref)
        guard node.version == version else { throw ShoalError(.invalidState, "update out of sequence") }
        nodeUpdates.append((ref, version, spec))
        let index = nodes.firstIndex { $0.id == node.id }!
        nodes[index].spec = spec
        nodes[index].version += 1
    }

    func removeNode(_ ref: String, force: Bool) async throws {
        let node = try await node(ref)
        removals.append((ref, force))
        nodes.removeAll { $0.id == node.id }
    }
}
