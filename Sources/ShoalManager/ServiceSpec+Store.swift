import Foundation
import ShoalClusterProto
import ShoalModel

// The conversion edge between service specs as the domain holds them (ShoalModel) and as the store keeps them
// (services.proto). Enumerations are stored as Docker's words; a word the domain does not know (written by a newer
// manager) reads as the domain's default. Durations are nanoseconds on the store's side.

typealias ServiceSpecMessage = Shoal_Cluster_V1_ServiceSpec
typealias TaskSpecMessage = Shoal_Cluster_V1_TaskSpec

extension ServiceSpec {
    init(_ message: ServiceSpecMessage) {
        let mode: ServiceMode =
            switch message.mode {
            case .global: .global
            case .replicated(let replicated): .replicated(replicas: replicated.replicas)
            case nil: .replicated(replicas: 1)
            }
        self.init(
            name: message.name, labels: message.labels, taskTemplate: TaskSpec(message.taskTemplate), mode: mode,
            updateConfig: message.hasUpdateConfig ? UpdateConfig(message.updateConfig) : nil,
            rollbackConfig: message.hasRollbackConfig ? UpdateConfig(message.rollbackConfig) : nil,
            endpointSpec: message.hasEndpointSpec ? EndpointSpec(message.endpointSpec) : nil)
    }

    var message: ServiceSpecMessage {
        var message = ServiceSpecMessage()
        message.name = name
        message.labels = labels
        message.taskTemplate = taskTemplate.message
        switch mode {
        case .global: message.global = Shoal_Cluster_V1_GlobalMode()
        case .replicated(let replicas): message.replicated.replicas = replicas
        }
        if let updateConfig { message.updateConfig = updateConfig.message }
        if let rollbackConfig { message.rollbackConfig = rollbackConfig.message }
        if let endpointSpec { message.endpointSpec = endpointSpec.message }
        return message
    }
}

extension TaskSpec {
    init(_ message: TaskSpecMessage) {
        let container = message.containerSpec
        let restart = message.restartPolicy
        let placement = message.placement
        self.init(
            containerSpec: TaskContainerSpec(container),
            resources: ResourceRequirements(limits: Resources(message.resources.limits),
                                            reservations: Resources(message.resources.reservations)),
            restartPolicy: TaskRestartPolicy(
                condition: TaskRestartPolicy.Condition(rawValue: restart.condition) ?? .any,
                delay: Nanoseconds.seconds(restart.delayNs), maxAttempts: restart.maxAttempts,
                window: Nanoseconds.seconds(restart.windowNs)),
            placement: Placement(
                constraints: placement.constraints,
                preferences: placement.spreadPreferences.map { PlacementPreference(spreadDescriptor: $0) },
                maxReplicas: placement.maxReplicas,
                platforms: placement.platforms.map { Platform(architecture: $0.architecture, os: $0.os) }),
            networks: message.networks.map {
                NetworkAttachmentConfig(target: $0.target, aliases: $0.aliases, driverOpts: $0.driverOptions)
            },
            logDriver: message.hasLogDriver
                ? LogDriver(name: message.logDriver.name, options: message.logDriver.options) : nil,
            forceUpdate: message.forceUpdate)
    }

    var message: TaskSpecMessage {
        var message = TaskSpecMessage()
        message.containerSpec = containerSpec.message
        message.resources.limits = resources.limits.message
        message.resources.reservations = resources.reservations.message
        message.restartPolicy.condition = restartPolicy.condition.rawValue
        message.restartPolicy.delayNs = Nanoseconds.from(restartPolicy.delay)
        message.restartPolicy.maxAttempts = restartPolicy.maxAttempts
        message.restartPolicy.windowNs = Nanoseconds.from(restartPolicy.window)
        message.placement.constraints = placement.constraints
        message.placement.spreadPreferences = placement.preferences.map(\.spreadDescriptor)
        message.placement.maxReplicas = placement.maxReplicas
        message.placement.platforms = placement.platforms.map { platform in
            var stored = Shoal_Cluster_V1_Platform()
            stored.architecture = platform.architecture
            stored.os = platform.os
            return stored
        }
        message.networks = networks.map { network in
            var stored = Shoal_Cluster_V1_NetworkAttachmentConfig()
            stored.target = network.target
            stored.aliases = network.aliases
            stored.driverOptions = network.driverOpts
            return stored
        }
        if let logDriver {
            message.logDriver.name = logDriver.name
            message.logDriver.options = logDriver.options
        }
        message.forceUpdate = forceUpdate
        return message
    }
}

