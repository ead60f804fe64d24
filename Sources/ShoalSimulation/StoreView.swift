import Foundation
import ShoalManager
import ShoalModel

/// The scenario's view of the leader's store, kept by its watches (`SwarmMembership.follow()`) rather than by
/// reading whole tables: each change is applied once, and the counts `Convergence` reports are kept as tasks,
/// services and nodes change, so asking for them costs nothing and a step is seen done within a few milliseconds
/// of the commit that finished it. (Polling 100,000 tasks took seconds a read, cost the leader's process a third
/// of its CPU, and left the steps' times seconds apart.)
actor StoreView {
    /// Only what the counts need of each task (the driver shares the leader's process: holding 100,000 whole
    /// tasks would count against the leader's memory).
    private var tasks: [String: Tracked] = [:]
    /// Each service's distinct task templates, as its tasks and its spec name them (`Tracked.template`).
    private var templates: [String: [TaskSpec]] = [:]
    private var services: [String: SwarmService] = [:]
    private(set) var nodes: [String: SwarmNode] = [:]
    private var readyNodes: Set<String> = []
    private var tasksByService: [String: Set<String>] = [:]
    private var tasksByNode: [String: Set<String>] = [:]
    /// How each task counts towards its service (see `Convergence`).
    private var counting: [String: (serviceID: String, counting: Counting, placed: Bool)] = [:]
    private var counts: [String: Counts] = [:]
    /// The tables read so far (the view answers once all three are).
    private var loaded: Set<String> = []
    /// Time spent applying changes (the driver's share of the leader's process).
    private(set) var applying = Duration.zero
    private var following: Task<Void, Never>?

    private enum Counting { case counted, waiting }

    private struct Tracked {
        var serviceID: String
        var nodeID: String
        var state: TaskState
        var desiredState: TaskState
        /// Its template's index in `templates[serviceID]`.
        var template: Int
    }

    private struct Counts {
        var counted = 0
        var waiting = 0
        var placed = 0
    }

    /// Follows `leader`'s store until `stop`.
    func start(_ leader: SwarmMembership) async throws {
        let changes = try await leader.follow()
        following = Task {
            do {
                for try await change in changes { self.apply(change) }
            } catch {}
        }
    }

    func stop() {
        following?.cancel()
        following = nil
    }

    var isLoaded: Bool { loaded.count == 3 }

    /// The counts as of the last change applied.
    func convergence() -> Convergence {
        var result = Convergence()
        for service in services.values {
            guard case .replicated(let replicas) = service.spec.mode else { continue }
            let count = counts[service.id] ?? Counts()
            result.add(replicas: Int(replicas), counted: count.counted, waiting: count.waiting, placed: count.placed)
        }
        return result
    }

    private func apply(_ change: SwarmObjectChange) {
        let start = ContinuousClock.now
        defer { applying += ContinuousClock.now - start }
        switch change {
        case .tasks(let all):
            loaded.insert("tasks")
            for id in Array(tasks.keys) { remove(task: id) }
            for task in all { put(task) }
        case .services(let all):
            loaded.insert("services")
            services = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            recount(tasks.keys)
        case .nodes(let all):
            loaded.insert("nodes")
            nodes = Dictionary(all.map { ($0.id, $0) }, uniquingKeysWith: { _, last in last })
            readyNodes = Set(all.filter { $0.status.state == .ready }.map(\.id))
            recount(tasks.keys)
        case .task(let task): put(task)
        case .taskRemoved(let id): remove(task: id)
        case .service(let service):
            services[service.id] = service
            recount(tasksByService[service.id] ?? [])
        case .serviceRemoved(let id):
            services[id] = nil
        case .node(let node):
            nodes[node.id] = node
            let ready = node.status.state == .ready
            guard ready != readyNodes.contains(node.id) else { return }
            if ready { readyNodes.insert(node.id) } else { readyNodes.remove(node.id) }
            recount(tasksByNode[node.id] ?? [])
        case .nodeRemoved(let id):
            nodes[id] = nil
            guard readyNodes.remove(id) != nil else { return }
            recount(tasksByNode[id] ?? [])
        }
    }

    /// The index of `spec` among `serviceID`'s templates (added when new).
    private func template(_ spec: TaskSpec, of serviceID: String) -> Int {
        if let index = templates[serviceID]?.firstIndex(of: spec) { return index }
        templates[serviceID, default: []].append(spec)
        return templates[serviceID]!.count - 1
    }

    private func put(_ task: SwarmTask) {
        if let old = tasks[task.id], old.nodeID != task.nodeID { tasksByNode[old.nodeID]?.remove(task.id) }
        tasks[task.id] = Tracked(serviceID: task.serviceID, nodeID: task.nodeID, state: task.status.state,
                                 desiredState: task.desiredState, template: template(task.spec, of: task.serviceID))
        tasksByService[task.serviceID, default: []].insert(task.id)
        tasksByNode[task.nodeID, default: []].insert(task.id)
        recount(task.id)
    }

    private func remove(task id: String) {
        guard let task = tasks.removeValue(forKey: id) else { return }
        tasksByService[task.serviceID]?.remove(id)
        tasksByNode[task.nodeID]?.remove(id)
        recount(id)
    }

    private func recount<IDs: Sequence>(_ ids: IDs) where IDs.Element == String {
        for id in ids { recount(id) }
    }

    /// Moves task `id` to the count it belongs in now: counted when it runs the current template of its
    /// service on a Ready node, waiting when wanted up otherwise (Convergence's rules).
    private func recount(_ id: String) {
        if let old = counting.removeValue(forKey: id) {
            adjust(old.serviceID, old.counting, placed: old.placed, by: -1)
        }
        guard let task = tasks[id], task.desiredState <= .running, let service = services[task.serviceID],
              case .replicated = service.spec.mode else { return }
        let count = Convergence.counts(state: task.state, nodeID: task.nodeID,
                                       current: templates[task.serviceID]?[task.template] == service.spec.taskTemplate,
                                       readyNodes: readyNodes)
        let now: Counting = count.counted ? .counted : .waiting
        counting[id] = (task.serviceID, now, count.placed)
        adjust(task.serviceID, now, placed: count.placed, by: 1)
    }

    private func adjust(_ serviceID: String, _ counting: Counting, placed: Bool, by change: Int) {
        var count = counts[serviceID] ?? Counts()
        switch counting {
        case .counted: count.counted += change
        case .waiting: count.waiting += change
        }
        if placed { count.placed += change }
        counts[serviceID] = count
    }
}
