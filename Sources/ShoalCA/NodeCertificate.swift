#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// A node's identity as its certificate states it: node ID (CN), role (OU) and cluster ID (O), with the SANs
/// and validity window. Parsing only reads; `verify(against:at:)` decides whether to trust it.
public struct NodeCertificate: Sendable {
    let certificate: Certificate

    public let nodeID: String
    public let role: NodeRole
    public let clusterID: String
    public let notBefore: Date
    public let notAfter: Date
    /// DNS SANs, in certificate order (`swarm-<role>`, node ID, and `swarm-ca` on managers).
    public let dnsNames: [String]
    /// IP SANs as text (`10.0.0.2`, `fd00::2`).
    public let ipAddresses: [String]
    /// The leaf certificate's DER bytes.
    public let der: [UInt8]

    /// The leaf certificate as PEM.
    public var pem: String { PEMDocument(type: "CERTIFICATE", derBytes: der).pemString }

    /// Parses a node certificate from PEM; the first CERTIFICATE block is the leaf (a chain's intermediates
    /// follow it).
    public static func parse(_ pem: String) throws -> NodeCertificate {
        let der: [UInt8]
        let certificate: Certificate
        do {
            guard
                let leaf = try PEMDocument.parseMultiple(pemString: pem)
                    .first(where: { $0.discriminator == "CERTIFICATE" })
            else {
                throw CAError.invalidArgument("invalid node certificate: no CERTIFICATE block in PEM")
            }
            der = leaf.derBytes
            certificate = try Certificate(derEncoded: der)
        } catch let error as CAError {
            throw error
        } catch {
            throw CAError.invalidArgument("invalid node certificate", cause: error)
        }
        return try NodeCertificate(certificate: certificate, der: der)
    }

    /// Parses a node certificate from its DER bytes (what a TLS handshake hands over).
    public init(der: [UInt8]) throws {
        let certificate: Certificate
        do {
            certificate = try Certificate(derEncoded: der)
        } catch {
            throw CAError.invalidArgument("invalid node certificate", cause: error)
        }
        try self.init(certificate: certificate, der: der)
    }

    init(certificate: Certificate, der: [UInt8]) throws {
        let subject = certificate.subject
        guard let nodeID = Self.attribute(.RDNAttributeType.commonName, in: subject), !nodeID.isEmpty else {
            throw CAError.invalidArgument("invalid node certificate: no node ID (CN) in its subject")
        }
        guard let unit = Self.attribute(.RDNAttributeType.organizationalUnitName, in: subject) else {
            throw CAError.invalidArgument("invalid node certificate: no role (OU) in its subject")
        }
        guard let role = NodeRole(organizationalUnit: unit) else {
            throw CAError.invalidArgument("invalid node certificate: unknown role \"\(unit)\" in its subject")
        }
        guard let clusterID = Self.attribute(.RDNAttributeType.organizationName, in: subject), !clusterID.isEmpty
        else {
            throw CAError.invalidArgument("invalid node certificate: no cluster ID (O) in its subject")
        }
        var dnsNames: [String] = []
        var ipAddresses: [String] = []
        for name in (try? certificate.extensions.subjectAlternativeNames) ?? SubjectAlternativeNames() {
            switch name {
            case .dnsName(let dns): dnsNames.append(dns)
            case .ipAddress(let octets):
                if let text = IPAddressText.text(Array(octets.bytes)) { ipAddresses.append(text) }
            default: continue
            }
        }
        self.certificate = certificate
        self.nodeID = nodeID
        self.role = role
        self.clusterID = clusterID
        self.notBefore = certificate.notValidBefore
        self.notAfter = certificate.notValidAfter
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.der = der
    }

    /// The single value of attribute `type`; nil when absent, not a string, or given more than once (an
    /// ambiguous identity is no identity).
    private static func attribute(_ type: ASN1ObjectIdentifier, in name: DistinguishedName) -> String? {
        let values = name.flatMap { $0 }.filter { $0.type == type }
        guard values.count == 1 else { return nil }
        return String(values[0].value)
    }
}
