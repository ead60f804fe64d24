import Foundation
import ShoalCore
import ShoalIPAM
import ShoalNetlink
import ShoalOS

/// A Linux bridge as a network's switch: its name, the gateway address it carries and its MTU.
public struct BridgeSettings: Sendable, Equatable {
    public var name: String
    public var gateway: IPv4Address
    public var subnet: IPv4Subnet
    public var mtu: Int?
    /// An IPv6 network's gateway, carried by the bridge too.
    public var ipv6Gateway: IPv6Assignment?

    public init(name: String, gateway: IPv4Address, subnet: IPv4Subnet, mtu: Int? = nil,
                ipv6Gateway: IPv6Assignment? = nil) {
        self.name = name
        self.gateway = gateway
        self.subnet = subnet
        self.mtu = mtu
        self.ipv6Gateway = ipv6Gateway
    }
}

/// One container interface: a veth pair with one end on a bridge and the other inside the sandbox, or (on an
/// overlay) a macvlan on the overlay's VXLAN device.
public struct InterfaceSettings: Sendable, Equatable {
    /// The bridge the host end joins, or the overlay's VXLAN device the macvlan sits on.
    public var bridge: String
    /// The veth's host end (unused for a macvlan, which has none).
    public var hostName: String
    public var containerName: String
    public var address: IPv4Address
    public var prefixLength: Int
    public var mac: MACAddress
    public var mtu: Int?
    /// The gateway of the default route this interface provides (nil: no default route through it).
    public var defaultGateway: IPv4Address?
    /// On an IPv6 network: the interface's IPv6 address, and the gateway of the IPv6 default route it provides.
    public var ipv6: IPv6Assignment?
    public var defaultGateway6: IPv6Address?
    /// `--link-local-ip`: more addresses on the interface (169.254.0.0/16 or fe80::/64 prefixes, as Docker adds them).
    public var linkLocal: [IPAddress] = []

    public init(bridge: String, hostName: String, containerName: String, address: IPv4Address, prefixLength: Int,
                mac: MACAddress, mtu: Int?, defaultGateway: IPv4Address?) {
        self.bridge = bridge
        self.hostName = hostName
        self.containerName = containerName
        self.address = address
        self.prefixLength = prefixLength
        self.mac = mac
        self.mtu = mtu
        self.defaultGateway = defaultGateway
    }
}

/// Bridges, sandboxes and veth pairs, made through rtnetlink. Each method converges (running it twice is
/// harmless) and names the `ip` command it replaces.
public final class BridgeDataplane: Sendable {
    let host: NetlinkSession

    public init() throws {
        do {
            host = try NetlinkSession()
        } catch {
            throw ShoalError.internalError("cannot open rtnetlink", cause: error)
        }
    }

    /// The data plane of another network namespace (the namespace pinned at `namespacePath` is the "host").
    public init(namespacePath: String) throws {
        do {
            host = try NetlinkSession(namespacePath: namespacePath)
        } catch {
            throw ShoalError.internalError("cannot open rtnetlink in \(namespacePath)", cause: error)
        }
    }

    // MARK: bridges

    /// `ip link add NAME address MAC type bridge; ip addr add GW/LEN dev NAME; ip link set NAME up`, plus
    /// `route_localnet=1` so DNAT from the host's 127.0.0.1 to a container may leave through the bridge. The bridge's
    /// own MAC is the gateway's derived one and never changes: left to the kernel it would follow the lowest MAC
    /// among the containers' veths, and each container joining or leaving could move it, while every sandbox still
    /// sent its replies to the old one for seconds (a connection through the routing mesh hung that way).
    public func ensureBridge(_ bridge: BridgeSettings) throws {
        try netlink("create bridge \(bridge.name)") {
            if try host.linkIndex(name: bridge.name) == nil {
                try host.linkAddBridge(name: bridge.name, mtu: bridge.mtu.map { UInt32($0) },
                                       address: MACAddress(derivedFrom: bridge.gateway).bytes)
            }
            guard let index = try host.linkIndex(name: bridge.name) else {
                throw ShoalError.internalError("bridge \(bridge.name) vanished after creation")
            }
            let present = try host.addresses(index: index).contains {
                $0.address == bridge.gateway.octets && Int($0.prefixLength) == bridge.subnet.prefixLength
            }
            if !present {
                try host.addressAdd(index: index, address: bridge.gateway.octets,
                                    prefixLength: UInt8(bridge.subnet.prefixLength))
            }
            if let ipv6 = bridge.ipv6Gateway {
                try Self.addAddress(ipv6, on: index, session: host)
            }
            try host.linkSetUp(index: index)
        }
        try Sysctl.set("net.ipv4.conf.\(bridge.name).route_localnet", "1")
    }

    /// `ip link del NAME` (quiet when it is gone).
    public func removeBridge(name: String) {
        _ = try? host.linkDelete(name: name)
    }

    /// Whether a link of that name exists on the host.
    public func linkExists(_ name: String) -> Bool {
        (try? host.linkIndex(name: name)) != nil
    }

    /// Every IPv4 route of the host's main table, as subnets (IPAM never hands out a subnet that overlaps one).
    public func hostRoutes() -> [IPv4Subnet] { Self.routedSubnets(host) }

