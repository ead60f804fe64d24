import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalManager

/// The leader's secret and config writes on an in-memory store: Docker's checks and words, versions, services that
/// use them, and secrets sealed in the store.
@Suite struct DataObjectStoreTests {
    /// A term's two writers that check each other's objects, as LeaderServices makes them.
    struct Leader {
        let objects: DataObjectStore
        let services: ServiceStore
    }

    static let key = ClusterDataKey.generate()

    static func leader(_ node: String, _ store: MemoryClusterStore, key: ClusterDataKey? = Self.key) async throws
        -> Leader
    {
        let fence = try await LeaderFence.claim(for: node, in: store)
        let gate = LeaderWriteGate()
        return Leader(objects: DataObjectStore(store: store, fence: fence, gate: gate, key: key),
                      services: ServiceStore(store: store, fence: fence, gate: gate))
    }

    static func spec(_ name: String, _ data: String? = "s3cr3t-value", labels: [String: String] = [:])
        -> DataObjectSpec
    {
        DataObjectSpec(name: name, labels: labels, data: data.map { Data($0.utf8) })
    }

    static func service(_ name: String, secrets: [SecretReference] = [], configs: [ConfigReference] = [])
        -> ServiceSpec
    {
        ServiceSpec(name: name, taskTemplate: TaskSpec(containerSpec: TaskContainerSpec(
            image: "busybox", secrets: secrets, configs: configs)))
    }

    static func secret(_ name: String, id: String = "", target: String? = nil) -> SecretReference {
        SecretReference(file: ReferenceFileTarget(name: target ?? name), secretID: id, secretName: name)
    }

    static let prefix = "rpc error: code = InvalidArgument desc = "

    @Test func createdSecretsAreSealedInTheStoreAndListedWithoutTheirPayload() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let created = try await leader.objects.create(.secret, Self.spec("db-pass", labels: ["a": "b"]))
        #expect(created.kind == .secret && created.id.count == 25 && created.version > 0)
        #expect(created.spec == DataObjectSpec(name: "db-pass", labels: ["a": "b"]))

        // What etcd would hold: neither the payload nor the key, in any key of the store.
        let raw = try await store.list(prefix: "/")
        #expect(!raw.isEmpty)
        for value in raw {
            #expect(!Self.contains(value.value, "s3cr3t-value"), "\(value.key) holds the secret in clear")
            #expect(!Self.contains(value.value, Self.key.bytes), "\(value.key) holds the data key")
        }
        let stored = try #require(try await StoreTable<SecretMessage>(store).get(created.id))
        #expect(!stored.object.spec.hasData && stored.object.sealedData.keyID == Self.key.id)
        #expect(SwarmDataObject(stored) == created)

