import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// What a `swarm update` asks of the root CA, decided as swarmkit's controlapi decides it (validateCAConfig,
/// with its messages): `docker swarm ca --rotate` bumps `ForceRotate` for a new root Shoal makes, or brings its
/// own (`--ca-cert` with `--ca-key`), or an external CA's (`--ca-cert` with `--external-ca`, no key: the managers
/// then have its certificates signed by that CA).
enum RootRotationPlan {
    /// The CA stays as it is (a running rotation goes on).
    case keep
    /// Rotate to this root (with its key, or without for an external CA's); a running rotation is replaced and
    /// starts over.
    case start(RootCA)
    /// The desired root is the current one: a running rotation is dropped, and the store keeps `keyPEM` as the
    /// root's key (nil: none, an external CA signs).
    case abort(keyPEM: String?)

    /// Which roots' keys the store holds.
    struct HeldKeys: Sendable {
        var current = true
        var next = true
    }

    /// Whether an external CA answers at a URL with a server certificate from a root (PEM).
    typealias Probe = @Sendable (_ url: String, _ root: String) async -> Bool

    static func plan(spec: SwarmSpec, info: SwarmInfo, keys: HeldKeys = HeldKeys(), now: Date = Date(),
                     probe: Probe = { _, _ in false }) async throws -> RootRotationPlan {
        let certificate = spec.signingCACertificate.trimmingCharacters(in: .whitespacesAndNewlines)
        let key = spec.signingCAKey
        if !key.isEmpty && certificate.isEmpty {
            throw ShoalError.invalidArgument(
                "if a signing CA key is provided, the signing CA cert must also be provided")
        }
        let current = try RootCA(certificatePEM: info.rootCACertificate)
        /// An external CA must keep signing for `root` (the "current", "next" or "desired" one).
        func requireExternalCA(for root: RootCA, _ which: String) async throws {
            for url in ExternalCAs.urls(for: root, in: spec, currentRootPEM: info.rootCACertificate)
            where await probe(url, root.certificatePEM) {
                return
            }
            throw ShoalError.invalidArgument(
                "there must be at least one valid, reachable external CA corresponding to the \(which) CA certificate")
        }
        if !keys.current {
            // The current root's own key brought back: it signs here again, with no external CA needed.
            if !key.isEmpty, current.isCertificate(certificate) {
                return .abort(keyPEM: try RootCA.desired(certificatePEM: certificate, keyPEM: key, now: now).keyPEM)
            }
            try await requireExternalCA(for: current, "current")
        }
        guard !certificate.isEmpty else {
            if spec.forceRotate != info.lastForcedRotation {
                try requireCurrentKey(keys, toReach: nil)
                return .start(try RootCA.create(now: now))
            }
            if !info.rotationRootCACertificate.isEmpty, !keys.next {
                try await requireExternalCA(for: try RootCA(certificatePEM: info.rotationRootCACertificate), "next")
            }
            return .keep
        }
        let desired = try RootCA.desired(certificatePEM: certificate, keyPEM: key.isEmpty ? nil : key, now: now)
        if !desired.canSign { try await requireExternalCA(for: desired, "desired") }
        if desired.digest == current.digest { return .abort(keyPEM: desired.keyPEM) }
        if desired.hasSameKey(as: current) {
            throw ShoalError.invalidArgument("Cannot update to a cert with an identical key")
        }
        if !info.rotationRootCACertificate.isEmpty,
           (try? RootCA(certificatePEM: info.rotationRootCACertificate))?.digest == desired.digest {
            return .keep
        }
        try requireCurrentKey(keys, toReach: desired)
        return .start(desired)
    }

    /// A new root is cross-signed with the current root's key, so the store must hold it.
    private static func requireCurrentKey(_ keys: HeldKeys, toReach next: RootCA?) throws {
        guard !keys.current else { return }
        if let next, !next.canSign {
            throw ShoalError.invalidArgument("rotating from one external CA to a different external CA is not supported")
        }
        // swarmkit has the external CA cross-sign the new root; Shoal does not ask external CAs for CA certificates.
        throw ShoalError(.notImplemented,
                         "rotating away from an external CA's root needs its key: first give it with --ca-cert and --ca-key")
    }
}
