import Foundation
import Hummingbird
import HummingbirdTesting
import ShoalCore
@testable import ShoalDockerAPI
import ShoalModel
import Testing

/// A secret and config backend in memory that records what the routes passed in. Like the managers, it hands a
/// secret back with its payload only if a careless backend did (the routes must drop it).
actor FakeDataObjectBackend: DataObjectBackend {
    private(set) var objects: [SwarmDataObject] = []
    private(set) var updates: [(kind: DataObjectKind, ref: String, version: UInt64, spec: DataObjectSpec)] = []
    private(set) var removals: [(kind: DataObjectKind, ref: String)] = []
    var refusal: ShoalError?

    func refuse(_ error: ShoalError) { refusal = error }

    func createDataObject(_ kind: DataObjectKind, spec: DataObjectSpec) async throws -> String {
        if let refusal { throw refusal }
        let id = "\(kind.rawValue.prefix(3))\(objects.count)xxxxxxxxxxxxxxxxxxxxx"
        objects.append(SwarmDataObject(kind: kind, id: id, version: 7, createdAt: FakeSwarmBackend.created,
                                       updatedAt: FakeSwarmBackend.created, spec: spec))
        return id
    }
    func listDataObjects(_ kind: DataObjectKind) async throws -> [SwarmDataObject] {
        if let refusal { throw refusal }
        return objects.filter { $0.kind == kind }
    }
    func dataObject(_ kind: DataObjectKind, _ ref: String) async throws -> SwarmDataObject {
        if let refusal { throw refusal }
        guard let found = objects.first(where: { $0.kind == kind && ($0.id == ref || $0.spec.name == ref) }) else {
            throw ShoalError.notFound("\(kind) \(ref) not found")
        }
        return found
    }
    func updateDataObject(_ kind: DataObjectKind, _ ref: String, version: UInt64, spec: DataObjectSpec) async throws {
        if let refusal { throw refusal }
        updates.append((kind, ref, version, spec))
    }
    func removeDataObject(_ kind: DataObjectKind, _ ref: String) async throws {
        if let refusal { throw refusal }
        _ = try await dataObject(kind, ref)
        removals.append((kind, ref))
    }
}

@Suite struct DataObjectRouteTests {
    static func run(_ backend: FakeDataObjectBackend,
                    _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await RouteTest.run(FakeSwarmBackend(active: true), dataObjects: backend, body)
    }

    /// What `docker secret create --label a=b db-pass -` sends (CLI 28): the payload in base64.
    static let secretBody = #"{"Name":"db-pass","Labels":{"a":"b"},"Data":"czNjcjN0"}"#

    @Test func secretsAreCreatedAndShownWithoutTheirPayload() async throws {
        let backend = FakeDataObjectBackend()
        try await Self.run(backend) { client in
            let created = try await client.post("/secrets/create", Self.secretBody)
            #expect(created.status == .created)
            #expect(try created.object().keys.sorted() == ["ID"])
            #expect(try created.object()["ID"] as? String == "sec0xxxxxxxxxxxxxxxxxxxxx")
            let stored = try #require(await backend.objects.first)
            #expect(stored.kind == .secret)
            #expect(stored.spec == DataObjectSpec(name: "db-pass", labels: ["a": "b"], data: Data("s3cr3t".utf8)))

            // The fake keeps the payload; Docker's JSON for a secret never carries one.
            let inspect = try await client.get("/secrets/db-pass")
            #expect(inspect.status == .ok)
            let secret = try inspect.object()
            #expect(Set(secret.keys) == ["ID", "Version", "CreatedAt", "UpdatedAt", "Spec"])
            #expect(int64(secret, "Version", "Index") == 7)
            #expect(secret["CreatedAt"] as? String == Wire.rfc3339Nano(FakeSwarmBackend.created))
            #expect(keys(secret, "Spec") == ["Name", "Labels"])
            #expect(value(secret, "Spec", "Labels") as? [String: String] == ["a": "b"])
            #expect(!inspect.text.contains("czNjcjN0"))
            let list = try #require(try await client.get("/secrets").json() as? [[String: Any]])
            #expect(list.count == 1 && keys(list.first, "Spec") == ["Name", "Labels"])
        }
    }

    @Test func configsShowTheirPayloadAndNoDriver() async throws {
        let backend = FakeDataObjectBackend()
        try await Self.run(backend) { client in
            let body = #"{"Name":"app.conf","Data":"eCA9IDE=","Driver":{"Name":"ignored"},"Templating":{"Name":"golang"}}"#
            #expect(try await client.post("/configs/create", body).status == .created)
            let stored = try #require(await backend.objects.first)
            #expect(stored.kind == .config && stored.spec.driver == nil)
            #expect(stored.spec.templating == SwarmDriver(name: "golang"))
            let config = try await client.get("/configs/app.conf").object()
            #expect(keys(config, "Spec") == ["Name", "Labels", "Data", "Templating"])
            #expect(value(config, "Spec", "Data") as? String == "eCA9IDE=")
            #expect(value(config, "Spec", "Labels") as? [String: String] == [:])
            // Configs and secrets are apart.
            #expect(try await client.get("/secrets/app.conf").status == .notFound)
            #expect(try await client.get("/configs/app.conf").status == .ok)
        }
    }

