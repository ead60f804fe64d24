import Foundation
import HTTPTypes
import Hummingbird
import ShoalModel

/// `/_ping`, `/version`, `/info`, `/system/df`, `/events`, `/auth`.
struct SystemRoutes<Context: RequestContext> {
    let backends: DockerBackends

    func add(to router: Router<Context>) {
        router.get("_ping") { _, _ in Self.ping(head: false) }
        router.head("_ping") { _, _ in Self.ping(head: true) }
        router.get("version") { _, _ in Wire.json(try await backends.system.systemInfo().versionWire) }
        router.get("info") { _, _ in
            let info = try await backends.system.systemInfo()
            return Wire.json(info.infoWire(swarm: await backends.swarm.localSwarmState()))
        }
        router.get("system/df") { _, _ in try await diskUsage() }
        router.get("events") { request, _ in try await events(request) }
        router.post("auth") { request, context in try await login(request, context: context) }
    }

    static func ping(head: Bool) -> Response {
        var response = Response(
            status: .ok,
            headers: [.contentType: "text/plain; charset=utf-8", .cacheControl: "no-cache, no-store, must-revalidate"],
            body: head ? .init() : .init(byteBuffer: ByteBuffer(string: "OK")))
        response.headers[HTTPField.Name("API-Version")!] = APIVersion.current
        response.headers[HTTPField.Name("Docker-Experimental")!] = "false"
        response.headers[HTTPField.Name("OSType")!] = "linux"
        response.headers[HTTPField.Name("Pragma")!] = "no-cache"
        return response
    }

    private func diskUsage() async throws -> Response {
        let usage = try await backends.system.diskUsage()
        let now = Date()
        let wire = DiskUsageWire(
            LayersSize: usage.layersSize,
            Images: usage.images.map(\.summaryWire),
            Containers: usage.containers.map {
                ContainerSummaryWithSize(summary: $0.record.summaryWire(now: now), SizeRw: $0.sizeRw, SizeRootFs: 0)
            },
            Volumes: usage.volumes.map { $0.record.wire(usage: $0) },
            BuildCache: [])
        return Wire.json(wire)
    }

    private func events(_ request: Request) async throws -> Response {
        let query = Query(request)
        let filters = try query.filters()
        try filters.validate(accepting: ["type", "event", "container", "image", "volume", "label", "network",
                                          "daemon", "scope"])
        let since = try query.timestamp("since")
        let until = try query.timestamp("until")
        let stream = await backends.system.events(since: since, until: until)
        return Response(
            status: .ok, headers: [.contentType: "application/json"],
            body: ResponseBody { writer in
                for await event in stream where Self.matches(event, filters) {
                    var buffer = ByteBuffer(bytes: Wire.encode(EventWire(event)))
                    buffer.writeString("\n")
                    try await writer.write(buffer)
                }
                try await writer.finish(nil)
            })
    }

    /// Docker's event filters: values of one key are OR-ed, keys are AND-ed.
    static func matches(_ event: EngineEvent, _ filters: Filters) -> Bool {
        func anyOf(_ key: String, _ test: (String) -> Bool) -> Bool {
            let values = filters[key]
            return values.isEmpty || values.contains(where: test)
        }
        let name = event.attributes["name"]
        return anyOf("type") { $0 == event.kind.rawValue }
            && anyOf("event") { $0 == event.action || event.action.hasPrefix($0 + ":") }
            && anyOf("container") { event.kind == .container && ($0 == name || event.actorID.hasPrefix($0)) }
            && anyOf("image") {
                (event.kind == .image && (event.actorID == $0 || name == $0))
                    || event.attributes["image"] == $0
            }
            && anyOf("volume") { event.kind == .volume && event.actorID == $0 }
            && filters.matchLabels(event.attributes)
    }

    private func login(_ request: Request, context: Context) async throws -> Response {
        guard let body = try await Wire.decode(AuthConfigWire.self, from: request, context: context) else {
            throw DockerAPIError.badRequest("empty request body")
        }
        let status = try await backends.images.login(
            RegistryAuth(username: body.username, password: body.password, serverAddress: body.serveraddress,
                         identityToken: body.identitytoken))
        return Wire.json(["Status": status, "IdentityToken": ""])
    }
}
