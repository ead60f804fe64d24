import ShoalModel

/// Start order between services (ServiceDependencies, compose's `depends_on` with `service_healthy`): the pending
/// tasks of a service whose dependencies do not all serve yet are not placed; they stay pending with the reason,
/// which `docker service ps` shows as for an unmet constraint. Pure: the caller says which services exist and how
/// many tasks of each serve.
public enum StartOrder {
    /// What the gate needs of one service.
    public struct Service: Sendable, Equatable {
        public var id: String
        public var name: String
        /// The stack it belongs to (com.docker.stack.namespace), if any.
        public var stack: String?
        public var dependencies: ServiceDependencies?

        public init(id: String, name: String, stack: String?, dependencies: ServiceDependencies?) {
            self.id = id
            self.name = name
            self.stack = stack
            self.dependencies = dependencies
        }
    }

    /// The tasks of `pending` that must wait, by task ID, with the reason each waits. `serving`: how many tasks
    /// of each service (by ID) serve now.
    public static func held(_ pending: [SwarmTask], services: [Service], serving: [String: Int]) -> [String: String] {
        let byName = Dictionary(services.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var reasons: [String: String?] = [:]  // by service ID; nil: free to go
        func reason(for service: Service) -> String? {
            if let known = reasons[service.id] { return known }
            var waiting: String? = nil
            for name in service.dependencies?.names ?? [] {
                let found = ServiceDependencies.candidates(name, stack: service.stack).lazy.compactMap { byName[$0] }.first
                guard let found else {
                    waiting = "waiting for service \(name), which does not exist (\(ServiceDependencies.label))"
                    break
                }
                if serving[found.id, default: 0] == 0 {
                    waiting = "waiting for service \(found.name) to have a healthy task (\(ServiceDependencies.label))"
                    break
                }
            }
            reasons[service.id] = .some(waiting)
            return waiting
        }
        let byID = Dictionary(services.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var held: [String: String] = [:]
        for task in pending {
            guard let service = byID[task.serviceID], let why = reason(for: service) else { continue }
            held[task.id] = why
        }
        return held
    }
}
