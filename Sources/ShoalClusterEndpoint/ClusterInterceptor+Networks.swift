import Foundation
import Hummingbird
import NIOCore
import ShoalCore

/// Networks on the cluster endpoint, as classic Swarm showed them: the swarm's networks once, each node's own
/// networks (bridge, host, none, its user bridges) as `NODE/NAME`; `network connect` and `disconnect` reach the
/// container's node; `NODE/NAME` names a node's own network in inspect and rm.
extension ClusterInterceptor {
    func listNetworks(_ request: Request) async throws -> Response {
        var seen: Set<String> = []
        var merged: [[String: Any]] = []
        for (node, answer) in try await everyNode(EngineRequest(method: .get, uri: request.uri.description)) {
            for var network in answer as? [[String: Any]] ?? [] {
                if network["Scope"] as? String == "swarm" {
                    guard seen.insert(network["Id"] as? String ?? "").inserted else { continue }
                } else {
                    network["Name"] = "\(node.hostname)/\(network["Name"] as? String ?? "")"
                }
                merged.append(network)
            }
        }
        return Self.json(try JSONSerialization.data(withJSONObject: merged))
    }

    /// `/networks/REF…` other than list and create: a node's own network (`NODE/NAME`) or a connect/disconnect
    /// goes to the node; anything else is the manager's (the swarm's networks).
    func networkCall(_ request: Request, parts: [String], next: (Request) async throws -> Response) async throws -> Response {
        let nodes = try await engines.nodes()
        var name = parts[1]
        var rest = Array(parts.dropFirst(2))
        var node: ClusterNode?
        if parts.count >= 3, let named = nodes.first(where: { $0.hostname == parts[1] }) {
            node = named
            name = parts[2]
            rest = Array(parts.dropFirst(3))
        }
        let action = rest.first ?? ""
        guard request.method == .post, ["connect", "disconnect"].contains(action) else {
            guard let node else { return try await next(request) }
            let body = try await request.body.collect(upTo: 1 << 20)
            let uri = "/networks/\(name)" + (rest.isEmpty ? "" : "/" + rest.joined(separator: "/"))
                + (request.uri.query.map { "?" + $0 } ?? "")
            return try await relay(EngineRequest(method: request.method, uri: uri, headers: request.headers,
                                                 body: body.readableBytes > 0 ? body : nil), to: node)
        }
        var body = try await Self.jsonObject(request)
        let reference = body["Container"] as? String ?? ""
        let container = try ClusterContainer.resolve(reference, in: try await containers(query: "?all=1", on: nodes))
        if let node, node.id != container.node.id {
            throw ShoalError.invalidArgument(
                "container \(reference) runs on \(container.node.hostname), network \(node.hostname)/\(name) is \(node.hostname)'s")
        }
        body["Container"] = container.id
        return try await relay(EngineRequest(method: .post, uri: "/networks/\(name)/\(action)", headers: request.headers,
                                             body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body))),
                               to: container.node)
    }
}