    /// The IPv4 destinations (default route excluded) of the main table `session` sees.
    public static func routedSubnets(_ session: NetlinkSession) -> [IPv4Subnet] {
        guard let routes = try? session.routes(family: .inet) else { return [] }
        return routes.compactMap { route in
            guard let destination = route.destination, destination.count == 4, route.prefixLength > 0 else {
                return nil
            }
            let address = IPv4Address(destination[0], destination[1], destination[2], destination[3])
            return IPv4Subnet(containing: address, prefixLength: Int(route.prefixLength))
        }
    }

    // MARK: sandboxes

    /// `ip netns add` at `path`, then `ip -n … link set lo up` (runc does not bring `lo` up in a namespace it
    /// joins, and 127.0.0.11 lives there). With `userNamespace`, the namespace belongs to a user namespace of that
    /// mapping, pinned beside it (`UserNamespace.userPath(forNetwork:)`), for a remapped container to join both.
    public func createSandbox(at path: String, userNamespace: IDMapping? = nil) async throws {
        if let userNamespace {
            try await UserNamespace.createOwnedNetwork(at: path, mapping: userNamespace)
        } else {
            try await NetworkNamespace.create(at: path)
        }
        do {
            let inside = try NetlinkSession(namespacePath: path)
            defer { inside.close() }
            try netlink("bring lo up in \(path)") {
                guard let lo = try inside.linkIndex(name: "lo") else { throw ShoalError.internalError("no lo") }
                try inside.linkSetUp(index: lo)
            }
        } catch {
            UserNamespace.remove(networkAt: path)
            throw error
        }
    }

    /// `ip netns delete`: the kernel removes the veth ends inside once the namespace is gone (and its user
    /// namespace, if it has one of its own, with it).
    public func removeSandbox(at path: String) {
        UserNamespace.remove(networkAt: path)
    }

    /// `ip link add H type veth peer name C netns S; ip link set H master BR up`, then inside the sandbox
    /// `ip link set C address MAC up; ip addr add A/LEN dev C; ip route add default via GW`.
    public func addInterface(_ settings: InterfaceSettings, sandbox: String) throws {
        let namespace = open(sandbox, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw ShoalError.notFound("sandbox \(sandbox) is gone") }
        defer { close(namespace) }
        let mtu = settings.mtu.map { UInt32($0) }
        try netlink("create veth \(settings.hostName)") {
            try host.linkAddVeth(name: settings.hostName, peerName: settings.containerName,
                                 peerNamespaceFD: namespace, mtu: mtu)
        }
        do {
            try netlink("attach \(settings.hostName) to \(settings.bridge)") {
                guard let index = try host.linkIndex(name: settings.hostName),
                      let bridge = try host.linkIndex(name: settings.bridge) else {
                    throw ShoalError.internalError("veth or bridge missing")
                }
                try host.linkSetMaster(index: index, masterIndex: bridge)
                // `bridge link set dev H hairpin on`: with br_netfilter (built into this kernel) a container
                // reaching its own published port through a host address gets its DNATed frames back out of the
                // port they came in on, which a bridge refuses unless the port is in hairpin mode (Docker sets it
                // too).
                try host.bridgePortSetHairpin(index: index, on: true)
                try host.linkSetUp(index: index)
            }
            try configureInside(settings, sandbox: sandbox)
        } catch {
            removeInterface(hostName: settings.hostName)
            throw error
        }
    }

    /// Inside the sandbox: `ip link set C address MAC up; ip addr add A/LEN dev C; ip route add default via GW`.
    func configureInside(_ settings: InterfaceSettings, sandbox: String) throws {
        let inside = try NetlinkSession(namespacePath: sandbox)
        defer { inside.close() }
        try netlink("configure \(settings.containerName) in \(sandbox)") {
            guard let index = try inside.linkIndex(name: settings.containerName) else {
                throw ShoalError.internalError("\(settings.containerName) missing in the sandbox")
            }
            try inside.linkSetAddress(index: index, mac: settings.mac.bytes)
            try inside.addressAdd(index: index, address: settings.address.octets,
                                  prefixLength: UInt8(settings.prefixLength))
            if let ipv6 = settings.ipv6 { try Self.addAddress(ipv6, on: index, session: inside) }
            for address in settings.linkLocal { try Self.addLinkLocal(address, on: index, session: inside) }
            try inside.linkSetUp(index: index)
            if let gateway = settings.defaultGateway {
                try inside.routeAdd(destination: nil, prefixLength: 0, gateway: gateway.octets,
                                    outputIndex: index, family: .inet)
            }
            if let gateway = settings.defaultGateway6 {
                try inside.routeAdd(destination: nil, prefixLength: 0, gateway: gateway.octets,
                                    outputIndex: index, family: .inet6)
            }
        }
    }

    /// `ip link del H`: deleting one end of a veth pair deletes the other.
    public func removeInterface(hostName: String) {
        _ = try? host.linkDelete(name: hostName)
    }

    func netlink<T>(_ what: String, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError.internalError("\(what): \(error)", cause: error)
        }
    }
}
