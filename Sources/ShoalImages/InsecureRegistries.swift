import ShoalCore
import ShoalIPAM
import ShoalOCI

/// The registries spoken to over plain HTTP (dockerd's `--insecure-registry`): loopback ones always, as Docker
/// treats them, and those given as a `host[:port]` or an IPv4 CIDR the registry's address falls in. Docker first
/// tries HTTPS against such a registry; Shoal goes straight to HTTP (a registry that serves TLS is simply not
/// listed).
public struct InsecureRegistries: Sendable, Equatable {
    public static let loopbackOnly = InsecureRegistries()

    /// `host` or `host:port` entries, as given.
    public private(set) var hosts: [String] = []
    public private(set) var subnets: [IPv4Subnet] = []

    public init() {}

    /// Refuses an entry that is neither a CIDR nor a host, with dockerd's words.
    public init(_ entries: [String]) throws {
        for entry in entries {
            var text = entry
            for scheme in ["http://", "https://"] where text.hasPrefix(scheme) {
                throw ShoalError.invalidArgument("insecure registry \(entry) should not contain '\(scheme)'")
            }
            if text.contains("/") {
                subnets.append(try IPv4Subnet(parsing: text, label: "insecure registry"))
                continue
            }
            text = text.lowercased()
            guard !text.isEmpty, !text.contains(" ") else {
                throw ShoalError.invalidArgument("invalid insecure registry \(entry)")
            }
            hosts.append(text)
        }
    }

    /// The CIDRs as `docker info` lists them (loopback's first, as Docker's).
    public var cidrs: [String] { ["127.0.0.0/8"] + subnets.map(\.description) }

    /// Whether `domain` (an image reference's registry part, `host[:port]`) is spoken to over HTTP.
    public func contains(domain: String) -> Bool {
        if RegistryClient.isLoopback(domain) { return true }
        let host = RegistryClient.host(of: domain)
        if hosts.contains(domain.lowercased()) || hosts.contains(host.lowercased()) { return true }
        guard let address = try? IPv4Address(parsing: host) else { return false }
        return subnets.contains { $0.contains(address) }
    }
}
