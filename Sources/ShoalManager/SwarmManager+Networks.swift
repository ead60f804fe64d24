import Foundation
import ShoalClusterClient
import ShoalAllocator
import ShoalCA
import ShoalClusterStore
import ShoalCore
import ShoalModel
import ShoalClusterProto

/// Swarm-scoped networks. Managers list and inspect them from the store; creating and removing them, and every
/// endpoint on them, goes to the leader's allocator (a manager that does not lead refuses, and callers move on
/// to the next manager, as agents do for sessions). A worker reaches them only through the control API.
extension SwarmManager {
    /// Docker's answer for `docker network create -d overlay` on a worker.
    static var workerCannotCreate: ShoalError {
        ShoalError.permissionDenied(
            "Cannot create a multi-host network from a worker node. Please create the network from a manager node.")
    }

    // MARK: the Docker API on this node

    public var isInSwarm: Bool { config != nil }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord {
        try requireManager(orElse: Self.workerCannotCreate)
        let spec = try SwarmNetworkSpec(request)
        let network = try await onLeader(local: { try await $0.allocator.create(spec) }, remote: { channel in
            var call = Shoal_Cluster_V1_CreateNetworkRequest()
            call.spec = spec
            return try await channel.networks.createNetwork(call, options: ControlChannel.options()).network
        })
        return NetworkRecord(network)
    }

    public func removeNetwork(_ reference: String) async throws {
        try requireManager(orElse: SwarmErrors.notManager)
        _ = try await onLeader(local: { leader in
            try await leader.allocator.remove(reference)
            return true
        }, remote: { channel in
            var call = Shoal_Cluster_V1_RemoveNetworkRequest()
            call.reference = reference
            _ = try await channel.networks.removeNetwork(call, options: ControlChannel.options())
            return true
        })
    }

