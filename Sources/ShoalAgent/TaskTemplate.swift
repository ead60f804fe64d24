import Foundation
import ShoalModel

/// Docker's service templates (`docker service create --hostname "{{.Node.Hostname}}-{{.Task.Slot}}"`): in a
/// task's host name, environment and mount sources, the placeholders Docker documents are replaced by the task's
/// own values when its container is made. Anything else between braces (`.Service.Labels` too, which the node is
/// not told) is left as written.
public struct TaskTemplate: Sendable, Equatable {
    public var values: [String: String]

    /// The values for `task` of service `serviceName` on the node `nodeID` named `nodeHostname`.
    public init(task: SwarmTask, serviceName: String, nodeID: String, nodeHostname: String) {
        values = [
            ".Service.ID": task.serviceID, ".Service.Name": serviceName, ".Node.ID": nodeID, ".Node.Hostname": nodeHostname, ".Node.Platform.OS": "linux",
            ".Node.Platform.Architecture": Self.architecture,
            ".Task.ID": task.id, ".Task.Name": TaskContainer.taskName(task, serviceName: serviceName),
            ".Task.Slot": task.slot > 0 ? String(task.slot) : task.nodeID,
        ]
    }

    /// `text` with every known `{{ .Placeholder }}` (spaces inside the braces allowed) replaced.
    public func expand(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                result += rest[open.lowerBound...]
                return result
            }
            let name = rest[open.upperBound..<close.lowerBound].trimmingCharacters(in: .whitespaces)
            result += values[name] ?? String(rest[open.lowerBound..<close.upperBound])
            rest = rest[close.upperBound...]
        }
        return result + rest
    }

    static var architecture: String {
        #if arch(x86_64)
        "x86_64"
        #elseif arch(arm64)
        "aarch64"
        #else
        "unknown"
        #endif
    }
}
