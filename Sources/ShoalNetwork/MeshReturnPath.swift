import Foundation
import Glibc
import ShoalCore
import ShoalNFTables
import ShoalNetlink
import ShoalOS

/// A task's way back to the ingress sandbox that sent it a connection through the routing mesh, so the task sees
/// the client's own address (moby#25526) and its replies still meet the conntrack entry that undoes the DNAT.
///
/// In the task's namespace, once its interface on the ingress network exists:
/// - MeshReturnRuleset marks such connections by their sender and writes the sender's MAC on the replies;
/// - a policy rule sends every marked packet to a table of its own, whose default route leaves through the ingress
///   interface to a next hop that never answers ARP (a permanent neighbour with a placeholder MAC the egress hook
///   replaces);
/// - reverse-path filtering on that interface is loose, as the clients' addresses are routed through the other one.
public enum MeshReturnPath {
    /// The routing table of marked replies, and the rule's place (before `main`, 32766).
    public static let table: UInt32 = 2_490
    public static let rulePriority: UInt32 = 1_000
    /// The table's next hop: on no wire, only a name for the neighbour entry below.
    static let nextHop: [UInt8] = [169, 254, 249, 1]
    static let placeholderMAC: [UInt8] = [0x02, 0x42, 0, 0, 0, 0]

    /// Sets the return path up in the namespace at `sandbox` for its ingress interface `interface`. Converges:
    /// calling it again changes nothing. A failure leaves parts behind only in that namespace, which its caller
    /// removes with the interface or the sandbox.
    public static func install(interface: String, sandbox: String) async throws {
        let ruleset = MeshReturnRuleset(interface: interface)
        try await NamespaceTable.apply(ruleset.render(), issues: ruleset.validationIssues(), what: "mesh return path",
                                       inNetns: sandbox)
        try routeMarkedReplies(interface: interface, sandbox: sandbox)
        try await NetworkNamespace.run(in: sandbox) {
            try Sysctl.set("net.ipv4.conf.\(interface).rp_filter", "2")
        }
    }

    private static func routeMarkedReplies(interface: String, sandbox: String) throws {
        let operation = "mesh return path in \(sandbox)"
        let session: NetlinkSession
        do { session = try NetlinkSession(namespacePath: sandbox) } catch {
            throw ShoalError.internalError("\(operation): \(error)", cause: error)
        }
        defer { session.close() }
        let index: Int32?
        do { index = try session.linkIndex(name: interface) } catch {
            throw ShoalError.internalError("\(operation): \(error)", cause: error)
        }
        guard let index else { throw ShoalError.notFound("interface \(interface) is gone from \(sandbox)") }
        do {
            try session.neighbourAdd(index: index, address: nextHop, mac: placeholderMAC)
            try keepingExisting { () throws(NetlinkError) in
                try session.routeAdd(destination: nil, gateway: nextHop, outputIndex: index, table: table, onLink: true)
            }
            try keepingExisting { () throws(NetlinkError) in
                try session.ruleAdd(fwmark: 0, invert: true, table: table, priority: rulePriority)
            }
        } catch {
            throw ShoalError.internalError("\(operation): \(error)", cause: error)
        }
    }

    /// Runs `body`; EEXIST (what it makes is there already) counts as done.
    private static func keepingExisting(_ body: () throws(NetlinkError) -> Void) throws(NetlinkError) {
        do { try body() } catch { if error.errno != EEXIST { throw error } }
    }
}
