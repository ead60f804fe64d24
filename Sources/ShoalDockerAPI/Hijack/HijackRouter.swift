import Foundation
import NIOCore
import NIOHTTP1
import ShoalModel

/// Decides what a hijacking request (`Upgrade: tcp` on attach or exec start) becomes: a stream session over
/// the raw connection, a plain answer, or an error. Validation happens before the connection is taken over, so
/// a bad request still gets Docker's JSON error and status.
struct HijackRouter: Sendable {
    enum Decision: Sendable {
        case session(any StreamSession)
        case respond(HTTPResponseStatus, [UInt8])
    }

    let backends: DockerBackends
    var interceptor: (any DockerRequestInterceptor)? = nil

    /// Whether a request head is one this router takes over.
    static func wants(_ head: HTTPRequestHead) -> Bool {
        guard head.method == .POST,
              head.headers[canonicalForm: "upgrade"].contains(where: { $0.lowercased() == "tcp" }) else { return false }
        return route(VersionPrefix.strip(head.uri)) != nil
    }

    private enum Route {
        case attach(String)
        case execStart(String)
    }

    private static func route(_ uri: String) -> Route? {
        let path = uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? uri
        let parts = path.split(separator: "/").map(String.init)
        if parts.count == 3, parts[0] == "containers", parts[2] == "attach" { return .attach(parts[1]) }
        if parts.count == 3, parts[0] == "exec", parts[2] == "start" { return .execStart(parts[1]) }
        return nil
    }

    func decide(_ head: HTTPRequestHead, body: ByteBuffer) async throws -> Decision {
        let uri = VersionPrefix.strip(head.uri)
        if let interceptor, let session = try await interceptor.hijack(method: head.method.rawValue, path: uri, body: body) {
            return .session(session)
        }
        let query = QueryString(uri)
        switch Self.route(uri) {
        case .attach(let ref):
            let spec = query.string("detachKeys") ?? ""
            guard let keys = DetachKeys.parse(spec) else {
                throw DockerAPIError.badRequest("Invalid detach keys (\(spec)) provided")
            }
            let session = try await backends.containers.attachContainer(
                ref, stdin: query.bool("stdin"), stdout: query.bool("stdout"), stderr: query.bool("stderr"),
                logs: query.bool("logs"), stream: query.bool("stream"))
            return .session(DetachKeys.watching(session, keys: keys))
        case .execStart(let id):
            struct ExecStartBody: Decodable {
                var Detach: Bool?
                var Tty: Bool?
            }
            let request: ExecStartBody
            if body.readableBytes == 0 {
                request = ExecStartBody()
            } else {
                do {
                    request = try Wire.decoder.decode(ExecStartBody.self, from: Data(body.readableBytesView))
                } catch {
                    throw DockerAPIError.badRequest("invalid JSON: \(Wire.describe(error))")
                }
            }
            // Checked at exec create: a spec that does not parse is not stored.
            let keys = DetachKeys.parse(try await backends.containers.exec(id).spec.detachKeys ?? "") ?? []
            guard let session = try await backends.containers.startExec(id, detach: request.Detach ?? false) else {
                return .respond(.ok, [])
            }
            return .session(DetachKeys.watching(session, keys: keys))
        case nil:
            throw DockerAPIError(.notFound, "page not found")
        }
    }
}

/// Clients call `/v1.41/containers/json`; routes are registered without the version.
enum VersionPrefix {
    static func strip(_ uri: String) -> String {
        guard uri.hasPrefix("/v") else { return uri }
        let rest = uri.dropFirst(2)
        guard let slash = rest.firstIndex(of: "/") else { return uri }
        let version = rest[..<slash]
        guard !version.isEmpty, version.allSatisfy({ $0.isNumber || $0 == "." }) else { return uri }
        return String(rest[slash...])
    }
}

/// Minimal query parsing for the hijack path, which runs below Hummingbird's router.
struct QueryString {
    private var values: [String: String] = [:]

    init(_ uri: String) {
        guard let mark = uri.firstIndex(of: "?") else { return }
        for pair in uri[uri.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value = parts.count > 1 ? (String(parts[1]).removingPercentEncoding ?? String(parts[1])) : ""
            values[key] = value
        }
    }

    func string(_ name: String) -> String? { values[name] }

    func bool(_ name: String) -> Bool {
        guard let value = values[name]?.lowercased() else { return false }
        return value == "1" || value == "true"
    }
}
