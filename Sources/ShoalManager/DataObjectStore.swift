import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel

/// The leader's writer of secrets and configs (`docker secret/config create/update/rm`): SwarmKit's control API
/// checks against the store (names, versions, services that name the object), then one commit fenced by this
/// leadership term. A secret's payload is sealed with the cluster's data key before it is written; a config's is
/// kept in clear, as Docker does. It lives for one term, like the service store, and shares that store's gate
/// (`LeaderWriteGate`), since each checks the other's objects.
actor DataObjectStore {
    let store: any ClusterStore
    let fence: LeaderFence
    let gate: LeaderWriteGate
    /// nil on a manager without one (a swarm made before Shoal kept one): configs still work, secrets do not.
    let key: ClusterDataKey?

    init(store: any ClusterStore, fence: LeaderFence, gate: LeaderWriteGate, key: ClusterDataKey?) {
        self.store = store
        self.fence = fence
        self.gate = gate
        self.key = key
    }

    /// Stores a new secret or config; returns it as stored (with its version; a secret without its payload).
    func create(_ kind: DataObjectKind, _ spec: DataObjectSpec) async throws -> SwarmDataObject {
        switch kind {
        case .secret: try await create(spec, in: StoreTable<SecretMessage>(store))
        case .config: try await create(spec, in: StoreTable<ConfigMessage>(store))
        }
    }

    /// Docker allows changing the labels only; `version` is the one the caller read the object at.
    func update(_ kind: DataObjectKind, _ reference: String, version: UInt64, spec: DataObjectSpec) async throws
        -> SwarmDataObject
    {
        switch kind {
        case .secret: try await update(reference, version: version, spec: spec, in: StoreTable<SecretMessage>(store))
        case .config: try await update(reference, version: version, spec: spec, in: StoreTable<ConfigMessage>(store))
        }
    }

    /// Refused while a service names the object.
    func remove(_ kind: DataObjectKind, _ reference: String) async throws {
        switch kind {
        case .secret: try await remove(reference, in: StoreTable<SecretMessage>(store))
        case .config: try await remove(reference, in: StoreTable<ConfigMessage>(store))
        }
    }

    /// A secret's or config's payload, opened (the data key stays on this manager): for the leader's own use.
    func payload(_ kind: DataObjectKind, _ reference: String) async throws -> [UInt8] {
        switch kind {
        case .secret: try await Self.find(reference, in: StoreTable<SecretMessage>(store).list()).object.payload(key: key)
        case .config: try await Self.find(reference, in: StoreTable<ConfigMessage>(store).list()).object.payload(key: key)
        }
    }

    // MARK: one kind

    private func create<Message: DataObjectMessage>(_ spec: DataObjectSpec, in table: StoreTable<Message>)
        async throws -> SwarmDataObject
    {
        try await gate.exclusively {
            try spec.validate(Message.kind)
            if let driver = spec.driver { throw DataObjectErrors.driverUnsupported(driver.name) }
            if try await table.list().contains(where: { $0.object.spec.name == spec.name }) {
                throw DataObjectErrors.nameTaken(Message.kind, spec.name)
            }
            let now = Date().nanoseconds
            var message = Message()
            message.id = RandomID.generate()
            message.spec = spec.message
            message.createdAtNs = now
            message.updatedAtNs = now
            try message.keep(payload: Array(spec.data ?? Data()), key: key)
            let revision = try await commit(try table.create(message))
            return SwarmDataObject(Versioned(object: message, version: revision, createRevision: revision))
        }
    }

    private func update<Message: DataObjectMessage>(_ reference: String, version: UInt64, spec: DataObjectSpec,
                                                    in table: StoreTable<Message>) async throws -> SwarmDataObject {
        try await gate.exclusively {
            let current = try Self.find(reference, in: try await table.list())
            guard spec.name == current.object.spec.name else { throw DataObjectErrors.onlyLabels }
            if let data = spec.data {
                // Constant time, as SwarmKit compares a secret's payload.
                let stored = try current.object.payload(key: key)
                guard stored.count == data.count, zip(stored, data).reduce(0, { $0 | ($1.0 ^ $1.1) }) == 0 else {
                    throw DataObjectErrors.onlyLabels
                }
            }
            guard UInt64(current.version) == version else { throw SwarmErrors.outOfSequence }
            var updated = current.object
            updated.spec.labels = spec.labels
            updated.updatedAtNs = Date().nanoseconds
            let revision = try await commit(try table.update(updated, ifVersion: current.version))
            return SwarmDataObject(Versioned(object: updated, version: revision, createRevision: current.createRevision))
        }
    }

    private func remove<Message: DataObjectMessage>(_ reference: String, in table: StoreTable<Message>) async throws {
        try await gate.exclusively {
            let current = try Self.find(reference, in: try await table.list())
            let users = try await StoreTable<ServiceMessage>(store).list()
                .filter { $0.object.spec.taskTemplate.containerSpec.names(Message.kind, id: current.id) }
                .map(\.object.spec.name)
            if !users.isEmpty { throw DataObjectErrors.inUse(Message.kind, current.object.spec.name, services: users) }
            _ = try await commit(try table.delete(current.id, ifVersion: current.version))
        }
    }

    static func find<Message: DataObjectMessage>(_ reference: String, in stored: [Versioned<Message>]) throws
        -> Versioned<Message>
    {
        try ReferenceLookup.find(reference, in: stored, id: \.id, name: { $0.object.spec.name },
                                 notFound: { DataObjectErrors.notFound(Message.kind, reference) },
                                 ambiguous: { DataObjectErrors.ambiguous(Message.kind, reference, matches: $0) })
    }

    /// Commits `write` fenced by this term; returns the revision it was stored at (the objects' new version).
    private func commit(_ write: StoreWrite) async throws -> Int64 {
        switch try await fence.commit(write, in: store) {
        case .committed(let revision): return revision
        case .deposed: throw ShoalError(.unavailable, "this manager is no longer the leader")
        case .conflicted: throw SwarmErrors.outOfSequence
        }
    }
}

extension Shoal_Cluster_V1_ContainerSpec {
    /// Whether a service's container names the secret or config `id`.
    func names(_ kind: DataObjectKind, id: String) -> Bool {
        switch kind {
        case .secret: secrets.contains { $0.secretID == id }
        case .config: configs.contains { $0.configID == id }
        }
    }
}

extension DataObjectSpec {
    /// SwarmKit's validateSecretSpec/validateConfigSpec: a name by Docker's rule (validateConfigOrSecretAnnotations),
    /// and a payload of 1 byte to just under 500 KiB unless a secret driver provides it.
    func validate(_ kind: DataObjectKind) throws {
        guard !name.isEmpty else { throw DataObjectErrors.nameMissing }
        guard name.utf8.count <= 64, Self.isValidName(name) else { throw DataObjectErrors.invalidName }
        if kind == .secret, let driver {
            guard !driver.name.isEmpty else { throw DataObjectErrors.driverWithoutName }
            return
        }
        let size = data?.count ?? 0
        guard size > 0, size < DataObjectErrors.maximumSize else { throw DataObjectErrors.payloadSize(kind) }
    }

    /// `^[a-zA-Z0-9]+(?:[a-zA-Z0-9-_.]*[a-zA-Z0-9])?$`: letters and digits, with `-`, `_` and `.` inside.
    static func isValidName(_ name: String) -> Bool {
        func alphanumeric(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
        }
        let bytes = Array(name.utf8)
        guard let first = bytes.first, let last = bytes.last, alphanumeric(first), alphanumeric(last) else {
            return false
        }
        return bytes.allSatisfy { alphanumeric($0) || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".") }
    }
}
