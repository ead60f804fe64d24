import GRPCCore
import Logging
import ShoalCore
import ShoalEtcdProto
import Synchronization

/// A client of an etcd cluster over gRPC (grpc-swift-2, HTTP/2, plaintext or mutual TLS).
///
/// It keeps one connection per member it has used and sends each call to the member that answered last. A call
/// that finds that member unreachable (or without a leader) goes on to the next endpoint, round after round,
/// until `callTimeout` has passed. Retried writes are at-least-once: a put or txn whose answer was lost may have
/// been applied, so guarded transactions should recognise their own earlier success (LeaderElection does).
///
/// Long-lived streams (watches, lease keep-alives) are tied to the client: `close()` ends them.
public final class EtcdClient: Sendable {
    public let configuration: EtcdClientConfiguration
    let logger: Logger
    private let state = Mutex(State())

    private struct State {
        var connections: [Int: EtcdConnection] = [:]
        /// The endpoint that answered last: where the next call goes first.
        var preferred = 0
        var closed = false
        var streams: [Int: Task<Void, Never>] = [:]
        var nextStreamID = 0
    }

    public init(configuration: EtcdClientConfiguration, logger: Logger = Logger(label: "shoal.etcd.client")) throws {
        guard !configuration.endpoints.isEmpty else {
            throw ShoalError.invalidArgument("an etcd client needs at least one endpoint")
        }
        self.configuration = configuration
        self.logger = logger
    }

    public convenience init(
        endpoints: [EtcdEndpoint], tls: EtcdClientTLS? = nil, logger: Logger = Logger(label: "shoal.etcd.client")
    ) throws {
        try self.init(configuration: EtcdClientConfiguration(endpoints: endpoints, tls: tls), logger: logger)
    }

    /// Ends every watch and keep-alive of this client and closes its connections.
    public func close() async {
        let (connections, streams) = state.withLock { state in
            state.closed = true
            defer {
                state.connections = [:]
                state.streams = [:]
            }
            return (Array(state.connections.values), Array(state.streams.values))
        }
        for stream in streams { stream.cancel() }
        for stream in streams { await stream.value }
        for connection in connections { await connection.shutdown() }
    }

    // MARK: Connections and failover

    /// Runs `body` against one endpoint only (no failover); errors come back as `ShoalError`.
    func withEndpoint<Result: Sendable>(
        _ index: Int, _ body: (EtcdConnection) async throws -> Result
    ) async throws -> Result {
        do {
            return try await body(try connection(at: index))
        } catch {
            throw Self.shoalError(error, operation: "call", endpoints: [configuration.endpoints[index]])
        }
    }

    /// Where calls go first: the endpoint that answered last.
    var preferredIndex: Int { state.withLock { $0.preferred } }

    func prefer(_ index: Int) { state.withLock { $0.preferred = index } }

    func connection(at index: Int) throws -> EtcdConnection {
        try state.withLock { state in
            guard !state.closed else { throw ShoalError.invalidState("the etcd client is closed") }
            if let connection = state.connections[index] { return connection }
            let connection = try EtcdConnection(endpoint: configuration.endpoints[index], configuration: configuration)
            state.connections[index] = connection
            return connection
        }
    }

    var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = configuration.callTimeout
        options.waitForReady = false
        // A table of 100,000 tasks is a range answer of ~100 MB; the transport's default (4 MiB) would refuse
        // it. grpc-swift-nio-transport takes the limit of what a client receives from `maxRequestMessageBytes`.
        options.maxRequestMessageBytes = Self.maxMessageBytes
        options.maxResponseMessageBytes = Self.maxMessageBytes
        return options
    }

    /// A watch has no deadline; one answer may carry the events of many large transactions.
    var watchOptions: CallOptions {
        var options = CallOptions.defaults
        options.maxRequestMessageBytes = Self.maxMessageBytes
        options.maxResponseMessageBytes = Self.maxMessageBytes
        return options
    }

    /// The largest message a call takes (a range over a large table).
    static let maxMessageBytes = 1 << 30

    /// Runs `body` against the preferred member, going on to the next one while members are unreachable or
    /// leaderless, for up to `callTimeout`. Errors come back as `ShoalError`.
    func withFailover<Result: Sendable>(
        _ operation: String, _ body: (EtcdConnection) async throws -> Result
    ) async throws -> Result {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: configuration.callTimeout)
        let count = configuration.endpoints.count
        var pause = Duration.milliseconds(20)
        var lastError: (any Error)?
        while true {
            let first = state.withLock { $0.preferred }
            for attempt in 0..<count {
                let index = (first + attempt) % count
                do {
                    let result = try await body(try connection(at: index))
                    if attempt > 0 { state.withLock { $0.preferred = index } }
                    return result
                } catch let error as RPCError where Self.isRetryable(error) {
                    logger.debug(
                        "etcd \(operation) failed on \(configuration.endpoints[index])",
                        metadata: ["error": "\(error)"])
                    lastError = error
                } catch is CancellationError {
                    throw CancellationError()
                } catch {
                    throw Self.shoalError(error, operation: operation, endpoints: configuration.endpoints)
                }
            }
            try Task.checkCancellation()
            if clock.now.advanced(by: pause) >= deadline { break }
            try await Task.sleep(for: pause)
            pause = min(pause * 2, .milliseconds(250))
        }
        throw Self.shoalError(lastError, operation: operation, endpoints: configuration.endpoints)
    }

    /// Unreachable member, member without a leader, leader changed, timed out: another member may do better.
    static func isRetryable(_ error: RPCError) -> Bool {
        error.code == .unavailable || error.code == .deadlineExceeded
    }

    static func shoalError(_ error: (any Error)?, operation: String, endpoints: [EtcdEndpoint]) -> ShoalError {
        guard let error else { return .internalError("etcd \(operation) failed") }
        if let error = error as? ShoalError { return error }
        guard let rpc = error as? RPCError else { return .internalError("etcd \(operation) failed", cause: error) }
        let members = endpoints.map(\.description).joined(separator: ", ")
        switch rpc.code {
        case .unavailable, .deadlineExceeded:
            return ShoalError(.unavailable, "etcd \(operation): no member answered (\(members))", cause: rpc)
        case .notFound:
            return ShoalError(.notFound, "etcd \(operation): \(rpc.message)", cause: rpc)
        case .invalidArgument, .outOfRange:
            return ShoalError(.invalidArgument, "etcd \(operation): \(rpc.message)", cause: rpc)
        case .failedPrecondition:
            return ShoalError(.invalidState, "etcd \(operation): \(rpc.message)", cause: rpc)
        case .permissionDenied, .unauthenticated:
            return ShoalError(.permissionDenied, "etcd \(operation): \(rpc.message)", cause: rpc)
        case .alreadyExists:
            return ShoalError(.conflict, "etcd \(operation): \(rpc.message)", cause: rpc)
        case .cancelled:
            return ShoalError(.unavailable, "etcd \(operation) was cancelled", cause: rpc)
        default:
            return ShoalError(.internalError, "etcd \(operation): \(rpc.message)", cause: rpc)
        }
    }

    // MARK: Background streams

    /// Runs `body` as a stream task owned by this client (cancelled by `close()`).
    func startStream(_ body: @escaping @Sendable () async -> Void) -> Task<Void, Never>? {
        state.withLock { state -> Task<Void, Never>? in
            guard !state.closed else { return nil }
            let id = state.nextStreamID
            state.nextStreamID += 1
            let task = Task { [weak self] in
                await body()
                _ = self?.state.withLock { $0.streams.removeValue(forKey: id) }
            }
            state.streams[id] = task
            return task
        }
    }
}
