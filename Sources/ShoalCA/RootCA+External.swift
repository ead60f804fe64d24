#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import SwiftASN1
import X509

/// The sign call of the CFSSL API (`POST <url>` with this JSON), as swarmkit's external CA speaks it: the node's
/// CSR, and the subject and SANs the managers decide, which CFSSL puts in the certificate in place of the CSR's.
public struct CFSSLSignRequest: Encodable, Sendable, Equatable {
    public struct Name: Encodable, Sendable, Equatable {
        public var O: String
        public var OU: String
    }

    public struct Subject: Encodable, Sendable, Equatable {
        public var CN: String
        public var names: [Name]
    }

    public var certificate_request: String
    public var hosts: [String]
    public var subject: Subject
}

/// What a CFSSL server answers (`{"success": …, "result": {"certificate": …}, "errors": [{"code", "message"}]}`).
public enum CFSSLResponse {
    private struct Body: Decodable {
        struct Result: Decodable { var certificate: String? }
        struct Failure: Decodable {
            var code: Int?
            var message: String?
        }
        var success: Bool?
        var result: Result?
        var errors: [Failure]?
    }

    /// The certificate (PEM) in a successful answer; otherwise the server's errors in the message.
    public static func certificate(from body: [UInt8]) throws -> String {
        let decoded: Body
        do {
            decoded = try JSONDecoder().decode(Body.self, from: Data(body))
        } catch {
            throw CAError.internalError("unable to parse JSON response", cause: error)
        }
        guard decoded.success == true, let certificate = decoded.result?.certificate, !certificate.isEmpty else {
            let errors = (decoded.errors ?? []).map { "\($0.code ?? 0): \($0.message ?? "")" }
            throw CAError(.unavailable, errors.isEmpty
                ? "certificate signing request failed" : "response errors: \(errors.joined(separator: ", "))")
        }
        return certificate
    }
}

extension RootCA {
    /// The request an external CA gets for a node's CSR: the same subject and SANs as `sign` gives (checked the same
    /// way: a valid node ID and cluster ID, a CSR whose self-signature holds, addresses that parse).
    public func externalSignRequest(csr csrPEM: String, nodeID: String, role: NodeRole, clusterID: String,
                                    ipAddresses: [String]) throws -> CFSSLSignRequest {
        let names = try Self.nodeNames(nodeID: nodeID, role: role, clusterID: clusterID, ipAddresses: ipAddresses)
        _ = try leafCSR(csrPEM)
        return CFSSLSignRequest(
            certificate_request: csrPEM, hosts: names.dns + names.addresses.compactMap(IPAddressText.text),
            subject: .init(CN: nodeID, names: [.init(O: clusterID, OU: role.organizationalUnit)]))
    }

    /// Checks what an external CA answered for `request` before a node gets it: a chain whose first certificate
    /// is for the CSR's key, with the subject asked for, valid at `now`, each certificate signed by the next and
    /// the last by this root. Returns the chain without this root (PEM, leaf first).
    public func acceptExternal(_ chainPEM: String, for request: CFSSLSignRequest, now: Date = Date()) throws -> [String] {
        let refused = { (why: String) in CAError(.permissionDenied, "the external CA's certificate is refused: \(why)") }
        let blocks = ((try? PEMDocument.parseMultiple(pemString: chainPEM)) ?? [])
            .filter { $0.discriminator == "CERTIFICATE" && $0.derBytes != certificateDER }
        guard !blocks.isEmpty else { throw refused("no certificate in the answer") }
        let chain: [Certificate]
        do {
            chain = try blocks.map { try Certificate(derEncoded: $0.derBytes) }
        } catch {
            throw refused("it does not parse (\(error))")
        }
        let leaf = chain[0]
        guard leaf.publicKey == (try Self.parseCSR(request.certificate_request)).publicKey else {
            throw refused("it is not for the node's key")
        }
        let subject = try Self.leafSubject(commonName: request.subject.CN,
                                           organizationalUnit: request.subject.names.first?.OU ?? "",
                                           clusterID: request.subject.names.first?.O ?? "")
        // Compared as RFC 4514 text: CFSSL may encode the same names with another string type.
        guard leaf.subject.description == subject.description else {
            throw refused("its subject is \(leaf.subject), not \(subject)")
        }
        guard leaf.notValidBefore <= now, now < leaf.notValidAfter else { throw refused("it is not valid now") }
        for (index, child) in chain.enumerated() {
            let parent = index + 1 < chain.count ? chain[index + 1] : certificate
            guard child.issuer == parent.subject, parent.publicKey.isValidSignature(child.signature, for: child) else {
                throw refused("it does not chain to the root CA \(certificate.subject)")
            }
        }
        return blocks.map { PEMDocument(type: "CERTIFICATE", derBytes: $0.derBytes).pemString + "\n" }
    }

    /// True when `pem`'s first certificate is this root's (however the PEM is wrapped or spaced).
    public func isCertificate(_ pem: String) -> Bool {
        let first = (try? PEMDocument.parseMultiple(pemString: pem))?.first { $0.discriminator == "CERTIFICATE" }
        return first?.derBytes == certificateDER
    }
}
