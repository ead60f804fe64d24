/// Host ports for published container ports (`-p 8080:80`, `-p 127.0.0.1::80`, `-P`): which (protocol, host IP,
/// port) triples are taken on this host.
import ShoalCore

public enum PortProtocol: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
    case tcp, udp, sctp

    public static func < (lhs: PortProtocol, rhs: PortProtocol) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// One host port taken.
public struct PortBinding: Sendable, Hashable, Codable, Comparable, CustomStringConvertible {
    public var proto: PortProtocol
    public var hostIP: IPAddress
    public var port: UInt16

    public init(_ proto: PortProtocol, hostIP: IPAddress, port: UInt16) {
        self.proto = proto
        self.hostIP = hostIP
        self.port = port
    }

    public var description: String { "\(hostIP.hostPort(port))/\(proto.rawValue)" }

    public static func < (lhs: PortBinding, rhs: PortBinding) -> Bool {
        (lhs.proto, lhs.hostIP, lhs.port) < (rhs.proto, rhs.hostIP, rhs.port)
    }
}

public struct PortAllocator: Sendable, Hashable {
    /// Docker's default ephemeral range for `-p :80` and `-P` (the daemon reads the host's
    /// net.ipv4.ip_local_port_range and passes it in; this is the fallback Docker uses).
    public static let defaultEphemeralRange: ClosedRange<UInt16> = 49153...65535

    public let ephemeralRange: ClosedRange<UInt16>

    struct Key: Sendable, Hashable {
        var proto: PortProtocol
        var hostIP: IPAddress
    }

    /// Ports taken per protocol and host IP.
    private var bound: [Key: RunSet] = [:]
    /// Per protocol and host IP, the last port handed out by a range search (libnetwork's portMap.last).
    private var last: [Key: UInt16] = [:]

    public init(ephemeralRange: ClosedRange<UInt16> = PortAllocator.defaultEphemeralRange) throws(ShoalError) {
        guard ephemeralRange.lowerBound > 0 else {
            throw ShoalError.invalidArgument("invalid ephemeral port range \(ephemeralRange.lowerBound)-\(ephemeralRange.upperBound): ports start at 1")
        }
        self.ephemeralRange = ephemeralRange
    }

    /// The sets a binding on `key` must not collide with. A binding on the unspecified address (0.0.0.0 or ::)
    /// takes the port on every address of that family, so it clashes with any specific address and the reverse;
    /// IPv4 and IPv6 never clash (Docker binds 0.0.0.0 and :: side by side for one `-p`).
    private func conflicting(with key: Key) -> [RunSet] {
        bound.compactMap { other, set in
            guard other.proto == key.proto, other.hostIP.isIPv4 == key.hostIP.isIPv4,
                  other.hostIP == key.hostIP || other.hostIP.isUnspecified || key.hostIP.isUnspecified
            else { return nil }
            return set
        }
    }

    /// `-p [ip:]8080:80`: takes exactly `port`.
    public mutating func allocate(_ proto: PortProtocol, hostIP: IPAddress, port: UInt16) throws(ShoalError) {
        guard port > 0 else { throw ShoalError.invalidArgument("invalid host port 0: use an ephemeral allocation") }
        let key = Key(proto: proto, hostIP: hostIP)
        guard !conflicting(with: key).contains(where: { $0.contains(UInt32(port)) }) else {
            throw IPAMError.portAllocated(hostIP, port)
        }
        bound[key, default: RunSet()].insert(UInt32(port))
    }

    /// `-p [ip:]8000-8010:80` (one free port of `range`) or, with `range` nil, `-p [ip:]:80` and `-P` (one free port
    /// of the ephemeral range). Round-robin per protocol and host IP: the search starts after the last port this
    /// kind of search returned and wraps, so a port just released is not handed straight to the next container.
    public mutating func allocate(_ proto: PortProtocol, hostIP: IPAddress,
                                  in range: ClosedRange<UInt16>? = nil) throws(ShoalError) -> UInt16 {
        let range = range ?? ephemeralRange
        guard range.lowerBound > 0 else { throw ShoalError.invalidArgument("invalid host port range: ports start at 1") }
        let key = Key(proto: proto, hostIP: hostIP)
        let window = UInt32(range.lowerBound)...UInt32(range.upperBound)
        guard let found = RunSet.nextFree(in: window, after: last[key].map(UInt32.init), avoiding: conflicting(with: key))
        else { throw IPAMError.allPortsAllocated }
        bound[key, default: RunSet()].insert(found)
        last[key] = UInt16(found)
        return UInt16(found)
    }

    /// Idempotent: returns false when the port was not taken on exactly this protocol and host IP.
    @discardableResult
    public mutating func release(_ proto: PortProtocol, hostIP: IPAddress, port: UInt16) -> Bool {
        let key = Key(proto: proto, hostIP: hostIP)
        guard bound[key]?.remove(UInt32(port)) == true else { return false }
        if bound[key]?.isEmpty == true { bound[key] = nil }
        return true
    }

    /// Whether a binding of `port` on `hostIP` would clash with one already made.
    public func isAvailable(_ proto: PortProtocol, hostIP: IPAddress, port: UInt16) -> Bool {
        !conflicting(with: Key(proto: proto, hostIP: hostIP)).contains { $0.contains(UInt32(port)) }
    }

    /// Every binding, sorted.
    public var bindings: [PortBinding] {
        bound.flatMap { key, set in set.values.map { PortBinding(key.proto, hostIP: key.hostIP, port: UInt16($0)) } }.sorted()
    }
}

extension PortAllocator: Codable {
    private enum CodingKeys: String, CodingKey { case ephemeralFirst, ephemeralLast, bindings }

    /// One (protocol, host IP) group: ports as runs ("8080", "49153-49160") and the round-robin position.
    private struct Group: Codable {
        var proto: PortProtocol
        var hostIP: IPAddress
        var ports: [String]
        var last: UInt16?
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(ephemeralRange.lowerBound, forKey: .ephemeralFirst)
        try container.encode(ephemeralRange.upperBound, forKey: .ephemeralLast)
        let keys = Set(bound.keys).union(last.keys).sorted { ($0.proto, $0.hostIP) < ($1.proto, $1.hostIP) }
        let groups = keys.map { key in
            Group(proto: key.proto, hostIP: key.hostIP, ports: bound[key]?.encodedRuns { String($0) } ?? [], last: last[key])
        }
        try container.encode(groups, forKey: .bindings)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let first = try container.decode(UInt16.self, forKey: .ephemeralFirst)
        let lastPort = try container.decode(UInt16.self, forKey: .ephemeralLast)
        guard first <= lastPort else { throw IPAMError.corruptState("ephemeral port range \(first)-\(lastPort) is reversed") }
        try self.init(ephemeralRange: first...lastPort)
        for group in try container.decode([Group].self, forKey: .bindings) {
            let key = Key(proto: group.proto, hostIP: group.hostIP)
            let ports = try RunSet(encodedRuns: group.ports) { text throws(ShoalError) in
                guard let port = UInt16(text), port > 0 else { throw IPAMError.corruptState("bad port \(text)") }
                return UInt32(port)
            }
            // Re-check that no two restored groups clash (0.0.0.0 against a specific address included).
            for run in ports.runs where conflicting(with: key).contains(where: { $0.intersects(run) }) {
                throw IPAMError.corruptState("ports \(run.lowerBound)-\(run.upperBound)/\(group.proto.rawValue) on \(group.hostIP) clash")
            }
            if !ports.isEmpty { bound[key] = ports }
            if let lastValue = group.last { last[key] = lastValue }
        }
    }
}
