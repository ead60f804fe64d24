import Foundation
import Logging
import ShoalAgent
import ShoalClusterClient
import ShoalClusterProto
import ShoalModel

/// This node's side of log subscriptions (every node, managers too). Each subscription its session brings is read
/// by a `TaskLogReader` over the node's own tasks and published to the leader in batches on a PublishLogs stream
/// of the session's connection, ending with a close (without follow). The reading stops when the subscription is
/// closed (its subscriber left), when the leader ends the stream, or with the session (its connection goes).
actor NodeLogs {
    private let reader: TaskLogReader
    private let logger: Logger
    private var agent: SwarmAgent?
    private var readers: [String: Task<Void, Never>] = [:]

    init(reader: TaskLogReader, logger: Logger) {
        self.reader = reader
        self.logger = logger
    }

    /// The agent whose session the subscriptions come on (and whose connection carries the logs).
    func connect(_ agent: SwarmAgent) { self.agent = agent }

    func handle(_ subscription: Shoal_Cluster_V1_LogSubscription) async {
        let id = subscription.id
        if subscription.close {
            readers.removeValue(forKey: id)?.cancel()
            return
        }
        guard readers[id] == nil, let channel = await agent?.sessionChannel else { return }
        let reader = self.reader
        let logger = self.logger
        readers[id] = Task {
            do {
                try await Self.publish(subscription, reader: reader, on: channel)
            } catch where !Task.isCancelled {
                logger.info("swarm: logs of subscription \(id) stopped: \(error)")
            } catch {}
            // A following subscription lives as long as its client: its end is worth a line in the log.
            if subscription.options.follow { logger.info("swarm: following log subscription \(id) ended") }
            self.ended(id)
        }
    }

    /// The session's agent stops: so does every reader.
    func stopAll() {
        for reader in readers.values { reader.cancel() }
        readers = [:]
    }

    private func ended(_ id: String) { readers[id] = nil }

    /// Reads the subscription's logs and sends them, batch by batch, until done (without follow) or cancelled.
    static func publish(_ subscription: Shoal_Cluster_V1_LogSubscription, reader: TaskLogReader,
                        on channel: ControlChannel) async throws {
        let id = subscription.id
        let selector = TaskLogSelector(subscription.selector)
        let options = LogOptions(subscription.options)
        _ = try await channel.logs.publishLogs(options: ControlChannel.options(timeout: nil)) { writer in
            let batcher = LogBatcher()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    defer { batcher.finish() }
                    try await reader.read(selector, options: options, into: batcher)
                }
                try await batcher.send { batch in
                    var message = Shoal_Cluster_V1_PublishLogsMessage()
                    message.subscriptionID = id
                    message.messages = batch.map(\.message)
                    try await writer.write(message)
                }
                try await group.waitForAll()
            }
            var done = Shoal_Cluster_V1_PublishLogsMessage()
            done.subscriptionID = id
            done.close = true
            try await writer.write(done)
        }
    }
}
