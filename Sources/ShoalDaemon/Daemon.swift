import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import ShoalClusterEndpoint
import ShoalCore
import ShoalDockerAPI
import ShoalEngine
import ShoalImages
import ShoalIPAM
import ShoalManager
import ShoalModel
import ShoalOS
import ShoalRuntime
import ShoalScheduler

/// One `shoal daemon`: builds the engine, recovers containers left running by a previous instance, and serves
/// the Docker API until SIGTERM/SIGINT. Containers are not stopped on shutdown (each lives under its conmon).
public struct Daemon: Sendable {
    public let configuration: DaemonConfiguration

    public init(configuration: DaemonConfiguration) {
        self.configuration = configuration
    }

    public func run(logger: Logger) async throws {
        // Where the API is served is checked first: a refused host changes nothing on the machine.
        let listeners = try APIListeners.make(configuration, logger: logger)
        let remap = try await remappedRoot(logger: logger)
        var paths = EnginePaths(dataRoot: configuration.dataRoot, execRoot: configuration.execRoot)
        if let remap { paths.dataRoot = try RemappedDataRoot.prepare(base: configuration.dataRoot, remap: remap) }
        for directory in [paths.dataRoot, paths.execRoot, paths.spoolRoot] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        clearSpool(paths.spoolRoot)
        await AppArmorLoader.ensureDefaultLoaded(logger: logger)
        let store = try EngineStore(path: paths.database)
        let events = EventBus()
        let images = try ImageStore(root: paths.imagesRoot,
                                    insecureRegistries: try InsecureRegistries(configuration.insecureRegistries),
                                    idMapping: remap?.mapping, logger: logger)
        let runtime = try ConmonRuntime(
            paths: RuntimePaths(runcRoot: paths.runcRoot, stateRoot: paths.runtimeStateRoot), logger: logger,
            execScratchInMemory: true)
        let volumes = try VolumeService(store: store, root: paths.volumesRoot, events: events, idMapping: remap?.mapping)
        let networks = try NetworkService(store: store, events: events, options: try networkOptions(paths, idMapping: remap?.mapping),
                                          logger: logger)
        try await networks.start()
        let containers = try ContainerService(
            paths: paths, store: store, images: images, runtime: runtime, volumes: volumes,
            sandboxes: networks, events: events, initPath: configuration.initPath, idMapping: remap?.mapping,
            logger: logger)
        await volumes.setUsage { await containers.volumeUsers() }
        let facts = HostFacts.read(remapping: remap != nil)
        let swarm = SwarmMembership(
            dataRoot: paths.dataRoot, runRoot: paths.execRoot,
            description: NodeDescription(
                hostname: facts.hostname, architecture: facts.architecture, os: "linux",
                nanoCPUs: Int64(facts.cpus) * 1_000_000_000, memoryBytes: facts.memoryBytes,
                engineVersion: "20.10.99-shoal"),
            logger: logger)
        // Overlays come from the swarm; containers that kept running find theirs again before the swarm is back.
        await networks.setCluster(ClusterNetworksAdapter(swarm: swarm))
        await swarm.setEndpointHandlers(ClusterNetworksAdapter.handlers(networks))
        await containers.restore()
        await swarm.setTaskEngine(TaskEngineAdapter(containers: containers, networks: networks, images: images, events: events,
                                                      filesRoot: paths.execRoot + "/task-files", idMapping: remap?.mapping))
        await swarm.restore()

        let backends = DockerBackends(
            containers: ContainerBackendAdapter(containers: containers),
            images: ImageBackendAdapter(images: images, containers: containers, events: events),
            volumes: VolumeBackendAdapter(volumes: volumes, containers: containers),
            networks: NetworkBackendAdapter(networks: networks, containers: containers, swarm: swarm),
            swarm: SwarmBackendAdapter(swarm: swarm, networks: networks, containers: containers,
                                       clusterEndpointPort: configuration.clusterEndpointPort),
            services: ServiceBackendAdapter(swarm: swarm),
            dataObjects: DataObjectBackendAdapter(swarm: swarm),
            system: SystemBackendAdapter(
                containers: containers, images: images, volumes: volumes, events: events, facts: facts,
                daemonID: try daemonID(paths.dataRoot), dataRoot: paths.dataRoot))

        var services: [any Service] = []
        let stopping = StopSignal()
        for listener in listeners {
            services.append(DockerAPIServer.application(
                backends: backends, address: listener.address, tls: listener.tls, local: listener.local,
                spoolDirectory: paths.spoolRoot,
                stopping: stopping, logger: logger,
                onServerRunning: { _ in logger.info("API listening on \(listener.host)") }))
        }
        let spool = paths.spoolRoot
        let clusterNodes = ClusterNodesAdapter(swarm: swarm,
                                               paths: SwarmPaths(dataRoot: paths.dataRoot, runRoot: paths.execRoot),
                                               nodeEnginePort: configuration.nodeEnginePort)
        let clusterInterceptor = ClusterInterceptor(
            engines: clusterNodes, records: RescheduleRecordsAdapter(swarm: swarm),
            strategy: ClassicScheduler.Strategy(rawValue: configuration.clusterStrategy) ?? .spread, logger: logger)
        services.append(ClusterEndpoint.listener(swarm: swarm, port: configuration.clusterEndpointPort, logger: logger) {
            address, tls in
            DockerAPIServer.application(backends: backends, address: address, tls: tls, interceptor: clusterInterceptor,
                                        spoolDirectory: spool, stopping: stopping, logger: logger)
        })
        if configuration.clusterEndpointPort > 0 {
            services.append(ClusterReschedulerService(interceptor: clusterInterceptor))
        }
        services.append(NodeEngineClientLifecycle(client: clusterNodes.client))
        services.append(NodeEngineChannel.listener(swarm: swarm, port: configuration.nodeEnginePort, logger: logger) {
            address, tls in
            DockerAPIServer.application(backends: backends, address: address, tls: tls, spoolDirectory: spool,
                                        stopping: stopping, logger: logger)
        })
        services.append(SwarmService(swarm: swarm))
        services.append(ShutdownWatchdog(deadline: .seconds(5), stopping: stopping, logger: logger))
        var groupConfiguration = ServiceGroupConfiguration(
            services: services.map { .init(service: $0) },
            gracefulShutdownSignals: [.sigterm, .sigint],
            logger: logger)
        // Attach, logs -f and events streams never end by themselves: after a short grace period the daemon
        // cancels them and exits (the containers keep running under their conmon).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(3)
        try await ServiceGroup(configuration: groupConfiguration).run()
    }

