import ShoalDockerAPI
import ShoalManager
import ShoalModel

/// The API's secret and config backend: the node's SwarmMembership (a manager answers; a worker gets Docker's
/// refusal).
struct DataObjectBackendAdapter: DataObjectBackend {
    let swarm: SwarmMembership

    func createDataObject(_ kind: DataObjectKind, spec: DataObjectSpec) async throws -> String {
        try await swarm.createDataObject(kind, spec)
    }

    func listDataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject] {
        try await swarm.dataObjects(kind)
    }

    func dataObject(_ kind: DataObjectKind, _ ref: String) async throws -> SwarmDataObject {
        try await swarm.dataObject(kind, ref)
    }

    func updateDataObject(_ kind: DataObjectKind, _ ref: String, version: UInt64, spec: DataObjectSpec) async throws {
        try await swarm.updateDataObject(kind, ref, version: version, spec: spec)
    }

    func removeDataObject(_ kind: DataObjectKind, _ ref: String) async throws {
        try await swarm.removeDataObject(kind, ref)
    }
}
