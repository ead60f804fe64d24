import Foundation
import ShoalCore
import ShoalModel

// The one conversion between Docker's service JSON (ServiceWire.swift) and ShoalModel, both ways, checked as the
// Docker daemon's ServiceSpecToGRPC checks a request before SwarmKit sees it.

extension ServiceSpecWire {
    /// The spec a request asks for. Parts the request leaves out take the defaults SwarmKit would store.
    func spec() throws -> ServiceSpec {
        var mode = ServiceMode.replicated(replicas: 1)
        switch (Mode?.Replicated, Mode?.Global) {
        case (.some, .some): throw DockerAPIError.badRequest("must specify only one service mode")
        case (.some(let replicated), nil): mode = .replicated(replicas: replicated.Replicas ?? 1)
        case (nil, .some): mode = .global
        case (nil, nil): break
        }
        return ServiceSpec(
            name: Name ?? "", labels: Labels ?? [:], taskTemplate: try (TaskTemplate ?? TaskSpecWire()).spec(),
            mode: mode, updateConfig: try UpdateConfig?.config(), rollbackConfig: try RollbackConfig?.config(),
            endpointSpec: try EndpointSpec?.spec())
    }

    init(_ spec: ServiceSpec) {
        Name = spec.name.omittedIfEmpty
        Labels = spec.labels
        TaskTemplate = TaskSpecWire(spec.taskTemplate)
        switch spec.mode {
        case .global: Mode = ServiceModeWire(Global: .init())
        case .replicated(let replicas): Mode = ServiceModeWire(Replicated: .init(Replicas: replicas))
        }
        UpdateConfig = spec.updateConfig.map(UpdateConfigWire.init)
        RollbackConfig = spec.rollbackConfig.map(UpdateConfigWire.init)
        EndpointSpec = spec.endpointSpec.map(EndpointSpecWire.init)
    }
}

extension TaskSpecWire {
    func spec() throws -> TaskSpec {
        if let Runtime, !Runtime.isEmpty, Runtime != "container" {
            throw ShoalError(.notImplemented, "RuntimeSpec: unimplemented runtime in service spec")
        }
        let container = ContainerSpec ?? ContainerSpecWire()
        let restart = RestartPolicy
        let defaults = TaskRestartPolicy()
        var condition = defaults.condition
        if let text = restart?.Condition, !text.isEmpty {
            guard let parsed = TaskRestartPolicy.Condition(rawValue: text) else {
                throw DockerAPIError.badRequest("invalid RestartCondition: \"\(text)\"")
            }
            condition = parsed
        }
        return TaskSpec(
            containerSpec: try container.spec(),
            resources: ResourceRequirements(limits: Resources?.Limits?.resources ?? ShoalModel.Resources(),
                                            reservations: Resources?.Reservations?.resources ?? ShoalModel.Resources()),
            restartPolicy: TaskRestartPolicy(
                condition: condition,
                delay: restart?.Delay.map(Nanoseconds.seconds) ?? defaults.delay,
                maxAttempts: restart?.MaxAttempts ?? defaults.maxAttempts,
                window: restart?.Window.map(Nanoseconds.seconds) ?? defaults.window),
            placement: ShoalModel.Placement(
                constraints: Placement?.Constraints ?? [],
                preferences: (Placement?.Preferences ?? []).compactMap { preference in
                    preference.Spread?.SpreadDescriptor.map { PlacementPreference(spreadDescriptor: $0) }
                },
                maxReplicas: Placement?.MaxReplicas ?? 0,
                platforms: (Placement?.Platforms ?? []).map {
                    Platform(architecture: $0.Architecture ?? "", os: $0.OS ?? "")
                }),
            networks: (Networks ?? []).map {
                NetworkAttachmentConfig(target: $0.Target ?? "", aliases: $0.Aliases ?? [], driverOpts: $0.DriverOpts ?? [:])
            },
            logDriver: LogDriver.map { ShoalModel.LogDriver(name: $0.Name ?? "", options: $0.Options ?? [:]) },
            forceUpdate: ForceUpdate ?? 0)
    }

