import ShoalModel

/// The scheduler's view of the cluster: every node with what its tasks hold. The shell keeps it in step with
/// the store (`upsertNode`, `observe`, `forget`) and asks it to place pending tasks (`schedule`), which also
/// records the placed tasks on their nodes so the next batch sees them.
public struct SchedulerState: Sendable {
    /// Sorted by node ID, so ties between equal nodes always break the same way.
    public internal(set) var nodes: [NodeInfo] = []
    var indexByNodeID: [String: Int] = [:]
    /// Which node holds each task the accounting knows.
    var nodeIDByTask: [String: String] = [:]
    /// Tasks bound to their node before scheduling (global services): their failures say nothing about the
    /// scheduler's choice, so they do not count against the node.
    var boundTaskIDs: Set<String> = []

    public init(nodes: [SwarmNode] = [], tasks: [SwarmTask] = []) {
        self.nodes = nodes.sorted { $0.id < $1.id }.map(NodeInfo.init(node:))
        reindex()
        for task in tasks { observe(task) }
    }

    public func nodeInfo(id: String) -> NodeInfo? { indexByNodeID[id].map { nodes[$0] } }

    /// Adds a node or replaces its object (labels, availability, state, resources changed); its tasks stay.
    public mutating func upsertNode(_ node: SwarmNode) {
        if let index = indexByNodeID[node.id] {
            nodes[index].replaceNode(node)
            return
        }
        let index = nodes.firstIndex { $0.id > node.id } ?? nodes.endIndex
        nodes.insert(NodeInfo(node: node), at: index)
        reindex()
    }

    /// Removes a node (it left the swarm) and forgets the tasks it held.
    public mutating func removeNode(id: String) {
        guard let index = indexByNodeID[id] else { return }
        nodes.remove(at: index)
        nodeIDByTask = nodeIDByTask.filter { $0.value != id }
        reindex()
    }

    /// Keeps the accounting in step with a task as stored. A task holds its node's resources from `assigned`
    /// to `running`; a task still `pending` on a node was put there by its orchestrator (global services) and
    /// only counts once `schedule` confirmed it. Anything else is forgotten.
    /// A held task that fails or is rejected counts against its node for its service (see `RecentFailures`).
    public mutating func observe(_ task: SwarmTask) {
        let holds = !task.nodeID.isEmpty && task.status.state > .pending && task.status.state <= .running
        if task.status.state == .pending && !task.nodeID.isEmpty { boundTaskIDs.insert(task.id) }
        if let held = nodeIDByTask[task.id], !holds || held != task.nodeID {
            if task.status.state == .failed || task.status.state == .rejected, !boundTaskIDs.contains(task.id),
               let index = indexByNodeID[held] {
                nodes[index].recordFailure(RecentFailures.Key(serviceID: task.serviceID, specVersion: task.specVersion),
                                           at: task.status.timestamp)
            }
            forget(taskID: task.id)
        }
        guard holds, let index = indexByNodeID[task.nodeID] else { return }
        record(task, onNodeAt: index)
    }

    mutating func record(_ task: SwarmTask, onNodeAt index: Int) {
        nodes[index].add(TaskFootprint(task))
        nodeIDByTask[task.id] = nodes[index].id
    }

    /// The task was deleted, or ended: its node gets back what it held.
    public mutating func forget(taskID: String) {
        boundTaskIDs.remove(taskID)
        guard let nodeID = nodeIDByTask.removeValue(forKey: taskID), let index = indexByNodeID[nodeID] else { return }
        nodes[index].remove(taskID: taskID)
    }

    private mutating func reindex() {
        indexByNodeID = Dictionary(uniqueKeysWithValues: nodes.enumerated().map { ($0.element.id, $0.offset) })
    }
}
