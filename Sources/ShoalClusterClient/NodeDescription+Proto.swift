import ShoalModel
import ShoalClusterProto

/// The one conversion edge between the domain's node description and the control API's message (both sides of
/// the wire use it: agents to send, managers to record).
extension NodeDescription {
    public init(_ message: Shoal_Cluster_V1_NodeDescription) {
        self.init(hostname: message.hostname, architecture: message.architecture, os: message.os,
                  nanoCPUs: message.nanoCpus, memoryBytes: message.memoryBytes,
                  engineVersion: message.engineVersion, engineLabels: message.engineLabels,
                  plugins: message.plugins.map { EnginePlugin(kind: $0.kind, name: $0.name) })
    }

    public var message: Shoal_Cluster_V1_NodeDescription {
        var message = Shoal_Cluster_V1_NodeDescription()
        message.hostname = hostname
        message.architecture = architecture
        message.os = os
        message.nanoCpus = nanoCPUs
        message.memoryBytes = memoryBytes
        message.engineVersion = engineVersion
        message.engineLabels = engineLabels
        message.plugins = plugins.map { plugin in
            var message = Shoal_Cluster_V1_EnginePlugin()
            message.kind = plugin.kind
            message.name = plugin.name
            return message
        }
        return message
    }
}
