import ShoalCore

/// The switch a network's containers plug into on this host.
public enum NetworkSwitch: Sendable, Equatable {
    /// A Linux bridge carrying the network's gateway address (bridge networks).
    case bridge(BridgeSettings)
    /// A VXLAN device without an address, container interfaces being macvlans on it (overlays).
    case overlay(OverlaySettings)
}

/// The host side of one of Docker's network drivers: what a network of that kind needs on this host and how a
/// container is plugged into it. Decisions (addresses, names, which peers exist) stay with the caller; a driver
/// only changes the kernel, converging, and undoes only what it made.
public protocol NetworkDriver: Sendable {
    /// Docker's name for it: "bridge", "overlay", "host" or "null".
    var name: String { get }
    /// Whether containers on its networks get an interface (host and null: none).
    var hasEndpoints: Bool { get }
    /// Whether a container's interface has a host end (a veth's, on a bridge) that `unplug` removes by name.
    var hasHostEnd: Bool { get }
    /// Makes the network's switch (converges).
    func ensure(_ network: NetworkSwitch) throws
    /// Removes the switch (quiet when it is gone).
    func remove(_ network: NetworkSwitch)
    /// An interface on the switch inside the container's sandbox, configured as `interface` says.
    func plug(_ interface: InterfaceSettings, sandbox: String) throws
    /// Removes a container's interface (quiet when it, or the sandbox, is gone): `hostInterface` is its host end
    /// ("" when it has none), `containerInterface` its name inside `sandbox`.
    func unplug(hostInterface: String, containerInterface: String, sandbox: String)
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
    public var hasHostEnd: Bool { true }
    public func plug(_ interface: InterfaceSettings, sandbox: String) throws {
        try dataplane.addInterface(interface, sandbox: sandbox)
    }
    public func unplug(hostInterface: String, containerInterface: String, sandbox: String) {
        dataplane.removeInterface(hostName: hostInterface)
    }
}

/// Bridge networks: the bridge holds the gateway, so the host routes (and NATs) for them.
public struct BridgeDriver: VethDriver {
    let dataplane: BridgeDataplane
    public var name: String { "bridge" }

    public func ensure(_ network: NetworkSwitch) throws {
        guard case .bridge(let settings) = network else { return }
        try dataplane.ensureBridge(settings)
    }

    public func remove(_ network: NetworkSwitch) {
        guard case .bridge(let settings) = network else { return }
        dataplane.removeBridge(name: settings.name)
    }
}

/// Overlays: a VXLAN device without an address per network, each container's interface a macvlan on it (no host
/// end); peers come from the endpoint table.
public struct OverlayDriver: NetworkDriver {
    let dataplane: BridgeDataplane
    public var name: String { "overlay" }
    public var hasEndpoints: Bool { true }
    public var hasHostEnd: Bool { false }

    public func ensure(_ network: NetworkSwitch) throws {
        guard case .overlay(let settings) = network else { return }
        try dataplane.ensureOverlay(settings)
    }

    public func remove(_ network: NetworkSwitch) {
        guard case .overlay(let settings) = network else { return }
        dataplane.removeOverlay(settings)
    }

    public func plug(_ interface: InterfaceSettings, sandbox: String) throws {
        try dataplane.addOverlayInterface(interface, sandbox: sandbox)
    }

    public func unplug(hostInterface: String, containerInterface: String, sandbox: String) {
        dataplane.removeOverlayInterface(containerName: containerInterface, sandbox: sandbox)
    }
}

/// `host` and `none`: nothing on the host, no interface for the container (it shares the host's stack, or has
/// only `lo`).
public struct EndpointlessDriver: NetworkDriver {
    public let name: String
    public var hasEndpoints: Bool { false }
    public var hasHostEnd: Bool { false }

    public func ensure(_ network: NetworkSwitch) throws {}
    public func remove(_ network: NetworkSwitch) {}
    public func plug(_ interface: InterfaceSettings, sandbox: String) throws {
        throw ShoalError.invalidState("the \(name) driver gives containers no interface")
    }
    public func unplug(hostInterface: String, containerInterface: String, sandbox: String) {}
}
