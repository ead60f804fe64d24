/// An object users change by its spec, which the cluster also writes on its own (a service's VIPs and update
/// status, a node's status and certificate issuer). Docker takes an update only at the object's current version, so
/// a `docker service update` or `docker node update` read just before such a write failed with "update out of
/// sequence" though its caller saw the spec it replaces. Here only a spec change since the caller's read refuses it.
public protocol SpecVersioned {
    /// The store's version of the object.
    var version: UInt64 { get }
    /// The version the object had just before its spec last changed (0: unchanged since it was made).
    var specChangedAfter: UInt64 { get }
}

extension SpecVersioned {
    /// Whether an update from a caller that read the object at `version` is in sequence: the caller saw the spec
    /// it has now (every version after the last spec change has that spec; a version not reached yet is refused).
    public func sawCurrentSpec(atVersion version: UInt64) -> Bool {
        version > specChangedAfter && version <= self.version
    }
}