    init(_ spec: TaskSpec) {
        ContainerSpec = ContainerSpecWire(spec.containerSpec)
        Resources = ResourceRequirementsWire(Limits: ResourcesWire(spec.resources.limits),
                                             Reservations: ResourcesWire(spec.resources.reservations))
        RestartPolicy = TaskRestartPolicyWire(
            Condition: spec.restartPolicy.condition.rawValue, Delay: Nanoseconds.from(spec.restartPolicy.delay),
            MaxAttempts: spec.restartPolicy.maxAttempts,
            Window: spec.restartPolicy.window == 0 ? nil : Nanoseconds.from(spec.restartPolicy.window))
        let placement = spec.placement
        Placement = PlacementWire(
            Constraints: placement.constraints.isEmpty ? nil : placement.constraints,
            Preferences: placement.preferences.isEmpty ? nil : placement.preferences.map {
                .init(Spread: .init(SpreadDescriptor: $0.spreadDescriptor))
            },
            MaxReplicas: placement.maxReplicas == 0 ? nil : placement.maxReplicas,
            Platforms: placement.platforms.isEmpty ? nil : placement.platforms.map {
                .init(Architecture: $0.architecture.omittedIfEmpty, OS: $0.os.omittedIfEmpty)
            })
        Networks = spec.networks.isEmpty ? nil : spec.networks.map {
            NetworkAttachmentConfigWire(Target: $0.target.omittedIfEmpty, Aliases: $0.aliases.isEmpty ? nil : $0.aliases,
                                        DriverOpts: $0.driverOpts.isEmpty ? nil : $0.driverOpts)
        }
        LogDriver = spec.logDriver.map { DriverWire(Name: $0.name.omittedIfEmpty,
                                                    Options: $0.options.isEmpty ? nil : $0.options) }
        ForceUpdate = spec.forceUpdate
        Runtime = "container"
    }
}

extension ContainerSpecWire {
    func spec() throws -> TaskContainerSpec {
        var spec = TaskContainerSpec(
            image: Image ?? "", labels: Labels ?? [:], command: Command ?? [], args: Args ?? [],
            hostname: Hostname ?? "", env: Env ?? [], dir: Dir ?? "", user: User ?? "", groups: Groups ?? [],
            tty: TTY ?? false, openStdin: OpenStdin ?? false, readOnly: ReadOnly ?? false,
            mounts: try (Mounts ?? []).map { mount in
                let kind = mount.Type ?? "volume"
                guard let parsed = MountSpec.Kind(rawValue: kind) else {
                    throw DockerAPIError.badRequest("invalid mount type: \"\(kind)\"")
                }
                return MountSpec(kind: parsed, source: mount.Source ?? "", target: mount.Target ?? "",
                                 readOnly: mount.ReadOnly ?? false, tmpfsSize: mount.TmpfsOptions?.SizeBytes ?? 0,
                                 tmpfsMode: mount.TmpfsOptions?.Mode)
            },
            stopSignal: StopSignal ?? "", stopGracePeriod: StopGracePeriod.map(Nanoseconds.seconds),
            hosts: Hosts ?? [],
            secrets: (Secrets ?? []).map {
                SecretReference(file: ReferenceFileTarget($0.File), secretID: $0.SecretID ?? "",
                                secretName: $0.SecretName ?? "")
            },
            configs: (Configs ?? []).map {
                ConfigReference(file: ReferenceFileTarget($0.File), configID: $0.ConfigID ?? "",
                                configName: $0.ConfigName ?? "")
            },
            initProcess: Init, sysctls: Sysctls ?? [:], capabilityAdd: CapabilityAdd ?? [],
            capabilityDrop: CapabilityDrop ?? [], healthcheck: Healthcheck?.config)
        spec.dnsConfig = DNSConfig.map {
            TaskDNSConfig(nameservers: $0.Nameservers ?? [], search: $0.Search ?? [], options: $0.Options ?? [])
        }
        return spec
    }

    init(_ spec: TaskContainerSpec) {
        Image = spec.image.omittedIfEmpty
        Labels = spec.labels.isEmpty ? nil : spec.labels
        Command = spec.command.isEmpty ? nil : spec.command
        Args = spec.args.isEmpty ? nil : spec.args
        Hostname = spec.hostname.omittedIfEmpty
        Env = spec.env.isEmpty ? nil : spec.env
        Dir = spec.dir.omittedIfEmpty
        User = spec.user.omittedIfEmpty
        Groups = spec.groups.isEmpty ? nil : spec.groups
        Init = spec.initProcess
        StopSignal = spec.stopSignal.omittedIfEmpty
        TTY = spec.tty ? true : nil
        OpenStdin = spec.openStdin ? true : nil
        ReadOnly = spec.readOnly ? true : nil
        Mounts = spec.mounts.isEmpty ? nil : spec.mounts.map { mount in
            MountWire(Type: mount.kind.rawValue, Source: mount.source.omittedIfEmpty, Target: mount.target.omittedIfEmpty,
                      ReadOnly: mount.readOnly ? true : nil,
                      TmpfsOptions: mount.tmpfsSize == 0 && mount.tmpfsMode == nil ? nil
                          : .init(SizeBytes: mount.tmpfsSize == 0 ? nil : mount.tmpfsSize, Mode: mount.tmpfsMode))
        }
        StopGracePeriod = spec.stopGracePeriod.map(Nanoseconds.from)
        Hosts = spec.hosts.isEmpty ? nil : spec.hosts
        Secrets = spec.secrets.isEmpty ? nil : spec.secrets.map {
            SecretReferenceWire(File: FileTargetWire($0.file), SecretID: $0.secretID, SecretName: $0.secretName)
        }
        Configs = spec.configs.isEmpty ? nil : spec.configs.map {
            ConfigReferenceWire(File: FileTargetWire($0.file), ConfigID: $0.configID, ConfigName: $0.configName)
        }
        Isolation = "default"
        Sysctls = spec.sysctls.isEmpty ? nil : spec.sysctls
        CapabilityAdd = spec.capabilityAdd.isEmpty ? nil : spec.capabilityAdd
        CapabilityDrop = spec.capabilityDrop.isEmpty ? nil : spec.capabilityDrop
        Healthcheck = spec.healthcheck.map(HealthcheckWire.init)
        DNSConfig = spec.dnsConfig.map {
            DNSConfigWire(Nameservers: $0.nameservers, Search: $0.search, Options: $0.options)
        }
    }
}

