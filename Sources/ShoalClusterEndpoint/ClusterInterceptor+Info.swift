import Foundation
import Hummingbird
import NIOCore
import ShoalCore
import Synchronization

/// `docker info` on the cluster endpoint: the manager's own answer (its swarm, its name) with the cluster's
/// counts (containers and images of every Ready node, their CPUs and memory together) and, in `SystemStatus`, the
/// nodes as classic Swarm listed them (role, strategy, filters, then each node with its address, ID, health,
/// containers, reserved and total CPUs and memory, and labels with the engine's facts).
extension ClusterInterceptor {
    func info(_ request: Request, next: (Request) async throws -> Response) async throws -> Response {
        let own = try await Self.ownAnswer(request, next: next)
        guard var info = own.object else { return own.response }
        let loads = try await loads(of: try await engines.nodes())
        let nodes = loads.map(\.node)
        let containers = loads.flatMap(\.containers)
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
        for load in loads.sorted(by: { $0.node.hostname < $1.node.hostname }) {
            let node = load.node
            let mine = states(load.containers)
            let count = mine.running + mine.paused + mine.stopped
            status += [
                [" " + node.hostname, "\(node.address):2376"],
                ["  └ ID", node.id],
                ["  └ Status", node.ready ? "Healthy" : "Unhealthy"],
                ["  └ Containers", "\(count) (\(mine.running) Running, \(mine.paused) Paused, \(mine.stopped) Stopped)"],
                ["  └ Reserved CPUs", "\(Self.cpus(load.reservedCPUs)) / \(Self.cpus(node.nanoCPUs))"],
                ["  └ Reserved Memory", "\(Self.bytes(load.reservedMemory)) / \(Self.bytes(node.memoryBytes))"],
                ["  └ Labels", node.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")],
            ]
        }
        info["SystemStatus"] = status
        return Self.json(try JSONSerialization.data(withJSONObject: info))
    }

    /// `docker version` on the cluster endpoint: the manager's own answer, its platform named as the cluster's,
    /// with each Ready node's engine as a component (its version, address, API version, kernel, OS and
    /// architecture), as classic Swarm answered for the cluster rather than for one engine.
    func version(_ request: Request, next: (Request) async throws -> Response) async throws -> Response {
        let own = try await Self.ownAnswer(request, next: next)
        guard var version = own.object else { return own.response }
        let nodes = try await everyNode(EngineRequest(method: .get, uri: "/version"))
        version["Platform"] = ["Name": "Shoal cluster endpoint (\(nodes.count) nodes)"]
        var components = version["Components"] as? [[String: Any]] ?? []
        for (node, answer) in nodes {
            let engine = answer as? [String: Any] ?? [:]
            var details = ["Address": node.address]
            for key in ["ApiVersion", "KernelVersion", "Os", "Arch"] { details[key] = engine[key] as? String }
            components.append(["Name": node.hostname, "Version": engine["Version"] as? String ?? "", "Details": details])
        }
        version["Components"] = components
        return Self.json(try JSONSerialization.data(withJSONObject: version))
    }

    /// The manager's own answer to `request`, read whole: its JSON object when it is a 200 with one (for the
    /// cluster's parts to be added), and the answer as it came, to return otherwise.
    static func ownAnswer(_ request: Request, next: (Request) async throws -> Response) async throws
        -> (object: [String: Any]?, response: Response)
    {
        let local = try await next(request)
        let collected = Collected()
        try await local.body.write(CollectingWriter(into: collected))
        let bytes = collected.bytes.withLock { $0 }
        let object = local.status == .ok
            ? (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] : nil
        return (object, Response(status: local.status, headers: local.headers, body: .init(byteBuffer: bytes)))
    }

    /// go-units' BytesSize, as classic Swarm printed memory: `0 B`, `512 MiB`, `7.772 GiB`.
    static func bytes(_ count: Int64) -> String {
        var value = Double(count)
        var unit = 0
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return String(format: "%.4g", value) + " " + units[unit]
    }

    /// CPUs from nano CPUs: `2`, `0.5`.
    static func cpus(_ nano: Int64) -> String {
        nano % 1_000_000_000 == 0 ? String(nano / 1_000_000_000) : String(format: "%g", Double(nano) / 1e9)
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
