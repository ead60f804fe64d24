import ShoalCore

/// Where an etcd member serves clients.
public struct EtcdEndpoint: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses a client URL as etcd prints it (`https://127.0.0.1:2379`, `http://10.0.0.2:2379`).
    public init(url: String) throws {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        let host: Substring
        let port: Substring
        if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {  // [v6]:port
            host = rest[rest.index(after: rest.startIndex)..<close]
            port = rest[close...].drop(while: { $0 != ":" }).dropFirst()
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            port = rest[rest.index(after: colon)...]
        } else {
            throw ShoalError.invalidArgument("etcd endpoint '\(url)' has no port")
        }
        guard !host.isEmpty, let number = Int(port), (1...65535).contains(number) else {
            throw ShoalError.invalidArgument("etcd endpoint '\(url)' is not host:port")
        }
        self.init(host: String(host), port: number)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Mutual TLS for a client: PEM files for the CA that signed the members' certificates, and this client's own
/// certificate and key (etcd started with `--client-cert-auth` refuses a client without one).
public struct EtcdClientTLS: Sendable, Hashable {
    public var trustedCAFile: String
    public var certificateFile: String?
    public var keyFile: String?

    public init(trustedCAFile: String, certificateFile: String? = nil, keyFile: String? = nil) {
        self.trustedCAFile = trustedCAFile
        self.certificateFile = certificateFile
        self.keyFile = keyFile
    }
}

public struct EtcdClientConfiguration: Sendable {
    /// Members to talk to, in order of preference. A call that finds one unreachable goes on to the next.
    public var endpoints: [EtcdEndpoint]
    /// nil for plaintext.
    public var tls: EtcdClientTLS?
    /// Deadline of each unary call (a put, a txn …), per endpoint tried.
    public var callTimeout: Duration
    /// Whether to install the PING cure (`EtcdPingResponder`). Only tests turn it off, to see whether it is
    /// still needed.
    var answersServerPings = true

    public init(endpoints: [EtcdEndpoint], tls: EtcdClientTLS? = nil, callTimeout: Duration = .seconds(5)) {
        self.endpoints = endpoints
        self.tls = tls
        self.callTimeout = callTimeout
    }

    /// Configuration from client URLs (`http://127.0.0.1:2379,…`).
    public init(urls: [String], tls: EtcdClientTLS? = nil, callTimeout: Duration = .seconds(5)) throws {
        self.init(endpoints: try urls.map(EtcdEndpoint.init(url:)), tls: tls, callTimeout: callTimeout)
    }
}
