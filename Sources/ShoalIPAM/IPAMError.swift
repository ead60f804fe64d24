/// The errors this target throws, with Docker's (libnetwork's, dockerd's) wording where Docker has one.
import ShoalCore

enum IPAMError {
    static func invalidIP(_ text: String) -> ShoalError { .invalidArgument("invalid IP address: \(text)") }
    static func invalidCIDR(_ text: String) -> ShoalError { .invalidArgument("invalid CIDR address: \(text)") }
    static func invalidMAC(_ text: String) -> ShoalError { .invalidArgument("invalid MAC address: \(text)") }
    static func notCanonical(_ label: String, _ text: String, _ canonical: String) -> ShoalError {
        .invalidArgument("invalid \(label) \(text): it should be \(canonical)")
    }
    /// libnetwork's ipamapi.ErrPoolOverlap.
    static var poolOverlap: ShoalError { .conflict("Pool overlaps with other one on this address space") }
    /// libnetwork's error when no predefined pool is left.
    static var noAvailablePool: ShoalError {
        .init(.unavailable,
              "could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network")
    }
    /// libnetwork's ipamapi.ErrIPAlreadyAllocated.
    static var addressInUse: ShoalError { .conflict("Address already in use") }
    /// libnetwork's ipamapi.ErrNoAvailableIPs.
    static var noAvailableAddresses: ShoalError { .init(.unavailable, "no available addresses on this pool") }
    /// libnetwork's error for `--ip` outside every subnet of the network.
    static func addressNotInSubnet(_ address: some CustomStringConvertible) -> ShoalError {
        .invalidArgument("Invalid address \(address): It does not belong to any of this network's subnets")
    }
    /// libnetwork's wrapping when the gateway cannot be reserved (e.g. it is the network address).
    static func gatewayUnavailable(_ address: some CustomStringConvertible) -> ShoalError {
        .conflict("failed to allocate gateway (\(address)): Address already in use")
    }
    /// libnetwork's wrapping when an aux address cannot be reserved (taken by the gateway or another aux address).
    static func auxUnavailable(_ name: String, _ address: some CustomStringConvertible) -> ShoalError {
        .conflict("failed to allocate secondary ip address (\(name):\(address)): Address already in use")
    }
    /// The docker CLI's wording (it checks these before calling the API; we check them again for API clients).
    static func noSubnetForGateway(_ address: some CustomStringConvertible) -> ShoalError {
        .invalidArgument("no matching subnet for gateway \(address)")
    }
    static func noSubnetForAux(_ address: some CustomStringConvertible) -> ShoalError {
        .invalidArgument("no matching subnet for aux-address \(address)")
    }
    static func noSubnetForRange(_ range: some CustomStringConvertible) -> ShoalError {
        .invalidArgument("no matching subnet for range \(range)")
    }
    /// libnetwork's portallocator ErrPortAlreadyAllocated (IPv6 hosts in brackets, where Docker prints ":::8080").
    static func portAllocated(_ host: IPAddress, _ port: UInt16) -> ShoalError {
        .conflict("Bind for \(host.hostPort(port)) failed: port is already allocated")
    }
    /// libnetwork's portallocator ErrAllPortsAllocated.
    static var allPortsAllocated: ShoalError { .init(.unavailable, "all ports are allocated") }
    static func corruptState(_ detail: String) -> ShoalError { .internalError("corrupt IPAM state: \(detail)") }
}
