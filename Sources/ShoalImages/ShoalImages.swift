/// ShoalImages owns the local image store: images loaded from `docker save` tarballs and OCI layouts, imported
/// root filesystems, pulled and pushed images, their tags, and the layers unpacked once per chain ID for overlayfs.
/// It must never keep a record that points at a missing or unverified layer, never leave a half-unpacked layer,
/// and never decide by itself whether a container uses an image (the engine tells it).
import Foundation
import ShoalCore

/// Runs blocking file work (hashing, unpacking) on a dispatch thread, off the cooperative pool and the actor.
func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(with: Result { try body() }) }
    }
}
