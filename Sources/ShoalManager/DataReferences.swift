import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The checks SwarmKit's control API makes on a service's secret and config references (validateSecretRefsSpec,
/// checkSecretExistence and their config twins), with its words, against the store: every reference names an
/// object that exists, by its ID and current name, and no two references of a kind write the same file.
///
/// Docker's CLI and compose resolve names to IDs before they send a spec; a reference that gives a name and no ID
/// (docker-py lets one write that) is resolved here by exact name, so the stored spec always holds IDs.
struct DataReferences {
    let store: any ClusterStore

    func resolve(_ spec: TaskContainerSpec) async throws -> TaskContainerSpec {
        var spec = spec
        if !spec.secrets.isEmpty {
            let known = try await StoreTable<SecretMessage>(store).list().map(\.object)
            let ids = try Self.resolve(spec.secrets.map { ($0.secretID, $0.secretName, $0.file.name) },
                                       kind: .secret, known: known.map { ($0.id, $0.spec.name) })
            for index in spec.secrets.indices { spec.secrets[index].secretID = ids[index] }
        }
        if !spec.configs.isEmpty {
            let known = try await StoreTable<ConfigMessage>(store).list().map(\.object)
            let ids = try Self.resolve(spec.configs.map { ($0.configID, $0.configName, $0.file.name) },
                                       kind: .config, known: known.map { ($0.id, $0.spec.name) })
            for index in spec.configs.indices { spec.configs[index].configID = ids[index] }
        }
        return spec
    }

    /// The ID of each reference `(id, name, target)` of `kind`, given the objects of that kind `(id, name)`.
    static func resolve(_ references: [(id: String, name: String, target: String)], kind: DataObjectKind,
                        known: [(id: String, name: String)]) throws -> [String] {
        var targets: [String: String] = [:]
        for reference in references {
            guard !reference.name.isEmpty else { throw DataObjectErrors.malformedReference(kind) }
            guard !reference.target.isEmpty else { throw DataObjectErrors.malformedTarget(kind) }
            if let first = targets[reference.target] {
                throw DataObjectErrors.conflictingTarget(kind, first, reference.name, target: reference.target)
            }
            targets[reference.target] = reference.name
        }
        var missing: [String] = []
        let ids = references.map { reference -> String in
            let match = reference.id.isEmpty
                ? known.first { $0.name == reference.name }
                : known.first { $0.id == reference.id && $0.name == reference.name }
            if match == nil { missing.append(reference.name) }
            return match?.id ?? ""
        }
        if !missing.isEmpty { throw DataObjectErrors.referencesNotFound(kind, missing) }
        return ids
    }
}
