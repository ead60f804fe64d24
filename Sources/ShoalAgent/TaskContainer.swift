import Foundation
import ShoalModel

/// How a task becomes a container on its node, as Docker names and labels it, so `docker ps` on a node and the
/// tools that read these labels see the same as under Docker swarm mode.
public enum TaskContainer {
    public static let serviceIDLabel = "com.docker.swarm.service.id"
    public static let serviceNameLabel = "com.docker.swarm.service.name"
    public static let taskLabel = "com.docker.swarm.task"
    public static let taskIDLabel = SwarmTask.containerLabel
    public static let taskNameLabel = "com.docker.swarm.task.name"
    public static let nodeIDLabel = "com.docker.swarm.node.id"

    /// The ports `task` publishes on its own node (`mode=host`).
    public static func hostPorts(_ task: SwarmTask) -> [PortConfig] {
        (task.endpoint?.ports ?? []).filter { $0.publishMode == .host }
    }

    /// `web.2` for a replicated task's slot, `web.<node ID>` for a global one's (Docker's task name).
    public static func taskName(_ task: SwarmTask, serviceName: String) -> String {
        task.slot > 0 ? "\(serviceName).\(task.slot)" : "\(serviceName).\(task.nodeID)"
    }

    /// `web.2.<task ID>`: the container's name.
    public static func containerName(_ task: SwarmTask, serviceName: String) -> String {
        taskName(task, serviceName: serviceName) + "." + task.id
    }

    /// The container `task` runs as: its container spec, resources and networks (each with the address the
    /// allocator gave it and the service's aliases), with the swarm's labels over the spec's own. A service's
    /// tasks are never restarted by the engine (the managers' restart policy replaces them).
    public static func spec(_ task: SwarmTask, serviceName: String, networkNames: [String: String] = [:],
                            template values: TaskTemplate? = nil) -> ContainerSpec
    {
        let expand = { (text: String) in values?.expand(text) ?? text }
        let template = task.spec.containerSpec
        var spec = ContainerSpec(image: template.image)
        if !template.command.isEmpty { spec.entrypoint = template.command }
        if !template.args.isEmpty { spec.cmd = template.args }
        spec.env = template.env.map(expand)
        spec.workingDir = template.dir.isEmpty ? nil : template.dir
        spec.user = template.user.isEmpty ? nil : template.user
        spec.hostname = template.hostname.isEmpty ? nil : expand(template.hostname)
        spec.tty = template.tty
        spec.openStdin = template.openStdin
        spec.stopSignal = template.stopSignal.isEmpty ? nil : template.stopSignal
        spec.stopTimeout = template.stopGracePeriod.map { Int($0.rounded(.up)) }
        spec.healthcheck = template.healthcheck
        if let dns = template.dnsConfig {
            spec.host.dns = dns.nameservers
            spec.host.dnsSearch = dns.search.isEmpty ? nil : dns.search
            spec.host.dnsOptions = dns.options.isEmpty ? nil : dns.options
        }
        spec.labels = template.labels.merging([
            serviceIDLabel: task.serviceID, serviceNameLabel: serviceName, taskLabel: "",
            taskIDLabel: task.id, taskNameLabel: taskName(task, serviceName: serviceName), nodeIDLabel: task.nodeID,
        ]) { _, swarm in swarm }
        spec.host.mounts = template.mounts.map { mount in
            var mount = mount
            mount.source = expand(mount.source)
            return mount
        }
        spec.host.readonlyRootfs = template.readOnly
        spec.host.initProcess = template.initProcess
        spec.host.capAdd = template.capabilityAdd
        spec.host.capDrop = template.capabilityDrop
        spec.host.sysctls = template.sysctls
        spec.host.extraHosts = template.hosts
        spec.host.memory = task.spec.resources.limits.memoryBytes
        spec.host.nanoCPUs = task.spec.resources.limits.nanoCPUs
        if task.spec.resources.limits.pids > 0 { spec.host.pidsLimit = task.spec.resources.limits.pids }
        let configs = Dictionary(task.spec.networks.map { ($0.target, $0) }, uniquingKeysWith: { first, _ in first })
        for attachment in task.networksAttachments {
            let name = networkNames[attachment.networkID] ?? attachment.networkID
            let address = attachment.addresses.first.map { String($0.split(separator: "/")[0]) }
            let aliases = configs[name]?.aliases ?? configs[attachment.networkID]?.aliases ?? attachment.aliases
            spec.networks[name] = EndpointRequest(aliases: aliases, ipv4Address: address)
        }
        if let first = spec.networks.keys.sorted().first { spec.host.networkMode = first }
        // `--publish mode=host`: on this node only, as `docker run -p` would (0: the engine picks the port).
        for port in hostPorts(task) {
            let key = "\(port.targetPort)/\(port.protocol.rawValue)"
            spec.exposedPorts.append(key)
            spec.host.portBindings[key, default: []].append(
                PortBinding(hostPort: port.publishedPort == 0 ? "" : String(port.publishedPort)))
        }
        return spec
    }
}
