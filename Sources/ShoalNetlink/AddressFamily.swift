/// An IP address family as rtnetlink spells it (AF_INET = 2, AF_INET6 = 10).
public enum AddressFamily: UInt8, Sendable, Hashable, CustomStringConvertible {
    case inet = 2
    case inet6 = 10

    /// The family of an address given as 4 or 16 bytes; nil for any other length.
    public init?(addressLength: Int) {
        switch addressLength {
        case 4: self = .inet
        case 16: self = .inet6
        default: return nil
        }
    }

    /// Address length in bytes.
    public var addressLength: Int { self == .inet ? 4 : 16 }

    public var description: String { self == .inet ? "inet" : "inet6" }
}
