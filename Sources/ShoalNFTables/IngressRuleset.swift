/// One port of the routing mesh as a node's ingress sandbox serves it: connections to `publishedPort` are spread
/// over the tasks' addresses on the ingress network, at `targetPort`.
public struct IngressRule: Sendable, Equatable {
    public var proto: PortPublication.Proto
    public var publishedPort: UInt16
    public var targetPort: UInt16
    /// The tasks' ingress addresses. Order does not matter and duplicates count once. Empty: refused at once.
    public var backends: [String]

    public init(proto: PortPublication.Proto, publishedPort: UInt16, targetPort: UInt16, backends: [String]) {
        self.proto = proto
        self.publishedPort = publishedPort
        self.targetPort = targetPort
        self.backends = backends
    }
}

/// The routing mesh inside a node's ingress sandbox (Docker's `ingress-sbox`), as one nftables table in that
/// sandbox's namespace.
///
/// The host's own table DNATs a published port to the sandbox (as it does for a container's `-p`); here a new
/// connection to that port gets one task's ingress address and target port, picked by `numgen random`, and leaves
/// through the sandbox's ingress interface with the client's own address as its source (Docker masquerades it
/// away, moby#25526). The task sends its replies back to the sandbox that sent it the connection (MeshReturnRuleset,
/// in the task's namespace), where conntrack undoes the translation. Later packets follow the conntrack entry: an
/// established connection keeps its task when the tasks change.
/// A port whose service has no running task refuses at once (TCP reset, ICMP port unreachable for UDP) instead of
/// letting the client wait.
public struct IngressRuleset: Sendable, Equatable {
    public static let defaultTable = "shoal_ingress"

    public var table: String
    public var rules: [IngressRule]

    public init(table: String = IngressRuleset.defaultTable, rules: [IngressRule]) {
        self.table = table
        self.rules = rules
    }

    /// A complete `nft -f` script replacing the table in one transaction; the text depends only on the set of
    /// rules (each port once, backends sorted and deduplicated).
    public func render() -> String {
        var script = NFTScript()
        script.replaceTable(table, title: "Shoal routing mesh")
        script.line("table ip \(table) {")
        script.depth += 1
        let ports = renderedRules
        for rule in ports {
            script.chain(Self.chainName(rule)) { s in
                let target = String(rule.targetPort)
                switch rule.backends.count {
                case 0:
                    s.line(rule.proto == .tcp ? "reject with tcp reset" : "reject with icmp type port-unreachable")
                case 1:
                    s.line("meta l4proto \(rule.proto.rawValue) dnat to \(rule.backends[0]):\(target)")
                default:
                    let entries = rule.backends.enumerated().map { "\($0.offset) : \($0.element)" }
                    s.line("meta l4proto \(rule.proto.rawValue) dnat to numgen random mod \(rule.backends.count) "
                        + "map { \(entries.joined(separator: ", ")) } : \(target)")
                }
            }
            script.line("")
        }
        script.chain("prerouting") { s in
            s.line("type nat hook prerouting priority -100; policy accept;")
            if !ports.isEmpty {
                let entries = ports.map { "\($0.proto.rawValue) . \($0.publishedPort) : jump \(Self.chainName($0))" }
                s.line("ct state new meta l4proto . th dport vmap { \(entries.joined(separator: ", ")) }")
            }
        }
        script.depth -= 1
        script.line("}")
        return script.text
    }

    /// A script deleting the table if present.
    public static func removal(table: String = IngressRuleset.defaultTable) -> String {
        var script = NFTScript()
        script.removeTable(table, title: "Shoal routing mesh")
        return script.text
    }

    /// Human-readable problems that would make `render()` fail to apply; empty when fine.
    public func validationIssues() -> [String] {
        var issues: [String] = []
        if !NFT.isValidTableName(table) {
            issues.append("table name \"\(table)\" must start with a letter and contain only letters, digits and _")
        }
        for rule in rules {
            if rule.publishedPort == 0 || rule.targetPort == 0 {
                issues.append("port \(rule.publishedPort)→\(rule.targetPort)/\(rule.proto.rawValue) needs both ports")
            }
            for backend in rule.backends where IPv4.parse(backend) == nil {
                issues.append("backend \"\(backend)\" of port \(rule.publishedPort) is not an IPv4 address")
            }
        }
        let targets = Dictionary(grouping: rules, by: Self.chainName).mapValues { Set($0.map(\.targetPort)) }
        for (port, ports) in targets.sorted(by: { $0.key < $1.key }) where ports.count > 1 {
            issues.append("port \(port) is published with different targets")
        }
        return issues
    }

    /// `tcp_8080`: one chain per published port, named for it so `nft list` reads.
    static func chainName(_ rule: IngressRule) -> String { "\(rule.proto.rawValue)_\(rule.publishedPort)" }

    /// Rules by protocol and port, each port once with the union of its backends, sorted and deduplicated.
    var renderedRules: [IngressRule] {
        var merged: [String: IngressRule] = [:]
        for rule in rules {
            let key = Self.chainName(rule)
            var entry = merged[key] ?? IngressRule(proto: rule.proto, publishedPort: rule.publishedPort,
                                                   targetPort: rule.targetPort, backends: [])
            entry.backends += rule.backends
            merged[key] = entry
        }
        return merged.values
            .sorted { ($0.publishedPort, $0.proto.rawValue) < ($1.publishedPort, $1.proto.rawValue) }
            .map { rule in
                var rule = rule
                rule.backends = Set(rule.backends).sorted(by: IPv4.precedes)
                return rule
            }
    }
}
