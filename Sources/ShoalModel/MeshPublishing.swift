import ShoalCore

/// Where the nodes publish a service's routing-mesh ports. Docker publishes them on every address of every node;
/// Shoal lets a service keep them to the nodes' internal (swarm) address, as Carina's ServiceNet did, or to one
/// named interface, through labels since the CLI has no field for it:
/// `shoal.publish.address=internal` or `shoal.publish.interface=NAME`.
public enum MeshPublishing: Sendable, Hashable {
    case everywhere
    /// The node's swarm address (the one its VXLAN traffic uses) only.
    case internalAddress
    /// The IPv4 addresses of this interface of each node (none on a node without it).
    case interface(String)

    public static let addressLabel = "shoal.publish.address"
    public static let interfaceLabel = "shoal.publish.interface"

    /// A service's choice from its labels; refuses what it cannot mean.
    public init(labels: [String: String]) throws {
        switch (labels[Self.addressLabel], labels[Self.interfaceLabel]) {
        case (nil, nil):
            self = .everywhere
        case (.some, .some):
            throw ShoalError.invalidArgument(
                "labels \(Self.addressLabel) and \(Self.interfaceLabel) cannot be used together")
        case (let address?, nil):
            guard address == "internal" else {
                throw ShoalError.invalidArgument(
                    "invalid value for label \(Self.addressLabel): \"\(address)\" (the one value is \"internal\")")
            }
            self = .internalAddress
        case (nil, let name?):
            guard Self.isInterfaceName(name) else {
                throw ShoalError.invalidArgument("invalid value for label \(Self.interfaceLabel): \"\(name)\"")
            }
            self = .interface(name)
        }
    }

    /// As the leader streams it to the nodes.
    public var wire: String {
        switch self {
        case .everywhere: ""
        case .internalAddress: "internal"
        case .interface(let name): "interface:" + name
        }
    }

    /// Nil for a value this node does not know (it then publishes nowhere rather than everywhere).
    public init?(wire: String) {
        if wire.isEmpty {
            self = .everywhere
        } else if wire == "internal" {
            self = .internalAddress
        } else if wire.hasPrefix("interface:"), case let name = String(wire.dropFirst("interface:".count)),
                  Self.isInterfaceName(name) {
            self = .interface(name)
        } else {
            return nil
        }
    }

    /// Linux's rule for interface names: 1 to 15 bytes, no '/', no whitespace, not "." or "..".
    static func isInterfaceName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 15 && name != "." && name != ".."
            && !name.contains { $0 == "/" || $0.isWhitespace }
    }
}
