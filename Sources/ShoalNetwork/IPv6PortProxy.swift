import Foundation
import NIOCore
import NIOPosix
import ShoalCore

/// A port published on every address also answers on IPv6 (`[::]:PORT`), as Docker's userland proxy makes it
/// (Docker 20.10.6 and later list it as `:::PORT`). Containers have IPv4 addresses only and nftables cannot
/// translate IPv6 to IPv4, so this is a proxy in the daemon: it accepts on an IPv6-only socket and relays to the
/// container's address. IPv4 traffic never comes here: it is DNATed in the kernel.
public final class IPv6PortProxy: Sendable {
    public let proto: String
    public let port: UInt16
    private let channel: any Channel

    private init(proto: String, port: UInt16, channel: any Channel) {
        self.proto = proto
        self.port = port
        self.channel = channel
    }

    /// Whether this host has IPv6 at all (no proxy, and no `::` binding, on a host without it).
    public static var hostHasIPv6: Bool {
        let disabled = (try? String(contentsOfFile: "/proc/sys/net/ipv6/conf/all/disable_ipv6", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return disabled == "0" && FileManager.default.fileExists(atPath: "/proc/net/if_inet6")
    }

    /// Listens on `[::]:port` and relays to `target:targetPort`. Throws Docker's "address already in use" when
    /// something else holds the IPv6 port.
    public static func start(proto: String, port: UInt16, target: String, targetPort: Int,
                             group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton)
        async throws -> IPv6PortProxy
    {
        let fd = try boundSocket(proto: proto, port: port)
        do {
            let channel: any Channel
            if proto == "udp" {
                channel = try await DatagramBootstrap(group: group)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(
                                UDPRelayHandler(target: target, port: targetPort, group: group))
                        }
                    }
                    .withBoundSocket(fd).get()
            } else {
                channel = try await ServerBootstrap(group: group)
                    .childChannelOption(.autoRead, value: false)
                    .childChannelInitializer { child in
                        child.eventLoop.makeCompletedFuture {
                            try child.pipeline.syncOperations.addHandler(
                                TCPRelayAcceptor(target: target, port: targetPort, group: group))
                        }
                    }
                    .withBoundSocket(fd).get()
            }
            return IPv6PortProxy(proto: proto, port: port, channel: channel)
        } catch {
            Glibc.close(fd)
            throw error
        }
    }

    public func close() async {
        try? await channel.close()
    }

    /// An IPv6-only socket on `[::]:port` (IPv6-only, so it never competes with the IPv4 reservation), listening
    /// when it is TCP.
    static func boundSocket(proto: String, port: UInt16) throws -> CInt {
        let type = proto == "udp" ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        let fd = socket(AF_INET6, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard fd >= 0 else { throw ShoalError.internalError("socket: \(String(cString: strerror(errno)))") }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        if type == Int32(SOCK_STREAM.rawValue) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        var address = sockaddr_in6()
        address.sin6_family = sa_family_t(AF_INET6)
        address.sin6_port = in_port_t(port).bigEndian
        address.sin6_addr = in6addr_any
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in6>.size))
            }
        }
        guard bound == 0, type != Int32(SOCK_STREAM.rawValue) || listen(fd, 128) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw ShoalError.internalError(
                "Error starting userland proxy: listen \(proto)6 [::]:\(port): bind: \(String(cString: strerror(code)).lowercased())")
        }
        return fd
    }
}

