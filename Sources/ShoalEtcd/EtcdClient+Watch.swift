import Foundation
import GRPCCore
import ShoalCore
import ShoalEtcdProto

extension EtcdClient {
    /// Watches every key starting with `prefix` (`etcdctl watch --prefix`).
    ///
    /// Returns once etcd has registered the watch, so any change made after this returns is seen. With
    /// `fromRevision`, changes since that revision are replayed first (read a snapshot at revision R, then watch
    /// from R + 1 to miss nothing). When a member goes away the watch resumes on the next endpoint from the
    /// revision after the last event delivered: no event is lost or repeated. The sequence ends when the task
    /// iterating it is cancelled, `cancel()` is called or the client closes; it throws when the revision asked
    /// for has been compacted (`EtcdWatchError.compacted`, as the cause of a `ShoalError`).
    public func watch(prefix: String, fromRevision: Int64? = nil) async throws -> EtcdWatch {
        try await watch(key: Data(prefix), rangeEnd: EtcdKeyRange.prefixEnd(prefix), fromRevision: fromRevision,
                        what: "watch --prefix \(prefix)")
    }

    /// Watches one key (`etcdctl watch KEY`); see `watch(prefix:fromRevision:)`.
    public func watch(key: String, fromRevision: Int64? = nil) async throws -> EtcdWatch {
        try await watch(key: Data(key), rangeEnd: Data(), fromRevision: fromRevision, what: "watch \(key)")
    }

    private func watch(key: Data, rangeEnd: Data, fromRevision: Int64?, what: String) async throws -> EtcdWatch {
        // Bounded: a watcher that falls behind holds the stream from etcd (which keeps what is not sent yet and
        // catches the watch up from its store) instead of this process piling up every change in memory.
        let (events, continuation) = AsyncThrowingStream<EtcdEvent, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.watchBacklog))
        let created = WatchCreation()
        // The next revision to ask for: nil means "from now" until etcd tells us what now is.
        let next = LockedValue<Int64?>(fromRevision)
        let task = startStream { [self] in
            do {
                try await runWatch(
                    key: key, rangeEnd: rangeEnd, next: next, what: what, created: created,
                    continuation: continuation)
                continuation.finish()
            } catch is CancellationError {
                continuation.finish()
            } catch {
                let error = Self.shoalError(error, operation: what, endpoints: configuration.endpoints)
                created.fail(error)
                continuation.finish(throwing: error)
            }
            created.fail(ShoalError(.unavailable, "etcd \(what) ended before it started"))
        }
        guard let task else {
            continuation.finish()
            throw ShoalError.invalidState("the etcd client is closed")
        }
        continuation.onTermination = { _ in task.cancel() }
        do {
            let revision = try await created.wait()
            return EtcdWatch(events: events, task: task, startRevision: revision)
        } catch {
            task.cancel()
            throw error
        }
    }

    private func runWatch(
        key: Data, rangeEnd: Data, next: LockedValue<Int64?>, what: String, created: WatchCreation,
        continuation: AsyncThrowingStream<EtcdEvent, any Error>.Continuation
    ) async throws {
        var index = preferredIndex
        let count = configuration.endpoints.count
        let clock = ContinuousClock()
        let creationDeadline = clock.now.advanced(by: configuration.callTimeout)
        var pause = Duration.milliseconds(20)
        var lastError: (any Error)?
        while true {
            try Task.checkCancellation()
            if !created.isDone, clock.now >= creationDeadline {
                throw Self.shoalError(lastError, operation: what, endpoints: configuration.endpoints)
            }
            var request = Etcdserverpb_WatchCreateRequest()
            request.key = key
            request.rangeEnd = rangeEnd
            request.startRevision = next.value ?? 0
            // No `prev_kv`: nothing reads a key's value before the change, and etcd reads it from its backend
            // for every event it sends, and sends it along: twice the bytes for every task change.
            // Progress notifications move `next` forward on a quiet key, so a resumed watch does not replay
            // (or hit compaction on) history it had already covered.
            request.progressNotify = true
            let watchRequest = Etcdserverpb_WatchRequest.with { $0.createRequest = request }
            do {
                let connection = try connection(at: index)
                try await connection.watch.watch(
                    options: watchOptions,
                    requestProducer: { writer in
                        try await writer.write(watchRequest)
                        // Closing the request side would end the watch: hold it open until the RPC ends.
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    },
                    onResponse: { response in
                        for try await message in response.messages {
                            for event in try Self.handle(message, next: next, created: created) {
                                try await continuation.yieldWaiting(event)
                                next.value = event.revision + 1
                            }
                        }
                    })
                lastError = ShoalError(.unavailable, "etcd \(what): the member ended the stream")
            } catch let error as RPCError where error.code == .cancelled && Task.isCancelled {
                throw CancellationError()
            } catch let error as RPCError {
                lastError = error
            } catch let error as ShoalError where error.code == .unavailable {
                lastError = error
            }
            logger.debug(
                "etcd \(what) on \(configuration.endpoints[index]) broke, trying the next member",
                metadata: ["error": "\(lastError.map { "\($0)" } ?? "")"])
            index = (index + 1) % count
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .seconds(1))
        }
    }

    /// Events a watch holds for its watcher at most.
    public static let watchBacklog = 1024

    /// The events of `message` (their delivery moves `next` on); a cancelled watch throws.
    private static func handle(
        _ message: Etcdserverpb_WatchResponse, next: LockedValue<Int64?>, created: WatchCreation
    ) throws -> [EtcdEvent] {
        if message.canceled {
            if message.compactRevision > 0 {
                throw ShoalError(
                    .invalidState,
                    "etcd watch: revision \(next.value ?? 0) has been compacted (oldest kept: \(message.compactRevision))",
                    cause: EtcdWatchError.compacted(compactRevision: message.compactRevision))
            }
            throw ShoalError(.unavailable, "etcd cancelled the watch: \(message.cancelReason)")
        }
        if message.created {
            let start = next.withLock { next -> Int64 in
                if next == nil { next = message.header.revision + 1 }
                return next!
            }
            created.succeed(start)
        }
        if message.events.isEmpty, !message.created, message.header.revision > 0 {
            // A progress notification: every change up to header.revision has been delivered.
            next.withLock { next in next = max(next ?? 0, message.header.revision + 1) }
        }
        return message.events.map(EtcdEvent.init)
    }
}

