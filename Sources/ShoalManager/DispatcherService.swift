import Foundation
import GRPCCore
import ShoalCore
import ShoalClusterProto
import Synchronization

/// Dispatcher on the control API: a node's session. Every heartbeat the node sends is answered with the session
/// parameters (heartbeat period, managers), so a changed period reaches the node at its next heartbeat. From the
/// node's first heartbeat on (which reports its own endpoints), the session also carries the endpoints on the
/// other nodes: the full set, then each change as the leader commits it. Nodes of this cluster only (mutual TLS).
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
            // One writer: heartbeat answers and endpoint updates go out in the order they are queued.
            let (outbox, queue) = AsyncStream<Shoal_Cluster_V1_SessionMessage>.makeStream()
            let feed = EndpointForwarder()
            defer { feed.stop() }
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in outbox { try await response.write(message) }
                }
                group.addTask {
                    defer { queue.finish() }
                    for try await heartbeat in request {
                        queue.yield(Self.message(try await manager.heartbeat(from: caller)))
                        guard heartbeat.reportsAttachments, !feed.started else { continue }
                        let subscription = try await manager.requireLeader().subscribeEndpoints(
                            nodeID: nodeID, reported: heartbeat.attachmentIds)
                        feed.start(subscription, into: queue)
                    }
                }
                try await group.next()
                group.cancelAll()
            }
        }
    }

    static func message(_ parameters: SessionParameters) -> Shoal_Cluster_V1_SessionMessage {
        var message = Shoal_Cluster_V1_SessionMessage()
        message.heartbeatPeriodMs = Int64(parameters.heartbeatPeriod.components.seconds * 1000
            + parameters.heartbeatPeriod.components.attoseconds / 1_000_000_000_000_000)
        message.managers = parameters.managers.map { manager in
            var entry = Shoal_Cluster_V1_Manager()
            entry.nodeID = manager.nodeID
            entry.address = manager.address
            return entry
        }
        message.role = parameters.role?.rawValue ?? ""
        return message
    }
}

/// Moves one session's endpoint updates from the leader's feed into the session's outbox, until the session or
/// the leadership term ends.
final class EndpointForwarder: Sendable {
    private struct State {
        var task: Task<Void, Never>?
        var leave: (@Sendable () async -> Void)?
    }

    private let state = Mutex(State())

    var started: Bool { state.withLock { $0.task != nil } }

    func start(_ subscription: (id: UUID, updates: AsyncStream<Shoal_Cluster_V1_EndpointUpdate>, feed: EndpointFeed),
               into queue: AsyncStream<Shoal_Cluster_V1_SessionMessage>.Continuation) {
        let task = Task {
            for await update in subscription.updates {
                var message = Shoal_Cluster_V1_SessionMessage()
                message.endpoints = update
                queue.yield(message)
            }
        }
        state.withLock { $0 = State(task: task, leave: { await subscription.feed.cancel(subscription.id) }) }
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
