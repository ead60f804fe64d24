import Foundation
import ShoalAllocator
import ShoalCA
import ShoalClusterClient
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalEtcd
import ShoalModel

/// What the control API's handlers call: each checks who calls (by the certificate the caller presented), then
/// answers from the store or hands the call to the term's leader services.
extension ManagerNode {
    /// A control API caller of this cluster allowed by `access`; returns its node ID.
    @discardableResult
    func checkCaller(_ caller: NodeCertificate?, access: ControlAccess) throws -> String {
        guard controlServer != nil else { throw SwarmErrors.notManager }
        try access.check(caller, clusterID: config.clusterID)
        guard let nodeID = caller?.nodeID else { throw ShoalError.permissionDenied("no node identity") }
        return nodeID
    }

    // MARK: Dispatcher

    /// A heartbeat on a node's session: only nodes of this cluster, and only on the leader (others refuse, and
    /// the agent tries the next manager).
    func heartbeat(from caller: NodeCertificate?) async throws -> SessionParameters {
        let nodeID = try checkCaller(caller, access: .anyNode)
        let role = try await requireLeader().heartbeat(from: nodeID, period: heartbeatPeriod)
        let managers = managerAddresses.isEmpty
            ? [(nodeID: config.nodeID, address: config.advertiseAddress)] : managerAddresses
        return SessionParameters(heartbeatPeriod: heartbeatPeriod, managers: managers, role: role,
                                 trustRootsDigest: trustRootsDigest,
                                 reportGather: SessionBatching.window(sessions: DispatcherCounters.sessions))
    }

    /// What a follower tells a node before refusing its session: the managers, to find the leader among.
    func followerParameters() -> SessionParameters {
        SessionParameters(heartbeatPeriod: heartbeatPeriod, managers: managerAddresses, role: nil)
    }

    // MARK: NodeCA

    /// Docker's answer for a token that matches neither of the cluster's tokens.
    static var invalidToken: ShoalError {
        ShoalError.invalidArgument("A valid join token is necessary to join this cluster")
    }

    func rootCACertificatePEM() async throws -> String { try await objects.cluster().rootCACertificate }

    /// Signs a joining node's CSR when its token's secret matches the worker or manager token (constant time),
    /// with the role of the token that matched, and records the node Ready. Nothing is recorded for a bad token.
    func issueNodeCertificate(_ joining: JoiningNode) async throws -> IssuedNodeCertificate {
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
        let host = joining.advertiseAddress.isEmpty
            ? joining.observedHost : String(joining.advertiseAddress.split(separator: ":").first ?? "")
        let nodeID = RandomID.generate()
        let signer = try await nodeSigner(for: info)
        let certificate = try await signer.sign(csr: joining.csrPEM, nodeID: nodeID, role: role, clusterID: info.id,
                                          host: host, validity: info.spec.nodeCertExpiry)
        let now = Date()
        // A manager becomes one (store member, manager status) when it calls Membership.AddManager next.
        var spec = NodeSpec(role: .worker)
        spec.availability = joining.availability
        let node = SwarmNode(id: nodeID, version: 0, createdAt: now, updatedAt: now, spec: spec,
                             description: joining.description, status: NodeStatus(state: .ready, address: host),
                             managerStatus: nil, trustRoot: info.rootCACertificate, issuer: signer.issuer)
        guard try await objects.createNode(node) else {
            throw ShoalError.internalError("node ID \(nodeID) already taken")
        }
        if role == .worker { await leaderServices?.health.watch(nodeID, period: heartbeatPeriod) }
        logger.info("swarm: node \(nodeID) (\(joining.description.hostname), \(host)) joined as \(role)")
        return IssuedNodeCertificate(nodeID: nodeID, certificatePEM: certificate, rootCAPEM: signer.trustRootsPEM,
                                     role: role, clusterID: info.id)
    }

    /// NodeCA.RenewNodeCertificate: a node of this cluster (known by its current certificate) gets a new one
    /// for its CSR, valid for the cluster's `--cert-expiry`, with the role the managers now want for it. A node
    /// removed from the swarm gets nothing.
    func renewNodeCertificate(from caller: NodeCertificate?, csrPEM: String) async throws -> IssuedNodeCertificate {
        let nodeID = try checkCaller(caller, access: .anyNode)
        return try await signNodeCertificate(nodeID: nodeID, csrPEM: csrPEM)
    }

