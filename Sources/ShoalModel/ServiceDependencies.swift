import Foundation
import ShoalCore

/// The services a service waits for before its tasks are placed: compose's `depends_on` with
/// `condition: service_healthy`, which swarm ignores (moby#40364) and the stock CLI's `docker stack deploy` drops
/// before it reaches any daemon. So Shoal reads it from a service label, which compose's `deploy.labels` and
/// `docker service create --label` both carry: `shoal.depends-on=db,cache`.
///
/// A name is looked up in the service's own stack first (`STACK_db` when the service has the label
/// com.docker.stack.namespace=STACK, as `docker stack deploy` names services), then as it is. A dependency is met
/// while it has a task that serves: running, which is healthy when its image or spec has a health check.
public struct ServiceDependencies: Sendable, Hashable {
    public static let label = "shoal.depends-on"
    public static let stackLabel = "com.docker.stack.namespace"

    /// The names as the label gives them, in order, each once.
    public var names: [String]

    /// The label's names; none without the label. Refuses an empty name and a service that names itself.
    public init(labels: [String: String], serviceName: String) throws {
        guard let value = labels[Self.label] else {
            names = []
            return
        }
        var names: [String] = []
        for part in value.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard !name.isEmpty, !name.contains(where: \.isWhitespace) else {
                throw ShoalError.invalidArgument(
                    "invalid value for label \(Self.label): \"\(value)\" (service names separated by commas)")
            }
            if !names.contains(name) { names.append(name) }
        }
        let stack = labels[Self.stackLabel]
        if names.contains(where: { Self.candidates($0, stack: stack).first == serviceName || $0 == serviceName }) {
            throw ShoalError.invalidArgument("invalid value for label \(Self.label): a service cannot depend on itself")
        }
        self.names = names
    }

    /// The names to try for `name`, in order, for a service in `stack`.
    public static func candidates(_ name: String, stack: String?) -> [String] {
        guard let stack, !stack.isEmpty else { return [name] }
        return [stack + "_" + name, name]
    }
}
