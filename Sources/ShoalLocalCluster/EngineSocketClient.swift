import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import ShoalCore

/// Just enough of a Docker Engine API client to form a swarm among a local cluster's hosts: JSON requests to a
/// daemon's unix socket, errors in Docker's `{"message": …}` shape turned into ShoalError.
struct EngineSocketClient: Sendable {
    let socket: String
    let http: HTTPClient

    /// Calls `method path` with `body` encoded as JSON; returns the response body (2xx only).
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, body: [String: any Sendable]? = nil,
              timeout: TimeAmount = .seconds(120)) async throws -> Data {
        guard let url = URL(httpURLWithSocketPath: socket, uri: "/v1.41" + path) else {
            throw ShoalError.invalidArgument("bad socket path \(socket)")
        }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: timeout)
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let data = Data(bytes.readableBytesView)
        guard (200..<300).contains(response.status.code) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["message"] as? String
            throw ShoalError.internalError("\(method) \(path) on \(socket): \(message ?? response.status.description)")
        }
        return data
    }

    func json(_ method: HTTPMethod, _ path: String, body: [String: any Sendable]? = nil) async throws -> Any {
        try JSONSerialization.jsonObject(with: try await call(method, path, body: body))
    }
}
