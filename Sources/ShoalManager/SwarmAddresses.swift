import Foundation
import ShoalCore
import ShoalNetlink

/// `--listen-addr` and `--advertise-addr` as Docker reads them: `ip`, `ip:port`, `interface` or
/// `interface:port`; the advertise address defaults to the listen address, else to the address of the interface
/// holding the default route.
public enum SwarmAddresses {
    public static let defaultPort = 2377

    /// (host, port) of `text`, with an interface name turned into its first IPv4 address.
    public static func parse(_ text: String, defaultPort: Int = defaultPort) throws -> (host: String, port: Int) {
        var host = text
        var port = defaultPort
        if let colon = text.lastIndex(of: ":"), !text.contains("]"), text.filter({ $0 == ":" }).count == 1 {
            host = String(text[..<colon])
            guard let parsed = Int(text[text.index(after: colon)...]), (1...65535).contains(parsed) else {
                throw ShoalError.invalidArgument("invalid port in address \(text)")
            }
            port = parsed
        }
        if isIPv4(host) { return (host, port) }
        guard let address = interfaceAddress(host) else {
            throw ShoalError.invalidArgument("advertise address must be a non-zero IP address or network interface (with optional port number)")
        }
        return (address, port)
    }

    /// The advertise address for `swarm init`/`join`.
    public static func advertise(_ advertise: String, listen: String) throws -> (host: String, port: Int) {
        let listened = try parse(listen.isEmpty ? "0.0.0.0:\(defaultPort)" : listen)
        if !advertise.isEmpty {
            return try parse(advertise, defaultPort: listened.port)
        }
        if listened.host != "0.0.0.0" { return listened }
        guard let host = defaultRouteAddress() else {
            throw ShoalError.invalidArgument(
                "could not choose an IP address to advertise since this system has no default route; use --advertise-addr")
        }
        return (host, listened.port)
    }

    static func isIPv4(_ text: String) -> Bool {
        var address = in_addr()
        return inet_pton(AF_INET, text, &address) == 1
    }

    static func interfaceAddress(_ name: String) -> String? {
        guard let session = try? NetlinkSession() else { return nil }
        defer { session.close() }
        guard let index = try? session.linkIndex(name: name),
              let address = (try? session.addresses(index: index))?.first(where: { $0.address.count == 4 }) else {
            return nil
        }
        return address.address.map(String.init).joined(separator: ".")
    }

    static func defaultRouteAddress() -> String? {
        guard let session = try? NetlinkSession() else { return nil }
        defer { session.close() }
        guard let route = (try? session.routes(family: .inet))?.first(where: { $0.destination == nil }),
              let index = route.outputIndex,
              let address = (try? session.addresses(index: index))?.first(where: { $0.address.count == 4 }) else {
            return nil
        }
        return address.address.map(String.init).joined(separator: ".")
    }
}
