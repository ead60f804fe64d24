import Foundation
import Logging
import ShoalNFTables
import Synchronization

/// Keeps every sandbox's service balancer (ServiceBalancer) in step with what its owner wants, one `nft`
/// transaction at a time and in order: the owner says what each sandbox should balance now (`want`, synchronous,
/// so calls from an actor keep their order), and a worker applies the latest wish of each sandbox that differs
/// from what it last applied. Wishes that arrive while it works are merged: only the newest counts.
public final class BalancerSync: Sendable {
    private struct State {
        var wanted: [String: [BalancedService]] = [:]
        var applied: [String: [BalancedService]] = [:]
    }

    /// Shared with the worker.
    private final class Shared: Sendable {
        let state = Mutex(State())

        func nextChange() -> (String, [BalancedService])? {
            state.withLock { state in
                state.wanted.sorted { $0.key < $1.key }.first { state.applied[$0.key] != $0.value }
                    .map { ($0.key, $0.value) }
            }
        }
    }

    private let shared = Shared()
    private let logger: Logger
    private let kick: AsyncStream<Void>.Continuation
    private let worker: Task<Void, Never>

    public init(logger: Logger) {
        self.logger = logger
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.kick = kick
        let shared = self.shared
        worker = Task {
            for await _ in kicks {
                while let (path, services) = shared.nextChange() {
                    do {
                        try await ServiceBalancer.apply(services, inNetns: path)
                    } catch {
                        logger.warning("service balancer in \(path): \(error)")
                    }
                    shared.state.withLock { $0.applied[path] = services }
                }
            }
        }
    }

    deinit {
        kick.finish()
        worker.cancel()
    }

    /// The sandbox at `path` (its namespace file) should balance `services` (none: no table).
    public func want(_ services: [BalancedService], in path: String) {
        let changed = shared.state.withLock { state -> Bool in
            guard state.wanted[path] != services else { return false }
            state.wanted[path] = services
            return true
        }
        if changed { kick.yield() }
    }

    /// Applies `services` in the new sandbox at `path` now, before its container starts, so its first connection
    /// to a VIP is balanced (later changes go through `want`).
    public func applyNow(_ services: [BalancedService], in path: String) async {
        do {
            try await ServiceBalancer.apply(services, inNetns: path)
        } catch {
            logger.warning("service balancer in \(path): \(error)")
            return
        }
        shared.state.withLock { state in
            if state.wanted[path] == nil { state.wanted[path] = services }
            state.applied[path] = services
        }
    }

    /// The sandbox is gone (its namespace with it): nothing to undo.
    public func forget(_ path: String) {
        shared.state.withLock { state in
            state.wanted[path] = nil
            state.applied[path] = nil
        }
    }

    /// What the sandbox last got (tests and diagnostics).
    public func applied(in path: String) -> [BalancedService]? { shared.state.withLock { $0.applied[path] } }
}
