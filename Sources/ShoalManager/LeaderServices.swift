import Foundation
import ShoalAllocator
import ShoalClusterStore
import ShoalCore
import ShoalIPAM
import ShoalModel

/// What runs on the leader only, for one leadership term: the network allocator (the only writer of networks
/// and their endpoints, every write fenced by the term's claim on the leader key) and the endpoint feed the
/// node sessions stream from. Made when this manager starts to lead, from the store as it is then; dropped when
/// it stops (its sessions end, and the nodes move to the new leader, which starts its own).
final class LeaderServices: Sendable {
    let fence: LeaderFence
    let allocator: NetworkAllocatorService
    let feed: EndpointFeed

    private init(fence: LeaderFence, allocator: NetworkAllocatorService, feed: EndpointFeed) {
        self.fence = fence
        self.allocator = allocator
        self.feed = feed
    }

    /// Claims the term and builds the services from the store: every attachment, and the nodes now Down (their
    /// endpoints stay withdrawn until they are back).
    static func start(nodeID: String, store: any ClusterStore, cluster: SwarmInfo, nodes: [SwarmNode]) async throws
        -> LeaderServices
    {
        let fence = try await LeaderFence.claim(for: nodeID, in: store)
        let pools = try OverlayNetworkAllocator.pools(cluster.defaultAddressPools, subnetSize: Int(cluster.subnetSize))
        let attachments = try await StoreTable<SwarmAttachment>(store).list().map(\.object)
        let down = Set(nodes.filter { $0.status.state != .ready }.map(\.id))
        return LeaderServices(fence: fence, allocator: NetworkAllocatorService(store: store, fence: fence, pools: pools),
                              feed: EndpointFeed(attachments: attachments, downNodes: down))
    }

    func stop() async {
        await feed.finish()
    }
}
