#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Crypto
import SwiftASN1
import X509

extension RootCA {
    /// Signs a node's CSR into its node certificate, the manager side of `docker swarm join` and of renewal
    /// (SwarmKit's `ParseValidateAndSignCSR`).
    ///
    /// Only the CSR's public key is used, after its self-signature proves the requester holds the private key.
    /// The CA decides everything else: Subject `O=<clusterID>, OU=swarm-<role>, CN=<nodeID>`; DNS SANs
    /// `swarm-<role>` and the node ID (plus `swarm-ca` for managers, which answer certificate requests); the
    /// caller's `ipAddresses` as IP SANs so etcd peers and clients can verify addresses; keyUsage
    /// digitalSignature+keyEncipherment; extendedKeyUsage serverAuth+clientAuth. The certificate is valid from
    /// `now` minus `CADefaults.certificateBackdate` until `now + validity`.
    ///
    /// - Returns: the PEM chain to hand to the node: its certificate (the root signs directly, so there are no
    ///   intermediates to append).
    public func sign(
        csr csrPEM: String,
        nodeID: String,
        role: NodeRole,
        clusterID: String,
        ipAddresses: [String] = [],
        validity: Duration = CADefaults.defaultNodeCertificateValidity,
        now: Date = Date()
    ) throws -> String {
        guard canSign else {
            throw CAError(.invalidState, "this node cannot sign certificates: the root CA key is not available")
        }
        // Docker's control API message for a too short --cert-expiry.
        guard validity >= CADefaults.minimumNodeCertificateValidity else {
            throw CAError.invalidArgument("minimum certificate expiry time is: 1h0m0s")
        }
        let san = try Self.nodeNames(nodeID: nodeID, role: role, clusterID: clusterID, ipAddresses: ipAddresses)
        let csr = try leafCSR(csrPEM)
        let names = san.dns.map { GeneralName.dnsName($0) }
            + san.addresses.map { GeneralName.ipAddress(ASN1OctetString(contentBytes: $0[...])) }

        do {
            let subject = try Self.leafSubject(commonName: nodeID, organizationalUnit: role.organizationalUnit,
                                               clusterID: clusterID)
            return try issueLeaf(for: csr.publicKey, subject: subject, usage: [.serverAuth, .clientAuth],
                                 names: names, validity: validity, now: now)
        } catch {
            throw CAError.internalError("failed to sign node certificate", cause: error)
        }
    }

    /// A leaf certificate this CA signs for `publicKey` (PEM): not a CA, digitalSignature+keyEncipherment, the
    /// extended key `usage`, key identifiers, `names` as SANs when any; valid from `now` minus
    /// `CADefaults.certificateBackdate` until `now + validity`.
    func issueLeaf(for publicKey: Certificate.PublicKey, subject: DistinguishedName,
                   usage: [ExtendedKeyUsage.Usage], names: [GeneralName], validity: Duration, now: Date) throws -> String {
        guard let privateKey else {
            throw CAError(.invalidState, "this node cannot sign certificates: the root CA key is not available")
        }
        let start = now.wholeSeconds
        let extendedUsage = try ExtendedKeyUsage(usage)
        let extensions = try Certificate.Extensions {
            Critical(BasicConstraints.notCertificateAuthority)
            Critical(KeyUsage(digitalSignature: true, keyEncipherment: true))
            extendedUsage
            SubjectKeyIdentifier(hash: publicKey)
            AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: certificate.publicKey).keyIdentifier)
            if !names.isEmpty { SubjectAlternativeNames(names) }
        }
        let issued = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: publicKey,
            notValidBefore: start.addingTimeInterval(-CADefaults.certificateBackdate.timeInterval),
            notValidAfter: start.addingTimeInterval(validity.timeInterval),
            issuer: certificate.subject,
            subject: subject,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: extensions,
            issuerPrivateKey: Certificate.PrivateKey(privateKey))
        return try issued.serializeAsPEM().pemString
    }

    /// A node's or user's certificate subject: `O=<clusterID>, OU=<organizationalUnit>, CN=<commonName>`.
    static func leafSubject(commonName: String, organizationalUnit: String, clusterID: String) throws
        -> DistinguishedName
    {
        try DistinguishedName {
            OrganizationName(clusterID)
            OrganizationalUnitName(organizationalUnit)
            CommonName(commonName)
        }
    }

    /// A node certificate's SANs, after checking what goes into its subject: DNS `swarm-<role>` and the node ID
    /// (plus `swarm-ca` for managers, which answer certificate requests), and the raw bytes of `ipAddresses`.
    static func nodeNames(nodeID: String, role: NodeRole, clusterID: String, ipAddresses: [String]) throws
        -> (dns: [String], addresses: [[UInt8]])
    {
        guard Self.isValidNodeID(nodeID) else {
            throw CAError.invalidArgument(
                "invalid node ID \"\(nodeID)\": use 1 to 63 lowercase letters, digits and '-'")
        }
        guard !clusterID.isEmpty else { throw CAError.invalidArgument("invalid cluster ID: it is empty") }
        let addresses = try ipAddresses.map { text in
            guard let bytes = IPAddressText.bytes(text) else {
                throw CAError.invalidArgument("invalid IP address \"\(text)\" for the node certificate")
            }
            return bytes
        }
        let dns = [role.organizationalUnit, nodeID] + (role == .manager ? [CADefaults.rootCommonName] : [])
        return (dns, addresses)
    }

    /// A node's or user's CSR, parsed and checked (`parseCSR`), that does not ask for the CA's own key.
    func leafCSR(_ pem: String) throws -> CertificateSigningRequest {
        let csr = try Self.parseCSR(pem)
        guard csr.publicKey != certificate.publicKey else {
            throw CAError(.permissionDenied, "invalid CSR: it requests a certificate for the CA's own key")
        }
        return csr
    }

    /// Parses a PEM CSR and checks its self-signature (proof that the requester holds the key).
    static func parseCSR(_ pem: String) throws -> CertificateSigningRequest {
        let csr: CertificateSigningRequest
        do {
            csr = try CertificateSigningRequest(pemEncoded: pem)
        } catch {
            throw CAError.invalidArgument("invalid CSR", cause: error)
        }
        guard csr.publicKey.isValidSignature(csr.signature, for: csr) else {
            throw CAError(.permissionDenied, "invalid CSR: signature verification failed")
        }
        return csr
    }

    /// Node IDs end up in a DNS SAN, so they must be a DNS label; swarm's own IDs (`RandomID`) always are.
    static func isValidNodeID(_ id: String) -> Bool {
        let utf8 = id.utf8
        guard (1...63).contains(utf8.count), utf8.first != UInt8(ascii: "-"), utf8.last != UInt8(ascii: "-") else {
            return false
        }
        return utf8.allSatisfy { Base36.alphabet.contains($0) || $0 == UInt8(ascii: "-") }
    }
}
