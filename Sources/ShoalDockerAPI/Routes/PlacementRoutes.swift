import Foundation
import Hummingbird
import ShoalModel
import Synchronization

/// `GET /shoal/placement`: what the cluster endpoint's scheduler needs of this node in one call, as classic Swarm
/// read it from each engine: every container (as `GET /containers/json?all=1` lists them), the CPUs and memory
/// they reserve (`--cpus`, `-m`; every container counts, stopped ones too, as in classic Swarm, since a start
/// needs them back), and the engine's facts the classic constraints match (`storagedriver`, `kernelversion`,
/// `operatingsystem`, `ostype`, `architecture`).
struct PlacementRoutes<Context: RequestContext> {
    let backends: DockerBackends
    /// The engine's facts do not change while it runs: read once.
    private let facts = KnownFacts()

    func add(to router: Router<Context>) {
        router.get("shoal/placement") { _, _ in
            let records = try await backends.containers.listContainers()
            let facts: [String: String]
            if let known = self.facts.value.withLock({ $0 }) {
                facts = known
            } else {
                facts = try await backends.system.systemInfo().placementFacts
                self.facts.value.withLock { $0 = facts }
            }
            let now = Date()
            return Wire.json(NodeLoadWire(
                Containers: records.map { $0.summaryWire(now: now) },
                ReservedNanoCPUs: records.reduce(0) { $0 + $1.spec.host.nanoCPUs },
                ReservedMemory: records.reduce(0) { $0 + $1.spec.host.memory },
                Labels: facts))
        }
    }
}

private final class KnownFacts: Sendable {
    let value = Mutex<[String: String]?>(nil)
}

struct NodeLoadWire: Encodable {
    var Containers: [ContainerSummaryWire]
    var ReservedNanoCPUs: Int64
    var ReservedMemory: Int64
    var Labels: [String: String]
}

extension SystemInfo {
    /// The facts classic Swarm put beside an engine's labels for its constraints.
    var placementFacts: [String: String] {
        ["storagedriver": storageDriver, "kernelversion": kernelVersion, "operatingsystem": operatingSystem,
         "ostype": osType, "architecture": architecture]
    }
}