        // The leader opens it with the key; nothing else does.
        #expect(try await leader.objects.payload(.secret, "db-pass") == Array("s3cr3t-value".utf8))
        #expect(try await leader.objects.payload(.secret, String(created.id.prefix(5))) == Array("s3cr3t-value".utf8))
        let otherKey = try await Self.leader("m2", store, key: ClusterDataKey.generate())
        #expect(await Self.refusal { try await otherKey.objects.payload(.secret, "db-pass") }?.code == .internalError)
        let keyless = try await Self.leader("m3", store, key: nil)
        #expect(await Self.refusal { try await keyless.objects.payload(.secret, "db-pass") }?.message
            == DataObjectErrors.noDataKey.message)
        #expect(await Self.refusal { try await keyless.objects.create(.secret, Self.spec("x")) }?.code == .internalError)
        #expect(try await keyless.objects.create(.config, Self.spec("c")).spec.data == Data("s3cr3t-value".utf8))
    }

    @Test func aSealedPayloadOpensOnlyForItsOwnSecret() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let first = try await leader.objects.create(.secret, Self.spec("one"))
        let second = try await leader.objects.create(.secret, Self.spec("two", "other"))
        let table = StoreTable<SecretMessage>(store)
        var moved = try #require(try await table.get(second.id))
        moved.object.sealedData = try #require(try await table.get(first.id)).object.sealedData
        _ = try await store.commit(try table.update(moved.object, ifVersion: moved.version))
        #expect(await Self.refusal { try await leader.objects.payload(.secret, "two") }?.code == .internalError)
        #expect(try await leader.objects.payload(.secret, "one") == Array("s3cr3t-value".utf8))
    }

    @Test func configsKeepTheirPayloadInClear() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let created = try await leader.objects.create(.config, Self.spec("nginx.conf", "server {}"))
        #expect(created.spec.data == Data("server {}".utf8))
        let raw = try #require(try await store.list(prefix: "/shoal/objects/configs/").first)
        #expect(Self.contains(raw.value, "server {}"))
        #expect(try await leader.objects.payload(.config, "nginx.conf") == Array("server {}".utf8))
        // Another kind, another namespace: a secret may share the name.
        _ = try await leader.objects.create(.secret, Self.spec("nginx.conf"))
    }

    @Test func createRefusesWithDockersWords() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        _ = try await leader.objects.create(.secret, Self.spec("taken"))
        let taken = await Self.refusal { try await leader.objects.create(.secret, Self.spec("taken")) }
        #expect(taken?.code == .conflict)
        #expect(taken?.message == "rpc error: code = AlreadyExists desc = secret taken already exists")
        let configTaken = await Self.refusal {
            _ = try await leader.objects.create(.config, Self.spec("c"))
            return try await leader.objects.create(.config, Self.spec("c"))
        }
        #expect(configTaken?.message == "rpc error: code = AlreadyExists desc = config c already exists")

        let invalidName = Self.prefix
            + "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed, and the start and end character must be [a-zA-Z0-9]"
        for name in ["-a", "a-", "a b", "é", "a/b", String(repeating: "a", count: 65)] {
            let refused = await Self.refusal { try await leader.objects.create(.secret, Self.spec(name)) }
            #expect(refused?.code == .invalidArgument && refused?.message == invalidName, "\(name)")
        }
        for name in ["a", "a.b_c-d", "A9", String(repeating: "b", count: 64)] {
            _ = try await leader.objects.create(.secret, Self.spec(name))
        }
        #expect(await Self.refusal { try await leader.objects.create(.secret, Self.spec("")) }?.message
            == Self.prefix + "name must be provided")

        let size = Self.prefix + "secret data must be larger than 0 and less than 512000 bytes"
        #expect(await Self.refusal { try await leader.objects.create(.secret, Self.spec("empty", "")) }?.message == size)
        #expect(await Self.refusal { try await leader.objects.create(.secret, Self.spec("none", nil)) }?.message == size)
        let big = String(repeating: "x", count: 500 * 1024)
        #expect(await Self.refusal { try await leader.objects.create(.secret, Self.spec("big", big)) }?.message == size)
        #expect(await Self.refusal { try await leader.objects.create(.config, Self.spec("big", big)) }?.message
            == Self.prefix + "config data must be larger than 0 and less than 512000 bytes")
        _ = try await leader.objects.create(.secret, Self.spec("just-fits", String(big.dropLast())))

        var driven = Self.spec("driven", nil)
        driven.driver = SwarmDriver(name: "vault")
        #expect(await Self.refusal { try await leader.objects.create(.secret, driven) }?.code == .notImplemented)
        driven.driver = SwarmDriver(name: "")
        #expect(await Self.refusal { try await leader.objects.create(.secret, driven) }?.message
            == Self.prefix + "secret driver must have a name")
    }

    @Test func updateChangesLabelsOnly() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let created = try await leader.objects.create(.secret, Self.spec("s", labels: ["a": "1"]))
        let relabelled = try await leader.objects.update(.secret, "s", version: created.version,
                                                         spec: Self.spec("s", nil, labels: ["b": "2"]))
        #expect(relabelled.spec.labels == ["b": "2"] && relabelled.version > created.version)
        #expect(relabelled.createdAt == created.createdAt && relabelled.updatedAt >= created.updatedAt)
        #expect(SwarmDataObject(try #require(try await StoreTable<SecretMessage>(store).get(created.id))) == relabelled)
        // The same payload may come along; another may not, nor another name.
        let same = try await leader.objects.update(.secret, created.id, version: relabelled.version,
                                                   spec: Self.spec("s", labels: ["c": "3"]))
        #expect(try await leader.objects.payload(.secret, "s") == Array("s3cr3t-value".utf8))
        let onlyLabels = Self.prefix + "only updates to Labels are allowed"
        #expect(await Self.refusal {
            try await leader.objects.update(.secret, "s", version: same.version, spec: Self.spec("s", "changed"))
        }?.message == onlyLabels)
        #expect(await Self.refusal {
            try await leader.objects.update(.secret, "s", version: same.version, spec: Self.spec("t", nil))
        }?.message == onlyLabels)
        #expect(await Self.refusal {
            try await leader.objects.update(.secret, "s", version: created.version, spec: Self.spec("s", nil))
        }?.message == "rpc error: code = Unknown desc = update out of sequence")
        #expect(await Self.refusal {
            try await leader.objects.update(.config, "s", version: same.version, spec: Self.spec("s", nil))
        }?.message == "config s not found")

        let config = try await leader.objects.create(.config, Self.spec("c", "x = 1"))
        let updated = try await leader.objects.update(.config, "c", version: config.version,
                                                      spec: Self.spec("c", "x = 1", labels: ["k": "v"]))
        #expect(updated.spec == Self.spec("c", "x = 1", labels: ["k": "v"]))
    }

    @Test func servicesNameExistingObjectsByIDAndKeepThemFromRemoval() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        let secret = try await leader.objects.create(.secret, Self.spec("db-pass"))
        let config = try await leader.objects.create(.config, Self.spec("app.conf", "x"))

        // By ID and name, as the CLI sends them; by name alone, resolved to the ID.
        let web = try await leader.services.create(Self.service(
            "web", secrets: [Self.secret("db-pass", id: secret.id)],
            configs: [ConfigReference(file: ReferenceFileTarget(name: "/app.conf"), configID: "", configName: "app.conf")]))
        #expect(web.spec.taskTemplate.containerSpec.secrets.map(\.secretID) == [secret.id])
        #expect(web.spec.taskTemplate.containerSpec.configs.map(\.configID) == [config.id])
        _ = try await leader.services.create(Self.service("api", secrets: [Self.secret("db-pass")]))

        let inUse = await Self.refusal { try await leader.objects.remove(.secret, "db-pass") }
        #expect(inUse?.code == .invalidArgument)
        #expect(inUse?.message == Self.prefix + "secret 'db-pass' is in use by the following services: web, api"
            || inUse?.message == Self.prefix + "secret 'db-pass' is in use by the following services: api, web")
        try await leader.services.remove("api")
        #expect(await Self.refusal { try await leader.objects.remove(.secret, secret.id) }?.message
            == Self.prefix + "secret 'db-pass' is in use by the following service: web")
        #expect(await Self.refusal { try await leader.objects.remove(.config, "app.conf") }?.message
            == Self.prefix + "config 'app.conf' is in use by the following service: web")

        // Unknown objects, a stale ID, clashing targets: SwarmKit's words.
        #expect(await Self.refusal { try await leader.services.create(Self.service("x", secrets: [Self.secret("nope")])) }?
            .message == Self.prefix + "secret not found: nope")
        #expect(await Self.refusal {
            try await leader.services.create(Self.service("x", secrets: [Self.secret("db-pass", id: "stale"),
                                                                         Self.secret("nope")]))
        }?.message == Self.prefix + "secrets not found: db-pass, nope")
        #expect(await Self.refusal {
            try await leader.services.create(Self.service("x", secrets: [Self.secret("db-pass", target: "t"),
                                                                         Self.secret("db-pass", target: "t")]))
        }?.message == Self.prefix + "secret references 'db-pass' and 'db-pass' have a conflicting target: 't'")
        #expect(await Self.refusal {
            try await leader.services.create(Self.service("x", configs: [ConfigReference(
                file: ReferenceFileTarget(name: "/c"), configID: config.id, configName: "")]))
        }?.message == Self.prefix + "malformed config reference")
        let updated = await Self.refusal {
            try await leader.services.update("web", version: web.version,
                                             spec: Self.service("web", secrets: [Self.secret("gone")]))
        }
        #expect(updated?.message == Self.prefix + "secret not found: gone")

        // Once no service names them, they go.
        try await leader.services.remove("web")
        try await leader.objects.remove(.secret, "db-pass")
        try await leader.objects.remove(.config, String(config.id.prefix(4)))
        #expect(try await StoreTable<SecretMessage>(store).list().isEmpty)
        #expect(try await StoreTable<ConfigMessage>(store).list().isEmpty)
        #expect(await Self.refusal { try await leader.objects.remove(.secret, "db-pass") }?.message
            == "secret db-pass not found")
    }

    @Test func lookupsFollowTheDaemonsOrder() async throws {
        let store = MemoryClusterStore()
        let leader = try await Self.leader("m1", store)
        var ids: [String] = []
        for name in ["a", "b", "c"] { ids.append(try await leader.objects.create(.config, Self.spec(name, "x")).id) }
        let stored = try await StoreTable<ConfigMessage>(store).list()
        #expect(try DataObjectStore.find("b", in: stored).id == ids[1])
        #expect(try DataObjectStore.find(ids[2], in: stored).id == ids[2])
        #expect(try DataObjectStore.find(String(ids[0].prefix(20)), in: stored).id == ids[0])
        #expect(await Self.refusal { try DataObjectStore.find("", in: stored) }?.message == "config  not found")
    }

    @Test func aDeposedLeaderStoresNothing() async throws {
        let store = MemoryClusterStore()
        let old = try await Self.leader("m1", store)
        _ = try await Self.leader("m2", store)
        #expect(await Self.refusal { try await old.objects.create(.secret, Self.spec("late")) }?.code == .unavailable)
        #expect(try await StoreTable<SecretMessage>(store).list().isEmpty)
    }

    @Test func theDataKeyFileIsTheOwnersAlone() throws {
        let path = NSTemporaryDirectory() + "shoal-data-key-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try ClusterDataKey.read(from: path) == nil)
        try Self.key.write(to: path)
        #expect(try ClusterDataKey.read(from: path) == Self.key)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode == 0o600)
        #expect(Self.key.id.count == 16 && Self.key.id != ClusterDataKey.generate().id)
        #expect(throws: ShoalError.self) { try ClusterDataKey(bytes: [1, 2, 3]) }
    }

    // MARK: helpers

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool { contains(haystack, Array(needle.utf8)) }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    static func refusal(_ body: () async throws -> some Any) async -> ShoalError? {
        await ServiceStoreTests.refusal(body)
    }
}
