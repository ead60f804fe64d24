import Foundation
#if canImport(Glibc)
import Glibc
#endif
import ShoalCore
import ShoalModel

// The bodies of `POST /swarm/init`, `/swarm/join` and `/swarm/unlock`, checked as the daemon's cluster package
// checks them before swarmkit sees them.

struct SwarmInitBody: Decodable, Sendable {
    var ListenAddr: String?
    var AdvertiseAddr: String?
    var DataPathAddr: String?
    var DataPathPort: UInt32?
    var ForceNewCluster: Bool?
    var Spec: SwarmSpecWire?
    var AutoLockManagers: Bool?
    var Availability: String?
    var DefaultAddrPool: [String]?
    var SubnetSize: UInt32?

    /// Checks as the daemon's cluster.Init does (validateAndSanitizeInitRequest, getDataPathPort,
    /// validateDefaultAddrPool), with its messages.
    func request() throws -> SwarmInitRequest {
        let listen = try SwarmAddress.validated(ListenAddr ?? "", field: "ListenAddr")
        let spec = try (Spec ?? SwarmSpecWire()).spec()
        guard spec.name == "default" else { throw DockerAPIError.badRequest(#"swarm spec must be named "default""#) }
        var request = SwarmInitRequest(
            listenAddress: listen, advertiseAddress: AdvertiseAddr ?? "", dataPathAddress: DataPathAddr ?? "",
            forceNewCluster: ForceNewCluster ?? false, availability: try SwarmAddress.availability(Availability),
            spec: spec)
        // Docker's CLI sends `--autolock` both here and in the spec; either turns it on.
        if AutoLockManagers == true { request.spec.autoLockManagers = true }
        if let port = DataPathPort, port != 0 {
            guard (1024...49151).contains(port) else {
                throw DockerAPIError.badRequest("Datapath port number is not in valid range (1024-49151) : \(port)")
            }
            request.dataPathPort = port
        }
        if let pools = DefaultAddrPool, !pools.isEmpty {
            let size = SubnetSize.flatMap { $0 == 0 ? nil : $0 } ?? SwarmInitRequest.defaultSubnetSize
            guard size <= 29 else { throw DockerAPIError.badRequest("subnet size is out of range: \(size)") }
            request.defaultAddressPools = try pools.map { pool in
                let pool = pool.trimmingCharacters(in: .whitespaces)
                guard let prefix = SwarmAddress.cidrPrefixLength(pool) else {
                    throw DockerAPIError.badRequest("invalid base pool \(pool): invalid CIDR address: \(pool)")
                }
                guard size >= prefix else {
                    throw DockerAPIError.badRequest(
                        "invalid CIDR: \"\(pool)\". Subnet size is too small for pool: \(size)")
                }
                return pool
            }
            request.subnetSize = size
        }
        return request
    }
}

struct SwarmJoinBody: Decodable, Sendable {
    var ListenAddr: String?
    var AdvertiseAddr: String?
    var DataPathAddr: String?
    var RemoteAddrs: [String]?
    var JoinToken: String?
    var Availability: String?

    /// Checks as the daemon's validateAndSanitizeJoinRequest does.
    func request() throws -> SwarmJoinRequest {
        let listen = try SwarmAddress.validated(ListenAddr ?? "", field: "ListenAddr")
        let remotes = RemoteAddrs ?? []
        guard !remotes.isEmpty else { throw DockerAPIError.badRequest("at least 1 RemoteAddr is required to join") }
        return SwarmJoinRequest(
            listenAddress: listen, advertiseAddress: AdvertiseAddr ?? "", dataPathAddress: DataPathAddr ?? "",
            remoteAddresses: try remotes.map { try SwarmAddress.validated($0, field: "remoteAddr") },
            joinToken: JoinToken ?? "", availability: try SwarmAddress.availability(Availability))
    }
}

struct SwarmUnlockBody: Decodable, Sendable {
    var UnlockKey: String?
}

struct UnlockKeyWire: Encodable, Sendable {
    var UnlockKey: String
}

/// Docker's address and enum checks for init and join.
enum SwarmAddress {
    static let defaultHost = "0.0.0.0"
    static let defaultPort = "2377"

    /// The daemon's validateAddr: an empty address is refused; otherwise a missing host becomes 0.0.0.0 and a
    /// missing port 2377 ("10.0.0.1" → "10.0.0.1:2377", ":4000" → "0.0.0.0:4000"); what does not parse as
    /// host:port (an interface name with a bad port …) is passed on as given, as Docker does.
    static func validated(_ address: String, field: String) throws -> String {
        guard !address.isEmpty else { throw DockerAPIError.badRequest("invalid \(field) \"\": invalid empty address") }
        var rest = Substring(address)
        if rest.hasPrefix("tcp://") { rest = rest.dropFirst("tcp://".count) }
        guard !rest.contains("://"), !rest.contains("/") else { return address }
        var host: Substring
        var port: Substring
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return address }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let tail = rest[rest.index(after: close)...]
            guard tail.isEmpty || tail.hasPrefix(":") else { return address }
            port = tail.dropFirst()
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.firstIndex(of: ":") {
            host = rest[..<colon]
            port = rest[rest.index(after: colon)...]
        } else {
            // No port, or a bare IPv6 address.
            host = rest
            port = ""
        }
        if host.isEmpty { host = Substring(defaultHost) }
        if port.isEmpty { port = Substring(defaultPort) }
        guard port.allSatisfy(\.isASCII), UInt16(port) != nil else { return address }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// Docker matches the enum case-insensitively; empty means active.
    static func availability(_ text: String?) throws -> NodeAvailability {
        guard let text, !text.isEmpty else { return .active }
        guard let value = NodeAvailability(rawValue: text.lowercased()) else {
            throw DockerAPIError.badRequest("invalid Availability: \"\(text)\"")
        }
        return value
    }

    /// The prefix length of an IPv4 or IPv6 CIDR, nil when it is not one (Go's net.ParseCIDR).
    static func cidrPrefixLength(_ text: String) -> Int? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII) else { return nil }
        var buffer = [UInt8](repeating: 0, count: 16)
        let address = String(parts[0])
        if inet_pton(AF_INET, address, &buffer) == 1 { return (0...32).contains(length) ? length : nil }
        if inet_pton(AF_INET6, address, &buffer) == 1 { return (0...128).contains(length) ? length : nil }
        return nil
    }
}