    @Test func listFiltersAsTheDaemonDoes() async throws {
        let backend = FakeDataObjectBackend()
        try await Self.run(backend) { client in
            for (name, labels) in [("db-pass", ["env": "prod"]), ("db-user", ["env": "dev"]), ("token", [:])] {
                let body = String(decoding: try JSONSerialization.data(withJSONObject: [
                    "Name": name, "Labels": labels, "Data": "eA==",
                ]), as: UTF8.self)
                #expect(try await client.post("/secrets/create", body).status == .created)
                #expect(try await client.post("/configs/create", body).status == .created)
            }
            func names(_ resource: String, _ filters: [String: [String]]) async throws -> [String] {
                let text = String(decoding: try JSONSerialization.data(withJSONObject: filters), as: UTF8.self)
                let query = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
                let list = try #require(try await client.get("/\(resource)?filters=\(query)").json() as? [[String: Any]])
                return list.compactMap { value($0, "Spec", "Name") as? String }
            }
            #expect(try await names("secrets", [:]) == ["db-pass", "db-user", "token"])
            #expect(try await names("secrets", ["name": ["db"]]) == ["db-pass", "db-user"])
            #expect(try await names("secrets", ["names": ["db"]]) == [])
            #expect(try await names("secrets", ["names": ["db-user"]]) == ["db-user"])
            #expect(try await names("secrets", ["label": ["env=prod"]]) == ["db-pass"])
            #expect(try await names("secrets", ["label": ["env"]]) == ["db-pass", "db-user"])
            #expect(try await names("secrets", ["id": ["sec2"]]) == ["db-user"])
            #expect(try await names("configs", ["name": ["tok"], "label": ["env"]]) == [])
            let badSecret = try await client.get("/secrets?filters=%7B%22driver%22%3A%5B%22x%22%5D%7D")
            #expect(badSecret.status == .badRequest && badSecret.message == "invalid filter 'driver'")
            // `names` is for secrets only.
            let badConfig = try await client.get("/configs?filters=%7B%22names%22%3A%5B%22x%22%5D%7D")
            #expect(badConfig.status == .badRequest && badConfig.message == "invalid filter 'names'")
        }
    }

    @Test func updateNeedsAVersionAndRemoveAnswers204() async throws {
        let backend = FakeDataObjectBackend()
        try await Self.run(backend) { client in
            #expect(try await client.post("/secrets/create", Self.secretBody).status == .created)
            let missing = try await client.post("/secrets/db-pass/update", #"{"Name":"db-pass"}"#)
            #expect(missing.status == .badRequest && missing.message == "invalid secret version")
            let bad = try await client.post("/configs/x/update?version=x", #"{"Name":"x"}"#)
            #expect(bad.status == .badRequest && bad.message == "invalid config version")
            let updated = try await client.post("/secrets/db-pass/update?version=7", #"{"Name":"db-pass","Labels":{"c":"d"}}"#)
            #expect(updated.status == .ok && updated.text.isEmpty)
            let update = try #require(await backend.updates.first)
            #expect(update.kind == .secret && update.ref == "db-pass" && update.version == 7)
            #expect(update.spec == DataObjectSpec(name: "db-pass", labels: ["c": "d"]))
            let noBody = try await client.post("/secrets/create")
            #expect(noBody.status == .badRequest && noBody.message == "got EOF while reading request body")

            let removed = try await client.delete("/secrets/db-pass")
            #expect(removed.status == .noContent && removed.text.isEmpty)
            #expect(await backend.removals.map(\.ref) == ["db-pass"])
            let unknown = try await client.delete("/secrets/nope")
            #expect(unknown.status == .notFound && unknown.message == "secret nope not found")
        }
    }

    @Test func refusalsKeepDockersStatusesAndWords() async throws {
        let backend = FakeDataObjectBackend()
        let cases: [(ShoalError, HTTPResponse.Status)] = [
            (ShoalError.conflict("rpc error: code = AlreadyExists desc = secret db-pass already exists"), .conflict),
            (ShoalError.invalidArgument(
                "rpc error: code = InvalidArgument desc = secret 'db-pass' is in use by the following service: web"),
             .badRequest),
            (ShoalError(.unavailable, "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state. Please run this command on a manager node or promote the current node to a manager."),
             .serviceUnavailable),
        ]
        for (error, status) in cases {
            await backend.refuse(error)
            try await Self.run(backend) { client in
                for response in [try await client.post("/secrets/create", Self.secretBody),
                                 try await client.delete("/secrets/db-pass"), try await client.get("/configs")] {
                    #expect(response.status == status)
                    #expect(response.message == error.message)
                }
            }
        }
    }
}