/// Why a watch ended with an error that the caller can act on.
public enum EtcdWatchError: Error, Sendable, Equatable {
    /// The revision asked for is older than etcd keeps: read a fresh snapshot, then watch from its revision + 1.
    case compacted(compactRevision: Int64)
}

/// The changes under a key or prefix, in revision order, as they happen.
public struct EtcdWatch: AsyncSequence, Sendable {
    public typealias Element = EtcdEvent

    private let events: AsyncThrowingStream<EtcdEvent, any Error>
    private let task: Task<Void, Never>
    /// The first revision this watch covers: changes at or after it are delivered.
    public let startRevision: Int64

    init(events: AsyncThrowingStream<EtcdEvent, any Error>, task: Task<Void, Never>, startRevision: Int64) {
        self.events = events
        self.task = task
        self.startRevision = startRevision
    }

    /// Ends the watch: iteration finishes after the events already received.
    public func cancel() { task.cancel() }

    public func makeAsyncIterator() -> AsyncThrowingStream<EtcdEvent, any Error>.AsyncIterator {
        events.makeAsyncIterator()
    }
}

/// The one-shot "etcd has registered the watch" signal `watch` waits for: the first revision covered, or why
/// the watch could not start.
final class WatchCreation: Sendable {
    private let outcome = OneShot<Result<Int64, ShoalError>>()

    var isDone: Bool { outcome.value != nil }

    func wait() async throws -> Int64 {
        try await outcome.wait().get()
    }

    func succeed(_ revision: Int64) { outcome.complete(.success(revision)) }
    func fail(_ error: ShoalError) { outcome.complete(.failure(error)) }
}
