import Foundation

/// Runs blocking system work (unpacking, hashing, unmounting, removing trees) on a dispatch thread, off the
/// cooperative thread pool (two threads on two cores: one blocked call would stall every task) and off any actor.
public func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
