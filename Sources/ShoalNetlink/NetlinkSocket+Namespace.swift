import CShoal
import Glibc

extension NetlinkSocket {
    /// Opens the socket inside the network namespace bound at `namespacePath` (e.g. /run/netns/x): a dedicated
    /// pthread enters the namespace, opens the socket and ends; the socket keeps that namespace for its lifetime.
    /// The caller's thread (maybe a Swift-concurrency pool thread) never changes namespace.
    init(namespacePath: String, operation: String) throws(NetlinkError) {
        let job = NamespaceJob(path: namespacePath, operation: operation)
        let context = Unmanaged.passRetained(job).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            Unmanaged<NamespaceJob>.fromOpaque(raw).takeUnretainedValue().run()
            return nil
        }, context)
        guard created == 0 else {
            Unmanaged<NamespaceJob>.fromOpaque(context).release()
            throw NetlinkError(errno: created, operation: operation, detail: "pthread_create")
        }
        pthread_join(thread, nil)
        Unmanaged<NamespaceJob>.fromOpaque(context).release()
        switch job.result {
        case .success(let fd): self.init(adopting: fd)
        case .failure(let error): throw error
        }
    }
}

/// Work and result of the namespace thread; only that thread writes `result`, and only before the join.
private final class NamespaceJob {
    let path: String
    let operation: String
    var result: Result<Int32, NetlinkError>

    init(path: String, operation: String) {
        self.path = path
        self.operation = operation
        self.result = .failure(NetlinkError(errno: EINVAL, operation: operation))
    }

    func run() {
        let nsfd = open(path, O_RDONLY | O_CLOEXEC)
        guard nsfd >= 0 else {
            result = .failure(NetlinkError(errno: errno, operation: operation, detail: "open \(path)"))
            return
        }
        defer { Glibc.close(nsfd) }
        guard cshoal_setns(nsfd, cshoal_clone_newnet()) == 0 else {
            result = .failure(NetlinkError(errno: errno, operation: operation, detail: "setns \(path)"))
            return
        }
        var port: UInt32 = 0
        let fd = cshoal_netlink_open(NetlinkSocket.routeProtocol, &port, NetlinkSocket.receiveTimeoutMilliseconds)
        result = fd >= 0 ? .success(fd) : .failure(NetlinkError(errno: -fd, operation: operation))
    }
}
