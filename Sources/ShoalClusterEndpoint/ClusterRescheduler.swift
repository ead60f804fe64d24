import Foundation
import HTTPTypes
import NIOCore
import ShoalCore
import ShoalModel

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
    /// record follows it. Returns the containers moved (ID on the Down node → ID on the new one).
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
        return moved
    }
}