    /// `--userns-remap` resolved (nil without it, or when it names root: dockerd then warns and maps nothing).
    private func remappedRoot(logger: Logger) async throws -> RemappedRoot? {
        guard let value = configuration.usernsRemap else { return nil }
        guard let remap = try await UserNamespaceRemap.resolve(value) else {
            logger.warning("User namespaces: root cannot be remapped with itself; user namespaces are OFF")
            return nil
        }
        logger.info("User namespaces: ID ranges will be mapped to subuid/subgid ranges of: \(remap.user)")
        return remap
    }

    /// Network layout from the flags. The nftables table is named after the exec root, so two daemons on one
    /// host (tests, `shoal cluster up`) never touch each other's rules.
    private func networkOptions(_ paths: EnginePaths, idMapping: IDMapping?) throws -> NetworkOptions {
        var options = NetworkOptions(
            sandboxDirectory: paths.execRoot + "/netns",
            firewallTable: configuration.execRoot == "/run/shoal"
                ? "shoal" : "shoal_" + String(format: "%08x", ShortHash.fnv1a(paths.execRoot)))
        options.defaultBridgeName = configuration.bridgeName
        options.defaultBridgeAddress = configuration.bridgeAddress
        if !configuration.addressPools.isEmpty {
            options.pools = try configuration.addressPools.map { try AddressPoolSpec(parsing: $0) }
        }
        options.upstreamDNS = configuration.dns
        options.idMapping = idMapping
        return options
    }

    /// A stable ID for this daemon (`docker info`'s ID), kept in the data root.
    private func daemonID(_ dataRoot: String) throws -> String {
        let file = dataRoot + "/engine-id"
        if let id = try? String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
           !id.isEmpty {
            return id
        }
        let id = UUID().uuidString.lowercased()
        try id.write(toFile: file, atomically: true, encoding: .utf8)
        return id
    }

    /// Uploads interrupted by a previous daemon's death.
    private func clearSpool(_ directory: String) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            try? FileManager.default.removeItem(atPath: directory + "/" + name)
        }
    }
}


/// Ends the process if shutdown takes longer than `deadline` (a client stream stuck in a system call must not
/// keep a stopping daemon alive). Safe because nothing is lost: containers run under their own conmon and every
/// state change was committed to SQLite when it happened.
struct ShutdownWatchdog: Service {
    let deadline: Duration
    /// Told first, so that pending waits end now rather than at the end of the grace period.
    let stopping: StopSignal
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        stopping.fire()
        let deadline = self.deadline
        let logger = self.logger
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: Double(deadline.components.seconds))
            logger.warning("shutdown took longer than \(deadline); exiting")
            exit(0)
        }
    }
}
