import CShoal
import Glibc

/// The only I/O in the module: one NETLINK_ROUTE socket, sending a request and reading replies until the
/// ACK, error or NLMSG_DONE carrying its sequence number. Not thread-safe; `NetlinkSession` serialises use.
struct NetlinkSocket: ~Copyable {
    /// Replies to a lost request (a timed-out receive) carry older sequence numbers and are skipped.
    private var sequence: UInt32
    private var buffer: [UInt8]
    private(set) var fd: Int32

    /// Dumps start large: a link dump without statistics is ~1 KiB per link; datagrams bigger than the buffer
    /// are detected with MSG_PEEK|MSG_TRUNC and the buffer grows, so nothing is ever truncated.
    static let initialBufferSize = 64 * 1024
    /// A kernel that never answers would otherwise hang the caller forever.
    static let receiveTimeoutMilliseconds: Int32 = 10_000
    /// A dump the kernel marks inconsistent (NLM_F_DUMP_INTR: the table changed underneath) is repeated.
    static let dumpAttempts = 5

    /// NETLINK_ROUTE from linux/netlink.h (not exported by the Glibc module).
    static let routeProtocol: Int32 = 0

    /// Opens the socket in the calling thread's network namespace.
    init(operation: String) throws(NetlinkError) {
        var port: UInt32 = 0
        let fd = cshoal_netlink_open(Self.routeProtocol, &port, Self.receiveTimeoutMilliseconds)
        guard fd >= 0 else { throw NetlinkError(errno: -fd, operation: operation) }
        self.init(adopting: fd)
    }

    /// Takes ownership of an open netlink socket.
    init(adopting fd: Int32) {
        self.fd = fd
        // Any start works (replies are matched per socket); the clock, as iproute2 uses, keeps traces readable.
        self.sequence = UInt32(truncatingIfNeeded: time(nil))
        self.buffer = [UInt8](repeating: 0, count: Self.initialBufferSize)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    mutating func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }

    /// Sends `message` and returns the data replies (NEWLINK, NEWADDR …); throws the kernel's error.
    mutating func perform(_ message: NetlinkMessage, operation: String) throws(NetlinkError) -> [NetlinkReply] {
        var attempt = 1
        while true {
            let (replies, interrupted) = try exchange(message, operation: operation)
            if !interrupted || !message.isDump { return replies }
            guard attempt < Self.dumpAttempts else { throw NetlinkError(errno: EINTR, operation: operation,
                                                                          detail: "dump kept changing") }
            attempt += 1
        }
    }

    private mutating func exchange(_ message: NetlinkMessage,
                                   operation: String) throws(NetlinkError) -> ([NetlinkReply], Bool) {
        guard fd >= 0 else { throw NetlinkError(errno: EBADF, operation: operation, detail: "session closed") }
        sequence &+= 1
        let expected = sequence
        try send(message.encoded(sequence: expected), operation: operation)
        var replies: [NetlinkReply] = []
        var interrupted = false
        while true {
            for reply in try NetlinkReply.parse(receive(operation: operation)[...]) where reply.sequence == expected {
                if reply.flags & NL.dumpInterrupted != 0 { interrupted = true }
                switch reply.type {
                case NL.error:
                    let code = reply.errorCode
                    guard code == 0 else {
                        throw NetlinkError(errno: -code, operation: operation, detail: reply.errorMessage)
                    }
                    return (replies, interrupted)
                case NL.done:
                    let code = reply.errorCode
                    guard code >= 0 else { throw NetlinkError(errno: -code, operation: operation) }
                    return (replies, interrupted)
                default:
                    replies.append(reply)
                }
            }
        }
    }

    private func send(_ bytes: [UInt8], operation: String) throws(NetlinkError) {
        while true {
            // Unconnected netlink sockets send to the kernel (port 0) when no address is given.
            let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            if sent == bytes.count { return }
            let code = sent < 0 ? Glibc.errno : EMSGSIZE
            if code == EINTR { continue }
            throw NetlinkError(errno: code, operation: operation)
        }
    }

    /// One whole datagram; its length is peeked first so a dump batch larger than the buffer is never cut.
    private mutating func receive(operation: String) throws(NetlinkError) -> [UInt8] {
        while true {
            let needed = Glibc.recv(fd, nil, 0, Int32(MSG_PEEK | MSG_TRUNC))
            if needed < 0 {
                if Glibc.errno == EINTR { continue }
                throw NetlinkError(errno: Glibc.errno, operation: operation, detail: "receive")
            }
            if needed > buffer.count { buffer = [UInt8](repeating: 0, count: needed) }
            let count = buffer.withUnsafeMutableBytes { Glibc.recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                if Glibc.errno == EINTR { continue }
                throw NetlinkError(errno: Glibc.errno, operation: operation, detail: "receive")
            }
            return Array(buffer[0..<count])
        }
    }
}
