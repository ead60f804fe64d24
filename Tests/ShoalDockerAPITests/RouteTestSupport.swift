import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
@testable import ShoalDockerAPI
import Testing

/// The whole Docker API application (version prefix, error middleware, every route) over fake backends, driven
/// through Hummingbird's router test framework.
enum RouteTest {
    static func run(_ swarm: FakeSwarmBackend, dataObjects: any DataObjectBackend = UnusedBackends(),
                    _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = DockerAPIServer.application(
            backends: UnusedBackends.backends(swarm: swarm, dataObjects: dataObjects),
            address: .hostname("127.0.0.1", port: 0), spoolDirectory: NSTemporaryDirectory(),
            logger: Logger(label: "route-test"))
        try await app.test(.router, body)
    }
}

extension TestClientProtocol {
    func get(_ path: String) async throws -> TestResponse {
        try await execute(uri: "/v1.41" + path, method: .get)
    }

    func post(_ path: String, _ json: String? = nil) async throws -> TestResponse {
        try await execute(uri: "/v1.41" + path, method: .post, headers: [.contentType: "application/json"],
                          body: json.map { ByteBuffer(string: $0) })
    }

    func delete(_ path: String) async throws -> TestResponse {
        try await execute(uri: "/v1.41" + path, method: .delete)
    }
}

extension TestResponse {
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    /// The body parsed without the wire types, so a wrong key name or nesting shows.
    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed])
    }

    func object() throws -> [String: Any] { try #require(try json() as? [String: Any], "\(text)") }

    /// Docker's error body.
    var message: String? { (try? object())?["message"] as? String }
}

/// Nested lookup: `value(json, "Spec", "Dispatcher", "HeartbeatPeriod")`.
func value(_ json: Any?, _ path: String...) -> Any? {
    var current = json
    for key in path {
        current = (current as? [String: Any])?[key]
    }
    return current
}

func keys(_ json: Any?, _ path: String...) -> Set<String> {
    var current = json
    for key in path {
        current = (current as? [String: Any])?[key]
    }
    return Set((current as? [String: Any])?.keys.map { $0 } ?? [])
}

func int64(_ json: Any?, _ path: String...) -> Int64? {
    var current = json
    for key in path {
        current = (current as? [String: Any])?[key]
    }
    return (current as? NSNumber)?.int64Value
}
