import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// A credentials bundle's contents as a manager issues them (`shoal credentials`): the user's certificate for the
/// CSR it was given, the CA that signed it (what the client trusts the endpoint with), and the managers' hosts.
public struct UserCredentials: Sendable, Equatable {
    public var certificatePEM: String
    public var caCertificatePEM: String
    /// The managers' addresses (no port), this manager first.
    public var managerHosts: [String]

    public init(certificatePEM: String, caCertificatePEM: String, managerHosts: [String]) {
        self.certificatePEM = certificatePEM
        self.caCertificatePEM = caCertificatePEM
        self.managerHosts = managerHosts
    }
}

/// What a swarm listener of this node (the cluster endpoint, the node engine channel) serves with: where it
/// listens, its certificate (this node's own, which names the advertise address), and the cluster whose clients it
/// admits.
public struct SwarmListenerIdentity: Sendable, Equatable {
    public var host: String
    public var clusterID: String
    public var caCertificateFile: String
    public var certificateFile: String
    public var keyFile: String
}

extension SwarmMembership {
    /// Signs a user certificate for `csrPEM` with the cluster's CA (managers only: the CA key is in the store).
    public func issueUserCredentials(csrPEM: String, name: String) async throws -> UserCredentials {
        let manager = try requireManager()
        let info = try await manager.objects.cluster()
        let certificate = try await manager.objects.rootCA().signUser(csr: csrPEM, name: name, clusterID: info.id)
        let own = config?.advertiseHost ?? ""
        let others = try await manager.objects.nodes().compactMap { node in
            node.managerStatus.map { String($0.address.split(separator: ":").first ?? "") }
        }
        let hosts = ([own] + others.sorted()).filter { !$0.isEmpty }
        return UserCredentials(certificatePEM: certificate, caCertificatePEM: info.rootCACertificate,
                               managerHosts: hosts.reduce(into: []) { if !$0.contains($1) { $0.append($1) } })
    }

    /// Revokes the user certificate `certificatePEM` (a bundle's `cert.pem`) for good: every manager's endpoint
    /// refuses it from then on. Returns its user name. A certificate this cluster's CA did not sign is refused.
    public func revokeUserCredentials(certificatePEM: String) async throws -> String {
        let manager = try requireManager()
        let user: UserCertificate
        do {
            user = try UserCertificate(pem: certificatePEM)
        } catch {
            throw ShoalError.invalidArgument("not a credentials bundle's certificate: \((error as? ShoalError)?.message ?? "\(error)")")
        }
        let info = try await manager.objects.cluster()
        guard user.clusterID == info.id, user.isIssued(by: try await manager.objects.rootCA()) else {
            throw ShoalError.invalidArgument("the certificate of \(user.name) was not issued by this cluster's CA")
        }
        try await manager.objects.revokeUserCertificate(serial: user.serial)
        logger.info("swarm: the credentials of \(user.name) (serial \(user.serial)) are revoked")
        return user.name
    }

    /// The serials of revoked user certificates, on a manager (empty elsewhere or when the store does not answer:
    /// the endpoint is closed on a non-manager anyway).
    public func revokedUserSerials() async -> Set<String>? {
        guard let manager else { return nil }
        return try? await manager.objects.revokedUserSerials()
    }

    /// The cluster endpoint's identity while this node is a manager with an advertise address; nil otherwise
    /// (a worker, a node outside any swarm), when the endpoint must not listen.
    public func clusterEndpointIdentity() -> SwarmListenerIdentity? {
        guard let config, isManager, manager != nil, !config.advertiseHost.isEmpty else { return nil }
        return SwarmListenerIdentity(host: config.advertiseHost, clusterID: config.clusterID,
                                       caCertificateFile: paths.caCertificate, certificateFile: paths.nodeCertificate,
                                       keyFile: paths.nodeKey)
    }
}

extension SwarmMembership {
    /// The node engine channel's identity while this node is in a swarm with an advertise address (any role):
    /// the managers reach this host's engine there for the cluster endpoint's calls about its containers. Not
    /// while locked: the node's key is sealed then.
    public func nodeEngineIdentity() -> SwarmListenerIdentity? {
        guard let config, !locked, !config.advertiseHost.isEmpty else { return nil }
        return SwarmListenerIdentity(host: config.advertiseHost, clusterID: config.clusterID,
                                     caCertificateFile: paths.caCertificate, certificateFile: paths.nodeCertificate,
                                     keyFile: paths.nodeKey)
    }
}
