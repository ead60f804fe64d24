import Foundation
import ShoalModel

extension SwarmTask {
    /// A new task of `service` for `slot` (replicated) or bound to `nodeID` (global), as SwarmKit makes them:
    /// the service's task template and endpoint, state `new`.
    static func new(of service: SwarmService, slot: Int, nodeID: String, id: String, now: Date,
                    desiredState: TaskState = .running, restartHistory: [Date] = []) -> SwarmTask {
        var task = SwarmTask(
            id: id, createdAt: now, serviceID: service.id, slot: slot, nodeID: nodeID, spec: service.spec.taskTemplate,
            specVersion: service.version, endpoint: service.spec.endpointSpec, desiredState: desiredState,
            status: TaskStatus(timestamp: now, state: .new, message: "created"))
        task.restartHistory = restartHistory
        return task
    }

    /// Wanted up: desired `running`, or `ready` while a restart delay runs.
    var isLive: Bool { desiredState <= .running }

    /// When it last changed, for ordering a slot's history.
    var lastChange: Date { Swift.max(status.timestamp, createdAt) }
}

/// The tasks that stand for one replica: a replicated service's slot, or a global service's node.
struct SlotKey: Hashable, Comparable {
    var slot: Int
    var nodeID: String

    init(_ task: SwarmTask, global: Bool) {
        slot = global ? 0 : task.slot
        nodeID = global ? task.nodeID : ""
    }

    static func < (lhs: SlotKey, rhs: SlotKey) -> Bool { (lhs.slot, lhs.nodeID) < (rhs.slot, rhs.nodeID) }
}
