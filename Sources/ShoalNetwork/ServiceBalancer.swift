import Foundation
import ShoalCore
import ShoalNFTables

/// Service VIPs inside one sandbox: the sandbox's network namespace gets one nftables table (BalancerRuleset)
/// that spreads new connections to each VIP over the service's tasks. It must live in the sandbox's namespace
/// because an overlay container's traffic never crosses the host's hooks (its interface is a macvlan on the VXLAN
/// device). Stateless: each call renders the whole table and replaces it in one transaction, so calling it again
/// with the same services changes nothing, and the last call wins. Callers serialise the calls for one sandbox.
public enum ServiceBalancer {
    /// `nsenter --net=PATH nft -f -` with the rendered table: every VIP in `services` is balanced over its
    /// backends from now on, and the VIPs of a previous call that are not in `services` are gone. A backend that
    /// left keeps its established connections (conntrack) and gets no new ones. No services: the table is removed,
    /// so conntrack need not run in that namespace for nothing (and connections through a gone VIP lose their
    /// translation, as with a removed service in Docker).
    /// `path` is the namespace's file, e.g. /proc/PID/ns/net or a sandbox's pinned namespace.
    public static func apply(_ services: [BalancedService], inNetns path: String) async throws {
        guard !services.isEmpty else {
            return try await remove(inNetns: path)
        }
        let ruleset = BalancerRuleset(services: services)
        try await NamespaceTable.apply(ruleset.render(), issues: ruleset.validationIssues(), what: "service balancer",
                                       inNetns: path)
    }

    /// Deletes the table (`nft delete table ip shoal_lb` in the namespace); quiet when it or the namespace is gone.
    public static func remove(inNetns path: String) async throws {
        guard FileManager.default.fileExists(atPath: path) else { return }
        try await NFTCommand.apply(BalancerRuleset.removal(), inNetns: path)
    }
}

/// The routing mesh in a node's ingress sandbox (IngressRuleset): stateless like ServiceBalancer, each call
/// replaces the whole table.
public enum IngressMesh {
    /// `nsenter --net=PATH nft -f -` with the rendered table.
    public static func apply(_ ruleset: IngressRuleset, inNetns path: String) async throws {
        try await NamespaceTable.apply(ruleset.render(), issues: ruleset.validationIssues(), what: "routing mesh",
                                       inNetns: path)
    }
}

/// One table of ours in a sandbox's namespace, replaced whole by a rendered script.
enum NamespaceTable {
    /// Refuses a model with `issues` (nothing is applied), and a namespace that is gone; else `nft -f` in it.
    static func apply(_ script: @autoclosure () -> String, issues: [String], what: String, inNetns path: String)
        async throws
    {
        guard issues.isEmpty else { throw ShoalError.invalidArgument("\(what): " + issues.joined(separator: "; ")) }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ShoalError.notFound("network namespace \(path) is gone")
        }
        try await NFTCommand.apply(script(), inNetns: path)
    }
}
