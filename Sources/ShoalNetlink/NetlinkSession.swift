import Synchronization

/// A synchronous rtnetlink client over one socket. Each call sends one request and waits for the kernel's answer;
/// calls from several threads are serialised by a mutex. Methods name the `ip`/`bridge` command they replace.
public final class NetlinkSession: @unchecked Sendable {
    private let socket: Mutex<NetlinkSocket>

    /// A socket in the calling thread's network namespace.
    public init() throws(NetlinkError) {
        socket = Mutex(try NetlinkSocket(operation: "open socket"))
    }

    /// A socket in the network namespace bound at `namespacePath` (e.g. /run/netns/x), opened from a short-lived
    /// dedicated thread; the calling thread's namespace never changes. Like `ip -n NAME …`.
    public init(namespacePath: String) throws(NetlinkError) {
        socket = Mutex(try NetlinkSocket(namespacePath: namespacePath, operation: "open socket in \(namespacePath)"))
    }

    /// Closes the socket; later calls fail with EBADF. Also done on deinit.
    public func close() {
        socket.withLock { $0.close() }
    }

    /// Sends one request and returns its data replies; the kernel's error becomes a `NetlinkError` naming `operation`.
    func perform(_ operation: String, _ message: NetlinkMessage) throws(NetlinkError) -> [NetlinkReply] {
        try socket.withLock { (socket) throws(NetlinkError) -> [NetlinkReply] in
            try socket.perform(message, operation: operation)
        }
    }

    /// `perform` for changes whose only answer is the ACK.
    func change(_ operation: String, _ message: NetlinkMessage) throws(NetlinkError) {
        _ = try perform(operation, message)
    }
}
