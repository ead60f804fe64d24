/// One entry of the daemon's address pools: a base block split into equal subnets (dockerd's
/// `--default-address-pool base=10.10.0.0/16,size=24`, or `default-address-pools` in daemon.json).
import ShoalCore

public struct AddressPoolSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    public let base: IPv4Subnet
    /// The prefix length of each network handed out from `base`.
    public let size: Int

    public init(base: IPv4Subnet, size: Int) throws(ShoalError) {
        guard (base.prefixLength...32).contains(size) else {
            throw ShoalError.invalidArgument(
                "invalid address pool \(base): size \(size) must be between the base's prefix length \(base.prefixLength) and 32")
        }
        self.base = base
        self.size = size
    }

    /// Parses dockerd's flag value "base=10.10.0.0/16,size=24" (keys case-insensitive, both required).
    public init(parsing text: String) throws(ShoalError) {
        var base: IPv4Subnet?
        var size: Int?
        for field in text.split(separator: ",") {
            let pair = field.split(separator: "=", maxSplits: 1)
            guard pair.count == 2 else {
                throw ShoalError.invalidArgument("invalid field '\(field)' must be a key=value pair")
            }
            let value = String(pair[1]).lowercased()
            switch pair[0].lowercased() {
            case "base":
                base = try IPv4Subnet(parsing: value, label: "base pool")
            case "size":
                guard let number = Int(value) else {
                    throw ShoalError.invalidArgument("invalid size value: \"\(value)\" (must be integer)")
                }
                size = number
            default:
                throw ShoalError.invalidArgument("unexpected key '\(pair[0])' in '\(field)'")
            }
        }
        guard let base, let size else {
            throw ShoalError.invalidArgument("invalid default address pool \"\(text)\": base and size are required")
        }
        try self.init(base: base, size: size)
    }

    public var description: String { "base=\(base),size=\(size)" }

    /// Docker's local-scope defaults (libnetwork ipamutils): 172.17–172.31 as /16s, then 192.168.0.0/16 as /20s.
    /// 172.17.0.0/16 comes first so the default bridge (docker0) gets it, as on Docker.
    public static let localDefaults: [AddressPoolSpec] = {
        var pools = (17...31).map { try! AddressPoolSpec(base: IPv4Subnet(containing: IPv4Address(172, UInt8($0), 0, 0), prefixLength: 16), size: 16) }
        pools.append(try! AddressPoolSpec(base: IPv4Subnet(containing: IPv4Address(192, 168, 0, 0), prefixLength: 16), size: 20))
        return pools
    }()

    /// Docker's global-scope (swarm overlay) default: 10.0.0.0/8 as /24s (`docker swarm init --default-addr-pool`).
    public static let globalDefaults: [AddressPoolSpec] = [
        try! AddressPoolSpec(base: IPv4Subnet(containing: IPv4Address(10, 0, 0, 0), prefixLength: 8), size: 24),
    ]
}
