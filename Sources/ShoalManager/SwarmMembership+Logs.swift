import Foundation
import ShoalClusterClient
import ShoalClusterProto
import ShoalCore
import ShoalModel

/// `docker service logs` for the Docker API on this node: a manager asks the leader (in-process when it leads,
/// else over the control API) and relays what the nodes publish. A worker refuses, as Docker's does.
extension SwarmMembership {
    /// How many lines wait for a slow API client before the leader's stream (and so the nodes) is held back.
    static let bufferedLogLines = 1024

    /// The lines of the selected tasks' logs as the nodes send them. The stream throws at its end when some
    /// nodes could not give theirs (SwarmKit's "incomplete log stream"); the subscription ends when the caller
    /// stops reading.
    public func taskLogs(_ selector: TaskLogSelector, options: LogOptions) async throws
        -> AsyncThrowingStream<TaskLogMessage, any Error>
    {
        let manager = try requireManager()
        var request = Shoal_Cluster_V1_SubscribeLogsRequest()
        request.selector = selector.message
        request.options = options.subscriptionMessage
        let call = request
        let leader = await manager.leaderServices
        let (lines, continuation) = AsyncThrowingStream<TaskLogMessage, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.bufferedLogLines))
        let relay = Task {
            do {
                if let leader {
                    try await Self.relay(from: leader, call, into: continuation)
                } else {
                    try await onManagers { channel in try await Self.relay(from: channel, call, into: continuation) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        continuation.onTermination = { _ in relay.cancel() }
        return lines
    }

    /// From this manager's own leader services.
    static func relay(from leader: LeaderServices, _ request: Shoal_Cluster_V1_SubscribeLogsRequest,
                      into lines: AsyncThrowingStream<TaskLogMessage, any Error>.Continuation) async throws {
        let (id, batches) = try await leader.subscribeLogs(request)
        do {
            for try await batch in batches {
                for line in batch { try await lines.yieldWaiting(TaskLogMessage(line)) }
            }
        } catch {
            await leader.logs.cancel(id)
            throw error
        }
        await leader.logs.cancel(id)
    }

    /// From the leader through its control API; its last message may say the logs are incomplete.
    static func relay(from channel: ControlChannel, _ request: Shoal_Cluster_V1_SubscribeLogsRequest,
                      into lines: AsyncThrowingStream<TaskLogMessage, any Error>.Continuation) async throws {
        try await channel.logs.subscribeLogs(request, options: ControlChannel.options(timeout: nil)) { response in
            for try await message in response.messages {
                for line in message.messages { try await lines.yieldWaiting(TaskLogMessage(line)) }
                if !message.error.isEmpty { throw ShoalError(.unavailable, message.error) }
            }
        }
    }
}
