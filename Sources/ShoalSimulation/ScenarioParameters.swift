import Foundation

/// The shape of one simulated run (issue 12's control-plane scale): how many nodes join, how many replicas the
/// services want in all, and what the later steps touch.
public struct ScenarioParameters: Sendable, Codable, Equatable {
    public var nodes = 1000
    /// Replicas over every service (split evenly; the first services take the remainder).
    public var tasks = 100_000
    public var services = 100
    /// Services scaled up by half, and as many others scaled down by half (the total stays the same).
    public var scaledServices = 10
    /// Services given a new image in a rolling update, and its parallelism per service.
    public var updatedServices = 10
    public var updateParallelism: UInt64 = 100
    /// Nodes that go away at the end (their group's process is killed, or their agents stop).
    public var lostNodes = 100
    /// Simulated nodes per group (one process each in the benchmark); the lost nodes are a group of their own.
    public var nodesPerGroup = 500
    /// `--dispatcher-heartbeat` (Docker's default 5 s: Down after three missed periods).
    public var heartbeatPeriod: TimeInterval = 5
    /// A step that has not converged by then fails the run.
    public var stepTimeout: TimeInterval = 900
    /// The manager's control port (etcd takes the next two).
    public var controlPort = 4577

    public init() {}

    /// The replicas of service `index` (0-based) at creation.
    public func replicas(ofService index: Int) -> Int {
        tasks / services + (index < tasks % services ? 1 : 0)
    }

    /// Node hostnames, the ones to lose first, in groups of `nodesPerGroup` at most.
    public var groups: [[String]] {
        let names = (0..<nodes).map { String(format: "sim-%05d", $0) }
        let lost = Array(names.prefix(min(lostNodes, nodes)))
        var groups = lost.isEmpty ? [] : [lost]
        var rest = names.dropFirst(lost.count)
        while !rest.isEmpty {
            groups.append(Array(rest.prefix(max(1, nodesPerGroup))))
            rest = rest.dropFirst(max(1, nodesPerGroup))
        }
        return groups
    }
}
