import Foundation
import ShoalCA
import ShoalCore
import ShoalModel

/// What a `swarm update` asks of the root CA, decided as swarmkit's controlapi decides it (validateCAConfig,
/// with its messages): `docker swarm ca --rotate` bumps `ForceRotate` for a new root Shoal makes, or brings its
/// own (`--ca-cert` with `--ca-key`).
enum RootRotationPlan {
    /// The CA stays as it is (a running rotation goes on).
    case keep
    /// Rotate to this root (with its key); a running rotation is replaced and starts over.
    case start(RootCA)
    /// The desired root is the current one: a running rotation is dropped.
    case abort

    static func plan(spec: SwarmSpec, info: SwarmInfo, now: Date = Date()) throws -> RootRotationPlan {
        let certificate = spec.signingCACertificate.trimmingCharacters(in: .whitespacesAndNewlines)
        let key = spec.signingCAKey
        if !key.isEmpty && certificate.isEmpty {
            throw ShoalError.invalidArgument(
                "if a signing CA key is provided, the signing CA cert must also be provided")
        }
        guard !certificate.isEmpty else {
            return spec.forceRotate != info.lastForcedRotation ? .start(try RootCA.create(now: now)) : .keep
        }
        guard !key.isEmpty else {
            // Without a key the desired root must be an external CA's (swarmkit checks one is reachable).
            throw ShoalError.invalidArgument(
                "there must be at least one valid, reachable external CA corresponding to the desired CA certificate")
        }
        let desired = try RootCA.desired(certificatePEM: certificate, keyPEM: key, now: now)
        let current = try RootCA(certificatePEM: info.rootCACertificate)
        if desired.digest == current.digest { return .abort }
        if desired.hasSameKey(as: current) {
            throw ShoalError.invalidArgument("Cannot update to a cert with an identical key")
        }
        if !info.rotationRootCACertificate.isEmpty,
           (try? RootCA(certificatePEM: info.rotationRootCACertificate))?.digest == desired.digest {
            return .keep
        }
        return .start(desired)
    }
}