extension ReferenceFileTarget {
    init(_ wire: FileTargetWire?) {
        self.init(name: wire?.Name ?? "", uid: wire?.UID ?? "0", gid: wire?.GID ?? "0", mode: wire?.Mode ?? 0o444)
    }
}

extension FileTargetWire {
    init(_ target: ReferenceFileTarget) {
        self.init(Name: target.name, UID: target.uid, GID: target.gid, Mode: target.mode)
    }
}

extension ResourcesWire {
    var resources: Resources { Resources(nanoCPUs: NanoCPUs ?? 0, memoryBytes: MemoryBytes ?? 0, pids: Pids ?? 0) }

    init(_ resources: Resources) {
        NanoCPUs = resources.nanoCPUs == 0 ? nil : resources.nanoCPUs
        MemoryBytes = resources.memoryBytes == 0 ? nil : resources.memoryBytes
        Pids = resources.pids == 0 ? nil : resources.pids
    }
}

extension UpdateConfigWire {
    func config() throws -> UpdateConfig {
        let defaults = UpdateConfig()
        var failureAction = defaults.failureAction
        if let text = FailureAction, !text.isEmpty {
            guard let parsed = UpdateConfig.FailureAction(rawValue: text) else {
                throw DockerAPIError.badRequest("unrecognized update failure action \(text)")
            }
            failureAction = parsed
        }
        var order = defaults.order
        if let text = Order, !text.isEmpty {
            guard let parsed = UpdateConfig.Order(rawValue: text) else {
                throw DockerAPIError.badRequest("unrecognized update order \(text)")
            }
            order = parsed
        }
        // Go's zero values: a body that names the config but not a field means 0 for it, as in Docker.
        return UpdateConfig(parallelism: Parallelism ?? 0, delay: Nanoseconds.seconds(Delay ?? 0),
                            failureAction: failureAction, monitor: Nanoseconds.seconds(Monitor ?? 0),
                            maxFailureRatio: MaxFailureRatio ?? 0, order: order)
    }

    init(_ config: UpdateConfig) {
        Parallelism = config.parallelism
        Delay = config.delay == 0 ? nil : Nanoseconds.from(config.delay)
        FailureAction = config.failureAction.rawValue
        Monitor = config.monitor == 0 ? nil : Nanoseconds.from(config.monitor)
        MaxFailureRatio = config.maxFailureRatio
        Order = config.order.rawValue
    }
}

extension EndpointSpecWire {
    func spec() throws -> EndpointSpec {
        var mode = EndpointSpec.Mode.vip
        if let text = Mode, !text.isEmpty {
            guard let parsed = EndpointSpec.Mode(rawValue: text.lowercased()) else {
                throw DockerAPIError.badRequest("invalid resolution mode: \(text)")
            }
            mode = parsed
        }
        return EndpointSpec(mode: mode, ports: try (Ports ?? []).map { try $0.port() })
    }

    init(_ spec: EndpointSpec) {
        Mode = spec.mode.rawValue
        Ports = spec.ports.isEmpty ? nil : spec.ports.map(PortConfigWire.init)
    }
}

extension PortConfigWire {
    func port() throws -> PortConfig {
        let proto = (`Protocol` ?? "").isEmpty ? "tcp" : `Protocol`!.lowercased()
        guard let parsedProtocol = PortConfig.PortProtocol(rawValue: proto) else {
            throw DockerAPIError.badRequest("invalid protocol: \(proto)")
        }
        let mode = (PublishMode ?? "").isEmpty ? "ingress" : PublishMode!.lowercased()
        guard let parsedMode = PortConfig.PublishMode(rawValue: mode) else {
            throw DockerAPIError.badRequest("invalid publish mode: \(mode)")
        }
        return PortConfig(name: Name ?? "", protocol: parsedProtocol, targetPort: TargetPort ?? 0,
                          publishedPort: PublishedPort ?? 0, publishMode: parsedMode)
    }

    init(_ port: PortConfig) {
        Name = port.name.omittedIfEmpty
        `Protocol` = port.protocol.rawValue
        TargetPort = port.targetPort == 0 ? nil : port.targetPort
        PublishedPort = port.publishedPort == 0 ? nil : port.publishedPort
        PublishMode = port.publishMode.rawValue
    }
}
