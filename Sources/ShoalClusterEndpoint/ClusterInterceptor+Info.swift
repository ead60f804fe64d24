import Foundation
import Hummingbird
import NIOCore
import ShoalCore
import Synchronization

/// `docker info` on the cluster endpoint: the manager's own answer (its swarm, its name) with the cluster's
/// counts (containers and images of every Ready node, their CPUs and memory together) and, in `SystemStatus`, the
/// nodes as classic Swarm listed them (role, strategy, filters, then each node with its address, ID, health,
/// containers and labels).
extension ClusterInterceptor {
    func info(_ request: Request, next: (Request) async throws -> Response) async throws -> Response {
        let local = try await next(request)
        let collected = Collected()
        try await local.body.write(CollectingWriter(into: collected))
        guard local.status == .ok,
              var info = try JSONSerialization.jsonObject(with: Data(collected.bytes.withLock { $0 }.readableBytesView))
                as? [String: Any]
        else { return local }
        let nodes = try await engines.nodes()
        let containers = try await self.containers(query: "?all=1", on: nodes)
        let ready = nodes.filter(\.ready)
        func states(_ list: [ClusterContainer]) -> (running: Int, paused: Int, stopped: Int) {
            let running = list.filter { $0.object["State"] as? String == "running" }.count
            let paused = list.filter { $0.object["State"] as? String == "paused" }.count
            return (running, paused, list.count - running - paused)
        }
        let all = states(containers)
        info["Containers"] = containers.count
        info["ContainersRunning"] = all.running
        info["ContainersPaused"] = all.paused
        info["ContainersStopped"] = all.stopped
        info["NCPU"] = Int(ready.reduce(0) { $0 + $1.nanoCPUs } / 1_000_000_000)
        info["MemTotal"] = ready.reduce(0) { $0 + $1.memoryBytes }
        var imageIDs: Set<String> = []
        for (_, list) in try await everyNode(EngineRequest(method: .get, uri: "/images/json"), nodes) {
            for image in list as? [[String: Any]] ?? [] { imageIDs.insert(image["Id"] as? String ?? "") }
        }
        info["Images"] = imageIDs.count
        var status: [[String]] = [["Role", "primary"], ["Strategy", strategy.rawValue],
                                  ["Filters", "health, port, dependency, affinity, constraint"],
                                  ["Nodes", String(nodes.count)]]
        for node in nodes.sorted(by: { $0.hostname < $1.hostname }) {
            let mine = states(containers.filter { $0.node.id == node.id })
            let count = mine.running + mine.paused + mine.stopped
            status += [
                [" " + node.hostname, "\(node.address):2376"],
                ["  └ ID", node.id],
                ["  └ Status", node.ready ? "Healthy" : "Unhealthy"],
                ["  └ Containers", "\(count) (\(mine.running) Running, \(mine.paused) Paused, \(mine.stopped) Stopped)"],
                ["  └ CPUs", String(node.nanoCPUs / 1_000_000_000)],
                ["  └ Memory", Self.bytes(node.memoryBytes)],
                ["  └ Labels", node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")],
            ]
        }
        info["SystemStatus"] = status
        return Self.json(try JSONSerialization.data(withJSONObject: info))
    }

    static func bytes(_ count: Int64) -> String {
        let gib = Double(count) / Double(1 << 30)
        return gib >= 1 ? String(format: "%.3g GiB", gib) : String(format: "%.3g MiB", Double(count) / Double(1 << 20))
    }
}

/// A response body read back (the manager's own answer, to add the cluster's parts to it).
final class Collected: Sendable {
    let bytes = Mutex(ByteBuffer())
}

struct CollectingWriter: ResponseBodyWriter {
    let into: Collected

    mutating func write(_ buffer: ByteBuffer) async throws {
        into.bytes.withLock { _ = $0.writeImmutableBuffer(buffer) }
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
