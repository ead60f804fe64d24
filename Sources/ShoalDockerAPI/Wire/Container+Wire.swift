import Foundation
import ShoalModel
import ShoalCore

// The one conversion file between Docker's container JSON and ShoalModel's container types.

extension ContainerCreateBody {
    func spec() throws -> ContainerSpec {
        guard let image = config.Image, !image.isEmpty else {
            throw DockerAPIError.badRequest("Config cannot be empty in order to create a container")
        }
        var spec = ContainerSpec(image: image)
        spec.cmd = config.Cmd?.values
        spec.entrypoint = config.Entrypoint?.values
        spec.env = config.Env ?? []
        spec.workingDir = config.WorkingDir.flatMap { $0.isEmpty ? nil : $0 }
        spec.user = config.User.flatMap { $0.isEmpty ? nil : $0 }
        spec.hostname = config.Hostname.flatMap { $0.isEmpty ? nil : $0 }
        spec.domainname = config.Domainname.flatMap { $0.isEmpty ? nil : $0 }
        spec.labels = config.Labels ?? [:]
        spec.tty = config.Tty ?? false
        spec.openStdin = config.OpenStdin ?? false
        spec.stdinOnce = config.StdinOnce ?? false
        spec.attachStdin = config.AttachStdin ?? false
        spec.attachStdout = config.AttachStdout ?? false
        spec.attachStderr = config.AttachStderr ?? false
        spec.exposedPorts = (config.ExposedPorts ?? [:]).keys.sorted()
        spec.volumes = (config.Volumes ?? [:]).keys.sorted()
        spec.stopSignal = config.StopSignal.flatMap { $0.isEmpty ? nil : $0 }
        spec.stopTimeout = config.StopTimeout
        spec.healthcheck = config.Healthcheck?.config
        spec.macAddress = config.MacAddress.flatMap { $0.isEmpty ? nil : $0 }
        if let host = HostConfig {
            spec.host = try host.spec()
        }
        do {
            try NamespaceMode.validate(spec.host, hostname: spec.hostname)
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        for (name, settings) in NetworkingConfig?.EndpointsConfig ?? [:] {
            spec.networks[name] = try settings.request()
        }
        return spec
    }
}

extension DeviceMappingWire {
    /// Docker's defaults (the host's path inside, rwm) and its refusal of other permissions.
    func mapping() throws -> DeviceMapping {
        guard let host = PathOnHost, !host.isEmpty else { throw DockerAPIError.badRequest("invalid device: empty path") }
        let permissions = CgroupPermissions.flatMap { $0.isEmpty ? nil : $0 } ?? "rwm"
        guard DeviceCgroupRule.isAccess(permissions) else {
            throw DockerAPIError.badRequest("invalid device mode: \(permissions)")
        }
        let inside = PathInContainer.flatMap { $0.isEmpty ? nil : $0 } ?? host
        return DeviceMapping(pathOnHost: host, pathInContainer: inside, cgroupPermissions: permissions)
    }
}

extension HostConfigWire {
    /// Docker's default (json-file) for an empty type, checked at create as Docker checks it.
    func logConfig() throws -> ShoalModel.LogConfig {
        let config = ShoalModel.LogConfig(type: LogConfig?.Type ?? "", config: LogConfig?.Config ?? [:])
        do { try config.validate() } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        return config
    }
}

extension RestartPolicyWire {
    /// The policy named, nil when none is ("no" is one); Docker's refusals.
    func policy() throws -> ShoalModel.RestartPolicy? {
        guard let name = Name, !name.isEmpty else { return nil }
        if name == "no" { return ShoalModel.RestartPolicy() }
        guard let parsed = ShoalModel.RestartPolicy.Name(rawValue: name) else {
            throw DockerAPIError.badRequest("invalid restart policy: \(name)")
        }
        let retries = MaximumRetryCount ?? 0
        if retries < 0 {
            throw DockerAPIError.badRequest("invalid restart policy: maximum retry count cannot be negative")
        }
        if retries > 0 && parsed != .onFailure {
            throw DockerAPIError.badRequest("invalid restart policy: maximum retry count can only be used with 'on-failure'")
        }
        return ShoalModel.RestartPolicy(name: parsed, maximumRetryCount: retries)
    }
}

extension ContainerUpdateWire {
    /// Zero and empty values leave a setting as it is, as the CLI sends every field.
    func update() throws -> ContainerUpdate {
        var update = ContainerUpdate()
        update.memory = Memory.flatMap { $0 == 0 ? nil : $0 }
        update.memorySwap = MemorySwap.flatMap { $0 == 0 ? nil : $0 }
        update.nanoCPUs = NanoCpus.flatMap { $0 == 0 ? nil : $0 }
        update.cpuShares = CpuShares.flatMap { $0 == 0 ? nil : $0 }
        update.cpusetCpus = CpusetCpus.flatMap { $0.isEmpty ? nil : $0 }
        update.cpusetMems = CpusetMems.flatMap { $0.isEmpty ? nil : $0 }
        update.pidsLimit = PidsLimit
        update.restartPolicy = try RestartPolicy?.policy()
        return update
    }
}

extension HostConfigWire {
    func spec() throws -> HostSpec {
        // runc is the one runtime, and Linux has one isolation (Docker's words for the others).
        if let runtime = Runtime, !runtime.isEmpty, runtime != "runc" {
            throw DockerAPIError.badRequest("Unknown runtime specified \(runtime)")
        }
        if let isolation = Isolation, !isolation.isEmpty, isolation != "default" {
            throw DockerAPIError.badRequest("Invalid isolation: \"\(isolation)\" - linux only supports 'default'")
        }
        var host = HostSpec()
        host.binds = Binds ?? []
        host.networkMode = NetworkMode.flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        if let policy = try RestartPolicy?.policy() { host.restartPolicy = policy }
        host.autoRemove = AutoRemove ?? false
        if host.autoRemove && host.restartPolicy.name != .no {
            throw DockerAPIError.badRequest(
                "conflicting options: cannot specify both --restart and --rm")
        }
        host.memory = Memory ?? 0
        host.memorySwap = MemorySwap ?? 0
        host.nanoCPUs = NanoCpus ?? 0
        do {
            try ResourceLimits.checkMemory(host.memory)
            try ResourceLimits.checkNanoCPUs(host.nanoCPUs)
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        host.cpuShares = CpuShares ?? 0
        host.pidsLimit = PidsLimit.flatMap { $0 == 0 ? nil : $0 }
        host.readonlyRootfs = ReadonlyRootfs ?? false
        host.privileged = Privileged ?? false
        host.initProcess = Init
        host.capAdd = CapAdd ?? []
        host.capDrop = CapDrop ?? []
        host.tmpfs = Tmpfs ?? [:]
        host.shmSize = ShmSize ?? 0
        host.dns = Dns ?? []
        host.dnsSearch = DnsSearch.flatMap { $0.isEmpty ? nil : $0 }
        host.dnsOptions = DnsOptions.flatMap { $0.isEmpty ? nil : $0 }
        host.extraHosts = ExtraHosts ?? []
        host.sysctls = Sysctls ?? [:]
        host.publishAllPorts = PublishAllPorts ?? false
        host.portBindings = (PortBindings ?? [:]).mapValues { bindings in
            bindings.map { PortBinding(hostIP: $0.HostIp ?? "", hostPort: $0.HostPort ?? "") }
        }
        host.mounts = try (Mounts ?? []).map { try $0.spec() }
        host.securityOpt = SecurityOpt
        host.maskedPaths = MaskedPaths
        host.readonlyPaths = ReadonlyPaths
        host.pidMode = PidMode.flatMap { $0.isEmpty ? nil : $0 }
        host.utsMode = UTSMode.flatMap { $0.isEmpty ? nil : $0 }
        host.ipcMode = IpcMode.flatMap { $0.isEmpty ? nil : $0 }
        host.cgroupnsMode = CgroupnsMode.flatMap { $0.isEmpty ? nil : $0 }
        host.usernsMode = UsernsMode.flatMap { $0.isEmpty ? nil : $0 }
        host.groupAdd = GroupAdd.flatMap { $0.isEmpty ? nil : $0 }
        host.cpusetCpus = CpusetCpus.flatMap { $0.isEmpty ? nil : $0 }
        host.cpusetMems = CpusetMems.flatMap { $0.isEmpty ? nil : $0 }
        host.devices = try Devices.flatMap { $0.isEmpty ? nil : try $0.map { try $0.mapping() } }
        host.deviceCgroupRules = DeviceCgroupRules.flatMap { $0.isEmpty ? nil : $0 }
        host.volumesFrom = VolumesFrom.flatMap { $0.isEmpty ? nil : $0 }
        host.links = try links()
        host.logConfig = try logConfig()
        do {
            for rule in host.deviceCgroupRules ?? [] { _ = try DeviceCgroupRule(parsing: rule) }
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
        return host
    }
}

extension HostConfigWire {
    /// `--link`s as Docker reads them, with its refusals for network modes that cannot have them.
    func links() throws -> [ContainerLink]? {
        guard let texts = Links, !texts.isEmpty else { return nil }
        let mode = NetworkMode ?? ""
        if mode == "host" {
            throw DockerAPIError.badRequest("conflicting options: host type networking can't be used with links. "
                                                + "This would result in undefined behavior")
        }
        if mode.hasPrefix("container:") {
            throw DockerAPIError.badRequest("conflicting options: container type network can't be used with links. "
                                                + "This would result in undefined behavior")
        }
        do {
            return try texts.map { try ContainerLink(parsing: $0) }
        } catch let error as ShoalError {
            throw DockerAPIError.badRequest(error.message)
        }
    }
}

extension MountWire {
    func spec() throws -> MountSpec {
        guard let target = Target, !target.isEmpty else {
            throw DockerAPIError.badRequest("invalid mount config: Target must not be empty")
        }
        guard target.hasPrefix("/") else {
            throw DockerAPIError.badRequest("invalid mount config: invalid mount path: '\(target)' mount path must be absolute")
        }
        let kind = `Type` ?? "volume"
        if kind != "bind", BindOptions != nil {
            throw DockerAPIError.badRequest(
                "invalid mount config for type \"\(kind)\": field BindOptions must not be specified")
        }
        switch kind {
        case "bind":
            guard let source = Source, !source.isEmpty else {
                throw DockerAPIError.badRequest("invalid mount config for type \"bind\": field Source must not be empty")
            }
            var mount = MountSpec(kind: .bind, source: source, target: target, readOnly: ReadOnly ?? false)
            if let propagation = BindOptions?.Propagation, !propagation.isEmpty {
                guard MountSpec.propagationModes.contains(propagation) else {
                    throw DockerAPIError.badRequest(
                        "invalid mount config for type \"bind\": invalid propagation mode: \(propagation)")
                }
                mount.propagation = propagation
            }
            return mount
        case "volume":
            return MountSpec(kind: .volume, source: Source ?? "", target: target, readOnly: ReadOnly ?? false)
        case "tmpfs":
            if let source = Source, !source.isEmpty {
                throw DockerAPIError.badRequest("invalid mount config for type \"tmpfs\": field Source must not be specified")
            }
            return MountSpec(kind: .tmpfs, source: "", target: target, readOnly: ReadOnly ?? false,
                             tmpfsSize: TmpfsOptions?.SizeBytes ?? 0, tmpfsMode: TmpfsOptions?.Mode)
        case let other:
            throw DockerAPIError.badRequest("invalid mount config: mount type unknown: \"\(other)\"")
        }
    }
}

extension ContainerRecord {
    var stateWire: ContainerStateWire {
        ContainerStateWire(
            Status: state.status.rawValue,
            Running: state.status == .running || state.status == .paused || state.status == .restarting,
            Paused: state.status == .paused,
            Restarting: state.status == .restarting,
            OOMKilled: state.oomKilled,
            Dead: state.status == .dead,
            Pid: state.isRunning ? state.pid : 0,
            ExitCode: state.exitCode,
            Error: state.error,
            StartedAt: state.startedAt.map(Wire.rfc3339Nano) ?? Wire.zeroTime,
            FinishedAt: state.finishedAt.map(Wire.rfc3339Nano) ?? Wire.zeroTime,
            Health: state.health.map { health in
                HealthWire(Status: health.status.rawValue, FailingStreak: health.failingStreak, Log: health.log.map {
                    .init(Start: Wire.rfc3339Nano($0.start), End: Wire.rfc3339Nano($0.end), ExitCode: $0.exitCode,
                          Output: $0.output)
                })
            }
        )
    }

    var configWire: ContainerConfigWire {
        ContainerConfigWire(
            Hostname: hostname, Domainname: spec.domainname ?? "", User: user,
            AttachStdin: spec.attachStdin, AttachStdout: spec.attachStdout, AttachStderr: spec.attachStderr,
            ExposedPorts: exposedPorts.isEmpty ? nil : Dictionary(uniqueKeysWithValues: exposedPorts.map { ($0, Empty()) }),
            Tty: spec.tty, OpenStdin: spec.openStdin, StdinOnce: spec.stdinOnce, Env: env,
            Cmd: cmd.isEmpty ? nil : StringOrArray(cmd),
            Image: spec.image,
            Volumes: spec.volumes.isEmpty ? nil : Dictionary(uniqueKeysWithValues: spec.volumes.map { ($0, Empty()) }),
            WorkingDir: workingDir, Entrypoint: entrypoint.isEmpty ? nil : StringOrArray(entrypoint), OnBuild: nil,
            Labels: labels, StopSignal: stopSignal, StopTimeout: spec.stopTimeout,
            Healthcheck: healthcheck.map(HealthcheckWire.init), MacAddress: spec.macAddress
        )
    }

    var mountsWire: [MountPointWire] {
        mounts.map { mount in
            MountPointWire(
                Type: mount.kind.rawValue,
                Name: mount.kind == .volume ? mount.name : nil,
                Source: mount.source,
                Destination: mount.destination,
                Driver: mount.kind == .volume ? "local" : nil,
                Mode: mount.mode,
                RW: !mount.readOnly,
                Propagation: mount.kind == .bind ? mount.propagation ?? "rprivate" : ""
            )
        }
    }

    var hostConfigWire: HostConfigWire {
        let host = spec.host
        return HostConfigWire(
            Binds: host.binds.isEmpty ? nil : host.binds,
            NetworkMode: host.networkMode,
            PortBindings: host.portBindings.mapValues { $0.map { PortBindingWire(HostIp: $0.hostIP, HostPort: $0.hostPort) } },
            RestartPolicy: RestartPolicyWire(
                Name: host.restartPolicy.name == .no ? "no" : host.restartPolicy.name.rawValue,
                MaximumRetryCount: host.restartPolicy.maximumRetryCount),
            AutoRemove: host.autoRemove, PublishAllPorts: host.publishAllPorts, Privileged: host.privileged,
            ReadonlyRootfs: host.readonlyRootfs, Init: host.initProcess, CapAdd: host.capAdd, CapDrop: host.capDrop,
            Dns: host.dns, DnsSearch: host.dnsSearch ?? [], DnsOptions: host.dnsOptions ?? [],
            ExtraHosts: host.extraHosts, Tmpfs: host.tmpfs.isEmpty ? nil : host.tmpfs,
            Mounts: nil, ShmSize: host.shmSize == 0 ? 64 * 1024 * 1024 : host.shmSize,
            Sysctls: host.sysctls.isEmpty ? nil : host.sysctls, Memory: host.memory, MemorySwap: host.memorySwap,
            NanoCpus: host.nanoCPUs, CpuShares: host.cpuShares, PidsLimit: host.pidsLimit,
            LogConfig: LogConfigWire(Type: host.logConfig?.type ?? ShoalModel.LogConfig.defaultDriver,
                                     Config: host.logConfig?.config ?? [:]),
            SecurityOpt: host.securityOpt, MaskedPaths: host.maskedPaths, ReadonlyPaths: host.readonlyPaths,
            // Docker's defaults as its inspect shows them on a cgroup v1 host.
            PidMode: host.pidMode ?? "", UTSMode: host.utsMode ?? "", IpcMode: host.ipcMode ?? "private",
            CgroupnsMode: host.cgroupnsMode ?? "host", UsernsMode: host.usernsMode ?? "", GroupAdd: host.groupAdd,
            CpusetCpus: host.cpusetCpus ?? "",
            CpusetMems: host.cpusetMems ?? "", Runtime: "runc", Isolation: "",
            Devices: (host.devices ?? []).map {
                DeviceMappingWire(PathOnHost: $0.pathOnHost, PathInContainer: $0.pathInContainer,
                                  CgroupPermissions: $0.cgroupPermissions)
            },
            DeviceCgroupRules: host.deviceCgroupRules, VolumesFrom: host.volumesFrom,
            // Docker's form: `/TARGET:/THIS/ALIAS`.
            Links: host.links.flatMap { $0.isEmpty ? nil : $0.map { "/\($0.name):/\(name)/\($0.alias)" } }
        )
    }

    /// Networks by name: the mode itself for `none`/`host`, else every network the container is configured for.
    private var networkNames: [String] {
        let mode = spec.host.networkMode
        if mode == "none" || mode == "host" { return [mode] }
        if spec.networks.isEmpty {
            // A container started on a user network keeps it in its spec until it is disconnected from it: then
            // it has none (Docker shows `{}`).
            return mode == "default" || mode == "bridge" ? ["bridge"] : []
        }
        return spec.networks.keys.sorted()
    }

    private var endpointsWire: [String: EndpointWire] {
        var result: [String: EndpointWire] = [:]
        for name in networkNames {
            let request = spec.networks[name]
            let live = network.endpoints.first { $0.networkName == name }
            let userNetwork = name != "bridge" && name != "none" && name != "host"
            // Docker lists the short ID among a user network endpoint's aliases.
            let aliases = (request?.aliases ?? []) + (userNetwork && live != nil ? [shortID] : [])
            result[name] = EndpointWire(
                IPAMConfig: request.flatMap(Self.ipamConfigWire),
                Links: request?.links.flatMap { $0.isEmpty ? nil : $0.map(\.text) },
                Aliases: aliases.isEmpty ? nil : aliases, NetworkID: live?.networkID ?? "",
                EndpointID: live?.endpointID ?? "", Gateway: live?.gateway ?? "", IPAddress: live?.ipv4Address ?? "",
                IPPrefixLen: live?.prefixLength ?? 0, IPv6Gateway: live?.ipv6Gateway ?? "",
                GlobalIPv6Address: live?.ipv6Address ?? "", GlobalIPv6PrefixLen: live?.ipv6PrefixLength ?? 0,
                MacAddress: live?.macAddress ?? "")
        }
        return result
    }

    /// An endpoint's `IPAMConfig`: the addresses the user chose (`--ip`, `--ip6`, `--link-local-ip`), or null.
    private static func ipamConfigWire(_ request: EndpointRequest) -> EndpointIPAMConfigWire? {
        guard request.ipv4Address != nil || request.ipv6Address != nil || request.linkLocalIPs != nil else {
            return nil
        }
        return EndpointIPAMConfigWire(IPv4Address: request.ipv4Address, IPv6Address: request.ipv6Address,
                                      LinkLocalIPs: request.linkLocalIPs)
    }

    /// `NetworkSettings.Ports`: published bindings, and `null` for exposed ports not published; empty when stopped.
    private var portsWire: [String: [PortBindingWire]?] {
        guard state.isRunning else { return [:] }
        var ports: [String: [PortBindingWire]?] = [:]
        for port in exposedPorts { ports[port] = .some(nil) }
        for published in network.ports {
            let binding = PortBindingWire(HostIp: published.hostIP, HostPort: String(published.hostPort))
            if case .some(.some(let list)) = ports[published.containerPort] {
                ports[published.containerPort] = list + [binding]
            } else {
                ports[published.containerPort] = [binding]
            }
        }
        return ports
    }

    private var networkSettingsWire: NetworkSettingsWire {
        // Docker fills the top-level address fields from the default bridge's endpoint only.
        let bridge = network.endpoints.first { $0.networkName == "bridge" }
        return NetworkSettingsWire(
            Bridge: "", SandboxID: network.sandboxKey.isEmpty ? "" : id, HairpinMode: false,
            LinkLocalIPv6Address: "", LinkLocalIPv6PrefixLen: 0, Ports: portsWire, SandboxKey: network.sandboxKey,
            EndpointID: bridge?.endpointID ?? "", Gateway: bridge?.gateway ?? "",
            GlobalIPv6Address: bridge?.ipv6Address ?? "", GlobalIPv6PrefixLen: bridge?.ipv6PrefixLength ?? 0,
            IPAddress: bridge?.ipv4Address ?? "", IPPrefixLen: bridge?.prefixLength ?? 0,
            IPv6Gateway: bridge?.ipv6Gateway ?? "", MacAddress: bridge?.macAddress ?? "", Networks: endpointsWire)
    }

    /// `docker ps`'s PORTS: published ports with their host side, exposed ones alone.
    private var portSummary: [PortWire] {
        guard state.isRunning else { return [] }
        var list: [PortWire] = []
        var published = Set<String>()
        for port in network.ports {
            let parts = port.containerPort.split(separator: "/")
            published.insert(port.containerPort)
            list.append(PortWire(IP: port.hostIP, PrivatePort: Int(parts[0]) ?? 0, PublicPort: Int(port.hostPort),
                                 Type: parts.count > 1 ? String(parts[1]) : "tcp"))
        }
        for port in exposedPorts where !published.contains(port) {
            let parts = port.split(separator: "/")
            list.append(PortWire(IP: nil, PrivatePort: Int(parts[0]) ?? 0, PublicPort: nil,
                                 Type: parts.count > 1 ? String(parts[1]) : "tcp"))
        }
        return list
    }

    func inspectWire(logPath: String, rootDir: String) -> ContainerInspectWire {
        ContainerInspectWire(
            Id: id, Created: Wire.rfc3339Nano(created), Path: path, Args: args, State: stateWire, Image: imageID,
            ResolvConfPath: "\(rootDir)/containers/\(id)/resolv.conf",
            HostnamePath: "\(rootDir)/containers/\(id)/hostname", HostsPath: "\(rootDir)/containers/\(id)/hosts",
            LogPath: logPath, Name: "/" + name,
            RestartCount: restartCount, Driver: "overlay", Platform: "linux", MountLabel: "", ProcessLabel: "",
            AppArmorProfile: "", ExecIDs: nil, HostConfig: hostConfigWire,
            GraphDriver: GraphDriverWire(Name: "overlay", Data: ["MergedDir": "\(rootDir)/containers/\(id)/rootfs"]),
            Mounts: mountsWire, Config: configWire, NetworkSettings: networkSettingsWire)
    }

    func summaryWire(now: Date) -> ContainerSummaryWire {
        let command = ([path] + args).map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        return ContainerSummaryWire(
            Id: id, Names: ["/" + name], Image: spec.image, ImageID: imageID, Command: command,
            Created: Int64(created.timeIntervalSince1970), Ports: portSummary, Labels: labels, State: state.status.rawValue,
            Status: statusText(now: now),
            HostConfig: .init(NetworkMode: spec.host.networkMode),
            NetworkSettings: .init(Networks: endpointsWire), Mounts: mountsWire)
    }

    /// `docker ps`'s STATUS column, worded as Docker words it.
    func statusText(now: Date) -> String {
        switch state.status {
        case .created: return "Created"
        case .running:
            let up = "Up " + HumanDuration.describe(now.timeIntervalSince(state.startedAt ?? now))
            switch state.health?.status {
            case nil: return up
            case .starting?: return up + " (health: starting)"
            case let status?: return up + " (\(status.rawValue))"
            }
        case .paused:
            return "Up " + HumanDuration.describe(now.timeIntervalSince(state.startedAt ?? now)) + " (Paused)"
        case .restarting:
            return "Restarting (\(state.exitCode)) " + HumanDuration.describe(now.timeIntervalSince(state.finishedAt ?? now)) + " ago"
        case .exited:
            guard let finished = state.finishedAt else { return "Exited (\(state.exitCode))" }
            return "Exited (\(state.exitCode)) " + HumanDuration.describe(now.timeIntervalSince(finished)) + " ago"
        case .removing: return "Removal In Progress"
        case .dead: return "Dead"
        }
    }
}

/// go-units HumanDuration, the wording `docker ps` uses.
enum HumanDuration {
    static func describe(_ interval: TimeInterval) -> String {
        let seconds = Int(interval)
        if seconds < 1 { return "Less than a second" }
        if seconds == 1 { return "1 second" }
        if seconds < 60 { return "\(seconds) seconds" }
        let minutes = Int(interval / 60)
        if minutes == 1 { return "About a minute" }
        if minutes < 60 { return "\(minutes) minutes" }
        let hours = Int((interval / 3600).rounded())
        if hours == 1 { return "About an hour" }
        if hours < 48 { return "\(hours) hours" }
        if hours < 24 * 7 * 2 { return "\(hours / 24) days" }
        if hours < 24 * 30 * 2 { return "\(hours / 24 / 7) weeks" }
        if hours < 24 * 365 * 2 { return "\(hours / 24 / 30) months" }
        return "\(Int(interval / 3600 / 24 / 365)) years"
    }
}

extension HealthcheckWire {
    init(_ config: HealthConfig) {
        self.init(Test: config.test.isEmpty ? nil : config.test, Interval: config.interval == 0 ? nil : config.interval,
                  Timeout: config.timeout == 0 ? nil : config.timeout,
                  StartPeriod: config.startPeriod == 0 ? nil : config.startPeriod,
                  Retries: config.retries == 0 ? nil : config.retries)
    }

    var config: HealthConfig {
        HealthConfig(test: Test ?? [], interval: Interval ?? 0, timeout: Timeout ?? 0, startPeriod: StartPeriod ?? 0,
                     retries: Retries ?? 0)
    }
}
