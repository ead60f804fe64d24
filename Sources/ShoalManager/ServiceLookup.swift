import ShoalModel

/// Services and tasks by reference, in the Docker daemon's order (daemon/cluster/helpers.go): the full ID, then
/// the exact name, then a unique ID prefix.
enum ServiceLookup {
    static func service(_ reference: String, in services: [SwarmService]) throws -> SwarmService {
        if let byID = services.first(where: { $0.id == reference }) { return byID }
        if let byName = services.first(where: { $0.spec.name == reference }) { return byName }
        let matches = services.filter { !reference.isEmpty && $0.id.hasPrefix(reference) }
        if matches.count > 1 { throw ServiceErrors.ambiguous(reference, matches: matches.count) }
        guard let match = matches.first else { throw ServiceErrors.notFound(reference) }
        return match
    }

    /// Tasks have no name of their own in the store (Docker shows `<service>.<slot>.<id>`): the full ID, then a
    /// unique ID prefix.
    static func task(_ reference: String, in tasks: [SwarmTask]) throws -> SwarmTask {
        if let byID = tasks.first(where: { $0.id == reference }) { return byID }
        let matches = tasks.filter { !reference.isEmpty && $0.id.hasPrefix(reference) }
        if matches.count > 1 { throw ServiceErrors.taskAmbiguous(reference, matches: matches.count) }
        guard let match = matches.first else { throw ServiceErrors.taskNotFound(reference) }
        return match
    }
}
