import ShoalCore
import ShoalIPAM
import ShoalNetlink

/// An IPv6 address with the prefix length of its network ("fd00::2/64").
public struct IPv6Assignment: Sendable, Equatable {
    public var address: IPv6Address
    public var prefixLength: Int

    public init(address: IPv6Address, prefixLength: Int) {
        self.address = address
        self.prefixLength = prefixLength
    }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension BridgeDataplane {
    /// `ip addr add A/LEN dev D nodad` unless it is there: the address is the network's to give, so duplicate
    /// address detection would only hold it unusable ("tentative") for a second or two (libnetwork adds it so too).
    static func addAddress(_ assignment: IPv6Assignment, on index: Int32, session: NetlinkSession) throws {
        let present = try session.addresses(index: index).contains {
            $0.address == assignment.address.octets && Int($0.prefixLength) == assignment.prefixLength
        }
        if !present {
            try session.addressAdd(index: index, address: assignment.address.octets,
                                   prefixLength: UInt8(assignment.prefixLength), noDAD: true)
        }
    }

    /// `ip addr add A/16 dev D` (IPv4) or `ip addr add A/64 dev D nodad` (IPv6): a `--link-local-ip` address, with
    /// the prefix of the link-local range as libnetwork gives it.
    static func addLinkLocal(_ address: IPAddress, on index: Int32, session: NetlinkSession) throws {
        switch address {
        case .v4(let v4):
            try session.addressAdd(index: index, address: v4.octets, prefixLength: 16)
        case .v6(let v6):
            try addAddress(IPv6Assignment(address: v6, prefixLength: 64), on: index, session: session)
        }
    }
}
