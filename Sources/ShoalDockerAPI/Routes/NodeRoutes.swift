import Foundation
import Hummingbird
import ShoalModel

/// `/nodes/…`: list, inspect, update, remove. Manager-only: the backend refuses on other nodes.
struct NodeRoutes<Context: RequestContext> {
    let backends: DockerBackends
    var swarm: any SwarmBackend { backends.swarm }

    func add(to router: Router<Context>) {
        let group = router.group("nodes")
        group.get("") { request, _ in try await list(request) }
        group.get(":id") { _, context in
            Wire.json(try await swarm.node(try context.parameters.require("id")).wire)
        }
        group.post(":id/update") { request, context in
            let body = try await SwarmRequest.body(NodeSpecWire.self, from: request, context: context)
            let version = try SwarmRequest.version(Query(request), of: "node")
            try await swarm.updateNode(try context.parameters.require("id"), version: version, spec: try body.spec())
            return Response(status: .ok)
        }
        group.delete(":id") { request, context in
            try await swarm.removeNode(try context.parameters.require("id"), force: Query(request).bool("force"))
            return Response(status: .ok)
        }
    }

    /// Filters as swarmkit applies them: `id` and `name` (the hostname) are prefixes, `label` matches engine
    /// labels and `node.label` the node's own, `role` and `membership` are enums. Docker asks the manager first,
    /// so a non-manager answers 503 whatever the filters.
    private func list(_ request: Request) async throws -> Response {
        let filters = try Query(request).filters()
        let nodes = try await swarm.listNodes()
        try filters.validate(accepting: ["id", "label", "membership", "name", "node.label", "role"])
        let roles = try filters["role"].filter { !$0.isEmpty }.map { text in
            guard let role = NodeRoleName(rawValue: text.lowercased()) else {
                throw DockerAPIError.badRequest("Invalid role filter: '\(text)'")
            }
            return role
        }
        let memberships = try filters["membership"].filter { !$0.isEmpty }.map { text in
            let value = text.lowercased()
            guard value == "accepted" || value == "pending" else {
                throw DockerAPIError.badRequest("Invalid membership filter: '\(text)'")
            }
            return value
        }
        let matching = nodes.filter { node in
            (filters["id"].isEmpty || filters["id"].contains { node.id.hasPrefix($0) })
                && (filters["name"].isEmpty || filters["name"].contains { node.description.hostname.hasPrefix($0) })
                && Self.matchLabels(node.description.engineLabels, filters["label"])
                && Self.matchLabels(node.spec.labels, filters["node.label"])
                && (roles.isEmpty || roles.contains(node.spec.role))
                // Every node a manager lists has been accepted into the cluster.
                && (memberships.isEmpty || memberships.contains("accepted"))
        }
        return Wire.json(matching.map(\.wire))
    }

    /// Swarmkit's label match: `key` needs the label, `key=value` its value (`key=` any value).
    static func matchLabels(_ labels: [String: String], _ filters: [String]) -> Bool {
        filters.allSatisfy { filter in
            let parts = filter.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let actual = labels[String(parts[0])] else { return false }
            return parts.count == 1 || parts[1].isEmpty || actual == String(parts[1])
        }
    }
}
