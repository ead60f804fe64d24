import GRPCCore
import Logging
import ShoalCA
import ShoalCore
import ShoalClusterProto
import Synchronization

/// The node's session with the managers: one `Dispatcher.Session` stream at a time with the leader (followers
/// refuse sessions), a heartbeat every period the manager asks for, and on a broken stream a new session (with
/// the next known manager) after a short pause.
/// The manager list it learns from the session is handed to `onManagers` so the caller can keep it for restarts.
public actor SwarmAgent {
    public struct Configuration: Sendable {
        public var nodeID: String
        /// `ip:port` of the managers' control API, tried in order.
        public var managers: [String]
        public var rootCAPEM: String
        public var identity: ControlChannel.Identity
        /// The role in the node's certificate: a session that names another one reports a role change.
        public var role: String

        public init(nodeID: String, managers: [String], rootCAPEM: String, identity: ControlChannel.Identity,
                    role: String = "worker") {
            self.nodeID = nodeID
            self.managers = managers
            self.rootCAPEM = rootCAPEM
            self.identity = identity
            self.role = role
        }
    }

    /// What the managers tell the node besides heartbeat parameters. Handlers run in their own task, so they may
    /// stop this agent.
    public struct Events: Sendable {
        /// The managers known now (kept for restarts).
        public var managers: @Sendable ([String]) async -> Void
        /// The managers want another role for this node (`docker node promote/demote`): reported once.
        public var roleChanged: @Sendable (String) async -> Void
        /// The node was removed from the swarm (`docker node rm`): the agent stops.
        public var removed: @Sendable () async -> Void
        /// The managers want the node to hold other trust roots (`docker swarm ca --rotate`): reported once per
        /// change; the node renews its certificate, which brings them.
        public var trustRootsChanged: @Sendable () async -> Void
        /// Endpoints on swarm-scoped networks on the other nodes: a full set when a session starts, then changes,
        /// handed over in the order the leader sent them.
        public var endpoints: @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void
        /// This node's own endpoints on swarm-scoped networks, reported when a session starts.
        public var localAttachments: @Sendable () async -> [String]
        /// The tasks the leader wants on this node: a full set when a session starts, then changes.
        public var assignments: @Sendable (Shoal_Cluster_V1_Assignments) async -> Void
        /// The last state of every task this node runs, reported when a session starts (the leader before may
        /// not have stored the last reports).
        public var taskStatuses: @Sendable () async -> [Shoal_Cluster_V1_TaskStatusReport]
        /// How long the node gathers its tasks' states before it reports them, as the leader sizes it.
        public var reportGather: @Sendable (Duration) async -> Void
        /// A log subscription for this node's tasks, or its end (`close`). The node publishes the lines on the
        /// session's connection (`sessionChannel`).
        public var logSubscription: @Sendable (Shoal_Cluster_V1_LogSubscription) async -> Void
        /// The session ended: whatever used its connection must stop now (its connection is shut down next).
        public var sessionEnded: @Sendable () async -> Void

        public init(managers: @escaping @Sendable ([String]) async -> Void = { _ in },
                    roleChanged: @escaping @Sendable (String) async -> Void = { _ in },
                    removed: @escaping @Sendable () async -> Void = {},
                    trustRootsChanged: @escaping @Sendable () async -> Void = {},
                    endpoints: @escaping @Sendable (Shoal_Cluster_V1_EndpointUpdate) async -> Void = { _ in },
                    localAttachments: @escaping @Sendable () async -> [String] = { [] },
                    assignments: @escaping @Sendable (Shoal_Cluster_V1_Assignments) async -> Void = { _ in },
                    taskStatuses: @escaping @Sendable () async -> [Shoal_Cluster_V1_TaskStatusReport] = { [] },
                    reportGather: @escaping @Sendable (Duration) async -> Void = { _ in },
                    logSubscription: @escaping @Sendable (Shoal_Cluster_V1_LogSubscription) async -> Void = { _ in },
                    sessionEnded: @escaping @Sendable () async -> Void = {}) {
            self.managers = managers
            self.roleChanged = roleChanged
            self.removed = removed
            self.trustRootsChanged = trustRootsChanged
            self.endpoints = endpoints
            self.localAttachments = localAttachments
            self.assignments = assignments
            self.taskStatuses = taskStatuses
            self.reportGather = reportGather
            self.logSubscription = logSubscription
            self.sessionEnded = sessionEnded
        }
    }

    /// Docker's default until the manager says otherwise.
    static let defaultPeriod: Duration = .seconds(5)
    /// The pause before a new session after one broke (a manager restarting is back within a few seconds).
    static let retryPause: Duration = .seconds(1)
    /// The pause before the next manager after one said it does not lead.
    static let followerPause: Duration = .milliseconds(100)
    /// How often a waiting heartbeat looks at the period again.
    static let periodPoll: Duration = .milliseconds(100)

    private var configuration: Configuration
    private let logger: Logger
    private let events: Events
    private var loop: Task<Void, Never>?
    private var reportedRole: String?
    /// The trust roots digest last reported through `trustRootsChanged`.
    private var reportedTrustRoots: String?
    /// What the current session sends next (heartbeats, task states); nil between sessions.
    private var outbox: AsyncStream<Shoal_Cluster_V1_Heartbeat>.Continuation?
    /// The current session's connection to the leader, while the session lasts: the node's log subscriptions
    /// publish on it (their streams end with the session).
    public private(set) var sessionChannel: ControlChannel?
    /// Sessions opened so far (tests and logs).
    public private(set) var sessions = 0

    public init(configuration: Configuration, logger: Logger, events: Events = Events()) {
        self.configuration = configuration
        self.logger = logger
        self.events = events
    }

    public func start() {
        guard loop == nil else { return }
        loop = Task { await self.run() }
    }

    public func stop() async {
        loop?.cancel()
        await loop?.value
        loop = nil
    }

    /// The managers known now, the leader holding this node's session first (callers that need the leader try it
    /// before the followers, which would refuse).
    public var knownManagers: [String] {
        guard let leader else { return configuration.managers }
        return [leader] + configuration.managers.filter { $0 != leader }
    }

    /// The manager whose session answered as the leader (it tells the node its role), while the session lasts.
    private var leader: String?

    private func leads(_ address: String?) { leader = address }

    /// Sends states this node's tasks reached, in one message, on the current session. Without a session they
    /// are not kept here: the next session starts with every task's last state (`Events.taskStatuses`).
    public func report(_ statuses: [Shoal_Cluster_V1_TaskStatusReport]) {
        guard let outbox, !statuses.isEmpty else { return }
        var message = Shoal_Cluster_V1_Heartbeat()
        message.taskStatuses = statuses
        outbox.yield(message)
    }

    private func open(_ outbox: AsyncStream<Shoal_Cluster_V1_Heartbeat>.Continuation?) {
        self.outbox?.finish()
        self.outbox = outbox
    }

    private func run() async {
        var attempt = 0
        while !Task.isCancelled {
            let managers = configuration.managers
            guard !managers.isEmpty else { return }
            let address = managers[attempt % managers.count]
            attempt += 1
            var pause = Self.retryPause
            do {
                sessions += 1
                defer { leader = nil }
                try await session(with: address)
                logger.info("swarm agent: session with \(address) ended")
            } catch let error as RPCError where error.code == .unavailable && error.message.contains("not the leader") {
                // Only the leader holds sessions: try the next manager at once.
                pause = Self.followerPause
            } catch let error as RPCError where error.code == .permissionDenied
                && error.message.contains("node is removed from cluster") {
                logger.warning("swarm agent: \(error.message)")
                let removed = events.removed
                Task { await removed() }
                return
            } catch {
                if Task.isCancelled { return }
                logger.warning("swarm agent: session with \(address) failed: \(error)")
            }
            try? await Task.sleep(for: pause)
        }
    }

    private func session(with address: String) async throws {
        let channel = try ControlChannel(address: address, trust: .rootCA(configuration.rootCAPEM),
                                         identity: configuration.identity)
        sessionChannel = channel
        let period = SharedPeriod(Self.defaultPeriod)
        let logger = self.logger
        let events = self.events
        do {
            try await channel.dispatcher.session(
                options: ControlChannel.options(timeout: nil),
                requestProducer: { writer in
                    // The first heartbeat tells the leader which endpoints this node still has, then the last
                    // state of each of its tasks goes; after that, heartbeats every period and task states as they
                    // come, in the order queued.
                    var first = Shoal_Cluster_V1_Heartbeat()
                    first.reportsAttachments = true
                    first.attachmentIds = await events.localAttachments()
                    try await writer.write(first)
                    let (outbox, post) = AsyncStream<Shoal_Cluster_V1_Heartbeat>.makeStream()
                    var known = Shoal_Cluster_V1_Heartbeat()
                    known.taskStatuses = await events.taskStatuses()
                    if !known.taskStatuses.isEmpty { post.yield(known) }
                    await self.open(post)
                    let ticker = Task {
                        while !Task.isCancelled {
                            // Re-read the period while waiting: the answer to a heartbeat may shorten it.
                            let sent = ContinuousClock.now
                            while ContinuousClock.now - sent < period.value.withLock({ $0 }) {
                                try await Task.sleep(for: Self.periodPoll)
                            }
                            post.yield(Shoal_Cluster_V1_Heartbeat())
                        }
                    }
                    defer {
                        ticker.cancel()
                        post.finish()
                    }
                    for await message in outbox {
                        try Task.checkCancellation()
                        try await writer.write(message)
                    }
                },
                onResponse: { response in
                    for try await message in response.messages {
                        // Endpoint updates come alone: only a heartbeat's answer carries the period.
                        if message.heartbeatPeriodMs > 0 {
                            let told = Duration.milliseconds(max(message.heartbeatPeriodMs, 100))
                            let changed = period.value.withLock { current in
                                defer { current = told }
                                return current != told
                            }
                            if changed { logger.info("swarm agent: heartbeat period \(told)") }
                        }
                        let managers = message.managers.map(\.address).filter { !$0.isEmpty }
                        if !managers.isEmpty { await self.learned(managers) }
                        if !message.role.isEmpty {
                            // Only the leader names the role: this session is with it.
                            await self.leads(address)
                            await self.told(role: message.role)
                            await events.reportGather(.microseconds(message.reportGatherUs))
                        }
                        if !message.trustRootsDigest.isEmpty {
                            await self.told(trustRootsDigest: message.trustRootsDigest)
                        }
                        if message.hasEndpoints { await events.endpoints(message.endpoints) }
                        if message.hasAssignments { await events.assignments(message.assignments) }
                        if message.hasLogSubscription { await events.logSubscription(message.logSubscription) }
                    }
                })
        } catch {
            await close(channel)
            throw error
        }
        await close(channel)
    }

    /// The session is over: what still uses its connection (log publishing) stops first, since shutting the
    /// connection down waits for its calls to end.
    private func close(_ channel: ControlChannel) async {
        open(nil)
        sessionChannel = nil
        await events.sessionEnded()
        await channel.shutdown()
    }

    private func learned(_ managers: [String]) async {
        guard managers != configuration.managers else { return }
        configuration.managers = managers
        await events.managers(managers)
    }

    private func told(trustRootsDigest digest: String) {
        guard digest != TrustBundle.digest(of: configuration.rootCAPEM), reportedTrustRoots != digest else { return }
        reportedTrustRoots = digest
        logger.info("swarm agent: the managers want this node to trust other roots")
        let changed = events.trustRootsChanged
        Task { await changed() }
    }

    private func told(role: String) {
        guard role != configuration.role, reportedRole != role else { return }
        reportedRole = role
        logger.info("swarm agent: the managers want this node to be a \(role)")
        let roleChanged = events.roleChanged
        Task { await roleChanged(role) }
    }
}

/// The heartbeat period one session was told, shared by its sending and receiving sides.
final class SharedPeriod: Sendable {
    let value: Mutex<Duration>

    init(_ period: Duration) { value = Mutex(period) }
}
