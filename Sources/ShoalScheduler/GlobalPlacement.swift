import ShoalModel
import ShoalCore

extension SchedulerState {
    /// The nodes that should get a new task of a global service: not drained, not down, and satisfying the
    /// service's constraints (SwarmKit's global orchestrator). A paused node keeps the tasks it has but gets no
    /// new one. The tasks made for these nodes come back to `schedule` bound to them, which confirms each
    /// against the rest of the filters (resources, platform, ports).
    public func nodesForGlobalService(_ spec: TaskSpec) throws(ShoalError) -> [String] {
        let constraints = try Constraint.parse(spec.placement.constraints)
        return nodes.lazy.map(\.node)
            .filter { $0.spec.availability == .active && $0.status.state != .down && constraints.allMatch($0) }
            .map(\.id)
    }
}
