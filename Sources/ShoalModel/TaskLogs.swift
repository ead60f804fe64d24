import Foundation

/// `docker service logs` / `GET /services/{id}/logs` and `/tasks/{id}/logs`: the tasks whose logs are wanted
/// (full IDs): those of the services, and the tasks named.
public struct TaskLogSelector: Sendable, Equatable {
    public var serviceIDs: [String]
    public var taskIDs: [String]

    public init(serviceIDs: [String] = [], taskIDs: [String] = []) {
        self.serviceIDs = serviceIDs
        self.taskIDs = taskIDs
    }

    /// Whether `task` is one of the selected tasks.
    public func selects(taskID: String, serviceID: String) -> Bool {
        taskIDs.contains(taskID) || serviceIDs.contains(serviceID)
    }
}

/// Where a line of a task's log comes from: Docker's API shows it as the line's details
/// (`com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=…`).
public struct TaskLogContext: Sendable, Hashable {
    public var serviceID: String
    public var nodeID: String
    public var taskID: String

    public init(serviceID: String, nodeID: String, taskID: String) {
        self.serviceID = serviceID
        self.nodeID = nodeID
        self.taskID = taskID
    }
}

/// One line of a task's log.
public struct TaskLogMessage: Sendable, Equatable {
    public var context: TaskLogContext
    public var entry: LogEntry

    public init(context: TaskLogContext, entry: LogEntry) {
        self.context = context
        self.entry = entry
    }
}
