import Foundation
import Logging
import ShoalClusterClient
import ShoalAgent
import ShoalAllocator
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalEtcd
import ShoalModel

/// This node's membership in swarm mode, as the daemon holds it: its configuration (`<data-root>/swarm`), its
/// agent (the session with the leader, on every node), certificate renewal and role changes. `init` makes the node
/// the first manager: a new root CA, its own node certificate, a `ManagerNode` (etcd member with mutual TLS from
/// that CA, control API) and the swarm's objects in the store. On a manager the swarm and node routes go to its
/// `ManagerNode`; a worker has none, and reaches the managers only through the control API.
public actor SwarmMembership {
    let paths: SwarmPaths
    /// The node's key material at rest, clear or sealed with the unlock key (autolock).
    let keyFiles: SwarmKeyFiles
    /// A manager whose material is sealed comes up locked after a daemon restart: no manager, no agent, until
    /// `docker swarm unlock` (Docker's LocalNodeState "locked").
    var locked = false
    let description: NodeDescription
    let logger: Logger
    var config: SwarmLocalConfig?
    /// Set while this node is a manager (and its store member runs).
    var manager: ManagerNode?
    /// What the node's agent hands to this host's engine: endpoints on the other nodes, and which endpoints this
    /// node still has (set by the daemon).
    var endpointHandlers = EndpointHandlers()
    /// Renews this node's certificate at a random point between 50 % and 80 % of its lifetime.
    var renewal: Task<Void, Never>?
    /// The session with the managers (every node).
    var agent: SwarmAgent?
    /// This host's engine as the node's task runners use it (set by the daemon).
    var taskEngine: (any TaskEngine)?
    /// The tasks the managers assigned to this node, while its agent runs.
    var nodeTasks: NodeTasks?
    /// The log subscriptions for this node's tasks, while its agent runs.
    var nodeLogs: NodeLogs?

    typealias StoreTimeouts = ManagerNode.StoreTimeouts
    var storeTimeouts = StoreTimeouts()
    func setStoreTimeouts(_ timeouts: StoreTimeouts) { storeTimeouts = timeouts }

    /// `runRoot` is the daemon's exec root, where a sealed manager's key material is in clear while unlocked.
    public init(dataRoot: String, runRoot: String? = nil, description: NodeDescription,
                logger: Logger = Logger(label: "shoal.swarm")) {
        paths = SwarmPaths(dataRoot: dataRoot, runRoot: runRoot)
        keyFiles = SwarmKeyFiles(paths: paths)
        self.description = description
        self.logger = logger
    }

    var isManager: Bool { config?.role == NodeRoleName.manager.rawValue }

    /// Daemon start: a manager brings its etcd member back and marks itself Ready.
    public func restore() async {
        guard let config = SwarmLocalConfig.load(paths) else { return }
        self.config = config
        if staysLocked(config) { return }
        startRenewal()
        guard config.role == NodeRoleName.manager.rawValue else {
            do {
                try await startAgent(config)
            } catch {
                logger.error("swarm: cannot start the agent: \(error)")
            }
            return
        }
        do {
            let manager = try await startManager(config, state: .existing)
            try await manager.markOwnNodeReady()
            try await serve(manager, config)
        } catch {
            logger.error("swarm: cannot bring the manager back: \(error)")
        }
    }

    /// Stops the agent and the manager (daemon shutdown). The member's data stays for the next start.
    public func shutdown() async {
        renewal?.cancel()
        renewal = nil
        await stopAgent()
        await manager?.stop()
        manager = nil
        keyFiles.lock()
    }

    // MARK: init and leave

    public func initialize(_ request: SwarmInitRequest) async throws -> String {
        guard config == nil else { throw SwarmErrors.alreadyInSwarm }
        let advertise = try SwarmAddresses.advertise(request.advertiseAddress, listen: request.listenAddress)
        let listen = try SwarmAddresses.parse(request.listenAddress.isEmpty ? "0.0.0.0:2377" : request.listenAddress)
        var spec = request.spec
        try spec.validate()

        let root = try RootCA.create()
        let clusterID = RandomID.generate()
        let nodeID = RandomID.generate()
        let key = NodeKey.generate()
        let unlockKey = spec.autoLockManagers ? UnlockKey.generate() : nil
        let certificate = try root.sign(
            csr: try key.makeCSR(commonName: nodeID), nodeID: nodeID, role: .manager, clusterID: clusterID,
            ipAddresses: Array(Set([advertise.host, "127.0.0.1"])), validity: .seconds(Int64(spec.nodeCertExpiry)))
        try? FileManager.default.removeItem(atPath: paths.directory)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        // With autolock the material is sealed from its first write.
        keyFiles.reset(unlockKey: unlockKey)
        try keyFiles.writeTLS(TLSFiles(rootCA: root, certificatePEM: certificate, key: key))
        try StoreRaftSettings(raft: spec.raft).save(paths)
        // The data key is made here, once for the swarm, and only ever copied from manager to manager.
        try keyFiles.writeDataKey(ClusterDataKey.generate())

        let config = SwarmLocalConfig(
            nodeID: nodeID, clusterID: clusterID, role: NodeRoleName.manager.rawValue,
            advertiseAddress: "\(advertise.host):\(advertise.port)", listenAddress: "\(listen.host):\(listen.port)",
            etcdClientPort: advertise.port + 1, etcdPeerPort: advertise.port + 2)
        do {
            let manager = try await startManager(config, state: .new)
            let now = Date()
            let digest = root.digest
            let info = SwarmInfo(
                id: clusterID, version: 0, createdAt: now, updatedAt: now, spec: spec,
                joinTokens: SwarmJoinTokens(worker: JoinToken.generate(rootDigest: digest).text,
                                            manager: JoinToken.generate(rootDigest: digest).text),
                rootCACertificate: root.certificatePEM, dataPathPort: request.dataPathPort,
                defaultAddressPools: request.defaultAddressPools, subnetSize: request.subnetSize)
            var nodeSpec = NodeSpec(role: .manager)
            nodeSpec.availability = .active
            let node = SwarmNode(
                id: nodeID, version: 0, createdAt: now, updatedAt: now, spec: nodeSpec, description: description,
                status: NodeStatus(state: .ready, address: advertise.host),
                managerStatus: ManagerStatus(leader: true, reachability: .reachable, address: config.advertiseAddress),
                trustRoot: root.certificatePEM)
            guard let keyPEM = root.keyPEM else { throw ShoalError.internalError("the new root CA has no key") }
            // The routing mesh's network comes with the swarm, as Docker's `ingress` does.
            let ingress = try NetworkAllocatorService.ingressNetwork(pools: try OverlayNetworkAllocator.pools(
                request.defaultAddressPools, subnetSize: Int(request.subnetSize)))
            guard try await manager.objects.createSwarm(info, rootCAKeyPEM: keyPEM, firstNode: node,
                                                        ingress: ingress) else {
                throw ShoalError.internalError("the new store already holds a cluster")
            }
            if let unlockKey { try await manager.storeUnlockKey(unlockKey) }
            try config.save(paths)
            self.config = config
            try await serve(manager, config)
            startRenewal()
            return nodeID
        } catch {
            await abandonMembership()
            throw error
        }
    }

    /// `docker swarm leave [--force]`: the last manager needs `--force`; its store is erased. `beforeLeaving` runs
    /// once the leave is allowed, while the node is still in the swarm (the daemon disconnects its containers from
    /// the swarm's networks then, so the leader hears of their endpoints going).
    public func leave(force: Bool, beforeLeaving: @Sendable () async -> Void = {}) async throws {
        guard config != nil else { throw SwarmErrors.notInSwarm }
        if locked && !force { throw SwarmErrors.lockedLeave }
        if let manager, !force {
            let managers = (try? await manager.objects.nodes().filter { $0.spec.role == .manager }.count) ?? 1
            if managers <= 1 { throw SwarmErrors.lastManager }
            throw ShoalError(.unavailable,
                             "You are attempting to leave the swarm on a node that is participating as a manager. Use `--force` to ignore this message.")
        }
        // As Docker: the node's task containers go with it (the managers run them elsewhere).
        await nodeTasks?.removeAll()
        await beforeLeaving()
        renewal?.cancel()
        renewal = nil
        await stopAgent()
        if let manager {
            await manager.stopServing()
            await manager.leaveStore()
        }
        await abandonMembership()
    }

    // MARK: the cluster object

    /// The cluster object as Docker shows it (with the TLS issuer).
    public func inspect() async throws -> SwarmInfo {
        try await requireManager().inspect()
    }

    public func update(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool,
                       rotateManagerUnlockKey: Bool = false) async throws
    {
        try await requireManager().update(version: version, spec: spec, rotateWorkerToken: rotateWorkerToken,
                                          rotateManagerToken: rotateManagerToken,
                                          rotateManagerUnlockKey: rotateManagerUnlockKey)
    }

    public func localState() async -> LocalSwarmState {
        guard let config else { return LocalSwarmState() }
        if locked {
            // As Docker's: no node ID and no managers while the node cannot start.
            return LocalSwarmState(membership: .locked, nodeAddress: config.advertiseHost,
                                   error: SwarmErrors.locked.message)
        }
        var state = LocalSwarmState(
            membership: .active, nodeID: config.nodeID, nodeAddress: config.advertiseHost, isManager: isManager,
            remoteManagers: isManager ? [(nodeID: config.nodeID, address: config.advertiseAddress)]
                : (config.managers ?? []).map { address in (nodeID: "", address: address) })
        if let manager {
            do {
                let all = try await manager.objects.nodes()
                state.nodes = all.count
                state.managers = all.filter { $0.spec.role == .manager }.count
                state.remoteManagers = all.compactMap { node in node.managerStatus.map { (node.id, $0.address) } }
                state.cluster = try await manager.inspect()
            } catch {
                state.error = "\(error)"
            }
        }
        return state
    }

    // MARK: pieces

    /// This node's manager half. Docker's "not a swarm manager" tells a worker ("Worker nodes can't be used…")
    /// apart from a node outside any swarm ("Use docker swarm init…").
    @discardableResult
    func requireManager() throws -> ManagerNode {
        guard config != nil else { throw SwarmErrors.notManager }
        if locked { throw SwarmErrors.locked }
        guard let manager else { throw SwarmErrors.workerNotManager }
        return manager
    }

    /// Starts this node's store member (`ManagerNode.start`) and keeps the manager it makes.
    func startManager(_ config: SwarmLocalConfig, state: EtcdMemberConfiguration.ClusterState,
                      initialCluster: [EtcdInitialMember]? = nil) async throws -> ManagerNode {
        let manager = try await ManagerNode.start(
            config, paths: paths, keyFiles: keyFiles, description: description, state: state,
            initialCluster: initialCluster,
            timeouts: storeTimeouts, logger: logger)
        self.manager = manager
        return manager
    }

    /// The manager serves the control API, and the node's agent starts: a manager's node has one too, for its
    /// containers' endpoints, which come and go through the leader like any node's.
    func serve(_ manager: ManagerNode, _ config: SwarmLocalConfig) async throws {
        try await manager.serve(demoted: { [weak self] in await self?.demote() })
        if agent == nil { try await startAgent(config) }
    }

    /// Undoes a half-made init or join, or ends a membership: no agent, no manager, no swarm directory.
    func abandonMembership() async {
        config = nil
        locked = false
        await stopAgent()
        await manager?.kill()
        manager = nil
        try? FileManager.default.removeItem(atPath: paths.directory)
        keyFiles.erase()
    }
}
