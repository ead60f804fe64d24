import Foundation
import ShoalModel

/// The scheduler's verdict on one task. The shell writes it back to the store with `applied(to:at:)`.
public struct SchedulingDecision: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case assigned(nodeID: String)
        /// The task stays pending with this error ("no suitable node (…)"; for a task whose node was chosen
        /// before scheduling, the bare explanation, as SwarmKit reports it).
        case unschedulable(reason: String)
    }

    public var taskID: String
    public var outcome: Outcome

    public init(taskID: String, outcome: Outcome) {
        self.taskID = taskID
        self.outcome = outcome
    }

    public var nodeID: String? {
        if case .assigned(let nodeID) = outcome { return nodeID }
        return nil
    }

    /// The task as it should be stored after this decision, with the messages `docker service ps` shows. `now`
    /// is the caller's clock: the scheduler reads none.
    public func applied(to task: SwarmTask, at now: Date) -> SwarmTask {
        var task = task
        switch outcome {
        case .assigned(let nodeID):
            let wasPreassigned = task.nodeID == nodeID
            task.nodeID = nodeID
            task.status = TaskStatus(
                timestamp: now, state: .assigned,
                message: wasPreassigned ? "scheduler confirmed task can run on preassigned node"
                                        : "scheduler assigned task to node")
        case .unschedulable(let reason):
            task.status.timestamp = now
            task.status.err = reason
        }
        return task
    }
}
