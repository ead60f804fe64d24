import Foundation
import Hummingbird
import ShoalModel

/// `/swarm/…`: init, join, leave, inspect, update, unlock key, unlock. Whether this node may answer (a manager
/// of an active swarm) is the backend's call: it throws Docker's 503 "This node is not a swarm manager…".
struct SwarmRoutes<Context: RequestContext> {
    let backends: DockerBackends
    var swarm: any SwarmBackend { backends.swarm }

    func add(to router: Router<Context>) {
        let group = router.group("swarm")
        group.get("") { _, _ in Wire.json(try await swarm.inspectSwarm().wire) }
        group.post("init") { request, context in
            let body = try await SwarmRequest.body(SwarmInitBody.self, from: request, context: context)
            // Docker answers the new node's ID as a bare JSON string.
            return Wire.json(try await swarm.initSwarm(try body.request()))
        }
        group.post("join") { request, context in
            let body = try await SwarmRequest.body(SwarmJoinBody.self, from: request, context: context)
            try await swarm.joinSwarm(try body.request())
            return Response(status: .ok)
        }
        group.post("leave") { request, _ in
            try await swarm.leaveSwarm(force: Query(request).bool("force"))
            return Response(status: .ok)
        }
        group.post("update") { request, context in try await update(request, context: context) }
        group.get("unlockkey") { _, _ in
            // Empty while autolock is off, as Docker's (the CLI then says "no unlock key is set").
            Wire.json(UnlockKeyWire(UnlockKey: try await swarm.swarmUnlockKey()))
        }
        group.post("unlock") { request, context -> Response in
            let body = try await SwarmRequest.body(SwarmUnlockBody.self, from: request, context: context)
            try await swarm.unlockSwarm(key: body.UnlockKey ?? "")
            return Response(status: .ok)
        }
    }

    /// Docker checks the body, then `version`, then the rotate flags (daemon's updateCluster).
    private func update(_ request: Request, context: Context) async throws -> Response {
        let body = try await SwarmRequest.body(SwarmSpecWire.self, from: request, context: context)
        let query = Query(request)
        let version = try SwarmRequest.version(query, of: "swarm")
        let rotateWorker = try SwarmRequest.flag(query, "rotateWorkerToken")
        let rotateManager = try SwarmRequest.flag(query, "rotateManagerToken")
        // Without autolock there is no unlock key to rotate; swarmkit ignores the flag then, so does Shoal.
        let rotateUnlockKey = try SwarmRequest.flag(query, "rotateManagerUnlockKey")
        try await swarm.updateSwarm(version: version, spec: try body.spec(), rotateWorkerToken: rotateWorker,
                                    rotateManagerToken: rotateManager, rotateManagerUnlockKey: rotateUnlockKey)
        return Response(status: .ok)
    }
}

/// Request conventions of Docker's swarm router (api/server/router/swarm/cluster_routes.go).
enum SwarmRequest {
    static func body<T: Decodable>(_ type: T.Type, from request: Request, context: some RequestContext)
        async throws -> T {
        guard let body = try await Wire.decode(T.self, from: request, context: context, allowEmpty: true) else {
            throw DockerAPIError.badRequest("got EOF while reading request body")
        }
        return body
    }

    /// The object version an update must name (strconv.ParseUint, with Go's error text).
    static func version(_ query: Query, of kind: String) throws -> UInt64 {
        let text = query["version"] ?? ""
        let digits = !text.isEmpty && text.allSatisfy { $0.isASCII && $0.isNumber }
        guard digits, let version = UInt64(text) else {
            let reason = digits ? "value out of range" : "invalid syntax"
            throw DockerAPIError.badRequest(
                "invalid \(kind) version '\(text)': strconv.ParseUint: parsing \"\(text)\": \(reason)")
        }
        return version
    }

    /// Go's strconv.ParseBool; an absent or empty parameter is false.
    static func flag(_ query: Query, _ name: String) throws -> Bool {
        guard let text = query[name], !text.isEmpty else { return false }
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: throw DockerAPIError.badRequest("invalid value for \(name): \(text)")
        }
    }
}
