import Logging
import NIOCore
import NIOPosix

/// Forwards queries to upstream servers (dockerd's `--dns`, or the host's resolvers as the engine reads them).
///
/// Failover is quick: the first upstream is asked at once, the next one `staggerDelay` later (or at once when an
/// earlier attempt fails outright, e.g. ICMP port unreachable), and so on; the first usable answer wins and the
/// other attempts are cancelled. A dead first upstream therefore costs one stagger delay, not a full timeout. A UDP
/// reply with TC set is retried over TCP to the same upstream. When every upstream fails or times out the client
/// gets SERVFAIL. Upstream replies must match the query's id (a fresh random one per query) and question.
public struct ForwardingResolver: DNSResolver {
    public struct Options: Sendable {
        /// How long one UDP attempt (or one TCP retry) may take.
        public var attemptTimeout: Duration
        /// How long to wait for an upstream before also asking the next one.
        public var staggerDelay: Duration

        public init(attemptTimeout: Duration = .seconds(1), staggerDelay: Duration = .milliseconds(200)) {
            self.attemptTimeout = attemptTimeout
            self.staggerDelay = staggerDelay
        }
    }

    public let upstreams: [SocketAddress]
    public let options: Options
    private let group: any EventLoopGroup
    private let logger: Logger

    public init(
        upstreams: [SocketAddress], options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "shoal.dns.forward")
    ) {
        self.upstreams = upstreams
        self.options = options
        self.group = group
        self.logger = logger
    }

    /// Upstreams from IP literals, port 53 unless given (`"10.0.0.2"`, `"[fd00::1]:5353"`, `"127.0.0.1:5300"`).
    public init(
        upstreams texts: [String], options: Options = Options(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "shoal.dns.forward")
    ) throws {
        let addresses = try texts.map(Self.parseUpstream)
        self.init(upstreams: addresses, options: options, group: group, logger: logger)
    }

    static func parseUpstream(_ text: String) throws -> SocketAddress {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let host = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            let port = rest.hasPrefix(":") ? Int(rest.dropFirst()) : (rest.isEmpty ? 53 : nil)
            guard let port else { throw DNSError.badAddress(text) }
            return try SocketAddress(ipAddress: host, port: port)
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 2, let port = Int(parts[1]) {
            return try SocketAddress(ipAddress: String(parts[0]), port: port)
        }
        return try SocketAddress(ipAddress: text, port: 53)
    }

    private enum Attempt: Sendable {
        case next
        case finished(index: Int, reply: DNSMessage?)
    }

    public func resolve(_ query: DNSMessage) async -> DNSMessage? {
        guard query.questions.count == 1, let question = query.questions.first else {
            return DNSMessage.response(to: query, code: .formatError)
        }
        guard !upstreams.isEmpty else { return DNSMessage.response(to: query, code: .serverFailure) }
        var outgoing = query
        outgoing.header.id = UInt16.random(in: 0...UInt16.max)
        outgoing.header.isResponse = false
        guard let bytes = try? outgoing.encoded() else { return DNSMessage.response(to: query, code: .formatError) }
        let expectedID = outgoing.header.id
        let accept: @Sendable ([UInt8]) -> DNSMessage? = { reply in
            guard let message = try? DNSMessage(decoding: reply), message.header.isResponse,
                message.header.id == expectedID, message.questions.count == 1,
                message.questions[0].name == question.name, message.questions[0].type == question.type
            else { return nil }
            return message
        }

        let winner: DNSMessage? = await withTaskGroup(of: Attempt.self) { group in
            var started = 0
            var running = 0
            var fallback: DNSMessage? = nil
            func startNext() {
                let index = started
                started += 1
                running += 1
                group.addTask { .finished(index: index, reply: await attempt(bytes, index: index, accept: accept)) }
                if started < upstreams.count {
                    let delay = options.staggerDelay
                    group.addTask {
                        try? await Task.sleep(for: delay)
                        return .next
                    }
                }
            }
            startNext()
            while let outcome = await group.next() {
                switch outcome {
                case .next:
                    // A stagger timer of an upstream that already failed (and so started the next) can fire late.
                    if started < upstreams.count, !Task.isCancelled { startNext() }
                case .finished(_, let reply):
                    running -= 1
                    if let reply {
                        if Self.isUsable(reply) {
                            group.cancelAll()
                            return reply
                        }
                        fallback = fallback ?? reply
                    }
                    if running == 0 {
                        if started < upstreams.count { startNext() } else { group.cancelAll(); return fallback }
                    }
                }
            }
            return fallback
        }
        guard var reply = winner, Self.isUsable(reply) else {
            logger.debug("all upstreams failed", metadata: ["name": "\(question.name)", "type": "\(question.type)"])
            return DNSMessage.response(to: query, code: .serverFailure)
        }
        reply.header.id = query.header.id
        return reply
    }

    /// SERVFAIL, REFUSED, NOTIMP and FORMERR say "ask someone else"; NXDOMAIN and NOERROR are answers.
    static func isUsable(_ reply: DNSMessage) -> Bool {
        ![.serverFailure, .refused, .notImplemented, .formatError].contains(reply.responseCode)
    }

    private func attempt(_ bytes: [UInt8], index: Int, accept: @escaping @Sendable ([UInt8]) -> DNSMessage?) async
        -> DNSMessage?
    {
        let upstream = upstreams[index]
        let timeout = TimeAmount(options.attemptTimeout)
        do {
            let reply = try await DNSUpstreamExchange.exchange(
                bytes, with: upstream, over: .udp, timeout: timeout, group: group, accept: accept
            )
            guard reply.header.isTruncated else { return reply }
            do {
                return try await DNSUpstreamExchange.exchange(
                    bytes, with: upstream, over: .tcp, timeout: timeout, group: group, accept: accept
                )
            } catch {
                // The truncated answer is still an answer; the client can retry over TCP itself.
                logger.debug("TCP retry failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
                return reply
            }
        } catch {
            if !(error is CancellationError) {
                logger.debug("upstream failed", metadata: ["upstream": "\(upstream)", "error": "\(error)"])
            }
            return nil
        }
    }
}
