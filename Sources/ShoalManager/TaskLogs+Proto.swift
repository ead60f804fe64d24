import Foundation
import ShoalClusterProto
import ShoalModel

/// Log subscriptions and lines between their domain shape (ShoalModel) and the control API's.
extension TaskLogSelector {
    init(_ message: Shoal_Cluster_V1_LogSelector) {
        self.init(serviceIDs: message.serviceIds, taskIDs: message.taskIds)
    }

    var message: Shoal_Cluster_V1_LogSelector {
        var message = Shoal_Cluster_V1_LogSelector()
        message.serviceIds = serviceIDs
        message.taskIds = taskIDs
        return message
    }
}

extension LogOptions {
    init(_ message: Shoal_Cluster_V1_LogSubscriptionOptions) {
        self.init()
        stdout = message.stdout
        stderr = message.stderr
        follow = message.follow
        tail = message.hasTail ? Int(clamping: message.tail) : nil
        since = message.sinceNs == 0 ? nil : Date(nanoseconds: message.sinceNs)
    }

    /// `timestamps` and `until` stay behind: the API adds timestamps itself, and Docker's service logs have no
    /// `until`.
    var subscriptionMessage: Shoal_Cluster_V1_LogSubscriptionOptions {
        var message = Shoal_Cluster_V1_LogSubscriptionOptions()
        message.stdout = stdout
        message.stderr = stderr
        message.follow = follow
        if let tail { message.tail = Int64(tail) }
        message.sinceNs = since?.nanoseconds ?? 0
        return message
    }
}

extension TaskLogMessage {
    init(_ message: Shoal_Cluster_V1_LogMessage) {
        self.init(
            context: TaskLogContext(serviceID: message.context.serviceID, nodeID: message.context.nodeID,
                                    taskID: message.context.taskID),
            entry: LogEntry(stream: message.stream == "stderr" ? .stderr : .stdout,
                            time: Date(nanoseconds: message.timeNs), bytes: Array(message.data)))
    }

    var message: Shoal_Cluster_V1_LogMessage {
        var message = Shoal_Cluster_V1_LogMessage()
        message.context.serviceID = context.serviceID
        message.context.nodeID = context.nodeID
        message.context.taskID = context.taskID
        message.timeNs = entry.time.nanoseconds
        message.stream = entry.stream == .stderr ? "stderr" : "stdout"
        message.data = Data(entry.bytes)
        return message
    }
}
