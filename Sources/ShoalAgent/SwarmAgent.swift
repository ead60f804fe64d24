import Logging
import ShoalCore
import ShoalProto
import Synchronization

/// The node's session with the managers: one `Dispatcher.Session` stream at a time, a heartbeat every period the
/// manager asks for, and on a broken stream a new session (with the next known manager) after a short pause.
/// The manager list it learns from the session is handed to `onManagers` so the caller can keep it for restarts.
public actor SwarmAgent {
    public struct Configuration: Sendable {
        public var nodeID: String
        /// `ip:port` of the managers' control API, tried in order.
        public var managers: [String]
        public var rootCAPEM: String
        public var identity: ControlChannel.Identity

        public init(nodeID: String, managers: [String], rootCAPEM: String, identity: ControlChannel.Identity) {
            self.nodeID = nodeID
            self.managers = managers
            self.rootCAPEM = rootCAPEM
            self.identity = identity
        }
    }

    /// Docker's default until the manager says otherwise.
    static let defaultPeriod: Duration = .seconds(5)
    /// The pause before a new session after one broke (a manager restarting is back within a few seconds).
    static let retryPause: Duration = .seconds(1)
    /// How often a waiting heartbeat looks at the period again.
    static let periodPoll: Duration = .milliseconds(100)

    private var configuration: Configuration
    private let logger: Logger
    private let onManagers: @Sendable ([String]) async -> Void
    private var loop: Task<Void, Never>?
    /// Sessions opened so far (tests and logs).
    public private(set) var sessions = 0

    public init(configuration: Configuration, logger: Logger,
                onManagers: @escaping @Sendable ([String]) async -> Void = { _ in }) {
        self.configuration = configuration
        self.logger = logger
        self.onManagers = onManagers
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

    private func run() async {
        var attempt = 0
        while !Task.isCancelled {
            let managers = configuration.managers
            guard !managers.isEmpty else { return }
            let address = managers[attempt % managers.count]
            attempt += 1
            do {
                sessions += 1
                try await session(with: address)
                logger.info("swarm agent: session with \(address) ended")
            } catch {
                if Task.isCancelled { return }
                logger.warning("swarm agent: session with \(address) failed: \(error)")
            }
            try? await Task.sleep(for: Self.retryPause)
        }
    }

    private func session(with address: String) async throws {
        let channel = try ControlChannel(address: address, trust: .rootCA(configuration.rootCAPEM),
                                         identity: configuration.identity)
        let period = SharedPeriod(Self.defaultPeriod)
        let logger = self.logger
        do {
            try await channel.dispatcher.session(
                options: ControlChannel.options(timeout: nil),
                requestProducer: { writer in
                    while !Task.isCancelled {
                        try await writer.write(Shoal_Cluster_V1_Heartbeat())
                        // Re-read the period while waiting: the answer to this heartbeat may shorten it.
                        let sent = ContinuousClock.now
                        while ContinuousClock.now - sent < period.value.withLock({ $0 }) {
                            try await Task.sleep(for: Self.periodPoll)
                        }
                    }
                },
                onResponse: { response in
                    for try await message in response.messages {
                        let told = Duration.milliseconds(max(message.heartbeatPeriodMs, 100))
                        let changed = period.value.withLock { current in
                            defer { current = told }
                            return current != told
                        }
                        if changed { logger.info("swarm agent: heartbeat period \(told)") }
                        let managers = message.managers.map(\.address).filter { !$0.isEmpty }
                        if !managers.isEmpty { await self.learned(managers) }
                    }
                })
        } catch {
            await channel.shutdown()
            throw error
        }
        await channel.shutdown()
    }

    private func learned(_ managers: [String]) async {
        guard managers != configuration.managers else { return }
        configuration.managers = managers
        await onManagers(managers)
    }
}

/// The heartbeat period one session was told, shared by its sending and receiving sides.
final class SharedPeriod: Sendable {
    let value: Mutex<Duration>

    init(_ period: Duration) { value = Mutex(period) }
}
