import Foundation
import ShoalCore
import ShoalModel

// The raft and CA parts of Docker's swarm spec (`Spec.Raft`, `Spec.CAConfig`) and their conversion, as the
// daemon's convert.MergeSwarmSpecToGRPC does it: a zero means the default.

extension SwarmSpecWire {
    /// `Spec.Raft`: zeros take swarmkit's defaults; `KeepOldSnapshots` is a pointer in Go, so nil is the default
    /// and 0 a value.
    func raftSpec() throws -> SwarmRaftSpec {
        var raft = SwarmRaftSpec()
        guard let wire = Raft else { return raft }
        if let interval = wire.SnapshotInterval, interval != 0 { raft.snapshotInterval = interval }
        if let keep = wire.KeepOldSnapshots { raft.keepOldSnapshots = keep }
        if let entries = wire.LogEntriesForSlowFollowers, entries != 0 { raft.logEntriesForSlowFollowers = entries }
        if let tick = wire.ElectionTick, tick != 0 { raft.electionTick = tick }
        if let tick = wire.HeartbeatTick, tick != 0 { raft.heartbeatTick = tick }
        do {
            try raft.validate()
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        return raft
    }

    /// `Spec.CAConfig` beyond the certificate expiry: the rotation counter and the root to rotate to.
    func applyCAConfig(to spec: inout SwarmSpec) throws {
        guard let ca = CAConfig else { return }
        spec.forceRotate = ca.ForceRotate ?? 0
        spec.signingCACertificate = ca.SigningCACert ?? ""
        spec.signingCAKey = ca.SigningCAKey ?? ""
        spec.externalCAs = try (ca.ExternalCAs ?? []).map { external in
            let name = (external.Protocol ?? "").lowercased()
            guard name == "cfssl" else {
                throw DockerAPIError.badRequest("invalid protocol: \"\(external.Protocol ?? "")\"")
            }
            return SwarmExternalCA(protocol: name, url: external.URL ?? "", options: external.Options ?? [:],
                                   caCertificate: external.CACert ?? "")
        }
    }
}

extension SwarmSpec {
    var raftWire: SwarmSpecWire.RaftWire {
        .init(SnapshotInterval: raft.snapshotInterval, KeepOldSnapshots: raft.keepOldSnapshots,
              LogEntriesForSlowFollowers: raft.logEntriesForSlowFollowers, ElectionTick: raft.electionTick,
              HeartbeatTick: raft.heartbeatTick)
    }

    /// Docker never shows the signing certificate or key.
    var caConfigWire: SwarmSpecWire.CAConfigWire {
        .init(NodeCertExpiry: Nanoseconds.from(nodeCertExpiry),
              ExternalCAs: externalCAs.isEmpty ? nil : externalCAs.map {
                  .init(Protocol: $0.protocol, URL: $0.url, Options: $0.options.isEmpty ? nil : $0.options,
                        CACert: $0.caCertificate.isEmpty ? nil : $0.caCertificate)
              },
              ForceRotate: forceRotate == 0 ? nil : forceRotate)
    }
}
