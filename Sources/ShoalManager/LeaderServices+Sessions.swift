import Foundation
import ShoalAllocator
import ShoalCA
import ShoalClusterClient
import ShoalClusterProto
import ShoalCore
import ShoalModel

/// The leader's side of node sessions (Dispatcher.Session) and of the endpoints nodes ask for: a heartbeat keeps
/// its node Ready and tells it its role; a session gets the endpoint feed once its node has reported its own
/// endpoints; attach and detach go through the allocator and reach every other session through the feed.
extension LeaderServices {
    /// A heartbeat on `nodeID`'s session: the node's role as the store has it (as `roles` last read it, see
    /// `NodeRoleCache`). A removed node's session ends here; a node coming back (or new) is Ready again once the
    /// store confirms it is still in the cluster.
    func heartbeat(from nodeID: String, period: Duration) async throws -> NodeRole {
        // Counted first: nothing the heartbeat waits for may delay it.
        let back = await health.seen(nodeID, period: period)
        if !back, let cached = roles.lookup(nodeID, now: .now, freshFor: period) {
            if cached.refresh { Task { _ = try? await self.readRole(nodeID) } }
            switch cached.entry {
            case .role(let role):
                return role
            case .removed:
                await health.forget(nodeID)
                throw SwarmErrors.removedNode(nodeID)
            }
        }
        let role = try await readRole(nodeID)
        if back { try await health.becameReady(nodeID) }
        return role
    }

    /// Reads `nodeID` from the store for `roles`; a removed node is forgotten by the health judge.
    private func readRole(_ nodeID: String) async throws -> NodeRole {
        let read = ContinuousClock.now
        let node: SwarmNode?
        do {
            node = try await objects.node(nodeID)
        } catch {
            roles.readFailed(nodeID)
            throw error
        }
        guard let node else {
            roles.record(nodeID, .removed, read: read)
            await health.forget(nodeID)
            throw SwarmErrors.removedNode(nodeID)
        }
        let role: NodeRole = node.spec.role == .manager ? .manager : .worker
        roles.record(nodeID, .role(role), read: read)
        return role
    }

    /// A session started: the node's reported endpoints are reconciled, then it gets the feed (full set first).
    func subscribeEndpoints(nodeID: String, reported: [String]?) async throws
        -> (id: UUID, updates: AsyncStream<Shoal_Cluster_V1_EndpointUpdate>, feed: EndpointFeed)
    {
        if let reported {
            for gone in try await allocator.reconcile(nodeID: nodeID, keep: Set(reported)) {
                await feed.removed(gone)
            }
        }
        let (id, updates) = await feed.subscribe(nodeID: nodeID)
        return (id, updates, feed)
    }

    /// An address on a swarm-scoped network for a container of `nodeID`, told to the other nodes.
    func attach(nodeID: String, _ request: Shoal_Cluster_V1_AttachRequest) async throws -> SwarmAttachment {
        guard let node = try await objects.node(nodeID) else { throw SwarmErrors.removedNode(nodeID) }
        let attachment = try await allocator.attach(
            nodeID: nodeID, nodeAddress: node.status.address, networkID: request.networkID,
            containerID: request.containerID, containerName: request.containerName, aliases: request.aliases,
            dnsNames: request.dnsNames, requestedAddress: request.requestedAddress, taskID: request.taskID)
        await feed.added(attachment)
        return attachment
    }

    /// `nodeID` gives an endpoint back; the other nodes are told.
    func detach(nodeID: String, attachmentID: String) async throws {
        if let gone = try await allocator.detach(nodeID: nodeID, attachmentID: attachmentID) {
            await feed.removed(gone)
        }
    }

    /// `nodeID`'s container was renamed: the other nodes resolve its endpoint by the new names.
    func rename(nodeID: String, _ request: Shoal_Cluster_V1_RenameRequest) async throws -> SwarmAttachment {
        let renamed = try await allocator.rename(nodeID: nodeID, attachmentID: request.attachmentID,
                                                 containerName: request.containerName, dnsNames: request.dnsNames)
        await feed.added(renamed)
        return renamed
    }

    /// Once a second: nodes removed from the swarm lose their endpoints.
    func dropEndpointsOfRemovedNodes() async {
        guard let nodes = try? await objects.nodes() else { return }
        let known = Set(nodes.map(\.id))
        let orphans = Set(await feed.all().map(\.nodeID)).subtracting(known)
        for nodeID in orphans {
            guard let dropped = try? await allocator.dropNode(nodeID) else { continue }
            for attachment in dropped { await feed.removed(attachment) }
        }
    }
}
