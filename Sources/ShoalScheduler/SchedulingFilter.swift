import ShoalModel

/// The checks a node must pass to take a task, in the order they run (SwarmKit's pipeline order: readiness
/// first, so a down node is reported as unavailable rather than as failing a constraint). A node is charged to
/// the first filter it fails; the explanation of an unplaceable task counts nodes per filter.
public enum SchedulingFilter: Int, Sendable, CaseIterable, Comparable {
    /// The node is ready and active (not paused or drained).
    case ready
    case resources
    /// The node's engine has the log driver the task asks for (volume and network plugins are not modelled yet).
    case plugins
    case constraints
    case platform
    case hostPorts
    case maxReplicas

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Filters whose verdict on a node does not change as tasks land on it: checked once per task group.
    var isStatic: Bool {
        switch self {
        case .ready, .plugins, .constraints, .platform: true
        case .resources, .hostPorts, .maxReplicas: false
        }
    }

    /// Docker's words for `nodes` nodes failing this filter, as `docker service ps` shows them.
    public func explanation(nodes: Int) -> String {
        let count = nodes == 1 ? "1 node" : "\(nodes) nodes"
        switch self {
        case .ready: return "\(count) not available for new tasks"
        case .resources: return "insufficient resources on \(count)"
        case .plugins: return "missing plugin on \(count)"
        case .constraints: return "scheduling constraints not satisfied on \(count)"
        case .platform: return "unsupported platform on \(count)"
        case .hostPorts: return "host-mode port already in use on \(count)"
        // Docker says this without a count (and with this grammar).
        case .maxReplicas: return "max replicas per node limit exceed"
        }
    }
}

/// Tally of nodes per failed filter, rendered as Docker renders it: most failures first (ties in pipeline
/// order), joined by "; ", inside "no suitable node (…)".
public struct FilterFailures: Sendable, Equatable {
    public private(set) var counts: [SchedulingFilter: Int] = [:]

    public init() {}

    public mutating func record(_ filter: SchedulingFilter) { counts[filter, default: 0] += 1 }

    public var explanation: String {
        counts.filter { $0.value > 0 }
            .sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
            .map { $0.key.explanation(nodes: $0.value) }
            .joined(separator: "; ")
    }

    /// The task status error for a task no node could take.
    public var noSuitableNode: String {
        let explanation = explanation
        return explanation.isEmpty ? "no suitable node" : "no suitable node (\(explanation))"
    }
}
