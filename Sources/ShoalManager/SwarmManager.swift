import Foundation
import Logging
import ShoalClusterClient
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalEtcd
import ShoalModel

/// This node's part in swarm mode. `init` makes it the first manager: a new root CA, its own node certificate, an
/// etcd member with mutual TLS from that CA, and the cluster and node objects in the store. The swarm and node
/// routes are answered from the store. A manager serves the control API (NodeCA for joining nodes, the
/// Dispatcher for their sessions) and marks nodes Down when their heartbeats stop; a worker runs a `SwarmAgent`.
public actor SwarmManager {
    let paths: SwarmPaths
    let description: NodeDescription
    let logger: Logger
    var config: SwarmLocalConfig?
    var etcd: EtcdSupervisor?
    var client: EtcdClient?
    var store: (any ClusterStore)?
    /// Manager: the control API listener and the once-a-quarter-second monitor (who leads; on the leader, node
    /// health and probes of the other managers).
    var controlServer: ControlServer?
    var heartbeatMonitor: Task<Void, Never>?
    var heartbeatPeriod: Duration = .seconds(5)
    /// The managers' control addresses, told to every session so agents can fail over (refreshed by the monitor).
    var managerAddresses: [(nodeID: String, address: String)] = []
    /// The leader-only services of this manager's current term: set while its etcd member is the store's raft
    /// leader and its claim is stored, nil otherwise. Only the leader holds node sessions and decides which nodes
    /// are Down, so there is one judge of node health at a time.
    var leaderServices: LeaderServices?
    var leading: Bool { leaderServices != nil }
    /// What the node's agent hands to this host's engine: endpoints on the other nodes, and which endpoints this
    /// node still has (set by the daemon).
    var endpointHandlers = EndpointHandlers()
    /// Renews this node's certificate at a random point between 50 % and 80 % of its lifetime.
    var renewal: Task<Void, Never>?
    /// A demotion in progress (the monitor notices it once a second; one at a time).
    var demoting = false
    /// Worker: the session with the managers.
    var agent: SwarmAgent?

    /// How long store calls may take. The defaults suit a daemon; tests that run a manager inside a test process
    /// whose threads are busy with other tests give them more.
    struct StoreTimeouts: Sendable {
        /// Each call of the manager's etcd client.
        var call: Duration = .seconds(5)
        /// Each health check call while the member starts, and the whole start.
        var healthCall: Duration = .seconds(1)
        /// A minute: a loaded machine (2 cores running a test suite) answered the first Status calls late.
        var start: Duration = .seconds(60)
    }
    var storeTimeouts = StoreTimeouts()
    func setStoreTimeouts(_ timeouts: StoreTimeouts) { storeTimeouts = timeouts }

    public init(dataRoot: String, description: NodeDescription, logger: Logger = Logger(label: "shoal.swarm")) {
        paths = SwarmPaths(dataRoot: dataRoot)
        self.description = description
        self.logger = logger
    }

    /// Daemon start: a manager brings its etcd member back and marks itself Ready.
    public func restore() async {
        guard let config = SwarmLocalConfig.load(paths) else { return }
        self.config = config
        startRenewal()
        guard config.role == NodeRoleName.manager.rawValue else {
            do {
                try startAgent(config)
            } catch {
                logger.error("swarm: cannot start the agent: \(error)")
            }
            return
        }
        do {
            try await startStore(config, state: .existing)
            try await updateOwnNode { node in
                node.status = NodeStatus(state: .ready, address: config.advertiseHost)
                node.managerStatus = ManagerStatus(leader: false, reachability: .reachable, address: config.advertiseAddress)
            }
            heartbeatPeriod = Self.period(try await cluster().spec)
            try await startControl(config)
        } catch {
            logger.error("swarm: cannot bring the manager back: \(error)")
        }
    }

    /// Stops etcd (daemon shutdown). The member's data stays for the next start.
    public func shutdown() async {
        renewal?.cancel()
        renewal = nil
        await agent?.stop()
        agent = nil
        await stopControl()
        await client?.close()
        await etcd?.stop()
    }

    // MARK: init and leave

    public func initialize(_ request: SwarmInitRequest) async throws -> String {
        guard config == nil else { throw SwarmErrors.alreadyInSwarm }
        let advertise = try SwarmAddresses.advertise(request.advertiseAddress, listen: request.listenAddress)
        let listen = try SwarmAddresses.parse(request.listenAddress.isEmpty ? "0.0.0.0:2377" : request.listenAddress)
        var spec = request.spec
        try Self.validate(&spec)

        let root = try RootCA.create()
        let clusterID = RandomID.generate()
        let nodeID = RandomID.generate()
        let key = NodeKey.generate()
        let certificate = try root.sign(
            csr: try key.makeCSR(commonName: nodeID), nodeID: nodeID, role: .manager, clusterID: clusterID,
            ipAddresses: Array(Set([advertise.host, "127.0.0.1"])), validity: .seconds(Int64(spec.nodeCertExpiry)))
        try? FileManager.default.removeItem(atPath: paths.directory)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        try TLSFiles(rootCA: root, certificatePEM: certificate, key: key).write(to: URL(fileURLWithPath: paths.tls))

        let config = SwarmLocalConfig(
            nodeID: nodeID, clusterID: clusterID, role: NodeRoleName.manager.rawValue,
            advertiseAddress: "\(advertise.host):\(advertise.port)", listenAddress: "\(listen.host):\(listen.port)",
            etcdClientPort: advertise.port + 1, etcdPeerPort: advertise.port + 2)
        do {
            try await startStore(config, state: .new)
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
            guard let store, let keyPEM = root.keyPEM else { throw ShoalError.internalError("no store after start") }
            let created = try await SwarmObjects(store: store, clusterID: clusterID)
                .createSwarm(info, rootCAKeyPEM: keyPEM, firstNode: node)
            guard created else { throw ShoalError.internalError("the new store already holds a cluster") }
            try config.save(paths)
            self.config = config
            heartbeatPeriod = Self.period(spec)
            try await startControl(config)
            startRenewal()
            return nodeID
        } catch {
            await abandonMembership()
            throw error
        }
    }

    /// `docker swarm leave [--force]`: the last manager needs `--force`; its store is erased.
    public func leave(force: Bool) async throws {
        guard let config else { throw SwarmErrors.notInSwarm }
        if config.role == NodeRoleName.manager.rawValue && !force {
            let managers = (try? await storedNodes().filter { $0.spec.role == .manager }.count) ?? 1
            if managers <= 1 { throw SwarmErrors.lastManager }
            throw ShoalError(.unavailable,
                             "You are attempting to leave the swarm on a node that is participating as a manager. Use `--force` to ignore this message.")
        }
        renewal?.cancel()
        renewal = nil
        await agent?.stop()
        agent = nil
        await stopControl()
        if config.role == NodeRoleName.manager.rawValue { await leaveStore(config) }
        await stopStore()
        try? FileManager.default.removeItem(atPath: paths.directory)
        self.config = nil
    }

    // MARK: the cluster object

    /// The cluster object as Docker shows it (with the TLS issuer).
    public func inspect() async throws -> SwarmInfo {
        var info = try await cluster()
        if let issuer = CertificateIssuer(rootCAPEM: info.rootCACertificate) { info.issuer = issuer }
        return info
    }

    public func update(version: UInt64, spec: SwarmSpec, rotateWorkerToken: Bool, rotateManagerToken: Bool)
        async throws
    {
        var info = try await cluster()
        guard info.version == version else { throw SwarmErrors.outOfSequence }
        var spec = spec
        try Self.validate(&spec)
        info.spec = spec
        info.updatedAt = Date()
        let digest = try RootCA(certificatePEM: info.rootCACertificate).digest
        if rotateWorkerToken { info.joinTokens.worker = JoinToken.generate(rootDigest: digest).text }
        if rotateManagerToken { info.joinTokens.manager = JoinToken.generate(rootDigest: digest).text }
        guard try await managerObjects().replaceCluster(info, ifVersion: version) else {
            throw SwarmErrors.outOfSequence
        }
        heartbeatPeriod = Self.period(spec)
    }

    public func localState() async -> LocalSwarmState {
        guard let config else { return LocalSwarmState() }
        let isManager = config.role == NodeRoleName.manager.rawValue
        var state = LocalSwarmState(
            membership: .active, nodeID: config.nodeID, nodeAddress: config.advertiseHost, isManager: isManager,
            remoteManagers: isManager ? [(nodeID: config.nodeID, address: config.advertiseAddress)]
                : (config.managers ?? []).map { address in (nodeID: "", address: address) })
        if isManager {
            do {
                let all = try await storedNodes()
                state.nodes = all.count
                state.managers = all.filter { $0.spec.role == .manager }.count
                state.remoteManagers = all.compactMap { node in node.managerStatus.map { (node.id, $0.address) } }
                state.cluster = try await inspect()
            } catch {
                state.error = "\(error)"
            }
        }
        return state
    }

    // MARK: pieces

    func managerStore() throws -> any ClusterStore {
        guard let config, config.role == NodeRoleName.manager.rawValue, let store else { throw SwarmErrors.notManager }
        return store
    }

    /// The swarm's objects in this manager's store.
    func managerObjects() throws -> SwarmObjects {
        guard let config else { throw SwarmErrors.notManager }
        return SwarmObjects(store: try managerStore(), clusterID: config.clusterID)
    }

    func cluster() async throws -> SwarmInfo {
        try await managerObjects().cluster()
    }

    func updateOwnNode(_ change: @escaping @Sendable (inout SwarmNode) -> Void) async throws {
        guard let config else { return }
        let description = self.description
        try await managerObjects().updateNode(config.nodeID) { node in
            change(&node)
            node.description = description
            return true
        }
    }

    /// Docker's limits on the spec (`--cert-expiry` at least an hour, a positive heartbeat).
    static func validate(_ spec: inout SwarmSpec) throws {
        if spec.nodeCertExpiry == 0 { spec.nodeCertExpiry = SwarmSpec().nodeCertExpiry }
        if spec.heartbeatPeriod == 0 { spec.heartbeatPeriod = SwarmSpec().heartbeatPeriod }
        guard spec.nodeCertExpiry >= 3600 else {
            throw ShoalError.invalidArgument("minimum certificate expiry time is: 1h0m0s")
        }
        guard spec.heartbeatPeriod > 0 else { throw ShoalError.invalidArgument("heartbeat period must be positive") }
    }

    /// Starts this manager's etcd member (mutual TLS from the cluster CA on both ports) and connects to it.
    func startStore(_ config: SwarmLocalConfig, state: EtcdMemberConfiguration.ClusterState,
                    initialCluster: [EtcdInitialMember]? = nil) async throws {
        let tls = EtcdServerTLS(certificateFile: paths.nodeCertificate, keyFile: paths.nodeKey,
                                trustedCAFile: paths.caCertificate, requireClientCertificate: true)
        let host = config.advertiseHost
        let member = EtcdMemberConfiguration(
            name: config.nodeID, dataDirectory: paths.etcdData,
            clientURLs: ["https://\(host):\(config.etcdClientPort)"],
            peerURLs: ["https://\(host):\(config.etcdPeerPort)"], initialCluster: initialCluster,
            initialClusterState: state, initialClusterToken: config.clusterID, clientTLS: tls, peerTLS: tls,
            logFile: paths.etcdLog)
        let clientTLS = EtcdClientTLS(trustedCAFile: paths.caCertificate, certificateFile: paths.nodeCertificate,
                                      keyFile: paths.nodeKey)
        // The supervisor keeps the member's pid in `<data>.pid` and stops a member a crashed daemon left behind.
        let supervisor = EtcdSupervisor(configuration: member, clientTLS: clientTLS, logger: logger)
        try await supervisor.start(timeout: storeTimeouts.start, callTimeout: storeTimeouts.healthCall)
        etcd = supervisor
        let client = try EtcdClient(
            configuration: EtcdClientConfiguration(endpoints: [EtcdEndpoint(host: host, port: config.etcdClientPort)],
                                                   tls: clientTLS, callTimeout: storeTimeouts.call),
            logger: logger)
        self.client = client
        store = EtcdClusterStore(client: client)
    }

    /// Undoes a half-made init or join: no control API, no store, no swarm directory, no membership.
    func abandonMembership() async {
        config = nil
        await stopControl()
        await stopStore()
        try? FileManager.default.removeItem(atPath: paths.directory)
    }

    func stopStore() async {
        await client?.close()
        client = nil
        store = nil
        await etcd?.kill()
        etcd = nil
    }
}
