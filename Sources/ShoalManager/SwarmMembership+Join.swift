import Foundation
import ShoalClusterClient
import ShoalCA
import ShoalCore
import ShoalEtcd
import ShoalModel

/// `docker swarm join`, on the joining node: a certificate from one of the managers, then the session; a node
/// that joined with the manager token also becomes a manager (its store member joins the raft).
extension SwarmMembership {
    /// Gets a certificate from one of the managers, keeps it under `<data-root>/swarm` and starts the session.
    public func join(_ request: SwarmJoinRequest) async throws {
        guard config == nil else { throw SwarmErrors.alreadyInSwarm }
        guard !request.remoteAddresses.isEmpty else {
            throw ShoalError.invalidArgument("at least 1 RemoteAddr is required to join")
        }
        let listen = try SwarmAddresses.parse(request.listenAddress.isEmpty ? "0.0.0.0:2377" : request.listenAddress)
        let advertise = request.advertiseAddress.isEmpty
            ? nil : try SwarmAddresses.parse(request.advertiseAddress, defaultPort: listen.port)
        let managers = try request.remoteAddresses.map { address in
            let parsed = try SwarmAddresses.parse(address)
            return "\(parsed.host):\(parsed.port)"
        }
        let joined = try await NodeJoin.join(
            token: request.joinToken, managers: managers, description: description,
            advertiseAddress: advertise.map { "\($0.host):\($0.port)" } ?? "", availability: request.availability,
            logger: logger)
        try? FileManager.default.removeItem(atPath: paths.directory)
        try FileManager.default.createDirectory(atPath: paths.directory, withIntermediateDirectories: true)
        // A joining manager seals its material once its manager sees the swarm's unlock key (as swarmkit's).
        keyFiles.reset(unlockKey: nil)
        try keyFiles.writeTLS(TLSFiles(caCertificatePEM: joined.rootCAPEM, certificatePEM: joined.certificatePEM,
                                       keyPEM: joined.keyPEM))
        let node = try NodeCertificate.parse(joined.certificatePEM)
        let host = advertise?.host ?? node.ipAddresses.first ?? ""
        let port = advertise?.port ?? listen.port
        var config = SwarmLocalConfig(
            nodeID: joined.nodeID, clusterID: joined.clusterID, role: joined.role.rawValue,
            advertiseAddress: "\(host):\(port)", listenAddress: "\(listen.host):\(listen.port)",
            etcdClientPort: joined.role == .manager ? port + 1 : 0, etcdPeerPort: joined.role == .manager ? port + 2 : 0)
        if joined.role == .manager {
            do {
                try await becomeManager(joined, config: config, managers: managers)
            } catch {
                await abandonMembership()
                throw error
            }
            startRenewal()
            return
        }
        config.managers = managers
        try config.save(paths)
        self.config = config
        try await startAgent(config)
        startRenewal()
    }

    /// A node whose certificate says manager: its etcd member joins the store (asked of the managers through
    /// Membership.AddManager), it gets the cluster's data key from them (which they give to recorded managers
    /// only, so after AddManager), then it serves the control API like the first manager.
    func becomeManager(_ joined: JoinedNode, config: SwarmLocalConfig, managers: [String]) async throws {
        let identity = ControlChannel.Identity(certificatePEM: joined.certificatePEM, keyPEM: joined.keyPEM)
        let members = try await ManagerMembership.addManager(
            managers: managers, rootCAPEM: joined.rootCAPEM, identity: identity,
            etcdPeerURL: "https://\(config.advertiseHost):\(config.etcdPeerPort)",
            controlAddress: config.advertiseAddress)
        try keyFiles.writeDataKey(
            try await ManagerMembership.dataKey(managers: managers, rootCAPEM: joined.rootCAPEM, identity: identity))
        let manager = try await startManager(
            config, state: .existing,
            initialCluster: members.map { EtcdInitialMember(name: $0.name, peerURL: $0.peerURL) })
        try await manager.waitUntilVoter()
        try config.save(paths)
        self.config = config
        try await serve(manager, config)
    }
}
