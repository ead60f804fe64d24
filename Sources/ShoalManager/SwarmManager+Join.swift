import Foundation
import ShoalClusterClient
import ShoalCA
import ShoalCore
import ShoalModel

extension SwarmManager {
    /// Docker's answer for a token that matches neither of the cluster's tokens.
    static var invalidToken: ShoalError {
        ShoalError.invalidArgument("A valid join token is necessary to join this cluster")
    }

    // MARK: manager side (NodeCA)

    func rootCACertificatePEM() async throws -> String { try await cluster().rootCACertificate }

    /// Signs a joining node's CSR when its token's secret matches the worker or manager token (constant time),
    /// with the role of the token that matched, and records the node Ready. Nothing is recorded for a bad token.
    func issueNodeCertificate(_ joining: JoiningNode) async throws -> IssuedNodeCertificate {
        let objects = try managerObjects()
        let info = try await objects.cluster()
        guard let presented = try? JoinToken.parse(joining.token) else { throw Self.invalidToken }
        let role: NodeRole
        if let worker = try? JoinToken.parse(info.joinTokens.worker), worker.accepts(presented) {
            role = .worker
        } else if let manager = try? JoinToken.parse(info.joinTokens.manager), manager.accepts(presented) {
            role = .manager
        } else {
            logger.warning("swarm: refused a join from \(joining.observedHost): invalid token \(presented)")
            throw Self.invalidToken
        }
        let root = try await objects.rootCA()
        let host = joining.advertiseAddress.isEmpty
            ? joining.observedHost : String(joining.advertiseAddress.split(separator: ":").first ?? "")
        let nodeID = RandomID.generate()
        let certificate = try root.sign(csr: joining.csrPEM, nodeID: nodeID, role: role, clusterID: info.id,
                                        ipAddresses: host.isEmpty ? [] : role == .manager ? [host, "127.0.0.1"] : [host],
                                        validity: .seconds(Int64(info.spec.nodeCertExpiry)))
        let now = Date()
        // A manager becomes one (store member, manager status) when it calls Membership.AddManager next.
        var spec = NodeSpec(role: .worker)
        spec.availability = joining.availability
        let node = SwarmNode(id: nodeID, version: 0, createdAt: now, updatedAt: now, spec: spec,
                             description: joining.description, status: NodeStatus(state: .ready, address: host),
                             managerStatus: nil, trustRoot: info.rootCACertificate)
        guard try await objects.createNode(node) else {
            throw ShoalError.internalError("node ID \(nodeID) already taken")
        }
        if role == .worker { await leaderServices?.health.watch(nodeID, period: heartbeatPeriod) }
        logger.info("swarm: node \(nodeID) (\(joining.description.hostname), \(host)) joined as \(role)")
        return IssuedNodeCertificate(nodeID: nodeID, certificatePEM: certificate, rootCAPEM: info.rootCACertificate,
                                     role: role, clusterID: info.id)
    }

    /// NodeCA.RenewNodeCertificate: a node of this cluster (known by its current certificate) gets a new one
    /// for its CSR, valid for the cluster's `--cert-expiry`, with the role the managers now want for it. A node
    /// removed from the swarm gets nothing.
    func renewNodeCertificate(from caller: NodeCertificate?, csrPEM: String) async throws -> IssuedNodeCertificate {
        guard let config else { throw SwarmErrors.notManager }
        try ControlAccess.anyNode.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        return try await signNodeCertificate(nodeID: nodeID, csrPEM: csrPEM)
    }

    /// Signs `csrPEM` for the node `nodeID` as the store describes it now (role, address).
    func signNodeCertificate(nodeID: String, csrPEM: String) async throws -> IssuedNodeCertificate {
        let objects = try managerObjects()
        guard let node = try await objects.node(nodeID) else { throw SwarmErrors.removedNode(nodeID) }
        let info = try await objects.cluster()
        let role: NodeRole = node.spec.role == .manager ? .manager : .worker
        let host = node.status.address
        let certificate = try await objects.rootCA().sign(
            csr: csrPEM, nodeID: nodeID, role: role, clusterID: info.id,
            ipAddresses: host.isEmpty ? [] : role == .manager ? [host, "127.0.0.1"] : [host],
            validity: .seconds(Int64(info.spec.nodeCertExpiry)))
        return IssuedNodeCertificate(nodeID: nodeID, certificatePEM: certificate, rootCAPEM: info.rootCACertificate,
                                     role: role, clusterID: info.id)
    }

    // MARK: joining side

    /// `docker swarm join`: get a certificate from one of the managers, keep it under `<data-root>/swarm` and
    /// start the session.
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
        try TLSFiles(caCertificatePEM: joined.rootCAPEM, certificatePEM: joined.certificatePEM, keyPEM: joined.keyPEM)
            .write(to: URL(fileURLWithPath: paths.tls))
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
        try startAgent(config)
        startRenewal()
    }
}
