import Foundation
import Hummingbird
import ShoalModel

/// `/networks/…`: create, list, inspect, remove, prune, connect and disconnect.
struct NetworkRoutes<Context: RequestContext> {
    let backends: DockerBackends
    var networks: any NetworkBackend { backends.networks }

    func add(to router: Router<Context>) {
        let group = router.group("networks")
        group.get("") { request, _ in try await list(request) }
        group.post("create") { request, context in
            guard let body = try await Wire.decode(NetworkCreateBody.self, from: request, context: context) else {
                throw DockerAPIError.badRequest("empty request body")
            }
            let record = try await networks.createNetwork(try body.request())
            return Wire.json(NetworkCreateResponseWire(Id: record.id, Warning: ""), status: .created)
        }
        group.post("prune") { request, _ in
            let filters = try Query(request).filters()
            try filters.validate(accepting: ["label", "label!", "until"])
            let removed = try await networks.pruneNetworks { labels in
                filters.matchLabels(labels) && !filters["label!"].contains { Filters(["label": [$0]]).matchLabels(labels) }
            }
            return Wire.json(NetworkPruneWire(NetworksDeleted: removed))
        }
        group.get(":id") { _, context in
            Wire.json(try await networks.network(try Self.reference(context)).wire())
        }
        group.delete(":id") { _, context in
            try await networks.removeNetwork(try Self.reference(context))
            return Response(status: .noContent)
        }
        group.post(":id/connect") { request, context in
            guard let body = try await Wire.decode(NetworkConnectBody.self, from: request, context: context) else {
                throw DockerAPIError.badRequest("empty request body")
            }
            guard let container = body.Container, !container.isEmpty else {
                throw DockerAPIError.badRequest("a container name or ID is required")
            }
            try await networks.connect(container: container, network: try Self.reference(context),
                                       request: try body.EndpointConfig?.request() ?? EndpointRequest())
            return Response(status: .ok)
        }
        group.post(":id/disconnect") { request, context in
            guard let body = try await Wire.decode(NetworkDisconnectBody.self, from: request, context: context) else {
                throw DockerAPIError.badRequest("empty request body")
            }
            guard let container = body.Container, !container.isEmpty else {
                throw DockerAPIError.badRequest("a container name or ID is required")
            }
            try await networks.disconnect(container: container, network: try Self.reference(context),
                                          force: body.Force ?? false)
            return Response(status: .ok)
        }
    }

    /// The `{id}` of the path, percent-decoded: a network's name may hold spaces (`/networks/my%20net`).
    private static func reference(_ context: Context) throws -> String {
        let raw = try context.parameters.require("id")
        return raw.removingPercentEncoding ?? raw
    }

    /// Filters as Docker applies them: `name` and `id` match substrings/prefixes, `type` is custom or builtin.
    private func list(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        try filters.validate(accepting: ["driver", "id", "label", "name", "scope", "type", "dangling"])
        for type in filters["type"] where type != "custom" && type != "builtin" {
            throw DockerAPIError.badRequest("invalid filter: 'type'='\(type)'")
        }
        let list = try await networks.listNetworks().filter { view in
            let record = view.record
            return (filters["name"].isEmpty || filters["name"].contains { record.name.contains($0) })
                && (filters["id"].isEmpty || filters["id"].contains { record.id.hasPrefix($0) })
                && (filters["driver"].isEmpty || filters["driver"].contains(record.driver))
                && (filters["scope"].isEmpty || filters["scope"].contains(record.scope))
                && (filters["type"].isEmpty || filters["type"].contains(record.isPredefined ? "builtin" : "custom"))
                && (filters["dangling"].isEmpty || filters["dangling"].contains { wanted in
                    let dangling = view.containers.isEmpty && !record.isPredefined
                    return (wanted == "true" || wanted == "1") == dangling
                })
                && filters.matchLabels(record.labels)
        }
        // Docker lists networks without their containers.
        return Wire.json(list.map { NetworkView(record: $0.record, containers: []).wire() })
    }
}
