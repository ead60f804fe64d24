import Foundation
import ShoalModel

extension SchedulerState {
    /// Places pending tasks (status `pending`) and records the placed ones on their nodes. Returns one decision
    /// per task, in the order given, except for tasks no longer wanted (desired state past `complete`), which
    /// get none.
    ///
    /// Tasks already bound to a node (global services) are only checked against it, before anything else is
    /// placed. The others are placed in groups, one per service and spec version (SwarmKit's unit: the tasks of
    /// a group ask the same of a node, so every node is filtered once per group and only re-checked, for what
    /// placements change, when it comes up again); a task with no service is a group of its own. Groups are
    /// placed in the order their first task comes.
    ///
    /// `now` is the caller's clock, used only to weigh recent failures; without it they are not weighed.
    public mutating func schedule(_ tasks: [SwarmTask], now: Date? = nil) -> [SchedulingDecision] {
        var decisions = [SchedulingDecision?](repeating: nil, count: tasks.count)
        var groups: [[Int]] = []
        var groupByKey: [GroupKey: Int] = [:]
        for (position, task) in tasks.enumerated() where task.desiredState <= .complete {
            if !task.nodeID.isEmpty {
                decisions[position] = confirm(task)
                continue
            }
            guard !task.serviceID.isEmpty else {
                groups.append([position])
                continue
            }
            let key = GroupKey(serviceID: task.serviceID, specVersion: task.specVersion)
            if let group = groupByKey[key] {
                groups[group].append(position)
            } else {
                groupByKey[key] = groups.count
                groups.append([position])
            }
        }
        for group in groups {
            for (position, decision) in zip(group, place(group.map { tasks[$0] }, now: now)) {
                decisions[position] = decision
            }
        }
        return decisions.compactMap { $0 }
    }

    private struct GroupKey: Hashable {
        var serviceID: String
        var specVersion: UInt64
    }

    /// A task its orchestrator bound to a node: it runs there or nowhere. Its error has no "no suitable node"
    /// around it, as SwarmKit reports a preassigned task that does not fit.
    private mutating func confirm(_ task: SwarmTask) -> SchedulingDecision {
        let requirements = TaskRequirements(task)
        guard let index = indexByNodeID[task.nodeID] else {
            return SchedulingDecision(taskID: task.id, outcome: .unschedulable(reason: "node \(task.nodeID) not found"))
        }
        if let failed = requirements.firstFailure(on: nodes[index]) {
            return SchedulingDecision(taskID: task.id, outcome: .unschedulable(reason: failed.explanation(nodes: 1)))
        }
        record(task, onNodeAt: index)
        boundTaskIDs.insert(task.id)
        return SchedulingDecision(taskID: task.id, outcome: .assigned(nodeID: task.nodeID))
    }

    /// Places one group: the nodes that can take its task now go into a placement tree, then each task takes
    /// the tree's best node. Once no node can take more, the rest get the explanation of why, counted over
    /// every node as the cluster stands after the group's placements.
    private mutating func place(_ group: [SwarmTask], now: Date?) -> [SchedulingDecision] {
        guard let first = group.first else { return [] }
        let requirements = TaskRequirements(first)
        let context = PlacementTree.GroupContext(
            failureKey: RecentFailures.Key(serviceID: first.serviceID, specVersion: first.specVersion), now: now)
        var tree = PlacementTree(group: context, preferences: first.spec.placement.preferences,
                                 nodes: nodes) { requirements.firstFailure(on: nodes[$0]) == nil }
        var decisions: [SchedulingDecision] = []
        decisions.reserveCapacity(group.count)
        var unplaced: String?
        for task in group {
            if unplaced == nil, let index = tree.place(TaskFootprint(task), requirements: requirements, nodes: &nodes) {
                nodeIDByTask[task.id] = nodes[index].id
                decisions.append(SchedulingDecision(taskID: task.id, outcome: .assigned(nodeID: nodes[index].id)))
                continue
            }
            let reason = unplaced ?? explainNoSuitableNode(requirements)
            unplaced = reason
            decisions.append(SchedulingDecision(taskID: task.id, outcome: .unschedulable(reason: reason)))
        }
        return decisions
    }

    /// Why no node can take a task now: each node charged to the first filter it fails.
    func explainNoSuitableNode(_ requirements: TaskRequirements) -> String {
        var failures = FilterFailures()
        for node in nodes {
            if let failed = requirements.firstFailure(on: node) { failures.record(failed) }
        }
        return failures.noSuitableNode
    }
}
