/// What a node may do in the swarm. The role is carried in the certificate's Organizational Unit, which is
/// what the dispatcher and control API authorize on (SwarmKit's `ManagerRole`/`WorkerRole`).
public enum NodeRole: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case manager
    case worker

    /// The certificate OU and DNS SAN for this role: `swarm-manager` or `swarm-worker`.
    public var organizationalUnit: String {
        switch self {
        case .manager: "swarm-manager"
        case .worker: "swarm-worker"
        }
    }

    /// The role whose OU is `organizationalUnit`, or nil for anything else (e.g. `swarm-ca`).
    public init?(organizationalUnit: String) {
        guard let role = Self.allCases.first(where: { $0.organizationalUnit == organizationalUnit }) else {
            return nil
        }
        self = role
    }

    public var description: String { rawValue }
}
