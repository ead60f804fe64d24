import ShoalCA
import ShoalCore

/// Who may call what on the control API (SwarmKit's `ca.AuthorizeOrgAndRole`). A caller is anonymous (no
/// certificate from this cluster's CA: only joining) or a node with the role its certificate's OU states.
public enum ControlAccess: Sendable, Equatable {
    /// Anyone who completed the TLS handshake (NodeCA: join).
    case anyone
    /// Nodes of this cluster with one of these roles.
    case nodes(Set<NodeRole>)

    /// Workers and managers (the dispatcher).
    public static let anyNode = ControlAccess.nodes([.worker, .manager])
    /// Managers only (control operations a worker must never reach).
    public static let managers = ControlAccess.nodes([.manager])

    /// Throws unless a caller with this certificate (nil: anonymous) of this cluster may call.
    public func check(_ caller: NodeCertificate?, clusterID: String) throws {
        guard case .nodes(let roles) = self else { return }
        guard let caller, caller.clusterID == clusterID else {
            throw ShoalError(.permissionDenied, "Unauthenticated: a node certificate from this swarm's CA is required")
        }
        guard roles.contains(caller.role) else {
            throw ShoalError(.permissionDenied,
                             "Permission denied: unauthorized peer role: rpc error: code = PermissionDenied desc = Permission denied: remote certificate not part of organizational unit \(roles.map(\.organizationalUnit).sorted().joined(separator: ", "))")
        }
    }
}
