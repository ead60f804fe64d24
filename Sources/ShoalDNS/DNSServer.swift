import Logging
import NIOCore
import NIOPosix
import Synchronization

/// The DNS listener of one sandbox: UDP and TCP on the same address, answering through a resolver chain.
///
/// Either binds an address itself (`bind`, used by tests and for a host-side listener) or serves sockets the caller
/// already bound (`serve(udpSocket:tcpSocket:)`): the engine binds 127.0.0.11:53 inside a container's network
/// namespace on a dedicated thread and hands the descriptors over; a socket keeps the namespace it was made in.
///
/// Robustness: each query resolves in its own task, so a slow upstream never blocks other clients; in-flight UDP
/// queries and TCP connections are capped; idle or half-written TCP connections are closed.
public final class DNSServer: Sendable {
    public struct Limits: Sendable {
        /// UDP queries being resolved at once; more are dropped (the client retries).
        public var maxInFlightUDP: Int
        /// TCP connections at once; more are closed on accept.
        public var maxTCPConnections: Int
        /// Queries being resolved at once on one TCP connection (RFC 7766 pipelining).
        public var maxInFlightPerTCPConnection: Int
        /// A TCP connection with no traffic for this long is closed (RFC 7766 §6.2.3 suggests seconds).
        public var tcpIdleTimeout: TimeAmount

        public init(
            maxInFlightUDP: Int = 1024, maxTCPConnections: Int = 128, maxInFlightPerTCPConnection: Int = 32,
            tcpIdleTimeout: TimeAmount = .seconds(10)
        ) {
            self.maxInFlightUDP = maxInFlightUDP
            self.maxTCPConnections = maxTCPConnections
            self.maxInFlightPerTCPConnection = maxInFlightPerTCPConnection
            self.tcpIdleTimeout = tcpIdleTimeout
        }
    }

    public let udpChannel: any Channel
    public let tcpChannel: (any Channel)?

    public var udpAddress: SocketAddress? { udpChannel.localAddress }
    public var tcpAddress: SocketAddress? { tcpChannel?.localAddress }

    private init(udpChannel: any Channel, tcpChannel: (any Channel)?) {
        self.udpChannel = udpChannel
        self.tcpChannel = tcpChannel
    }

    /// Binds UDP and TCP on `host:port`. With port 0 the UDP port is chosen by the kernel and TCP binds the same one.
    public static func bind(
        host: String, port: Int, resolver: any DNSResolver, limits: Limits = Limits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "shoal.dns.server")
    ) async throws -> DNSServer {
        let shared = DNSServerShared(processor: DNSQueryProcessor(resolver: resolver), limits: limits, logger: logger)
        var lastError: (any Error)?
        // With port 0 the UDP port may be taken for TCP by someone else: try a few ports.
        for _ in 0..<(port == 0 ? 8 : 1) {
            let udp = try await udpBootstrap(group: group, shared: shared).bind(host: host, port: port).get()
            guard let chosen = udp.localAddress?.port else { throw DNSError.badAddress(host) }
            do {
                let tcp = try await tcpBootstrap(group: group, shared: shared)
                    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                    .bind(host: host, port: chosen).get()
                return DNSServer(udpChannel: udp, tcpChannel: tcp)
            } catch {
                lastError = error
                try? await udp.close()
            }
        }
        throw lastError ?? DNSError.badAddress(host)
    }

    /// Serves already-bound sockets. `udpSocket` is a bound datagram socket; `tcpSocket`, if given, a bound stream
    /// socket on which the caller has already called `listen()` (NIO does not listen on an adopted socket). The
    /// server owns the descriptors from here on and closes them in `close()`.
    public static func serve(
        udpSocket: CInt, tcpSocket: CInt?, resolver: any DNSResolver, limits: Limits = Limits(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "shoal.dns.server")
    ) async throws -> DNSServer {
        let shared = DNSServerShared(processor: DNSQueryProcessor(resolver: resolver), limits: limits, logger: logger)
        let udp = try await udpBootstrap(group: group, shared: shared).withBoundSocket(udpSocket).get()
        guard let tcpSocket else { return DNSServer(udpChannel: udp, tcpChannel: nil) }
        do {
            let tcp = try await tcpBootstrap(group: group, shared: shared).withBoundSocket(tcpSocket).get()
            return DNSServer(udpChannel: udp, tcpChannel: tcp)
        } catch {
            try? await udp.close()
            throw error
        }
    }

    /// Stops listening. Queries being resolved finish on their own; their replies are dropped.
    public func close() async {
        try? await udpChannel.close()
        try? await tcpChannel?.close()
    }

    private static func udpBootstrap(group: any EventLoopGroup, shared: DNSServerShared) -> DatagramBootstrap {
        DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // Queries are small; NIO's default 2048 would cut EDNS0 queries with large options.
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 4096))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DNSUDPHandler(shared: shared))
                }
            }
    }

    private static func tcpBootstrap(group: any EventLoopGroup, shared: DNSServerShared) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 128)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let operations = channel.pipeline.syncOperations
                    try operations.addHandler(IdleStateHandler(allTimeout: shared.limits.tcpIdleTimeout))
                    try operations.addHandler(ByteToMessageHandler(DNSTCPFrameDecoder()))
                    try operations.addHandler(DNSTCPHandler(shared: shared))
                }
            }
    }
}

/// What the handlers of one server share across event loops.
final class DNSServerShared: Sendable {
    let processor: DNSQueryProcessor
    let limits: DNSServer.Limits
    let logger: Logger
    let inFlightUDP = Atomic<Int>(0)
    let tcpConnections = Atomic<Int>(0)

    init(processor: DNSQueryProcessor, limits: DNSServer.Limits, logger: Logger) {
        self.processor = processor
        self.limits = limits
        self.logger = logger
    }
}
