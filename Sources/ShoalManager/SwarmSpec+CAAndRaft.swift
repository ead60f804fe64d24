import ShoalClusterProto
import ShoalModel

// The store's edge for the spec's raft and CA options (objects.proto: RaftSpec, ExternalCA). A cluster made
// before they were kept has no RaftSpec: it reads as swarmkit's defaults.
extension SwarmSpec {
    mutating func setCAAndRaft(from stored: Shoal_Cluster_V1_ClusterSpec) {
        if stored.hasRaft {
            let defaults = SwarmRaftSpec()
            let wire = stored.raft
            raft.snapshotInterval = wire.snapshotInterval == 0 ? defaults.snapshotInterval : wire.snapshotInterval
            raft.keepOldSnapshots = wire.keepOldSnapshots
            raft.logEntriesForSlowFollowers = wire.logEntriesForSlowFollowers == 0
                ? defaults.logEntriesForSlowFollowers : wire.logEntriesForSlowFollowers
            raft.electionTick = wire.electionTick == 0 ? defaults.electionTick : Int(wire.electionTick)
            raft.heartbeatTick = wire.heartbeatTick == 0 ? defaults.heartbeatTick : Int(wire.heartbeatTick)
        }
        forceRotate = stored.forceRotate
        externalCAs = stored.externalCas.map {
            SwarmExternalCA(protocol: $0.protocol, url: $0.url, options: $0.options, caCertificate: $0.caCertPem)
        }
    }

    func storeCAAndRaft(in stored: inout Shoal_Cluster_V1_ClusterSpec) {
        stored.raft.snapshotInterval = raft.snapshotInterval
        stored.raft.keepOldSnapshots = raft.keepOldSnapshots
        stored.raft.logEntriesForSlowFollowers = raft.logEntriesForSlowFollowers
        stored.raft.electionTick = UInt32(clamping: raft.electionTick)
        stored.raft.heartbeatTick = UInt32(clamping: raft.heartbeatTick)
        stored.forceRotate = forceRotate
        stored.externalCas = externalCAs.map { external in
            var wire = Shoal_Cluster_V1_ExternalCA()
            wire.protocol = external.protocol
            wire.url = external.url
            wire.options = external.options
            wire.caCertPem = external.caCertificate
            return wire
        }
    }
}
