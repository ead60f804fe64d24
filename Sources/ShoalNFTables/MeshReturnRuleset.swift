/// The way back for connections a task gets through the routing mesh, in the task's own namespace.
///
/// The ingress sandboxes keep the client's address (IngressRuleset does not masquerade), so a task's reply to a
/// client must not follow its default route: it must go back to the very sandbox whose conntrack entry undoes the
/// DNAT, which may be on any node. The sender is known only from the frame that brought the connection, so:
/// - a new connection arriving on the ingress interface is marked (ct mark) with the low 32 bits of the sender's
///   MAC address;
/// - the interface's ingress hook learns each sender, those 32 bits to its whole MAC, in a map;
/// - the task's packets of a marked connection carry the mark (meta mark, in a route chain so the kernel routes
///   them again), and a policy rule (MeshReturnPath) sends marked packets out of the ingress interface;
/// - the interface's egress hook writes the sender's MAC, found by the mark, as the frame's destination.
///
/// Nothing depends on which nodes exist: a sandbox on a node that joins later is learned from its first frame.
/// Endpoint MACs are derived from their addresses (02:42 and the IPv4 address), so two senders never share the
/// low 32 bits. The map holds one entry per sender (ingress sandbox), not per connection.
public struct MeshReturnRuleset: Sendable, Equatable {
    public static let defaultTable = "shoal_mesh_return"
    /// Entries in the senders map: one per node's ingress sandbox.
    public static let maxSenders = 65_536

    public var table: String
    /// The task's interface on the ingress network.
    public var interface: String

    public init(table: String = MeshReturnRuleset.defaultTable, interface: String) {
        self.table = table
        self.interface = interface
    }

    /// A complete `nft -f` script replacing both tables (ip and netdev) in one transaction.
    public func render() -> String {
        let device = NFT.quoted(interface)
        var script = NFTScript()
        script.replaceTable(table, title: "Shoal routing mesh return path", families: ["ip", "netdev"])
        script.line("table ip \(table) {")
        script.depth += 1
        script.chain("prerouting") { s in
            s.line("type filter hook prerouting priority mangle; policy accept;")
            s.line("iifname \(device) ct state new ct mark set @ll,64,32")
        }
        script.line("")
        script.chain("output") { s in
            s.line("type route hook output priority mangle; policy accept;")
            s.line("ct direction reply ct mark != 0 meta mark set ct mark")
        }
        script.depth -= 1
        script.line("}")
        script.line("")
        script.line("table netdev \(table) {")
        script.depth += 1
        script.line("map senders {")
        script.depth += 1
        script.line("type mark : ether_addr")
        script.line("size \(Self.maxSenders)")
        script.line("flags dynamic")
        script.depth -= 1
        script.line("}")
        script.line("")
        script.chain("ingress") { s in
            s.line("type filter hook ingress device \(device) priority filter; policy accept;")
            s.line("update @senders { @ll,64,32 : ether saddr }")
        }
        script.line("")
        script.chain("egress") { s in
            s.line("type filter hook egress device \(device) priority filter; policy accept;")
            s.line("meta mark != 0 ether daddr set meta mark map @senders")
        }
        script.depth -= 1
        script.line("}")
        return script.text
    }

    /// Human-readable problems that would make `render()` fail to apply; empty when fine.
    public func validationIssues() -> [String] {
        var issues: [String] = []
        if !NFT.isValidTableName(table) {
            issues.append("table name \"\(table)\" must start with a letter and contain only letters, digits and _")
        }
        if !HostRuleset.isValidInterfaceName(interface) {
            issues.append("interface name \"\(interface)\" is not a valid interface name")
        }
        return issues
    }
}
