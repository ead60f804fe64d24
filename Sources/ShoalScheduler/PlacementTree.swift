import Foundation
import ShoalModel

/// SwarmKit's decision tree for placement preferences, kept as heaps so each placement is logarithmic. Every
/// `spread=` preference is one level: a branch per value of the label (a node without it goes to the "" branch,
/// so missing labels do not reshape the tree). A task walks down to the branch holding the fewest of its
/// service's tasks (see `BranchRank`), then takes the leaf's best node (see `NodeRank`). Ties end at the label
/// value and the node ID, so equal clusters give equal answers. A branch with no node left that can take the
/// task drops out and its siblings share the rest. With no preferences the tree is one leaf.
struct PlacementTree {
    /// Orders a leaf's nodes: a node where the service keeps failing last, then fewest tasks of the service, then
    /// fewest tasks overall, then `index`, the node's place in the ID-sorted node list.
    struct NodeRank: Comparable, Sendable {
        /// Recent failures of this service here, once past SwarmKit's threshold: such a node goes last.
        var failures: Int
        var serviceTasks: Int
        var totalTasks: Int
        var index: Int

        init(_ info: NodeInfo, group: GroupContext, index: Int) {
            failures = info.recentFailures.penalty(group.failureKey, now: group.now)
            serviceTasks = info.activeTasks(ofService: group.failureKey.serviceID)
            totalTasks = info.activeTasks
            self.index = index
        }

        static func < (a: Self, b: Self) -> Bool {
            if a.failures != b.failures { return a.failures < b.failures }
            if a.serviceTasks != b.serviceTasks { return a.serviceTasks < b.serviceTasks }
            if a.totalTasks != b.totalTasks { return a.totalTasks < b.totalTasks }
            return a.index < b.index
        }
    }

    /// What ranking a node needs to know of the group being placed.
    struct GroupContext: Sendable {
        var failureKey: RecentFailures.Key
        var now: Date?
    }

    /// Orders siblings: fewest tasks of the service, then the lowest load (active tasks per eligible node, so a
    /// small zone is not overfilled), then the label value's place in sorted order. Without the load step the
    /// remainders of every service would land in the same first values (SwarmKit avoids that bias by walking a
    /// Go map, which is random; this keeps answers repeatable).
    struct BranchRank: Comparable, Sendable {
        var serviceTasks: Int
        var load: Load
        var ordinal: Int
        var branch: Int

        static func < (a: Self, b: Self) -> Bool {
            if a.serviceTasks != b.serviceTasks { return a.serviceTasks < b.serviceTasks }
            if a.load != b.load { return a.load < b.load }
            return a.ordinal < b.ordinal
        }
    }

    /// Active tasks over eligible nodes under a branch, compared as fractions without dividing.
    struct Load: Comparable, Sendable {
        var tasks = 0
        var nodes = 0

        static func < (a: Self, b: Self) -> Bool { a.tasks * max(b.nodes, 1) < b.tasks * max(a.nodes, 1) }
        static func == (a: Self, b: Self) -> Bool { !(a < b) && !(b < a) }
    }

    struct Branch: Sendable {
        var value: String
        /// The service's active tasks on every node under this branch, eligible or not (as SwarmKit counts).
        var serviceTasks = 0
        var load = Load()
        var ordinal = 0
        var childByValue: [String: Int] = [:]
        var children = MinHeap<BranchRank>()
        var nodes = MinHeap<NodeRank>()
        var isLeaf: Bool
    }

    private(set) var branches: [Branch]
    private let group: GroupContext

