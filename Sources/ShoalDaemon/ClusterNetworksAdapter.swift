import ShoalCore
import ShoalEngine
import ShoalIPAM
import ShoalManager
import ShoalModel
import ShoalNFTables
import ShoalNetwork
import ShoalClusterProto

/// The engine's view of the swarm's networks, through this node's SwarmMembership (its store on a manager, the
/// control API to the leader on any node), and the endpoint stream from the node's session into the engine.
struct ClusterNetworksAdapter: ClusterNetworks {
    let swarm: SwarmMembership

    func network(_ reference: String) async throws -> NetworkRecord? { try await swarm.swarmNetwork(reference) }

    func attach(_ request: ClusterAttachRequest) async throws -> ClusterAttachment {
        var call = Shoal_Cluster_V1_AttachRequest()
        call.networkID = request.networkID
        call.containerID = request.containerID
        call.containerName = request.containerName
        call.aliases = request.aliases
        call.dnsNames = request.dnsNames
        call.requestedAddress = request.requestedAddress ?? ""
        call.taskID = request.taskID ?? ""
        let attachment = try await swarm.attachEndpoint(call)
        return ClusterAttachment(id: attachment.id, address: try IPv4Address(parsing: attachment.address),
                                 prefixLength: Int(attachment.prefixLength), gateway: nil,
                                 dnsNames: attachment.dnsNames)
    }

    func detach(attachmentID: String) async { await swarm.detachEndpoint(attachmentID) }

    func rename(attachmentID: String, containerName: String, dnsNames: [String]) async {
        await swarm.renameEndpoint(attachmentID, containerName: containerName, dnsNames: dnsNames)
    }

    func underlayAddress() async -> IPv4Address? {
        await swarm.dataPathAddress.flatMap { try? IPv4Address(parsing: $0) }
    }

    /// Hands the session's endpoint updates to the engine, and the engine's endpoints to the session.
    static func handlers(_ networks: NetworkService) -> EndpointHandlers {
        EndpointHandlers(
            update: { update in
                let upserted = update.upserted.compactMap(remote)
                if update.full {
                    await networks.replaceRemoteEndpoints(upserted)
                } else {
                    await networks.updateRemoteEndpoints(upserted: upserted, removed: update.removed)
                }
            },
            localAttachments: { await networks.localAttachmentIDs() })
    }

    /// An endpoint on another host, or a service's VIP (no node: its address is a name's only).
    static func remote(_ attachment: Shoal_Cluster_V1_NetworkAttachment) -> RemoteEndpoint? {
        let host = try? IPv4Address(parsing: attachment.nodeAddress)
        guard host != nil || attachment.nodeID.isEmpty,
              let address = try? IPv4Address(parsing: attachment.address) else { return nil }
        return RemoteEndpoint(id: attachment.id, networkID: attachment.networkID, nodeID: attachment.nodeID,
                              host: host, address: address, mac: MACAddress(derivedFrom: address),
                              dnsNames: attachment.dnsNames, meshPorts: attachment.ingressPorts.compactMap(meshPort))
    }

    /// A port of the routing mesh (a protocol the mesh does not carry is left out).
    static func meshPort(_ port: Shoal_Cluster_V1_IngressPort) -> MeshPort? {
        guard let proto = PortPublication.Proto(rawValue: port.protocol),
              let published = UInt16(exactly: port.publishedPort), let target = UInt16(exactly: port.targetPort)
        else { return nil }
        return MeshPort(proto: proto, publishedPort: published, targetPort: target,
                        publishOn: MeshPublishing(wire: port.publishOn))
    }
}
