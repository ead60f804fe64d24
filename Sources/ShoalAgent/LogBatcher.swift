import ShoalModel
import Synchronization

/// Gathers the lines a node's log readers produce for one subscription into batches for the leader: whatever
/// gathered while the last batch was on its way goes in the next one, so a busy log costs few messages and a
/// quiet one sends each line at once. A reader that gets ahead of the sender by `limit` lines waits (the sender
/// itself waits for the leader, which waits for the client reading the logs).
public final class LogBatcher: Sendable {
    private let pending = Mutex<[TaskLogMessage]>([])
    private let doorbell: AsyncStream<Void>.Continuation
    private let rings: AsyncStream<Void>
    let limit: Int
    let batchSize: Int

    public init(limit: Int = 2000, batchSize: Int = 500) {
        // One waiting ring is enough: the sender takes everything pending when it wakes.
        (rings, doorbell) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.limit = limit
        self.batchSize = batchSize
    }

    /// Adds a line, waiting while `limit` lines are pending; throws when the caller is cancelled.
    public func add(_ message: TaskLogMessage) async throws {
        while pending.withLock({ $0.count >= limit }) { try await Task.sleep(for: .milliseconds(5)) }
        pending.withLock { $0.append(message) }
        doorbell.yield(())
    }

    /// No more lines will come: `send` returns once the last batch is sent.
    public func finish() { doorbell.finish() }

    /// Hands each batch to `send` until `finish` (or cancellation), then the lines still pending.
    public func send(_ send: ([TaskLogMessage]) async throws -> Void) async throws {
        for await _ in rings {
            while let batch = take() { try await send(batch) }
        }
        while let batch = take() { try await send(batch) }
    }

    /// gRPC refuses messages over 4 MiB by default: a batch stops growing at 1 MiB of lines.
    static let batchBytes = 1 << 20

    /// Up to `batchSize` pending lines (and about `batchBytes`, at least one line), oldest first; nil when none
    /// is pending.
    func take() -> [TaskLogMessage]? {
        pending.withLock { pending in
            guard !pending.isEmpty else { return nil }
            var count = 0
            var bytes = 0
            for message in pending.prefix(batchSize) {
                if count > 0 && bytes + message.entry.bytes.count > Self.batchBytes { break }
                count += 1
                bytes += message.entry.bytes.count
            }
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            return batch
        }
    }
}
