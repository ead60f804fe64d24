import Foundation
import ShoalClusterProto
import ShoalCore

/// The leader's log broker (SwarmKit's manager/logbroker, kept small): it sends each log subscription down the
/// sessions of the nodes that hold the selected tasks, takes what those nodes publish for it, and fans it into
/// the subscriber's stream. Without follow the stream ends once every node it waits for has closed its part (or
/// lost its session: the stream then ends with SwarmKit's "incomplete log stream" error); with follow it lasts
/// until the subscriber leaves, and every node (those that connect later too) gets the subscription, since a
/// node may be given a task of the service at any time.
actor LogBroker {
    typealias Batch = [Shoal_Cluster_V1_LogMessage]
    typealias Subscription = Shoal_Cluster_V1_LogSubscription

    /// How many batches wait for a slow subscriber before the publishers are held back.
    static let bufferedBatches = 64

    /// How long a node asked for logs (without follow) may stay silent before it counts as unavailable: a node
    /// that never starts publishing (its session breaking as the subscription went down it, say) must not keep
    /// `docker service logs` waiting forever. Once it publishes, it takes the time its logs need.
    let silenceLimit: Duration

    init(silenceLimit: Duration = .seconds(30)) {
        self.silenceLimit = silenceLimit
    }

    private struct Session {
        var nodeID: String
        var continuation: AsyncStream<Subscription>.Continuation
    }

    private struct Subscriber {
        var subscription: Subscription
        var continuation: AsyncThrowingStream<Batch, any Error>.Continuation
        /// Nodes sent the subscription: only they may publish for it.
        var sent: Set<String> = []
        /// Nodes whose part has not ended yet (without follow: the stream ends when none is left).
        var pending: Set<String> = []
        /// Nodes that have started publishing.
        var heard: Set<String> = []
        /// Why some logs will be missing.
        var problems: [String] = []
    }

    private var sessions: [UUID: Session] = [:]
    private var subscribers: [String: Subscriber] = [:]

    // MARK: node sessions

    /// A node's session started: the subscriptions for it arrive on the stream (every following one at once).
    func attach(nodeID: String) -> (id: UUID, subscriptions: AsyncStream<Subscription>) {
        let (stream, continuation) = AsyncStream<Subscription>.makeStream(bufferingPolicy: .unbounded)
        let id = UUID()
        sessions[id] = Session(nodeID: nodeID, continuation: continuation)
        for subscriptionID in subscribers.keys.sorted() {
            guard var subscriber = subscribers[subscriptionID], subscriber.subscription.options.follow,
                  !subscriber.sent.contains(nodeID) else { continue }
            subscriber.sent.insert(nodeID)
            subscriber.pending.insert(nodeID)
            subscribers[subscriptionID] = subscriber
            continuation.yield(subscriber.subscription)
        }
        return (id, stream)
    }

    /// A node's session ended: the subscriptions waiting for that node get no more from it.
    func detach(_ id: UUID) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        session.continuation.finish()
        let nodeID = session.nodeID
        guard !sessions.values.contains(where: { $0.nodeID == nodeID }) else { return }
        for subscriptionID in subscribers.keys.sorted() {
            guard var subscriber = subscribers[subscriptionID], subscriber.pending.contains(nodeID) else { continue }
            if subscriber.subscription.options.follow {
                // The node's reading stopped with its session (its publishing stream went with the connection):
                // its next session gets the subscription again.
                subscriber.sent.remove(nodeID)
                subscriber.pending.remove(nodeID)
                subscribers[subscriptionID] = subscriber
            } else {
                nodeEnded(subscriptionID, nodeID: nodeID, problem: Self.unavailable(nodeID))
            }
        }
    }

    // MARK: subscribers

    /// A subscription for the tasks of `selector`, held by the nodes in `nodes`. The stream ends when it is
    /// complete (without follow), throws when it is incomplete, and tells the nodes to stop when the subscriber
    /// stops reading it (`cancel`).
    func subscribe(selector: Shoal_Cluster_V1_LogSelector, options: Shoal_Cluster_V1_LogSubscriptionOptions,
                   nodes: Set<String>) -> (id: String, batches: AsyncThrowingStream<Batch, any Error>) {
        let (stream, continuation) = AsyncThrowingStream<Batch, any Error>.makeStream(
            bufferingPolicy: .bufferingOldest(Self.bufferedBatches))
        var subscription = Subscription()
        subscription.id = UUID().uuidString
        subscription.selector = selector
        subscription.options = options
        var subscriber = Subscriber(subscription: subscription, continuation: continuation)
        let connected = Set(sessions.values.map(\.nodeID))
        let targets = options.follow ? nodes.union(connected) : nodes
        for nodeID in targets.sorted() {
            guard connected.contains(nodeID) else {
                // With follow, the node gets it when its session comes back.
                if !options.follow { subscriber.problems.append(Self.unavailable(nodeID)) }
                continue
            }
            subscriber.sent.insert(nodeID)
            subscriber.pending.insert(nodeID)
        }
        subscribers[subscription.id] = subscriber
        for session in sessions.values where subscriber.sent.contains(session.nodeID) {
            session.continuation.yield(subscription)
        }
        if !options.follow {
            if subscriber.pending.isEmpty {
                complete(subscription.id)
            } else {
                let limit = silenceLimit
                Task { [weak self] in
                    try? await Task.sleep(for: limit)
                    await self?.expireSilent(subscription.id)
                }
            }
        }
        return (subscription.id, stream)
    }

    /// The subscriber left: the nodes still reading for it are told to stop.
    func cancel(_ id: String) {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return }
        subscriber.continuation.finish()
        var close = Subscription()
        close.id = id
        close.close = true
        for session in sessions.values where subscriber.pending.contains(session.nodeID) {
            session.continuation.yield(close)
        }
    }

    /// The leadership ends: every subscriber's stream ends with an error (the logs are incomplete), every
    /// session's subscription stream ends.
    func finish() {
        for subscriber in subscribers.values {
            subscriber.continuation.finish(throwing: ShoalError(.unavailable, "the swarm's leader changed"))
        }
        subscribers = [:]
        for session in sessions.values { session.continuation.finish() }
        sessions = [:]
    }

    // MARK: publishers

    /// Where `nodeID` puts what it publishes for subscription `id` (with `yieldWaiting`, so a slow subscriber
    /// holds the publisher back); nil when the subscription is gone or was never sent to that node.
    func publisher(nodeID: String, subscription id: String) -> AsyncThrowingStream<Batch, any Error>.Continuation? {
        guard var subscriber = subscribers[id], subscriber.sent.contains(nodeID) else { return nil }
        if subscriber.heard.insert(nodeID).inserted { subscribers[id] = subscriber }
        return subscriber.continuation
    }

    /// `nodeID` has published all it has for subscription `id` (`error`: why some of it is missing), or its
    /// publishing stream broke.
    func closed(nodeID: String, subscription id: String, error: String) {
        nodeEnded(id, nodeID: nodeID, problem: error.isEmpty ? nil : error)
    }

    /// Subscriptions now open (tests).
    var subscriptionCount: Int { subscribers.count }

    // MARK: pieces

    /// The nodes still silent when the limit is up are given up.
    private func expireSilent(_ id: String) {
        guard let subscriber = subscribers[id] else { return }
        for nodeID in subscriber.pending.subtracting(subscriber.heard).sorted() {
            nodeEnded(id, nodeID: nodeID, problem: Self.unavailable(nodeID))
        }
    }

    private func nodeEnded(_ id: String, nodeID: String, problem: String?) {
        guard var subscriber = subscribers[id], subscriber.pending.remove(nodeID) != nil else { return }
        if let problem { subscriber.problems.append(problem) }
        subscribers[id] = subscriber
        if subscriber.pending.isEmpty && !subscriber.subscription.options.follow { complete(id) }
    }

    private func complete(_ id: String) {
        guard let subscriber = subscribers.removeValue(forKey: id) else { return }
        if subscriber.problems.isEmpty {
            subscriber.continuation.finish()
        } else {
            subscriber.continuation.finish(throwing: ShoalError(.unavailable, Self.incomplete(subscriber.problems)))
        }
    }

    /// SwarmKit's words for logs that could not all be read.
    static func incomplete(_ problems: [String]) -> String {
        "warning: incomplete log stream. some logs could not be retrieved for the following reasons: "
            + problems.joined(separator: ", ")
    }

    static func unavailable(_ nodeID: String) -> String { "node \(nodeID) is not available" }
}
