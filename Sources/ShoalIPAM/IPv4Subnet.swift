/// An IPv4 network in CIDR form (always canonical: no host bits), with the arithmetic the allocators need.
import ShoalCore

public struct IPv4Subnet: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The network address (host bits are zero).
    public let network: IPv4Address
    /// The prefix length, 0–32.
    public let prefixLength: Int

    /// The subnet of `prefixLength` bits that contains `address` (host bits are cleared).
    public init(containing address: IPv4Address, prefixLength: Int) {
        precondition((0...32).contains(prefixLength), "prefix length \(prefixLength) is outside 0...32")
        self.prefixLength = prefixLength
        network = IPv4Address(address.value & IPv4Subnet.mask(prefixLength))
    }

    /// Parses "172.18.0.0/16".
    ///
    /// Host bits are refused, as dockerd has done since v25 for `--subnet` and `--ip-range` ("invalid subnet
    /// 172.18.0.1/16: it should be 172.18.0.0/16"); older daemons masked them silently, which hid typos.
    /// `label` names the field in that message ("subnet", "ip-range"). Syntax errors read as Go's
    /// `net.ParseCIDR` ("invalid CIDR address: x"). Use `IPv4Interface` for address-with-prefix forms.
    public init(parsing text: String, label: String) throws(ShoalError) {
        let interface = try IPv4Interface(parsing: text)
        guard interface.address == interface.subnet.network else {
            throw IPAMError.notCanonical(label, text, interface.subnet.description)
        }
        self = interface.subnet
    }

    static func mask(_ prefixLength: Int) -> UInt32 {
        prefixLength == 0 ? 0 : UInt32.max << (32 - UInt32(prefixLength))
    }

    /// The netmask as an address, e.g. 255.255.0.0 for a /16.
    public var netmask: IPv4Address { IPv4Address(IPv4Subnet.mask(prefixLength)) }

    /// The last address of the subnet (the broadcast address for prefixes up to /30).
    public var broadcast: IPv4Address { IPv4Address(network.value | ~IPv4Subnet.mask(prefixLength)) }

    /// The number of addresses, network and broadcast included (2^32 for /0, hence `UInt64`).
    public var addressCount: UInt64 { UInt64(1) << UInt64(32 - prefixLength) }

    /// All addresses as a closed range of values.
    public var valueRange: ClosedRange<UInt32> { network.value...broadcast.value }

    /// The first address a host may use: the one after the network address, except in /31 (RFC 3021
    /// point-to-point: both addresses are hosts) and /32 (the single address).
    public var firstHost: IPv4Address { prefixLength >= 31 ? network : IPv4Address(network.value + 1) }

    /// The last address a host may use: the one before the broadcast address, except in /31 and /32.
    public var lastHost: IPv4Address { prefixLength >= 31 ? broadcast : IPv4Address(broadcast.value - 1) }

    /// Whether the subnet has separate network and broadcast addresses that must never be handed out.
    public var reservesNetworkAndBroadcast: Bool { prefixLength <= 30 }

    public func contains(_ address: IPv4Address) -> Bool {
        address.value & IPv4Subnet.mask(prefixLength) == network.value
    }

    /// Whether every address of `other` is in this subnet.
    public func contains(_ other: IPv4Subnet) -> Bool {
        other.prefixLength >= prefixLength && contains(other.network)
    }

    /// Whether the two subnets share any address (CIDR blocks either nest or are disjoint).
    public func overlaps(_ other: IPv4Subnet) -> Bool {
        contains(other.network) || other.contains(network)
    }

    /// The subnets of length `prefixLength` that tile this one, in address order (a lazy collection: a /8 split
    /// into /24s is 65,536 elements that are never all materialised).
    public func subdivide(into prefixLength: Int) throws(ShoalError) -> IPv4SubnetDivision {
        guard (self.prefixLength...32).contains(prefixLength) else {
            throw ShoalError.invalidArgument(
                "cannot split \(self) into /\(prefixLength) subnets: the size must be between /\(self.prefixLength) and /32")
        }
        return IPv4SubnetDivision(parent: self, prefixLength: prefixLength)
    }

    public var description: String { "\(network)/\(prefixLength)" }

    /// Address order, then larger blocks first.
    public static func < (lhs: IPv4Subnet, rhs: IPv4Subnet) -> Bool {
        (lhs.network, lhs.prefixLength) < (rhs.network, rhs.prefixLength)
    }
}

/// The equal-sized subnets that tile a parent subnet, in address order.
public struct IPv4SubnetDivision: RandomAccessCollection, Sendable, Hashable {
    public let parent: IPv4Subnet
    public let prefixLength: Int

    public var startIndex: Int { 0 }
    public var endIndex: Int { 1 << (prefixLength - parent.prefixLength) }

    public subscript(position: Int) -> IPv4Subnet {
        precondition(indices.contains(position), "subnet index \(position) out of range")
        let step = UInt64(1) << UInt64(32 - prefixLength)
        let network = UInt64(parent.network.value) + UInt64(position) * step
        return IPv4Subnet(containing: IPv4Address(UInt32(network)), prefixLength: prefixLength)
    }
}

/// Encoded as "172.18.0.0/16".
extension IPv4Subnet: TextCodable {
    /// `TextCodable`'s requirement: a subnet named as such in errors.
    public init(parsing text: String) throws(ShoalError) {
        try self.init(parsing: text, label: "subnet")
    }
}
