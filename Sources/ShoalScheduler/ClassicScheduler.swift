import ShoalCore

/// A node as classic Swarm's filters see it.
public struct ClassicNode: Sendable, Equatable {
    /// A container on the node.
    public struct Container: Sendable, Equatable {
        public var id: String
        public var name: String
        /// The image as given, its ID and its repository without the tag (classic Swarm matches all three).
        public var images: [String]
        public var labels: [String: String]
        /// Host ports it publishes (`-p`), or exposes with `--net host`.
        public var hostPorts: [UInt16]

        public init(id: String, name: String, images: [String] = [], labels: [String: String] = [:],
                    hostPorts: [UInt16] = []) {
            self.id = id
            self.name = name
            self.images = images
            self.labels = labels
            self.hostPorts = hostPorts
        }
    }

    public var id: String
    public var name: String
    /// The node's labels and its engine's facts (`storagedriver`, `kernelversion`, `operatingsystem`, …).
    public var labels: [String: String]
    public var healthy: Bool
    public var containers: [Container]
    /// Nano CPUs and bytes, in all and reserved by its containers.
    public var totalCPUs: Int64
    public var totalMemory: Int64
    public var usedCPUs: Int64
    public var usedMemory: Int64

    public init(id: String, name: String, labels: [String: String] = [:], healthy: Bool = true,
                containers: [Container] = [], totalCPUs: Int64, totalMemory: Int64, usedCPUs: Int64 = 0,
                usedMemory: Int64 = 0) {
        self.id = id
        self.name = name
        self.labels = labels
        self.healthy = healthy
        self.containers = containers
        self.totalCPUs = totalCPUs
        self.totalMemory = totalMemory
        self.usedCPUs = usedCPUs
        self.usedMemory = usedMemory
    }
}

/// The cluster endpoint's placement, classic Swarm 1.x's: the filters health, port, dependency, affinity and
/// constraint in that order (soft expressions first kept, then dropped if no node satisfies them), then the
/// strategy ranks what is left by reserved CPU and memory (spread: least used first, ties to the node with fewer
/// containers; binpack: most used first). A node without room for the reservation is out.
public enum ClassicScheduler {
    public enum Strategy: String, Sendable, CaseIterable { case spread, binpack }

    /// What one `docker run` needs.
    public struct Placement: Sendable, Equatable {
        public var request: ClassicRequest
        /// Host ports the container publishes (`-p 80:80` → 80), and whether with `--net host`.
        public var hostPorts: [UInt16] = []
        public var hostNetwork = false
        /// Containers it must sit beside: `--volumes-from`, `--link`, `--net container:X` (as the flags say them).
        public var volumesFrom: [String] = []
        public var links: [String] = []
        public var networkContainer: String?
        public var cpus: Int64 = 0
        public var memory: Int64 = 0

        public init(request: ClassicRequest) { self.request = request }
    }

    /// The nodes that can take the container, best first; Docker's classic errors when none can.
    public static func rank(_ placement: Placement, nodes: [ClassicNode], strategy: Strategy = .spread)
        throws(ShoalError) -> [ClassicNode]
    {
        let constraints = try ClassicExpression.parse(placement.request.constraints)
        let affinities = try ClassicExpression.parse(placement.request.affinities)
        let candidates: [ClassicNode]
        do {
            candidates = try filter(placement, nodes, constraints: constraints, affinities: affinities, soft: true)
        } catch {
            candidates = try filter(placement, nodes, constraints: constraints, affinities: affinities, soft: false)
        }
        return try weigh(placement, candidates, strategy: strategy)
    }

