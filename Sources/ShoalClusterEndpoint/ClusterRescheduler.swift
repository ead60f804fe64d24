import Foundation
import HTTPTypes
import NIOCore
import ShoalCore
import ShoalModel
import Synchronization

/// Where the managers keep those records (the store), and whether this manager leads (only the leader acts).
public protocol RescheduleRecords: Sendable {
    func remember(_ record: ReschedulableContainer) async throws
    func forget(_ id: String) async throws
    func all() async throws -> [ReschedulableContainer]
    func leads() async -> Bool
}

extension ClusterInterceptor {
    /// One round of classic Swarm's rescheduling, on the leader: each recorded container whose node is Down is
    /// made again (same body, same name) on a node the classic scheduler picks among the others and started; the
    /// record follows it. A node that is back (Ready again, or first seen by this leader) loses the copies left
    /// there of containers that moved away meanwhile, as classic Swarm removed an engine's duplicates when it
    /// came back. Returns the containers moved (ID on the Down node → ID on the new one).
    @discardableResult
    public func rescheduleRound() async -> [String: String] {
        guard let records, await records.leads(),
              let all = try? await records.all(), !all.isEmpty,
              let nodes = try? await engines.nodes()
        else { return [:] }
        let down = Set(nodes.filter(\.down).map(\.id))
        var moved: [String: String] = [:]
        for record in all where down.contains(record.nodeID) {
            do {
                guard let body = try JSONSerialization.jsonObject(with: record.createBody) as? [String: Any] else {
                    try await records.forget(record.id)
                    continue
                }
                let made = try await place(body, query: record.createQuery.isEmpty ? nil : record.createQuery,
                                           name: record.name.isEmpty ? nil : record.name,
                                           headers: [.contentType: "application/json"], excluding: down)
                guard let id = made.id else {
                    logger.warning("cluster endpoint: \(record.name) could not be made again: \(String(buffer: made.bytes))")
                    continue
                }
                let started = try await engines.send(EngineRequest(method: .post, uri: "/containers/\(id)/start"), to: made.node)
                _ = try await started.collect()
                try await records.forget(record.id)
                moved[record.id] = id
                logger.info("cluster endpoint: \(record.name.isEmpty ? record.id : record.name) rescheduled from a Down node to \(made.node.hostname)")
            } catch {
                logger.warning("cluster endpoint: rescheduling \(record.name.isEmpty ? record.id : record.name) failed: \(error)")
            }
        }
        let back = returning.back(Set(nodes.filter(\.ready).map(\.id)))
        if !back.isEmpty, let current = try? await records.all() {
            for node in nodes where back.contains(node.id) { await removeMovedCopies(on: node, records: current) }
        }
        return moved
    }

    /// Removes from `node` the containers with a rescheduling policy whose record says they run elsewhere now
    /// (same name, another ID, another node).
    private func removeMovedCopies(on node: ClusterNode, records: [ReschedulableContainer]) async {
        let filter = #"{"label":["com.docker.swarm.reschedule-policies"]}"#
        let query = "?all=1&filters=" + (filter.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
        guard let listed = try? await containers(query: query, on: [node]) else { return }
        for container in listed {
            guard let record = records.first(where: { record in
                container.names.contains(record.name) && record.id != container.id && record.nodeID != node.id
            }) else { continue }
            do {
                let removed = try await engines.send(EngineRequest(method: .delete, uri: "/containers/\(container.id)?force=1"),
                                                     to: node)
                _ = try await removed.collect()
                logger.info("cluster endpoint: \(node.hostname) is back; its copy of \(record.name) (now \(record.id.prefix(12))) removed")
            } catch {
                logger.warning("cluster endpoint: removing \(node.hostname)'s old copy of \(record.name) failed: \(error)")
            }
        }
    }
}

/// The Ready nodes the rescheduler saw last round, to tell which are back.
final class ReturningNodes: Sendable {
    private let seen = Mutex<Set<String>>([])

    /// The nodes in `ready` that were not Ready last round.
    func back(_ ready: Set<String>) -> Set<String> {
        seen.withLock { seen in
            defer { seen = ready }
            return ready.subtracting(seen)
        }
    }
}