extension TaskContainerSpec {
    init(_ message: Shoal_Cluster_V1_ContainerSpec) {
        self.init(
            image: message.image, labels: message.labels, command: message.command, args: message.args,
            hostname: message.hostname, env: message.env, dir: message.dir, user: message.user,
            groups: message.groups, tty: message.tty, openStdin: message.openStdin, readOnly: message.readOnly,
            mounts: message.mounts.map { mount in
                MountSpec(kind: MountSpec.Kind(rawValue: mount.type) ?? .volume, source: mount.source,
                          target: mount.target, readOnly: mount.readOnly, tmpfsSize: mount.tmpfsSize,
                          tmpfsMode: mount.hasTmpfsMode ? mount.tmpfsMode : nil, mode: mount.mode)
            },
            stopSignal: message.stopSignal,
            stopGracePeriod: message.hasStopGracePeriodNs ? Nanoseconds.seconds(message.stopGracePeriodNs) : nil,
            hosts: message.hosts,
            secrets: message.secrets.map {
                SecretReference(file: ReferenceFileTarget($0.file), secretID: $0.secretID, secretName: $0.secretName)
            },
            configs: message.configs.map {
                ConfigReference(file: ReferenceFileTarget($0.file), configID: $0.configID, configName: $0.configName)
            },
            initProcess: message.hasInit_p ? message.init_p : nil, sysctls: message.sysctls,
            capabilityAdd: message.capabilityAdd, capabilityDrop: message.capabilityDrop,
            healthcheck: message.hasHealthcheck ? HealthConfig(message.healthcheck) : nil)
        if message.hasDnsConfig {
            dnsConfig = TaskDNSConfig(nameservers: message.dnsConfig.nameservers, search: message.dnsConfig.search,
                                      options: message.dnsConfig.options)
        }
    }

    var message: Shoal_Cluster_V1_ContainerSpec {
        var message = Shoal_Cluster_V1_ContainerSpec()
        message.image = image
        message.labels = labels
        message.command = command
        message.args = args
        message.hostname = hostname
        message.env = env
        message.dir = dir
        message.user = user
        message.groups = groups
        message.tty = tty
        message.openStdin = openStdin
        message.readOnly = readOnly
        message.mounts = mounts.map { mount in
            var stored = Shoal_Cluster_V1_ServiceMount()
            stored.type = mount.kind.rawValue
            stored.source = mount.source
            stored.target = mount.target
            stored.readOnly = mount.readOnly
            stored.tmpfsSize = mount.tmpfsSize
            if let mode = mount.tmpfsMode { stored.tmpfsMode = mode }
            stored.mode = mount.mode
            return stored
        }
        message.stopSignal = stopSignal
        if let stopGracePeriod { message.stopGracePeriodNs = Nanoseconds.from(stopGracePeriod) }
        message.hosts = hosts
        if let healthcheck { message.healthcheck = healthcheck.message }
        if let dnsConfig {
            message.dnsConfig.nameservers = dnsConfig.nameservers
            message.dnsConfig.search = dnsConfig.search
            message.dnsConfig.options = dnsConfig.options
        }
        message.secrets = secrets.map { secret in
            var stored = Shoal_Cluster_V1_SecretReference()
            stored.file = secret.file.message
            stored.secretID = secret.secretID
            stored.secretName = secret.secretName
            return stored
        }
        message.configs = configs.map { config in
            var stored = Shoal_Cluster_V1_ConfigReference()
            stored.file = config.file.message
            stored.configID = config.configID
            stored.configName = config.configName
            return stored
        }
        if let initProcess { message.init_p = initProcess }
        message.sysctls = sysctls
        message.capabilityAdd = capabilityAdd
        message.capabilityDrop = capabilityDrop
        return message
    }
}

