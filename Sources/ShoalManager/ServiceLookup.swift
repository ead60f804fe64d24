import ShoalModel

/// Services and tasks by reference, in the Docker daemon's order (`ReferenceLookup`).
enum ServiceLookup {
    static func service(_ reference: String, in services: [SwarmService]) throws -> SwarmService {
        try ReferenceLookup.find(reference, in: services, id: \.id, name: { $0.spec.name },
                                 notFound: { ServiceErrors.notFound(reference) },
                                 ambiguous: { ServiceErrors.ambiguous(reference, matches: $0) })
    }

    /// Tasks have no name of their own in the store (Docker shows `<service>.<slot>.<id>`): the full ID, then a
    /// unique ID prefix.
    static func task(_ reference: String, in tasks: [SwarmTask]) throws -> SwarmTask {
        try ReferenceLookup.find(reference, in: tasks, id: \.id,
                                 notFound: { ServiceErrors.taskNotFound(reference) },
                                 ambiguous: { ServiceErrors.taskAmbiguous(reference, matches: $0) })
    }
}
