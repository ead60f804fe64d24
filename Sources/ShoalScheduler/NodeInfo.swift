import Foundation
import ShoalModel

/// A node as the scheduler weighs it: the node object plus what its tasks hold there (task counts overall and
/// per service, reserved CPU and memory, host-mode ports). Only tasks that hold resources are counted: assigned
/// up to running. Tasks whose desired state is past `complete` still hold their reservation and ports until
/// they stop, but no longer count toward spreading (SwarmKit's rule).
public struct NodeInfo: Sendable, Equatable {
    public private(set) var node: SwarmNode
    /// Tasks on the node that count for spreading.
    public private(set) var activeTasks: Int
    public private(set) var activeTasksByService: [String: Int]
    /// The node's CPU and memory minus every held task's reservation; may go negative if the node shrank.
    public private(set) var available: Resources
    private var usedHostPorts: [HostPort: Int]
    private var footprints: [String: TaskFootprint]
    private(set) var recentFailures = RecentFailures()

    public init(node: SwarmNode) {
        self.node = node
        activeTasks = 0
        activeTasksByService = [:]
        available = Resources(nanoCPUs: node.description.nanoCPUs, memoryBytes: node.description.memoryBytes)
        usedHostPorts = [:]
        footprints = [:]
    }

    public var id: String { node.id }
    public var taskCount: Int { footprints.count }
    public func activeTasks(ofService serviceID: String) -> Int { activeTasksByService[serviceID] ?? 0 }
    public func holds(taskID: String) -> Bool { footprints[taskID] != nil }
    public func isHostPortInUse(_ port: HostPort) -> Bool { usedHostPorts[port, default: 0] > 0 }

    /// Replaces the node object (a label, availability or state changed) and recomputes what is left of its
    /// resources from the tasks it holds.
    mutating func replaceNode(_ node: SwarmNode) {
        self.node = node
        available = Resources(nanoCPUs: node.description.nanoCPUs, memoryBytes: node.description.memoryBytes)
        for footprint in footprints.values {
            available.nanoCPUs -= footprint.reservations.nanoCPUs
            available.memoryBytes -= footprint.reservations.memoryBytes
        }
    }

    mutating func recordFailure(_ key: RecentFailures.Key, at time: Date) { recentFailures.record(key, at: time) }

    /// Records a task on this node, or updates whether it counts as active. Returns whether anything changed.
    @discardableResult
    mutating func add(_ footprint: TaskFootprint) -> Bool {
        if let old = footprints[footprint.taskID] {
            guard old.isActive != footprint.isActive else { return false }
            footprints[footprint.taskID]?.isActive = footprint.isActive
            count(footprint.serviceID, by: footprint.isActive ? 1 : -1)
            return true
        }
        footprints[footprint.taskID] = footprint
        available.nanoCPUs -= footprint.reservations.nanoCPUs
        available.memoryBytes -= footprint.reservations.memoryBytes
        for port in footprint.hostPorts { usedHostPorts[port, default: 0] += 1 }
        if footprint.isActive { count(footprint.serviceID, by: 1) }
        return true
    }

    /// Forgets a task, giving back its reservation and ports. Returns whether the node held it.
    @discardableResult
    mutating func remove(taskID: String) -> Bool {
        guard let footprint = footprints.removeValue(forKey: taskID) else { return false }
        available.nanoCPUs += footprint.reservations.nanoCPUs
        available.memoryBytes += footprint.reservations.memoryBytes
        for port in footprint.hostPorts {
            let left = usedHostPorts[port, default: 1] - 1
            usedHostPorts[port] = left > 0 ? left : nil
        }
        if footprint.isActive { count(footprint.serviceID, by: -1) }
        return true
    }

    private mutating func count(_ serviceID: String, by delta: Int) {
        activeTasks += delta
        let now = activeTasksByService[serviceID, default: 0] + delta
        activeTasksByService[serviceID] = now > 0 ? now : nil
    }
}

/// A published port taken on a node by a host-mode publication.
public struct HostPort: Sendable, Hashable {
    public var `protocol`: PortConfig.PortProtocol
    public var port: UInt32

    public init(protocol: PortConfig.PortProtocol, port: UInt32) {
        self.protocol = `protocol`
        self.port = port
    }
}

/// What one task takes on its node: all the accounting needs, so a node does not keep whole task values.
struct TaskFootprint: Sendable, Equatable {
    var taskID: String
    var serviceID: String
    var reservations: Resources
    var hostPorts: [HostPort]
    var isActive: Bool

    init(_ task: SwarmTask) {
        taskID = task.id
        serviceID = task.serviceID
        reservations = task.spec.resources.reservations
        hostPorts = (task.endpoint?.fixedHostPorts ?? []).map { HostPort(protocol: $0.protocol, port: $0.publishedPort) }
        isActive = task.desiredState <= .complete
    }
}
