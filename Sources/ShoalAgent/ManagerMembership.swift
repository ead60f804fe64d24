import ShoalCore
import ShoalProto

/// A store member as a manager reports it: the etcd member's name (a manager's node ID), peer and client URLs.
public struct StoreMember: Sendable, Equatable {
    public var name: String
    public var peerURL: String
    public var clientURL: String

    public init(name: String, peerURL: String, clientURL: String) {
        self.name = name
        self.peerURL = peerURL
        self.clientURL = clientURL
    }
}

/// The joining side of a manager join, after its certificate: ask a manager (mutual TLS, with the new manager
/// certificate) to add this node's etcd member, and learn the members it must start with.
public enum ManagerMembership {
    public static func addManager(managers: [String], rootCAPEM: String, identity: ControlChannel.Identity,
                                  etcdPeerURL: String, controlAddress: String) async throws -> [StoreMember] {
        var request = Shoal_Cluster_V1_AddManagerRequest()
        request.etcdPeerURL = etcdPeerURL
        request.controlAddress = controlAddress
        var lastError: ShoalError?
        for address in managers {
            let channel = try ControlChannel(address: address, trust: .rootCA(rootCAPEM), identity: identity)
            do {
                let response = try await Shoal_Cluster_V1_Membership.Client(wrapping: channel.grpc)
                    .addManager(request, options: ControlChannel.options(timeout: .seconds(30)))
                await channel.shutdown()
                return response.members.map { StoreMember(name: $0.name, peerURL: $0.peerURL, clientURL: $0.clientURL) }
            } catch {
                await channel.shutdown()
                let failure = RemoteError.shoal(error, address: address)
                guard failure.code == .unavailable else { throw failure }
                lastError = failure
            }
        }
        throw lastError ?? ShoalError.invalidArgument("no manager address")
    }
}
