import Foundation
import GRPCCore
import ShoalCA
import ShoalCore
import ShoalClusterProto
import Synchronization

/// Dispatcher on the control API: a node's session. Every heartbeat the node sends is answered with the session
/// parameters (heartbeat period, managers), so a changed period reaches the node at its next heartbeat. From the
/// node's first heartbeat on (which reports its own endpoints), the session also carries the endpoints on the
/// other nodes and the tasks assigned to the node: the full sets, then each change as the leader commits it, and
/// the log subscriptions for the node's tasks. The node sends the states its tasks reach in batches on the same
/// stream (its logs go on streams of their own: `LogsService`). Nodes of this cluster only (mutual TLS).
struct DispatcherService: Shoal_Cluster_V1_Dispatcher.SimpleServiceProtocol {
    let manager: ManagerNode

    func session(request: RPCAsyncSequence<Shoal_Cluster_V1_Heartbeat, any Error>,
                 response: RPCWriter<Shoal_Cluster_V1_SessionMessage>, context: ServerContext) async throws
    {
        let caller = PeerIdentity.node(context)
        try await ControlErrors.mapping {
            do {
                try await response.write(Self.message(try await manager.heartbeat(from: caller)))
            } catch let error as ShoalError where error.message == SwarmErrors.notLeaderMessage {
                // A follower tells the node every manager before it refuses, so a node that joined through a
                // follower finds the leader.
                try await response.write(Self.message(await manager.followerParameters()))
                throw error
            }
            guard let nodeID = caller?.nodeID else { return }
            DispatcherCounters.sessionOpened()
            defer { DispatcherCounters.sessionClosed() }
            // One writer: heartbeat answers and endpoint updates go out in the order they are queued. The feeds
            // wait while the outbox holds `outboxSize` messages: a node that reads slowly holds them back (the
            // assignments then gather what changes meanwhile into one message) instead of the leader queueing
            // every message for it. Heartbeat answers never wait: the node's next heartbeat must be read.
            let (outbox, queue) = AsyncStream<Shoal_Cluster_V1_SessionMessage>.makeStream()
            // The node's status reports go to the leader's writer from a task of their own, in order: a heartbeat
            // read after a report must not wait for the writer (under a heavy write load it can be busy for
            // seconds, and a live node whose heartbeats wait three periods is judged Down).
            let (reports, reporting) = AsyncStream<[Shoal_Cluster_V1_TaskStatusReport]>.makeStream()
            let depth = OutboxDepth()
            let endpoints = SessionForwarder(depth: depth)
            let assignments = SessionForwarder(depth: depth)
            let logSubscriptions = SessionForwarder(depth: depth)
            defer {
                endpoints.stop()
                assignments.stop()
                logSubscriptions.stop()
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in outbox {
                        try await response.write(message)
                        depth.written()
                        DispatcherCounters.countSent()
                    }
                }
                group.addTask {
                    defer { queue.finish() }
                    try await withThrowingTaskGroup(of: Void.self) { reportsGroup in
                        reportsGroup.addTask {
                            for await batch in reports {
                                try await manager.requireLeader().recordTaskStatuses(nodeID: nodeID, batch)
                            }
                        }
                        defer { reporting.finish() }
                        try await Self.read(request, of: nodeID, caller: caller, manager: manager, queue: queue,
                                            depth: depth, reporting: reporting, endpoints: endpoints,
                                            assignments: assignments, logSubscriptions: logSubscriptions)
                        // The session ends once what the node reported is with the writer.
                        reporting.finish()
                        try await reportsGroup.waitForAll()
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    /// The node's messages, one after another: heartbeats are answered (the first one that reports the node's
    /// endpoints starts its feeds), status reports go on to `reporting`.
    private static func read(_ request: RPCAsyncSequence<Shoal_Cluster_V1_Heartbeat, any Error>, of nodeID: String,
                             caller: NodeCertificate?, manager: ManagerNode,
                             queue: AsyncStream<Shoal_Cluster_V1_SessionMessage>.Continuation, depth: OutboxDepth,
                             reporting: AsyncStream<[Shoal_Cluster_V1_TaskStatusReport]>.Continuation,
                             endpoints: SessionForwarder, assignments: SessionForwarder,
                             logSubscriptions: SessionForwarder) async throws {
        for try await heartbeat in request {
            DispatcherCounters.countReceived()
            if !heartbeat.taskStatuses.isEmpty {
                reporting.yield(heartbeat.taskStatuses)
                continue
            }
            queue.yield(Self.message(try await manager.heartbeat(from: caller)))
            depth.queued()
            guard heartbeat.reportsAttachments, !endpoints.started else { continue }
            let leader = try await manager.requireLeader()
            let endpointFeed = try await leader.subscribeEndpoints(
                nodeID: nodeID, reported: heartbeat.attachmentIds)
            endpoints.start(endpointFeed.updates, as: \.endpoints, into: queue) {
                await endpointFeed.feed.cancel(endpointFeed.id)
            }
            let assignmentFeed = await leader.subscribeAssignments(nodeID: nodeID)
            assignments.start(assignmentFeed.updates, as: \.assignments, into: queue) {
                await assignmentFeed.feed.cancel(assignmentFeed.id)
            }
            let logs = leader.logs
            let (logSession, subscriptions) = await logs.attach(nodeID: nodeID)
            logSubscriptions.start(subscriptions, as: \.logSubscription, into: queue) { await logs.detach(logSession) }
        }
    }

    /// Messages a session's outbox holds for its node at most.
    static let outboxSize = 8

    static func message(_ parameters: SessionParameters) -> Shoal_Cluster_V1_SessionMessage {
        var message = Shoal_Cluster_V1_SessionMessage()
        message.heartbeatPeriodMs = parameters.heartbeatPeriod.microseconds / 1000
        message.managers = parameters.managers.map { manager in
            var entry = Shoal_Cluster_V1_Manager()
            entry.nodeID = manager.nodeID
            entry.address = manager.address
            return entry
        }
        message.role = parameters.role?.rawValue ?? ""
        message.trustRootsDigest = parameters.trustRootsDigest
        message.reportGatherUs = parameters.reportGather.microseconds
        return message
    }
}

/// Moves one of a session's feeds (endpoints, assignments) from the leader into the session's outbox, until the
/// session or the leadership term ends.
final class SessionForwarder: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var leave: (@Sendable () async -> Void)?
    }

    private let state = Mutex(State())
    private let depth: OutboxDepth

    init(depth: OutboxDepth) {
        self.depth = depth
    }

    var started: Bool { state.withLock { $0.task != nil } }

    /// Forwards `updates` into `queue`, each as the session message's `field`; `leave` runs at `stop`.
    func start<Update: Sendable>(_ updates: AsyncStream<Update>,
                                 as field: WritableKeyPath<Shoal_Cluster_V1_SessionMessage, Update> & Sendable,
                                 into queue: AsyncStream<Shoal_Cluster_V1_SessionMessage>.Continuation,
                                 leave: @escaping @Sendable () async -> Void) {
        let depth = self.depth
        let task = Task {
            for await update in updates {
                while depth.messages >= DispatcherService.outboxSize {
                    do { try await Task.sleep(for: .milliseconds(5)) } catch { return }
                }
                var message = Shoal_Cluster_V1_SessionMessage()
                message[keyPath: field] = update
                queue.yield(message)
                depth.queued()
            }
        }
        state.withLock { $0 = State(task: task, leave: leave) }
    }

    func stop() {
        let taken = state.withLock { current in
            defer { current = State() }
            return current
        }
        taken.task?.cancel()
        if let leave = taken.leave { Task { await leave() } }
    }
}

/// Messages in one session's outbox, not written to its node yet.
final class OutboxDepth: Sendable {
    private let count = Atomic<Int>(0)

    var messages: Int { count.load(ordering: .relaxed) }

    func queued() {
        count.add(1, ordering: .relaxed)
        DispatcherCounters.countQueued()
    }

    func written() { count.subtract(1, ordering: .relaxed) }
}