extension ReferenceFileTarget {
    init(_ message: Shoal_Cluster_V1_FileTarget) {
        self.init(name: message.name, uid: message.uid, gid: message.gid, mode: message.mode)
    }

    var message: Shoal_Cluster_V1_FileTarget {
        var message = Shoal_Cluster_V1_FileTarget()
        message.name = name
        message.uid = uid
        message.gid = gid
        message.mode = mode
        return message
    }
}

extension Resources {
    init(_ message: Shoal_Cluster_V1_Resources) {
        self.init(nanoCPUs: message.nanoCpus, memoryBytes: message.memoryBytes, pids: message.pids)
    }

    var message: Shoal_Cluster_V1_Resources {
        var message = Shoal_Cluster_V1_Resources()
        message.nanoCpus = nanoCPUs
        message.memoryBytes = memoryBytes
        message.pids = pids
        return message
    }
}

extension UpdateConfig {
    init(_ message: Shoal_Cluster_V1_UpdateConfig) {
        self.init(
            parallelism: message.parallelism, delay: Nanoseconds.seconds(message.delayNs),
            failureAction: FailureAction(rawValue: message.failureAction) ?? .pause,
            monitor: Nanoseconds.seconds(message.monitorNs), maxFailureRatio: message.maxFailureRatio,
            order: Order(rawValue: message.order) ?? .stopFirst)
    }

    var message: Shoal_Cluster_V1_UpdateConfig {
        var message = Shoal_Cluster_V1_UpdateConfig()
        message.parallelism = parallelism
        message.delayNs = Nanoseconds.from(delay)
        message.failureAction = failureAction.rawValue
        message.monitorNs = Nanoseconds.from(monitor)
        message.maxFailureRatio = maxFailureRatio
        message.order = order.rawValue
        return message
    }
}

extension EndpointSpec {
    init(_ message: Shoal_Cluster_V1_EndpointSpec) {
        self.init(mode: Mode(rawValue: message.mode) ?? .vip, ports: message.ports.map(PortConfig.init))
    }

    var message: Shoal_Cluster_V1_EndpointSpec {
        var message = Shoal_Cluster_V1_EndpointSpec()
        message.mode = mode.rawValue
        message.ports = ports.map(\.message)
        return message
    }
}

extension PortConfig {
    init(_ message: Shoal_Cluster_V1_PortConfig) {
        self.init(name: message.name, protocol: PortProtocol(rawValue: message.protocol) ?? .tcp,
                  targetPort: message.targetPort, publishedPort: message.publishedPort,
                  publishMode: PublishMode(rawValue: message.publishMode) ?? .ingress)
    }

    var message: Shoal_Cluster_V1_PortConfig {
        var message = Shoal_Cluster_V1_PortConfig()
        message.name = name
        message.protocol = self.protocol.rawValue
        message.targetPort = targetPort
        message.publishedPort = publishedPort
        message.publishMode = publishMode.rawValue
        return message
    }
}

/// Go's time.Duration in the store: whole nanoseconds.
enum Nanoseconds {
    static func from(_ seconds: TimeInterval) -> Int64 { Int64((seconds * 1_000_000_000).rounded()) }
    static func seconds(_ nanoseconds: Int64) -> TimeInterval { TimeInterval(nanoseconds) / 1_000_000_000 }
}

extension HealthConfig {
    init(_ message: Shoal_Cluster_V1_HealthConfig) {
        self.init(test: message.test, interval: message.intervalNs, timeout: message.timeoutNs,
                  startPeriod: message.startPeriodNs, retries: Int(message.retries))
    }

    var message: Shoal_Cluster_V1_HealthConfig {
        var message = Shoal_Cluster_V1_HealthConfig()
        message.test = test
        message.intervalNs = interval
        message.timeoutNs = timeout
        message.startPeriodNs = startPeriod
        message.retries = Int64(retries)
        return message
    }
}