    /// Signs `csrPEM` for the node `nodeID` as the store describes it now (role, address).
    func signNodeCertificate(nodeID: String, csrPEM: String) async throws -> IssuedNodeCertificate {
        guard let node = try await objects.node(nodeID) else { throw SwarmErrors.removedNode(nodeID) }
        let info = try await objects.cluster()
        let role: NodeRole = node.spec.role == .manager ? .manager : .worker
        let host = node.status.address
        let signer = try await nodeSigner(for: info)
        let certificate = try await signer.sign(csr: csrPEM, nodeID: nodeID, role: role, clusterID: info.id, host: host,
                                          validity: info.spec.nodeCertExpiry)
        // What the node will trust and who issued its certificate, for `docker node inspect` and for the end of a
        // root rotation (the node stores the files before it next calls).
        let issuer = signer.issuer
        let trustRoot = signer.clusterTrustRoot
        try await objects.updateNode(nodeID) { node in
            guard node.issuer != issuer || node.trustRoot != trustRoot else { return false }
            node.issuer = issuer
            node.trustRoot = trustRoot
            return true
        }
        return IssuedNodeCertificate(nodeID: nodeID, certificatePEM: certificate, rootCAPEM: signer.trustRootsPEM,
                                     role: role, clusterID: info.id)
    }

    /// The signer as the store describes it now (with the cluster object `info` just read), presenting this
    /// manager's certificate to external CAs.
    func nodeSigner(for info: SwarmInfo) async throws -> NodeSigner {
        try await objects.signer(for: info, identity: try? TLSFiles.read(from: URL(fileURLWithPath: paths.tls)))
    }

    /// A new key and a certificate for it for this manager's own node, signed here with the CA in the store, for
    /// the node as the store describes it now (its role, its address).
    func signOwnCertificate() async throws -> (certificatePEM: String, keyPEM: String, rootCAPEM: String) {
        let key = NodeKey.generate()
        let issued = try await signNodeCertificate(nodeID: config.nodeID,
                                                   csrPEM: try key.makeCSR(commonName: config.nodeID))
        return (issued.certificatePEM, key.pem, issued.rootCAPEM)
    }

    // MARK: Membership

    /// Membership.AddManager: a node that joined with the manager token asks for its etcd member. The node is
    /// recorded as a manager first: once the member is added, the store has no quorum until it runs. A retry
    /// for the same peer URL finds the member already added.
    func addManager(from caller: NodeCertificate?, etcdPeerURL: String, controlAddress: String) async throws
        -> [StoreMember]
    {
        let nodeID = try checkCaller(caller, access: .managers)
        guard etcdPeerURL.hasPrefix("https://") else {
            throw ShoalError.invalidArgument("invalid etcd peer URL \(etcdPeerURL)")
        }
        let recorded = try await objects.updateNode(nodeID) { node in
            node.spec.role = .manager
            node.managerStatus = ManagerStatus(leader: false, reachability: .reachable, address: controlAddress)
            return true
        }
        guard recorded != nil else { throw ShoalError.notFound("node \(nodeID) not found") }

        var members = try await client.memberList()
        var added = members.first { $0.peerURLs.contains(etcdPeerURL) }
        if added == nil {
            // A learner first: it does not count for the quorum until it has caught up and is promoted, so a
            // manager that never starts (or starts slowly) cannot stall the store.
            let result = try await client.memberAdd(peerURLs: [etcdPeerURL], isLearner: true)
            added = result.added
            members = result.members
        }
        if let added, added.isLearner { promoteWhenCaughtUp(added, nodeID: nodeID) }
        logger.info("swarm: manager \(nodeID) added to the store at \(etcdPeerURL) as a learner")
        return members.map { member in
            StoreMember(name: member.id == added?.id ? nodeID : member.name, peerURL: member.peerURLs.first ?? "",
                        clientURL: member.clientURLs.first ?? "")
        }
    }

    /// How long a new member has to catch up before it is given up (removed): its manager never came.
    static let learnerDeadline: Duration = .seconds(120)

    /// Promotes a learner once etcd says it is in sync with the leader (retried every 250 ms); removes it if it
    /// never catches up.
    func promoteWhenCaughtUp(_ member: EtcdMember, nodeID: String) {
        let logger = self.logger
        let client = self.client
        Task {
            let deadline = ContinuousClock.now + Self.learnerDeadline
            while ContinuousClock.now < deadline {
                do {
                    try await client.memberPromote(id: member.id)
                    logger.info("swarm: manager \(nodeID)'s store member is now a voter")
                    return
                } catch {
                    // Promoted already (by an earlier try whose answer was lost)?
                    if let members = try? await client.memberList(),
                       members.contains(where: { $0.id == member.id && !$0.isLearner }) { return }
                    try? await Task.sleep(for: .milliseconds(250))
                }
            }
            logger.error("swarm: manager \(nodeID)'s store member never caught up; removing it")
            _ = try? await client.memberRemove(id: member.id)
        }
    }

    // MARK: Networks

    /// One network from the store (any manager), by name, ID or unique ID prefix.
    func storedNetwork(_ reference: String) async throws -> SwarmNetwork {
        try NetworkLookup.resolve(reference, in: try await StoreTable<SwarmNetwork>(store).list().map(\.object))
    }
}