    /// Builds the tree over every node; only nodes for which `eligible` holds go into the leaves.
    init(group: GroupContext, preferences: [PlacementPreference], nodes: [NodeInfo], eligible: (Int) -> Bool) {
        self.group = group
        let serviceID = group.failureKey.serviceID
        let levels = preferences.compactMap { Self.level(of: $0.spreadDescriptor) }
        branches = [Branch(value: "", isLeaf: levels.isEmpty)]
        // Ranks per branch, heapified once at the end: cheaper than a push per node.
        var leafRanks: [[NodeRank]] = [[]]
        var path: [Int] = []
        path.reserveCapacity(levels.count + 1)
        for index in nodes.indices {
            let serviceTasks = nodes[index].activeTasks(ofService: serviceID)
            let isEligible = eligible(index)
            path.removeAll(keepingCapacity: true)
            path.append(0)
            for depth in levels.indices {
                let level = levels[depth]
                let value = level.value(on: nodes[index].node)
                let parent = path[path.count - 1]
                if let next = branches[parent].childByValue[value] {
                    path.append(next)
                } else {
                    branches.append(Branch(value: value, isLeaf: depth == levels.count - 1))
                    leafRanks.append([])
                    branches[parent].childByValue[value] = branches.count - 1
                    path.append(branches.count - 1)
                }
            }
            for branch in path {
                branches[branch].serviceTasks += serviceTasks
                if isEligible {
                    branches[branch].load.tasks += nodes[index].activeTasks
                    branches[branch].load.nodes += 1
                }
            }
            if isEligible { leafRanks[path[path.count - 1]].append(NodeRank(nodes[index], group: group, index: index)) }
        }
        for (branch, ranks) in leafRanks.enumerated() where !ranks.isEmpty { branches[branch].nodes = MinHeap(ranks) }
        _ = seedChildren(of: 0)
    }

    /// Fills each inner branch's heap with the children that have a node somewhere below; returns whether the
    /// branch has one.
    private mutating func seedChildren(of branch: Int) -> Bool {
        guard !branches[branch].isLeaf else { return !branches[branch].nodes.isEmpty }
        let sorted = branches[branch].childByValue.sorted { $0.key < $1.key }
        var viable: [BranchRank] = []
        for (ordinal, child) in sorted.enumerated() {
            branches[child.value].ordinal = ordinal
            if seedChildren(of: child.value) {
                viable.append(rank(of: child.value))
            }
        }
        branches[branch].children = MinHeap(viable)
        return !viable.isEmpty
    }

    private func rank(of branch: Int) -> BranchRank {
        BranchRank(serviceTasks: branches[branch].serviceTasks, load: branches[branch].load,
                   ordinal: branches[branch].ordinal, branch: branch)
    }

    /// Places one task: picks the node, records the task on it and returns the node's index, or nil when no
    /// node under the tree can take it any more.
    mutating func place(_ footprint: TaskFootprint, requirements: TaskRequirements,
                        nodes: inout [NodeInfo]) -> Int? {
        place(footprint, in: 0, requirements: requirements, nodes: &nodes)
    }

    private mutating func place(_ footprint: TaskFootprint, in branch: Int, requirements: TaskRequirements,
                                nodes: inout [NodeInfo]) -> Int? {
        if branches[branch].isLeaf {
            // Nodes only get fuller while a group is placed, so one that fails now is dropped for good.
            while let best = branches[branch].nodes.popMin() {
                guard requirements.firstDynamicFailure(on: nodes[best.index]) == nil else { continue }
                nodes[best.index].add(footprint)
                branches[branch].nodes.push(NodeRank(nodes[best.index], group: group, index: best.index))
                return best.index
            }
            return nil
        }
        while let child = branches[branch].children.popMin() {
            guard let placed = place(footprint, in: child.branch, requirements: requirements, nodes: &nodes) else {
                continue
            }
            branches[child.branch].serviceTasks += 1
            branches[child.branch].load.tasks += 1
            branches[branch].children.push(rank(of: child.branch))
            return placed
        }
        return nil
    }

    /// A spread descriptor the tree can use: a node or engine label. Others (`node.hostname` …) are ignored, as
    /// SwarmKit ignores them.
    enum Level {
        case nodeLabel(String)
        case engineLabel(String)

        func value(on node: SwarmNode) -> String {
            switch self {
            case .nodeLabel(let name): node.spec.labels[name] ?? ""
            case .engineLabel(let name): node.description.engineLabels[name] ?? ""
            }
        }
    }

    static func level(of descriptor: String) -> Level? {
        if let name = Constraint.labelName(descriptor, prefix: Constraint.nodeLabelPrefix) { return .nodeLabel(name) }
        if let name = Constraint.labelName(descriptor, prefix: Constraint.engineLabelPrefix) {
            return .engineLabel(name)
        }
        return nil
    }
}
