/// A stand-in for the leader's scheduler service, in the spirit of Nomad's scheduler harness: it keeps the
/// tasks as a store would, runs `schedule` on the pending ones, writes the decisions back with a test clock,
/// and lets a test move nodes and tasks through their lives the way the orchestrators and agents would.
import Foundation
import ShoalModel
@testable import ShoalScheduler

struct SchedulerHarness {
    var state: SchedulerState
    private(set) var store: [String: SwarmTask] = [:]
    private(set) var now = epoch
    private var nextID = 0

    init(nodes: [SwarmNode]) { state = SchedulerState(nodes: nodes) }

    /// Creates `count` pending tasks of a service, schedules every pending task, and starts the assigned ones.
    @discardableResult
    mutating func create(_ count: Int, service: String, spec: TaskSpec = taskSpec()) -> [SchedulingDecision] {
        for _ in 0..<count { add(task(newID(service), service: service, spec: spec)) }
        return tick()
    }

    /// One scheduling round over every pending task, as the service does on each batch of store events.
    @discardableResult
    mutating func tick() -> [SchedulingDecision] {
        now += 1
        let pending = store.values.filter { $0.status.state == .pending && $0.desiredState == .running }
            .sorted { $0.id < $1.id }
        let decisions = state.schedule(pending)
        for decision in decisions {
            var updated = decision.applied(to: store[decision.taskID]!, at: now)
            if updated.status.state == .assigned { updated.status.state = .running }
            store[updated.id] = updated
            state.observe(updated)
        }
        return decisions
    }

    /// What the orchestrators do when a node can no longer run its tasks (drained or down): shut them down and
    /// make a pending replacement for each.
    mutating func evacuate(_ nodeID: String) {
        for task in store.values where task.nodeID == nodeID && task.desiredState == .running {
            var ended = task
            ended.desiredState = .shutdown
            ended.status.state = .shutdown
            store[task.id] = ended
            state.observe(ended)
            add(SwarmTask(id: newID(task.serviceID), createdAt: now, serviceID: task.serviceID, spec: task.spec,
                          endpoint: task.endpoint, status: TaskStatus(timestamp: now, state: .pending)))
        }
    }

    mutating func updateNode(_ node: SwarmNode) { state.upsertNode(node) }

    /// Running tasks of a service per node ID, as `docker service ps` would list them.
    func running(_ service: String) -> [String: Int] {
        store.values.filter { $0.serviceID == service && $0.status.state == .running }
            .reduce(into: [:]) { $0[$1.nodeID, default: 0] += 1 }
    }

    func pendingErrors(_ service: String) -> [String] {
        store.values.filter { $0.serviceID == service && $0.status.state == .pending }.map(\.status.err)
    }

    private mutating func add(_ task: SwarmTask) { store[task.id] = task }

    private mutating func newID(_ service: String) -> String {
        nextID += 1
        return "\(service).\(nextID)"
    }
}
