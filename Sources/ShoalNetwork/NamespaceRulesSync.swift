import Foundation
import Logging
import ShoalNFTables
import Synchronization

/// Every sandbox's service balancer (ServiceBalancer), kept in step with what its owner wants.
public typealias BalancerSync = NamespaceRulesSync<[BalancedService]>

extension NamespaceRulesSync where Wish == [BalancedService] {
    public convenience init(logger: Logger) {
        self.init(logger: logger, what: "service balancer") { services, path in
            try await ServiceBalancer.apply(services, inNetns: path)
        }
    }
}

/// Keeps one nftables table in each of some namespaces in step with what its owner wants, one `nft`
/// transaction at a time and in order: the owner says what each sandbox should have now (`want`, synchronous,
/// so calls from an actor keep their order), and a worker applies the latest wish of each sandbox that differs
/// from what it last applied. Wishes that arrive while it works are merged: only the newest counts.
public final class NamespaceRulesSync<Wish: Sendable & Equatable>: Sendable {
    public typealias Apply = @Sendable (Wish, String) async throws -> Void

    private struct State {
        var wanted: [String: Wish] = [:]
        var applied: [String: Wish] = [:]
    }

    /// Shared with the worker.
    private final class Shared: Sendable {
        let state = Mutex(State())

        func nextChange() -> (String, Wish)? {
            state.withLock { state in
                state.wanted.sorted { $0.key < $1.key }.first { state.applied[$0.key] != $0.value }
                    .map { ($0.key, $0.value) }
            }
        }
    }

    private let shared = Shared()
    private let logger: Logger
    private let what: String
    private let apply: Apply
    private let kick: AsyncStream<Void>.Continuation
    private let worker: Task<Void, Never>

    /// `what` names the table in log lines; `apply` replaces it in the namespace at the path.
    public init(logger: Logger, what: String, apply: @escaping Apply) {
        self.logger = logger
        self.what = what
        self.apply = apply
        let (kicks, kick) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        self.kick = kick
        let shared = self.shared
        worker = Task {
            for await _ in kicks {
                while let (path, wish) = shared.nextChange() {
                    do {
                        try await apply(wish, path)
                    } catch {
                        logger.warning("\(what) in \(path): \(error)")
                    }
                    shared.state.withLock { $0.applied[path] = wish }
                }
            }
        }
    }

    deinit {
        kick.finish()
        worker.cancel()
    }

    /// The sandbox at `path` (its namespace file) should have `wish`.
    public func want(_ wish: Wish, in path: String) {
        let changed = shared.state.withLock { state -> Bool in
            guard state.wanted[path] != wish else { return false }
            state.wanted[path] = wish
            return true
        }
        if changed { kick.yield() }
    }

    /// Applies `wish` in the new sandbox at `path` now, before its container starts, so its first connection
    /// is served (later changes go through `want`).
    public func applyNow(_ wish: Wish, in path: String) async {
        do {
            try await apply(wish, path)
        } catch {
            logger.warning("\(what) in \(path): \(error)")
            return
        }
        shared.state.withLock { state in
            if state.wanted[path] == nil { state.wanted[path] = wish }
            state.applied[path] = wish
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
    public func applied(in path: String) -> Wish? { shared.state.withLock { $0.applied[path] } }
}
