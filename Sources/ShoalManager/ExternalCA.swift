import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL
import ShoalCA
import ShoalCore
import ShoalModel

/// Signs node certificates through an external CA, as the managers of a swarm with `--external-ca` do. A CSR goes
/// to a CFSSL server; the answer is checked against the root before a node gets it.
protocol ExternalSigning: Sendable {
    /// The chain (PEM) the external CA answers for `request`.
    func sign(_ request: CFSSLSignRequest) async throws -> String
}

/// The CFSSL API over HTTPS, as swarmkit calls it: the manager presents its node certificate (a CFSSL server may
/// require client certificates, `-mutual-tls-ca`) and trusts only the swarm's roots for the server's certificate.
/// URLs are tried in order; the first answer wins.
struct CFSSLClient: ExternalSigning {
    let urls: [String]
    /// PEM certificates the server's certificate must chain to.
    let trustedRootsPEM: String
    /// The manager's own certificate and key, presented to the server.
    let identity: TLSFiles?

    /// Each call's limit (swarmkit's `ExternalRequestTimeout`).
    static let requestTimeout: TimeAmount = .seconds(5)
    /// A larger answer is refused (swarmkit's `CertificateMaxSize`).
    static let maximumAnswer = 256 << 10

    func sign(_ request: CFSSLSignRequest) async throws -> String {
        guard !urls.isEmpty else { throw ShoalError(.unavailable, "no external CA URLs") }
        let body = try JSONEncoder().encode(request)
        var failure: any Error = ShoalError(.unavailable, "no external CA URLs")
        for url in urls {
            do {
                return try await withClient { client in
                    var call = HTTPClientRequest(url: url)
                    call.method = .POST
                    call.headers.add(name: "Content-Type", value: "application/json")
                    call.body = .bytes(ByteBuffer(bytes: body))
                    let response = try await client.execute(call, timeout: Self.requestTimeout)
                    let answer = Array(buffer: try await response.body.collect(upTo: Self.maximumAnswer))
                    guard response.status == .ok else {
                        throw ShoalError(.unavailable, "unexpected status code in CSR response: \(response.status.code) - "
                                         + String(decoding: answer, as: UTF8.self))
                    }
                    return try CFSSLResponse.certificate(from: answer)
                }
            } catch {
                failure = error
            }
        }
        throw ShoalError(.unavailable, "the external CA did not sign: \(failure)")
    }

    /// True when a TLS session with `url` opens with these credentials and the server's certificate chains to
    /// `trustedRootsPEM` (what swarmkit checks before it relies on an external CA); any HTTP answer will do.
    func reachable(_ url: String) async -> Bool {
        guard URL(string: url)?.scheme == "https" else { return false }
        do {
            return try await withClient { client in
                let response = try await client.execute(HTTPClientRequest(url: url), timeout: Self.requestTimeout)
                _ = try? await response.body.collect(upTo: Self.maximumAnswer)
                return true
            }
        } catch {
            return false
        }
    }

    private func withClient<T: Sendable>(_ body: (HTTPClient) async throws -> T) async throws -> T {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.minimumTLSVersion = .tlsv12
        tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(trustedRootsPEM.utf8)))
        if let identity {
            tls.certificateChain = try NIOSSLCertificate.fromPEMBytes(Array(identity.certificatePEM.utf8))
                .map { .certificate($0) }
            tls.privateKey = .privateKey(try NIOSSLPrivateKey(bytes: Array(identity.keyPEM.utf8), format: .pem))
        }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls)
        configuration.timeout.connect = Self.requestTimeout
        let client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        do {
            let result = try await body(client)
            try? await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// Which of the spec's external CAs serve a root (swarmkit's `filterExternalCAURLS`): CFSSL ones whose CA
/// certificate is that root's; one given without a certificate serves the cluster's current root.
enum ExternalCAs {
    static func urls(for root: RootCA, in spec: SwarmSpec, currentRootPEM: String) -> [String] {
        spec.externalCAs.filter { external in
            external.protocol == "cfssl"
                && root.isCertificate(external.caCertificate.isEmpty ? currentRootPEM : external.caCertificate)
        }.map(\.url)
    }
}
