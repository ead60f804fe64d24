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

    /// How one task wanted up counts: `counted` when it runs the service's current template on a Ready node (else
    /// it waits), `placed` when it is of the current template and held by a Ready node (assigned to running).
    static func counts(state: TaskState, nodeID: String, current: Bool, readyNodes: Set<String>)
        -> (counted: Bool, placed: Bool)
    {
        let ready = readyNodes.contains(nodeID)
        return (current && ready && state == .running, current && ready && state >= .assigned && state <= .running)
    }

    /// Adds one replicated service of `replicas`, with how its tasks wanted up count.
    mutating func add(replicas: Int, counted: Int, waiting: Int, placed: Int) {
        desired += replicas
        running += min(counted, replicas)
        self.placed += min(placed, replicas)
        surplus += max(0, counted - replicas)
        self.waiting += waiting
    }

    public static func of(services: [SwarmService], tasks: [SwarmTask], readyNodes: Set<String>) -> Convergence {
        var result = Convergence()
        let byService = Dictionary(grouping: tasks.filter { $0.desiredState <= .running }, by: \.serviceID)
        for service in services {
            guard case .replicated(let replicas) = service.spec.mode else { continue }
            var (counted, waiting, placed) = (0, 0, 0)
            for task in byService[service.id] ?? [] {
                let count = counts(state: task.status.state, nodeID: task.nodeID,
                                   current: task.spec == service.spec.taskTemplate, readyNodes: readyNodes)
                if count.counted { counted += 1 } else { waiting += 1 }
                if count.placed { placed += 1 }
            }
            result.add(replicas: Int(replicas), counted: counted, waiting: waiting, placed: placed)
        }
        return result
    }
}
