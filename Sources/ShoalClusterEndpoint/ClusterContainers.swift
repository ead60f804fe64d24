import Foundation
import ShoalCore
import ShoalScheduler
import Synchronization

/// A container on one node, as the node's `GET /containers/json` lists it (the JSON object kept as it is, for
/// `docker ps` to show every field the node gave).
struct ClusterContainer: @unchecked Sendable {
    let node: ClusterNode
    let object: [String: Any]

    var id: String { object["Id"] as? String ?? "" }
    /// Its names without the leading `/`.
    var names: [String] { (object["Names"] as? [String] ?? []).map { $0.hasPrefix("/") ? String($0.dropFirst()) : $0 } }
    var created: Int { object["Created"] as? Int ?? 0 }
    var labels: [String: String] { object["Labels"] as? [String: String] ?? [:] }

    /// As classic Swarm lists it: each name as `/NODE/NAME`.
    var clusterObject: [String: Any] {
        var object = object
        object["Names"] = names.map { "/\(node.hostname)/\($0)" }
        if let ports = object["Ports"] as? [[String: Any]] {
            object["Ports"] = ClusterInterceptor.onNode(ports, address: node.address, ip: "IP", port: "PublicPort")
        }
        return object
    }

    /// What the classic filters read of it.
    var classic: ClassicNode.Container {
        let image = object["Image"] as? String ?? ""
        let repository = image.split(separator: "@").first.map { part -> String in
            let text = String(part)
            guard let colon = text.lastIndex(of: ":"), !text[colon...].contains("/") else { return text }
            return String(text[..<colon])
        } ?? image
        let ports = (object["Ports"] as? [[String: Any]] ?? []).compactMap { ($0["PublicPort"] as? Int).map { UInt16($0) } }
        return ClassicNode.Container(id: id, name: names.first ?? "", images: [image, object["ImageID"] as? String ?? "", repository],
                                     labels: labels, hostPorts: ports)
    }

    /// Which of `containers` `reference` means, as Docker resolves one on a node (full ID, name, unique ID
    /// prefix) plus classic Swarm's `NODE/NAME`.
    static func resolve(_ reference: String, in containers: [ClusterContainer]) throws -> ClusterContainer {
        let parts = reference.split(separator: "/", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            if let found = containers.first(where: { $0.node.hostname == parts[0] && $0.names.contains(parts[1]) }) {
                return found
            }
            throw ShoalError.notFound("No such container: \(reference)")
        }
        if let found = containers.first(where: { $0.id == reference }) { return found }
        let named = containers.filter { $0.names.contains(reference) }
        if named.count == 1 { return named[0] }
        if named.count > 1 {
            throw ShoalError.invalidArgument(
                "\(named.count) containers are named \(reference) (on \(named.map(\.node.hostname).sorted().joined(separator: ", "))): use NODE/\(reference)")
        }
        let prefixed = reference.isEmpty ? [] : containers.filter { $0.id.hasPrefix(reference) }
        if prefixed.count == 1 { return prefixed[0] }
        if prefixed.count > 1 { throw ShoalError.invalidArgument("multiple IDs found with provided prefix: \(reference)") }
        throw ShoalError.notFound("No such container: \(reference)")
    }
}

/// What classic Swarm's scheduler needs from a `POST /containers/create` body.
enum CreateBody {
    /// The placement the body asks for, with its scheduling entries taken out of the environment (kept in
    /// classic Swarm's labels instead).
    static func placement(_ body: [String: Any]) -> ClassicScheduler.Placement {
        let request = ClassicRequest(env: body["Env"] as? [String] ?? [], labels: body["Labels"] as? [String: String] ?? [:])
        var placement = ClassicScheduler.Placement(request: request)
        let host = body["HostConfig"] as? [String: Any] ?? [:]
        let bindings = host["PortBindings"] as? [String: Any] ?? [:]
        placement.hostPorts = bindings.values.flatMap { value -> [UInt16] in
            (value as? [[String: Any]] ?? []).compactMap { ($0["HostPort"] as? String).flatMap { UInt16($0) } }
        }.filter { $0 != 0 }.sorted()
        let mode = host["NetworkMode"] as? String ?? ""
        placement.hostNetwork = mode == "host"
        if mode.hasPrefix("container:") { placement.networkContainer = String(mode.dropFirst("container:".count)) }
        placement.volumesFrom = host["VolumesFrom"] as? [String] ?? []
        placement.links = host["Links"] as? [String] ?? []
        placement.cpus = (host["NanoCpus"] as? Int).map(Int64.init) ?? 0
        placement.memory = (host["Memory"] as? Int).map(Int64.init) ?? 0
        return placement
    }

    /// The body the chosen node gets: the environment without scheduling entries, which become labels.
    static func rewritten(_ body: [String: Any], for placement: ClassicScheduler.Placement) -> [String: Any] {
        var body = body
        body["Env"] = placement.request.env
        body["Labels"] = placement.request.labels
        return body
    }
}

/// The nodes of the containers this endpoint made lately, by full ID: `docker run` starts (and often attaches to)
/// the container right after creating it, and need not ask every node where it is. A node that no longer has it
/// (removed meanwhile) answers 404 and the endpoint asks them all.
final class PlacementCache: Sendable {
    /// Enough for a burst of runs; older entries go all at once (a miss only costs a lookup on every node).
    static let limit = 4096
    private let nodes = Mutex<[String: ClusterNode]>([:])

    func remember(_ id: String, on node: ClusterNode) {
        nodes.withLock { nodes in
            if nodes.count >= Self.limit { nodes.removeAll(keepingCapacity: true) }
            nodes[id] = node
        }
    }

    /// Only a full container ID is looked up: names and prefixes may mean another container by now.
    func node(of reference: String) -> ClusterNode? {
        guard reference.utf8.count == 64 else { return nil }
        return nodes.withLock { $0[reference] }
    }

    func forget(_ id: String) {
        _ = nodes.withLock { $0.removeValue(forKey: id) }
    }
}
