import ShoalCore

/// The switch a network's containers plug into on this host.
public enum NetworkSwitch: Sendable, Equatable {
    /// A Linux bridge carrying the network's gateway address (bridge networks).
    case bridge(BridgeSettings)
    /// A bridge without an address and a VXLAN device on it (overlays).
    case overlay(OverlaySettings)

    /// The Linux bridge container interfaces join.
    public var bridgeName: String {
        switch self {
        case .bridge(let settings): settings.name
        case .overlay(let settings): settings.bridge
        }
    }
}

/// The host side of one of Docker's network drivers: what a network of that kind needs on this host and how a
/// container is plugged into it. Decisions (addresses, names, which peers exist) stay with the caller; a driver
/// only changes the kernel, converging, and undoes only what it made.
public protocol NetworkDriver: Sendable {
    /// Docker's name for it: "bridge", "overlay", "host" or "null".
    var name: String { get }
    /// Whether containers on its networks get an interface (host and null: none).
    var hasEndpoints: Bool { get }
    /// Makes the network's switch (converges).
    func ensure(_ network: NetworkSwitch) throws
    /// Removes the switch (quiet when it is gone).
    func remove(_ network: NetworkSwitch)
    /// A veth pair from the switch into the container's sandbox, configured as `interface` says.
    func plug(_ interface: InterfaceSettings, sandbox: String) throws
    /// Removes a container's interface (quiet when it is gone).
    func unplug(hostInterface: String)
}

/// The drivers of one host, by name.
public enum NetworkDrivers {
    public static func all(_ dataplane: BridgeDataplane) -> [String: any NetworkDriver] {
        let drivers: [any NetworkDriver] = [BridgeDriver(dataplane: dataplane), OverlayDriver(dataplane: dataplane),
                                            EndpointlessDriver(name: "host"), EndpointlessDriver(name: "null")]
        return Dictionary(uniqueKeysWithValues: drivers.map { ($0.name, $0) })
    }
}

/// A driver whose containers plug into a Linux bridge of the host with a veth pair.
protocol VethDriver: NetworkDriver {
    var dataplane: BridgeDataplane { get }
}

extension VethDriver {
    public var hasEndpoints: Bool { true }
    public func plug(_ interface: InterfaceSettings, sandbox: String) throws {
        try dataplane.addInterface(interface, sandbox: sandbox)
    }
    public func unplug(hostInterface: String) { dataplane.removeInterface(hostName: hostInterface) }
}

/// Bridge networks: the bridge holds the gateway, so the host routes (and NATs) for them.
public struct BridgeDriver: VethDriver {
    let dataplane: BridgeDataplane
    public var name: String { "bridge" }

    public func ensure(_ network: NetworkSwitch) throws {
        guard case .bridge(let settings) = network else { return }
        try dataplane.ensureBridge(settings)
    }

    public func remove(_ network: NetworkSwitch) { dataplane.removeBridge(name: network.bridgeName) }
}

/// Overlays: a bridge without an address and a VXLAN device per network; peers come from the endpoint table.
public struct OverlayDriver: VethDriver {
    let dataplane: BridgeDataplane
    public var name: String { "overlay" }

    public func ensure(_ network: NetworkSwitch) throws {
        guard case .overlay(let settings) = network else { return }
        try dataplane.ensureOverlay(settings)
    }

    public func remove(_ network: NetworkSwitch) {
        guard case .overlay(let settings) = network else { return }
        dataplane.removeOverlay(settings)
    }
}

/// `host` and `none`: nothing on the host, no interface for the container (it shares the host's stack, or has
/// only `lo`).
public struct EndpointlessDriver: NetworkDriver {
    public let name: String
    public var hasEndpoints: Bool { false }

    public func ensure(_ network: NetworkSwitch) throws {}
    public func remove(_ network: NetworkSwitch) {}
    public func plug(_ interface: InterfaceSettings, sandbox: String) throws {
        throw ShoalError.invalidState("the \(name) driver gives containers no interface")
    }
    public func unplug(hostInterface: String) {}
}