    static func filter(_ placement: Placement, _ nodes: [ClassicNode], constraints: [ClassicExpression],
                       affinities: [ClassicExpression], soft: Bool) throws(ShoalError) -> [ClassicNode]
    {
        var nodes = nodes.filter(\.healthy)
        guard !nodes.isEmpty else { throw ShoalError(.unavailable, "No healthy node available in the cluster") }
        var conditions: [String] = []
        func narrow(_ listed: [String], _ keep: (ClassicNode) -> Bool) throws(ShoalError) {
            if !listed.isEmpty { conditions.append("[" + listed.joined(separator: " ") + "]") }
            nodes = nodes.filter(keep)
            guard nodes.isEmpty else { return }
            throw ShoalError(.unavailable,
                             "Unable to find a node that satisfies the following conditions \n" + conditions.joined(separator: "\n"))
        }
        let portKind = placement.hostNetwork ? "Host" : "Bridge"
        try narrow(placement.hostPorts.map { "port \($0) (\(portKind) mode)" }) { node in
            !node.containers.contains { !Set($0.hostPorts).isDisjoint(with: placement.hostPorts) }
        }
        let dependencies = placement.volumesFrom.map { "--volumes-from=\($0)" } + placement.links.map { "--link=\($0)" }
            + (placement.networkContainer.map { ["--net=container:\($0)"] } ?? [])
        let needed = placement.volumesFrom.map { String($0.split(separator: ":")[0]) }
            + placement.links.map { String($0.split(separator: ":")[0]) } + (placement.networkContainer.map { [$0] } ?? [])
        try narrow(dependencies) { node in
            needed.allSatisfy { name in node.containers.contains { $0.name == name || $0.id.hasPrefix(name) } }
        }
        let usedAffinities = affinities.filter { soft || !$0.isSoft }
        try narrow(affinities.map { "\($0) (soft=\($0.isSoft))" }) { node in
            usedAffinities.allSatisfy { affinity in affinity.matches(candidates(of: node, forAffinity: affinity.key)) }
        }
        let usedConstraints = constraints.filter { soft || !$0.isSoft }
        try narrow(constraints.map(\.description)) { node in
            usedConstraints.allSatisfy { constraint in
                constraint.matches(constraint.key == "node" ? nodeCandidates(node, for: constraint) : [node.labels[constraint.key] ?? ""])
            }
        }
        return nodes
    }

    /// What `node==VALUE` compares: the node's name, and its ID when VALUE is a plain word (a glob or a regular
    /// expression on a random 25-character ID would match by chance: `*n9` ends one ID in 1,296).
    static func nodeCandidates(_ node: ClassicNode, for constraint: ClassicExpression) -> [String] {
        constraint.value.contains("*") || constraint.value.hasPrefix("/") ? [node.name] : [node.id, node.name]
    }

    /// What an affinity compares: container IDs and names, images (as given, ID, repository), or a label of the
    /// node's containers.
    static func candidates(of node: ClassicNode, forAffinity key: String) -> [String] {
        switch key {
        case "container": node.containers.flatMap { [$0.id, $0.name] }
        case "image": node.containers.flatMap(\.images)
        default: node.containers.map { $0.labels[key] ?? "" }
        }
    }

    /// Classic Swarm's weights: each reservation as a percentage of the node's total (100 when none is asked),
    /// nodes where either would pass 100 left out.
    static func weigh(_ placement: Placement, _ nodes: [ClassicNode], strategy: Strategy) throws(ShoalError)
        -> [ClassicNode]
    {
        let weighted = nodes.compactMap { node -> (node: ClassicNode, weight: Int64)? in
            guard node.totalMemory >= placement.memory, node.totalCPUs >= placement.cpus else { return nil }
            let cpu = placement.cpus > 0 && node.totalCPUs > 0 ? (node.usedCPUs + placement.cpus) * 100 / node.totalCPUs : 100
            let memory = placement.memory > 0 && node.totalMemory > 0
                ? (node.usedMemory + placement.memory) * 100 / node.totalMemory : 100
            return cpu <= 100 && memory <= 100 ? (node, cpu + memory) : nil
        }
        guard !weighted.isEmpty else {
            throw ShoalError(.unavailable, "no resources available to schedule container")
        }
        let ascending = weighted.sorted { lhs, rhs in
            lhs.weight != rhs.weight ? lhs.weight < rhs.weight
                : lhs.node.containers.count != rhs.node.containers.count
                    ? lhs.node.containers.count < rhs.node.containers.count : lhs.node.name < rhs.node.name
        }.map(\.node)
        return strategy == .spread ? ascending : ascending.reversed()
    }
}
