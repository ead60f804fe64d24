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
extension SwarmMembership {
    /// Docker's answer for `docker network create -d overlay` on a worker.
    static var workerCannotCreate: ShoalError {
        ShoalError.permissionDenied(
            "Cannot create a multi-host network from a worker node. Please create the network from a manager node.")
    }

    // MARK: the Docker API on this node

    public var isInSwarm: Bool { config != nil }

    public func createNetwork(_ request: NetworkCreateRequest) async throws -> NetworkRecord {
        try requireManagerRole(orElse: Self.workerCannotCreate)
        let spec = try SwarmNetworkSpec(request)
        let network = try await onLeader(local: { try await $0.allocator.create(spec) }, remote: { channel in
            var call = Shoal_Cluster_V1_CreateNetworkRequest()
            call.spec = spec
            return try await channel.networks.createNetwork(call, options: ControlChannel.options()).network
        })
        return NetworkRecord(network)
    }

    public func removeNetwork(_ reference: String) async throws {
        try requireManagerRole(orElse: SwarmErrors.notManager)
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
        guard let manager else { return [] }
        return try await manager.swarmNetworks()
    }

    /// The swarm-scoped network `reference` names, for this node's engine (nil when there is none, or outside
    /// a swarm): a manager reads the store, a worker asks a manager.
    public func swarmNetwork(_ reference: String) async throws -> NetworkRecord? {
        // A locked manager knows no swarm network until it is unlocked.
        guard config != nil, !locked else { return nil }
        if let manager {
            do {
                return NetworkRecord(try await manager.storedNetwork(reference))
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
            try await leader.attach(nodeID: config.nodeID, request)
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
                try await leader.detach(nodeID: config.nodeID, attachmentID: attachmentID)
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

    /// New names for an endpoint of this node's renamed container (best effort, like a detach: the other nodes
    /// keep the old names if the leader cannot be reached).
    public func renameEndpoint(_ attachmentID: String, containerName: String, dnsNames: [String]) async {
        guard let config else { return }
        var request = Shoal_Cluster_V1_RenameRequest()
        request.attachmentID = attachmentID
        request.containerName = containerName
        request.dnsNames = dnsNames
        let call = request
        do {
            _ = try await onLeader(local: { leader in
                try await leader.rename(nodeID: config.nodeID, call)
            }, remote: { channel in
                try await channel.networks.rename(call, options: ControlChannel.options()).attachment
            })
        } catch {
            logger.warning("swarm: endpoint \(attachmentID) keeps its old names on the other nodes: \(error)")
        }
    }

    // MARK: pieces

    private func requireManagerRole(orElse workerError: ShoalError) throws {
        guard let config else { throw SwarmErrors.notManager }
        if locked { throw SwarmErrors.locked }
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
                if let leader = await manager?.leaderServices { return try await local(leader) }
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
        if let manager {
            managers = await manager.otherManagers
        } else if let agent {
            managers = await agent.knownManagers
        }
        // A manager still starting (a promotion: its store member answers reads before it serves and has read who
        // the other managers are) knows none yet: unavailable, so `onLeader` tries again.
        guard !managers.isEmpty else { throw ShoalError(.unavailable, "no other manager is known yet") }
        return try await ControlChannel.firstAnswering(managers, rootCAPEM: tls.caCertificatePEM,
                                                       identity: tls.identity, keepMessages: true, body)
    }
}
