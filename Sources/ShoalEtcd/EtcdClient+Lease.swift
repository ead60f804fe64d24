import GRPCCore
import ShoalCore
import ShoalEtcdProto

extension EtcdClient {
    /// Grants a lease of `ttl` seconds (`etcdctl lease grant TTL`). Keys put with it go when it expires.
    public func grantLease(ttl: Int64) async throws -> EtcdLease {
        var request = Etcdserverpb_LeaseGrantRequest()
        request.ttl = ttl
        let options = callOptions
        return try await withFailover("lease grant \(ttl)") { connection in
            let response = try await connection.lease.leaseGrant(request, options: options)
            guard response.error.isEmpty else {
                throw ShoalError.internalError("etcd lease grant: \(response.error)")
            }
            return EtcdLease(id: response.id, ttl: response.ttl)
        }
    }

    /// Revokes a lease now, deleting its keys (`etcdctl lease revoke ID`). A lease that is already gone is
    /// not an error.
    public func revokeLease(_ id: Int64) async throws {
        var request = Etcdserverpb_LeaseRevokeRequest()
        request.id = id
        let options = callOptions
        do {
            _ = try await withFailover("lease revoke \(String(id, radix: 16))") { connection in
                try await connection.lease.leaseRevoke(request, options: options)
            }
        } catch let error as ShoalError where error.code == .notFound {
            return
        }
    }

    /// The seconds a lease has left, nil when it has expired or never existed (`etcdctl lease timetolive`).
    public func leaseTimeToLive(_ id: Int64) async throws -> Int64? {
        var request = Etcdserverpb_LeaseTimeToLiveRequest()
        request.id = id
        let options = callOptions
        let ttl = try await withFailover("lease timetolive \(String(id, radix: 16))") { connection in
            try await connection.lease.leaseTimeToLive(request, options: options).ttl
        }
        return ttl > 0 ? ttl : nil
    }

    /// Keeps `lease` alive from a background stream until cancelled, the client closes, or etcd says the lease
    /// is gone (`etcdctl lease keep-alive`). Renews every third of the TTL, as etcd's own client does, and
    /// moves to the next endpoint when a member goes away.
    public func keepAlive(lease: EtcdLease) -> EtcdKeepAlive {
        let keepAlive = EtcdKeepAlive(lease: lease)
        let task = startStream { [self] in
            let reason = await runKeepAlive(lease: lease, keepAlive: keepAlive)
            keepAlive.end(reason)
        }
        if let task { keepAlive.attach(task) } else { keepAlive.end(.cancelled) }
        return keepAlive
    }

    private func runKeepAlive(lease: EtcdLease, keepAlive: EtcdKeepAlive) async -> EtcdKeepAlive.End {
        let interval = Duration.milliseconds(max(lease.ttl * 1000 / 3, 200))
        let clock = ContinuousClock()
        let lastRenewal = LockedValue(clock.now)
        var index = preferredIndex
        let count = configuration.endpoints.count
        var pause = Duration.milliseconds(50)
        while !Task.isCancelled {
            // Past the TTL without a renewal, the lease has expired on the server whatever comes next.
            if clock.now - lastRenewal.value > .seconds(lease.ttl) { return .expired }
            do {
                let connection = try connection(at: index)
                let expired = try await connection.lease.leaseKeepAlive(
                    requestProducer: { writer in
                        var request = Etcdserverpb_LeaseKeepAliveRequest()
                        request.id = lease.id
                        while true {
                            try await writer.write(request)
                            try await Task.sleep(for: interval)
                        }
                    },
                    onResponse: { response in
                        for try await message in response.messages {
                            if message.ttl <= 0 { return true }
                            lastRenewal.value = clock.now
                            keepAlive.renewed()
                        }
                        return false
                    })
                if expired { return .expired }
                pause = .milliseconds(50)
            } catch is CancellationError {
                return .cancelled
            } catch let error as RPCError where error.code == .cancelled && Task.isCancelled {
                return .cancelled
            } catch {
                logger.debug(
                    "etcd lease keep-alive stream to \(configuration.endpoints[index]) ended",
                    metadata: ["error": "\(error)"])
                index = (index + 1) % count
            }
            do { try await Task.sleep(for: pause) } catch { return .cancelled }
            pause = min(pause * 2, .seconds(1))
        }
        return .cancelled
    }
}

/// A lease kept alive in the background by `EtcdClient.keepAlive(lease:)`.
public final class EtcdKeepAlive: Sendable {
    public enum End: Sendable, Equatable {
        /// etcd no longer knows the lease (expired or revoked), or no renewal came within its TTL.
        case expired
        /// `cancel()` was called or the client closed.
        case cancelled
    }

    public let lease: EtcdLease
    private let ended = OneShot<End>()
    private let state = LockedValue(State())

    private struct State {
        var task: Task<Void, Never>?
        var renewals = 0
    }

    init(lease: EtcdLease) {
        self.lease = lease
    }

    /// How many renewals etcd has acknowledged.
    public var renewals: Int { state.value.renewals }

    /// nil while the lease is kept alive.
    public var end: End? { ended.value }

    /// Stops renewing (the lease then expires after its TTL unless revoked).
    public func cancel() {
        state.withLock { $0.task }?.cancel()
    }

    /// Returns when the keep-alive ends, saying why; throws `CancellationError` if the waiting task is cancelled.
    public func waitUntilEnded() async throws -> End {
        try await ended.wait()
    }

    func attach(_ task: Task<Void, Never>) {
        state.withLock { $0.task = task }
    }

    func renewed() {
        state.withLock { $0.renewals += 1 }
    }

    func end(_ end: End) {
        ended.complete(end)
    }
}