    /// Every swarm-scoped network with the hosts that have it (`Peers`), on a manager; none on a worker.
    public func swarmNetworks() async throws -> [NetworkView] {
        guard let store, config?.role == NodeRoleName.manager.rawValue else { return [] }
        let attachments = try await StoreTable<SwarmAttachment>(store).list().map(\.object)
        let hosts = Dictionary(try await storedNodes().map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        return try await StoreTable<SwarmNetwork>(store).list().map { stored in
            let nodes = Set(attachments.filter { $0.networkID == stored.id }.map(\.nodeID))
            let peers = nodes.compactMap { hosts[$0] }.map {
                NetworkPeer(name: $0.description.hostname, ip: $0.status.address)
            }
            return NetworkView(record: NetworkRecord(stored.object), containers: [],
                               peers: peers.sorted { $0.name < $1.name })
        }.sorted { $0.record.created < $1.record.created }
    }

    /// The swarm-scoped network `reference` names, for this node's engine (nil when there is none, or outside
    /// a swarm): a manager reads the store, a worker asks a manager.
    public func swarmNetwork(_ reference: String) async throws -> NetworkRecord? {
        guard let config else { return nil }
        if config.role == NodeRoleName.manager.rawValue {
            do {
                return NetworkRecord(try await storedNetwork(reference))
            } catch let error as ShoalError where error.code == .notFound {
                return nil
            }
        }
        do {
            let network = try await onManagers { channel in
                var call = Shoal_Cluster_V1_GetNetworkRequest()
                call.reference = reference
                return try await channel.networks.getNetwork(call, options: ControlChannel.options()).network
            }
            return NetworkRecord(network)
        } catch let error as ShoalError where error.code == .notFound {
            return nil
        }
    }

    // MARK: this node's endpoints

    /// An endpoint for a container of this node, from the leader.
    public func attachEndpoint(_ request: Shoal_Cluster_V1_AttachRequest) async throws -> SwarmAttachment {
        guard let config else { throw SwarmErrors.notInSwarm }
        return try await onLeader(local: { leader in
            try await self.leaderAttach(leader, nodeID: config.nodeID, request)
        }, remote: { channel in
            try await channel.networks.attach(request, options: ControlChannel.options()).attachment
        })
    }

    /// Gives an endpoint of this node back (best effort: the leader also drops endpoints a node stops reporting).
    public func detachEndpoint(_ attachmentID: String) async {
        guard let config else { return }
        var request = Shoal_Cluster_V1_DetachRequest()
        request.attachmentID = attachmentID
        let call = request
        do {
            _ = try await onLeader(local: { leader in
                try await self.leaderDetach(leader, nodeID: config.nodeID, attachmentID: attachmentID)
                return true
            }, remote: { channel in
                _ = try await channel.networks.detach(call, options: ControlChannel.options())
                return true
            })
        } catch {
            logger.warning("swarm: endpoint \(attachmentID) not given back now (the leader drops it later): \(error)")
        }
    }

    /// This node's underlay address (its advertise address): where other nodes send its VXLAN traffic.
    /// Read from the saved configuration before the swarm is restored, so containers restored at daemon start find
    /// their overlays again.
    public var dataPathAddress: String? { (config ?? SwarmLocalConfig.load(paths))?.advertiseHost }

    // MARK: the leader's side (control API handlers and local calls)

    func leaderAttach(_ leader: LeaderServices, nodeID: String, _ request: Shoal_Cluster_V1_AttachRequest)
        async throws -> SwarmAttachment
    {
        guard let node = try await managerObjects().node(nodeID) else { throw SwarmErrors.removedNode(nodeID) }
        let attachment = try await leader.allocator.attach(
            nodeID: nodeID, nodeAddress: node.status.address, networkID: request.networkID,
            containerID: request.containerID, containerName: request.containerName, aliases: request.aliases,
            dnsNames: request.dnsNames, requestedAddress: request.requestedAddress)
        await leader.feed.added(attachment)
        return attachment
    }

    func leaderDetach(_ leader: LeaderServices, nodeID: String, attachmentID: String) async throws {
        if let gone = try await leader.allocator.detach(nodeID: nodeID, attachmentID: attachmentID) {
            await leader.feed.removed(gone)
        }
    }

    /// The leader's services when this manager leads; otherwise callers are told to try another manager.
    func requireLeader() throws -> LeaderServices {
        guard let leader = leaderServices else { throw ShoalError(.unavailable, SwarmErrors.notLeaderMessage) }
        return leader
    }

    /// A session started: the node's reported endpoints are reconciled, then it gets the feed (full set first).
    func subscribeEndpoints(nodeID: String, reported: [String]?) async throws
        -> (id: UUID, updates: AsyncStream<Shoal_Cluster_V1_EndpointUpdate>, feed: EndpointFeed)
    {
        let leader = try requireLeader()
        if let reported {
            for gone in try await leader.allocator.reconcile(nodeID: nodeID, keep: Set(reported)) {
                await leader.feed.removed(gone)
            }
        }
        let (id, updates) = await leader.feed.subscribe(nodeID: nodeID)
        return (id, updates, leader.feed)
    }

    /// Once a second on the leader: nodes removed from the swarm lose their endpoints.
    func dropEndpointsOfRemovedNodes() async {
        guard let leader = leaderServices, let nodes = try? await storedNodes() else { return }
        let known = Set(nodes.map(\.id))
        let orphans = Set(await leader.feed.all().map(\.nodeID)).subtracting(known)
        for nodeID in orphans {
            guard let dropped = try? await leader.allocator.dropNode(nodeID) else { continue }
            for attachment in dropped { await leader.feed.removed(attachment) }
        }
    }

    /// A control API caller of this cluster allowed by `access`; returns its node ID.
    @discardableResult
    func checkCaller(_ caller: NodeCertificate?, access: ControlAccess) throws -> String {
        guard let config, controlServer != nil else { throw SwarmErrors.notManager }
        try access.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        return nodeID
    }

    /// One network from the store (any manager), by name, ID or unique ID prefix.
    func storedNetwork(_ reference: String) async throws -> SwarmNetwork {
        try NetworkLookup.resolve(reference, in: try await StoreTable<SwarmNetwork>(managerStore()).list().map(\.object))
    }

    // MARK: pieces

    private func requireManager(orElse workerError: ShoalError) throws {
        guard let config else { throw SwarmErrors.notManager }
        guard config.role == NodeRoleName.manager.rawValue else { throw workerError }
    }

    /// Runs a leader-only call here when this manager leads, else on the manager that does (followers refuse:
    /// the next one is tried). Retried for a few seconds so a call made during a failover finds the new leader.
    func onLeader<Response: Sendable>(
        local: @Sendable (LeaderServices) async throws -> Response,
        remote: @Sendable (ControlChannel) async throws -> Response
    ) async throws -> Response {
        let deadline = ContinuousClock.now + .seconds(10)
        while true {
            do {
                if let leader = leaderServices { return try await local(leader) }
                return try await onManagers(remote)
            } catch let error as ShoalError where error.code == .unavailable && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    /// Calls the managers this node knows, in turn, until one answers (answers keep the manager's wording).
    func onManagers<Response: Sendable>(_ body: @Sendable (ControlChannel) async throws -> Response) async throws
        -> Response
    {
        guard let config else { throw SwarmErrors.notInSwarm }
        let tls = try TLSFiles.read(from: URL(fileURLWithPath: paths.tls))
        var managers = config.managers ?? []
        if config.role == NodeRoleName.manager.rawValue {
            managers = otherManagers(config)
        } else if let agent {
            managers = await agent.knownManagers
        }
        return try await ControlChannel.firstAnswering(managers, rootCAPEM: tls.caCertificatePEM,
                                                       identity: tls.identity, keepMessages: true, body)
    }
}
