/// An address of either family, for inputs that may be either (a port binding's host IP, `--ip6` later).
import ShoalCore

public enum IPAddress: Sendable, Hashable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either family; an IPv4-mapped IPv6 address ("::ffff:1.2.3.4") stays IPv6, as Go's netip keeps it.
    public init(parsing text: String) throws(ShoalError) {
        if text.contains(":") {
            self = .v6(try IPv6Address(parsing: text))
        } else {
            self = .v4(try IPv4Address(parsing: text))
        }
    }

    public var isUnspecified: Bool {
        switch self {
        case .v4(let address): address.isUnspecified
        case .v6(let address): address.isUnspecified
        }
    }

    public var isIPv4: Bool { if case .v4 = self { true } else { false } }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// The "host:port" form Docker prints, with IPv6 in brackets ("[::]:8080") so the port stays readable.
    public func hostPort(_ port: UInt16) -> String {
        switch self {
        case .v4(let address): "\(address):\(port)"
        case .v6(let address): "[\(address)]:\(port)"
        }
    }
}

extension IPAddress: TextCodable {}

extension IPAddress: Comparable {
    /// IPv4 before IPv6, then by value: a stable order for listings.
    public static func < (lhs: IPAddress, rhs: IPAddress) -> Bool {
        switch (lhs, rhs) {
        case (.v4(let a), .v4(let b)): a < b
        case (.v6(let a), .v6(let b)): a < b
        case (.v4, .v6): true
        case (.v6, .v4): false
        }
    }
}
