import Foundation
import Logging
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalEtcd
import ShoalModel

/// A manager's half of swarm mode on this host. It supervises the host's etcd member (the cluster store), serves
/// the control API on the listen address (NodeCA, Dispatcher, Membership, Networks, Services, DataObjects,
/// DataKeys), follows who leads the store's raft, and while this member leads runs one term's `LeaderServices`.
/// The manager-only Docker calls (swarm, nodes, swarm-scoped networks, services, secrets and configs) are answered
/// here from the store.
///
/// It knows nothing of the node's own membership (its configuration file, its agent, certificate renewal, role
/// changes): `SwarmMembership` owns those, makes a ManagerNode when the node becomes a manager and drops it when the
/// node stops being one. The ManagerNode only tells it that the store now calls this node a worker.
actor ManagerNode {
    let config: SwarmLocalConfig
    let paths: SwarmPaths
    /// This node's key material at rest, which the manager re-seals when the swarm's unlock key changes.
    let keyFiles: SwarmKeyFiles
    let description: NodeDescription
    let logger: Logger
    let etcd: EtcdSupervisor
    let client: EtcdClient
    /// The swarm's objects in this member's store.
    let objects: SwarmObjects
    /// The cluster's data key, which seals secrets (`<swarm>/certificates/data.key`); nil on a manager of a swarm
    /// made before Shoal kept one.
    let dataKey: ClusterDataKey?
    var store: any ClusterStore { objects.store }

    /// The control API listener and the once-a-quarter-second monitor (who leads; on the leader, node health and
    /// probes of the other managers), while serving.
    var controlServer: ControlServer?
    var monitor: Task<Void, Never>?
    var heartbeatPeriod: Duration = .seconds(5)
    /// SHA-256 of the trust roots nodes must hold (refreshed by the monitor): sessions tell it to their node.
    var trustRootsDigest = ""
    /// The managers' control addresses, told to every session so agents can fail over (refreshed by the monitor).
    var managerAddresses: [(nodeID: String, address: String)] = []
    /// The leader-only services of this manager's current term: set while its etcd member is the store's raft
    /// leader and its claim is stored, nil otherwise. Only the leader holds node sessions and decides which nodes
    /// are Down, so there is one judge of node health at a time.
    var leaderServices: LeaderServices?
    /// Called (once at a time) when the store says this node is a worker now; `SwarmMembership` demotes it.
    var demoted: (@Sendable () async -> Void)?
    var demoting = false

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

    private init(config: SwarmLocalConfig, paths: SwarmPaths, keyFiles: SwarmKeyFiles, description: NodeDescription,
                 logger: Logger, etcd: EtcdSupervisor, client: EtcdClient, dataKey: ClusterDataKey?) {
        self.config = config
        self.paths = paths
        self.keyFiles = keyFiles
        self.dataKey = dataKey
        self.description = description
        self.logger = logger
        self.etcd = etcd
        self.client = client
        objects = SwarmObjects(store: EtcdClusterStore(client: client), clusterID: config.clusterID, dataKey: dataKey)
    }

    /// Starts this manager's etcd member (mutual TLS from the cluster CA on both ports) and connects to it; a new
    /// member joins `initialCluster`. It does not serve yet (`serve`).
    static func start(_ config: SwarmLocalConfig, paths: SwarmPaths, keyFiles: SwarmKeyFiles,
                      description: NodeDescription,
                      state: EtcdMemberConfiguration.ClusterState, initialCluster: [EtcdInitialMember]? = nil,
                      timeouts: StoreTimeouts, logger: Logger) async throws -> ManagerNode
    {
        let tls = EtcdServerTLS(certificateFile: paths.nodeCertificate, keyFile: paths.nodeKey,
                                trustedCAFile: paths.caCertificate, requireClientCertificate: true)
        let host = config.advertiseHost
        var member = EtcdMemberConfiguration(
            name: config.nodeID, dataDirectory: paths.etcdData,
            clientURLs: ["https://\(host):\(config.etcdClientPort)"],
            peerURLs: ["https://\(host):\(config.etcdPeerPort)"], initialCluster: initialCluster,
            initialClusterState: state, initialClusterToken: config.clusterID, clientTLS: tls, peerTLS: tls,
            logFile: paths.etcdLog)
        StoreRaftSettings.load(paths).apply(to: &member)
        let clientTLS = EtcdClientTLS(trustedCAFile: paths.caCertificate, certificateFile: paths.nodeCertificate,
                                      keyFile: paths.nodeKey)
        // The supervisor keeps the member's pid in `<data>.pid` and stops a member a crashed daemon left behind.
        let supervisor = EtcdSupervisor(configuration: member, clientTLS: clientTLS, logger: logger)
        try await supervisor.start(timeout: timeouts.start, callTimeout: timeouts.healthCall)
        do {
            let client = try EtcdClient(
                configuration: EtcdClientConfiguration(
                    endpoints: [EtcdEndpoint(host: host, port: config.etcdClientPort)], tls: clientTLS,
                    callTimeout: timeouts.call),
                logger: logger)
            return ManagerNode(config: config, paths: paths, keyFiles: keyFiles, description: description,
                               logger: logger, etcd: supervisor, client: client,
                               dataKey: try ClusterDataKey.read(from: paths.dataKey))
        } catch {
            await supervisor.kill()
            throw error
        }
    }

    /// Daemon shutdown: stops serving and stops the member; its data stays for the next start.
    func stop() async {
        await stopServing()
        await client.close()
        await etcd.stop()
    }

    /// Gives the member up (a half-made init or join, a demotion, a leave): stops serving and kills the member.
    func kill() async {
        await stopServing()
        await client.close()
        await etcd.kill()
    }

    // MARK: pieces

    /// Marks this manager's own node as the store should show it now (Ready, reachable at its addresses, this
    /// engine's description).
    func markOwnNodeReady() async throws {
        let config = self.config
        let description = self.description
        try await objects.updateNode(config.nodeID) { node in
            node.status = NodeStatus(state: .ready, address: config.advertiseHost)
            node.managerStatus = ManagerStatus(leader: false, reachability: .reachable,
                                               address: config.advertiseAddress)
            node.description = description
            return true
        }
    }

    /// The leader's services when this manager leads; otherwise callers are told to try another manager.
    func requireLeader() throws -> LeaderServices {
        guard let leader = leaderServices else { throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage) }
        return leader
    }

    /// The control addresses of the managers other than this one (as the monitor last read them).
    var otherManagers: [String] {
        managerAddresses.map(\.address).filter { $0 != config.advertiseAddress }
    }

    static func period(_ spec: SwarmSpec) -> Duration { .milliseconds(Int64(spec.heartbeatPeriod * 1000)) }
}
