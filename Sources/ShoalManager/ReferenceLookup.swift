import ShoalCore

/// Swarm objects by reference, in the Docker daemon's order (daemon/cluster/helpers.go): the full ID, then the exact
/// name (for objects that have one), then a unique ID prefix. The errors are the caller's words.
enum ReferenceLookup {
    static func find<Object>(_ reference: String, in objects: [Object], id: (Object) -> String,
                             name: ((Object) -> String)? = nil, notFound: () -> ShoalError,
                             ambiguous: (Int) -> ShoalError) throws -> Object {
        if let byID = objects.first(where: { id($0) == reference }) { return byID }
        if let name, let byName = objects.first(where: { name($0) == reference }) { return byName }
        let matches = objects.filter { !reference.isEmpty && id($0).hasPrefix(reference) }
        if matches.count > 1 { throw ambiguous(matches.count) }
        guard let match = matches.first else { throw notFound() }
        return match
    }
}
