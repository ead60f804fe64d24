import Foundation
import Hummingbird
import Logging
import NIOSSL
import ShoalCore
import ShoalDockerAPI
import ShoalOS

/// One place the Docker API is served: a unix socket, or a TCP address with its TLS.
struct APIListener: Sendable {
    let host: String
    let address: BindAddress
    let tls: APITLS?
    /// A unix socket: Shoal's own calls (`/shoal/…`) are served there too, never on TCP.
    var local: Bool { tls == nil && !host.hasPrefix("tcp://") }
}

/// Turns the `-H` hosts into listeners, refusing what is unsafe before the daemon touches anything.
///
/// The API is root on the host. A unix socket is guarded by its file mode; a TCP port by nothing but TLS, so a
/// TCP host is served only with `--tlsverify` (a client must present a certificate from the daemon's CA, as
/// dockerd checks it), or when the operator says explicitly that the API may be open (`--open-tcp-api`: plain TCP,
/// or `--tls` without client verification); the daemon then warns at every start. Docker 20.10 only warned here
/// and later versions refuse too.
enum APIListeners {
    /// dockerd's ports: 2376 with TLS, 2375 without.
    static let tlsPort = 2376
    static let plainPort = 2375

    static func make(_ configuration: DaemonConfiguration, logger: Logger) throws -> [APIListener] {
        var tcpContext: NIOSSLContext?
        var listeners: [APIListener] = []
        for host in configuration.hosts {
            if host.hasPrefix("tcp://") {
                let tls = configuration.tls
                if tls?.verifyClients != true {
                    guard configuration.openTCPAPI else { throw openAPIRefused(host, tls: tls != nil) }
                    logger.warning(
                        "API served on \(host) \(tls == nil ? "without encryption" : "without verifying clients"): anyone who can reach it controls this host (--open-tcp-api)")
                }
                if let tls, tcpContext == nil { tcpContext = try context(tls) }
                let (address, port) = try tcpAddress(host, defaultPort: tls == nil ? plainPort : tlsPort)
                listeners.append(APIListener(host: host, address: .hostname(address, port: port), tls: tcpContext.map(APITLS.init)))
            } else if host.hasPrefix("unix://") || host.hasPrefix("/") {
                listeners.append(APIListener(host: host, address: try unixAddress(host), tls: nil))
            } else {
                throw ShoalError.invalidArgument("invalid host \(host): use unix:///path or tcp://address[:port]")
            }
        }
        return listeners
    }

    static func openAPIRefused(_ host: String, tls: Bool) -> ShoalError {
        ShoalError.invalidArgument(
            "refusing to serve the API on \(host) \(tls ? "without verifying clients" : "without encryption"): access to the API is equivalent to root access on this host. Use --tlsverify with --tlscacert, --tlscert and --tlskey, or pass --open-tcp-api to acknowledge that the API is open")
    }

    /// `tcp://ADDRESS[:PORT]`, ADDRESS an IPv4 address, a name or `[IPv6]`.
    static func tcpAddress(_ host: String, defaultPort: Int) throws -> (String, Int) {
        let rest = String(host.dropFirst("tcp://".count)).split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        var address = rest
        var port = defaultPort
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { throw invalidTCP(host) }
            address = String(rest[rest.index(after: rest.startIndex)..<close])
            let tail = rest[rest.index(after: close)...]
            if tail.hasPrefix(":") { port = try parsePort(String(tail.dropFirst()), host) }
        } else if let colon = rest.lastIndex(of: ":") {
            address = String(rest[..<colon])
            port = try parsePort(String(rest[rest.index(after: colon)...]), host)
        }
        if address.isEmpty { address = "0.0.0.0" }
        return (address, port)
    }

    private static func parsePort(_ text: String, _ host: String) throws -> Int {
        guard let port = Int(text), (1...65535).contains(port) else { throw invalidTCP(host) }
        return port
    }

    private static func invalidTCP(_ host: String) -> ShoalError {
        ShoalError.invalidArgument("invalid bind address format: \(host)")
    }

    /// `unix:///path` (or a bare path) → a unix socket, after checking no other daemon is listening on it.
    static func unixAddress(_ host: String) throws -> BindAddress {
        var path = host
        if path.hasPrefix("unix://") { path.removeFirst("unix://".count) }
        guard path.hasPrefix("/") else { throw ShoalError.invalidArgument("invalid host \(host): not an absolute path") }
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: path) {
            if UnixSocketProbe.isListening(path) {
                throw ShoalError.conflict("another daemon is already listening on \(path)")
            }
            try FileManager.default.removeItem(atPath: path)
        }
        return .unixDomainSocket(path: path)
    }

    /// The TCP hosts' TLS: this daemon's certificate and key; with client verification, only certificates
    /// issued by the CA file pass the handshake (BoringSSL also refuses expired ones). TLS 1.2 at least, as
    /// dockerd.
    static func context(_ tls: APITLSConfiguration) throws -> NIOSSLContext {
        do {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateFile).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.keyFile, format: .pem)))
            configuration.minimumTLSVersion = .tlsv12
            if tls.verifyClients {
                configuration.certificateVerification = .noHostnameVerification
                configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(tls.caFile))
            }
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw ShoalError.invalidArgument(
                "could not load the API's TLS files (\(tls.certificateFile), \(tls.keyFile)\(tls.verifyClients ? ", " + tls.caFile : "")): \(error)")
        }
    }
}