/// Accepted IPv6 connection: connect to the container, then relay both ways.
final class TCPRelayAcceptor: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    private let target: String
    private let port: Int
    private let group: any EventLoopGroup

    init(target: String, port: Int, group: any EventLoopGroup) {
        self.target = target
        self.port = port
        self.group = group
    }

    func channelActive(context: ChannelHandlerContext) {
        let inbound = context.channel
        let loop = context.eventLoop
        ClientBootstrap(group: loop)
            .connect(host: target, port: port)
            .whenComplete { result in
                switch result {
                case .failure:
                    inbound.close(promise: nil)
                case .success(let outbound):
                    let (left, right) = RelayHandler.pair()
                    do {
                        try inbound.pipeline.syncOperations.addHandler(left)
                        outbound.pipeline.addHandler(right).whenComplete { _ in
                            inbound.setOption(.autoRead, value: true).whenComplete { _ in inbound.read() }
                        }
                    } catch {
                        inbound.close(promise: nil)
                        outbound.close(promise: nil)
                    }
                }
            }
        context.fireChannelActive()
    }
}

/// One side of a relay: what it reads goes to its partner's channel; reads pause while the partner cannot take
/// more (so a fast sender cannot fill the daemon's memory); closing one side closes the other. Both channels of a
/// relay live on one event loop (the outbound one is made on the inbound one's loop), so the two handlers call
/// each other directly.
final class RelayHandler: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    typealias OutboundOut = NIOAny

    private var partner: RelayHandler?
    private var context: ChannelHandlerContext?
    private var pendingRead = false

    static func pair() -> (RelayHandler, RelayHandler) {
        let a = RelayHandler()
        let b = RelayHandler()
        a.partner = b
        b.partner = a
        return (a, b)
    }

    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        partner = nil
    }

    private var isWritable: Bool { context?.channel.isWritable ?? false }

    private func deliver(_ data: NIOAny) {
        context?.writeAndFlush(data, promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.deliver(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        partner?.context?.close(promise: nil)
        context.fireChannelInactive()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { partner?.context?.read() }
        context.fireChannelWritabilityChanged()
    }

    func read(context: ChannelHandlerContext) {
        if partner?.isWritable ?? true {
            context.read()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

/// UDP: one upstream socket per IPv6 client, its replies sent back from the proxy's port; idle flows expire.
final class UDPRelayHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>
    private let target: String
    private let port: Int
    private let group: any EventLoopGroup
    private var flows: [SocketAddress: (channel: any Channel, lastUsed: NIODeadline)] = [:]
    private var sweeper: RepeatedTask?
    static let idle = TimeAmount.seconds(60)

    init(target: String, port: Int, group: any EventLoopGroup) {
        self.target = target
        self.port = port
        self.group = group
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loop = context.eventLoop
        sweeper = loop.scheduleRepeatedTask(initialDelay: Self.idle, delay: .seconds(10)) { [self] _ in
            let now = NIODeadline.now()
            for (client, flow) in flows where now - flow.lastUsed > Self.idle {
                flow.channel.close(promise: nil)
                flows[client] = nil
            }
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        sweeper?.cancel()
        for flow in flows.values { flow.channel.close(promise: nil) }
        flows = [:]
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        let client = envelope.remoteAddress
        if let flow = flows[client] {
            flows[client]?.lastUsed = .now()
            flow.channel.writeAndFlush(envelope.data, promise: nil)
            return
        }
        let server = context.channel
        let loop = context.eventLoop
        let payload = envelope.data
        DatagramBootstrap(group: loop)
            .channelInitializer { upstream in
                upstream.eventLoop.makeCompletedFuture {
                    try upstream.pipeline.syncOperations.addHandler(UDPReplyHandler(server: server, client: client))
                }
            }
            .connect(host: target, port: port)
            .whenComplete { [self] result in
                guard case .success(let upstream) = result else { return }
                flows[client] = (upstream, .now())
                upstream.writeAndFlush(payload, promise: nil)
            }
    }
}

/// Replies from the container go back to the IPv6 client through the proxy's own socket.
final class UDPReplyHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    private let server: any Channel
    private let client: SocketAddress

    init(server: any Channel, client: SocketAddress) {
        self.server = server
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        server.writeAndFlush(AddressedEnvelope(remoteAddress: client, data: envelope.data), promise: nil)
    }
}
