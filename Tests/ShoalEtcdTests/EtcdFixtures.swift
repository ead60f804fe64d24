import Testing

/// Every test that runs a real etcd lives under this suite, one at a time: several etcd clusters with fast raft
/// timers on two shared cores would time each other out.
@Suite("etcd (real members)", .serialized) struct RealEtcd {}

func milliseconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
}

func bytes(_ string: String) -> [UInt8] { Array(string.utf8) }
