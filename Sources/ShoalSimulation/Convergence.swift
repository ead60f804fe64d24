import ShoalModel

/// When a step of the scenario is done (pure): every replica each service wants runs, on a node that is Ready, with
/// the service's current task template, and no other task is still wanted up. Counted over the store as any
/// manager reads it (`docker service ls` would show every service at n/n).
public struct Convergence: Sendable, Equatable, Codable, CustomStringConvertible {
    /// Replicas the services want.
    public var desired = 0
    /// Tasks that count towards them: wanted running, running, on a Ready node, of the current template.
    public var running = 0
    /// Tasks wanted up that do not count (yet): not running, on a node that is not Ready, of an older template.
    public var waiting = 0
    /// Tasks wanted up beyond a service's replicas (not yet told to shut down).
    public var surplus = 0
    /// Replicas placed: a task wanted running, of the current template, assigned to a Ready node and not ended
    /// (the scheduler's part is done; what remains is the node's). At most `desired`.
    public var placed = 0

    public var converged: Bool { running == desired && waiting == 0 && surplus == 0 }

    /// Every replica is placed.
    public var allPlaced: Bool { placed == desired }

    public var description: String {
        "\(running)/\(desired) running, \(placed) placed, \(waiting) waiting, \(surplus) surplus"
    }

    /// Whether `task` holds a place (see `placed`).
    static func isPlaced(_ task: SwarmTask, readyNodes: Set<String>) -> Bool {
        isPlaced(state: task.status.state, nodeID: task.nodeID, readyNodes: readyNodes)
    }

    static func isPlaced(state: TaskState, nodeID: String, readyNodes: Set<String>) -> Bool {
        state >= .assigned && state <= .running && readyNodes.contains(nodeID)
    }

    public static func of(services: [SwarmService], tasks: [SwarmTask], readyNodes: Set<String>) -> Convergence {
        var result = Convergence()
        let byService = Dictionary(grouping: tasks.filter { $0.desiredState <= .running }, by: \.serviceID)
        for service in services {
            guard case .replicated(let replicas) = service.spec.mode else { continue }
            result.desired += Int(replicas)
            var counted = 0
            var placed = 0
            for task in byService[service.id] ?? [] {
                let current = task.spec == service.spec.taskTemplate
                if current, isPlaced(task, readyNodes: readyNodes) { placed += 1 }
                if task.status.state == .running, readyNodes.contains(task.nodeID), current {
                    counted += 1
                } else {
                    result.waiting += 1
                }
            }
            result.running += min(counted, Int(replicas))
            result.placed += min(placed, Int(replicas))
            result.surplus += max(0, counted - Int(replicas))
        }
        return result
    }
}
