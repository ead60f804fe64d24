import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalModel
import Testing
@testable import ShoalManager

/// Services and tasks through the store: every field of the domain values is written and read back the same, with
/// the store's version as theirs.
@Suite struct ServiceObjectsTests {
    /// A spec with every field set to something other than its default.
    static func fullSpec(name: String = "web") -> ServiceSpec {
        let container = TaskContainerSpec(
            image: "busybox:1.36", labels: ["c": "d"], command: ["/bin/sh", "-c"], args: ["sleep", "1000"],
            hostname: "h", env: ["A=1", "B=2"], dir: "/work", user: "1000:1000", groups: ["wheel"], tty: true,
            openStdin: true, readOnly: true,
            mounts: [MountSpec(kind: .bind, source: "/src", target: "/dst", readOnly: true, mode: "z"),
                     MountSpec(kind: .tmpfs, source: "", target: "/tmp", tmpfsSize: 1 << 20, tmpfsMode: 0o1777),
                     MountSpec(kind: .volume, source: "data", target: "/data")],
            stopSignal: "SIGINT", stopGracePeriod: 12.5, hosts: ["10.0.0.1 db"],
            secrets: [SecretReference(file: ReferenceFileTarget(name: "s", uid: "1", gid: "2", mode: 0o400),
                                      secretID: "sid", secretName: "sname")],
            configs: [ConfigReference(file: ReferenceFileTarget(name: "/etc/c"), configID: "cid", configName: "cname")],
            initProcess: false, sysctls: ["net.core.somaxconn": "1024"], capabilityAdd: ["NET_ADMIN"],
            capabilityDrop: ["MKNOD"])
        let task = TaskSpec(
            containerSpec: container,
            resources: ResourceRequirements(limits: Resources(nanoCPUs: 500_000_000, memoryBytes: 64 << 20, pids: 100),
                                            reservations: Resources(nanoCPUs: 250_000_000, memoryBytes: 32 << 20)),
            restartPolicy: TaskRestartPolicy(condition: .onFailure, delay: 2.25, maxAttempts: 3, window: 60),
            placement: Placement(constraints: ["node.role==worker"],
                                 preferences: [PlacementPreference(spreadDescriptor: "node.labels.zone")],
                                 maxReplicas: 2, platforms: [Platform(architecture: "amd64", os: "linux")]),
            networks: [NetworkAttachmentConfig(target: "net1", aliases: ["web-alias"], driverOpts: ["o": "v"])],
            logDriver: LogDriver(name: "json-file", options: ["max-size": "1m"]), forceUpdate: 4)
        return ServiceSpec(
            name: name, labels: ["a": "b"], taskTemplate: task, mode: .replicated(replicas: 3),
            updateConfig: UpdateConfig(parallelism: 2, delay: 1.5, failureAction: .rollback, monitor: 7,
                                       maxFailureRatio: 0.25, order: .startFirst),
            rollbackConfig: UpdateConfig(parallelism: 0, delay: 0, failureAction: .continue, monitor: 3,
                                         maxFailureRatio: 1, order: .stopFirst),
            endpointSpec: EndpointSpec(mode: .vip, ports: [
                PortConfig(name: "http", protocol: .tcp, targetPort: 80, publishedPort: 8080, publishMode: .ingress),
                PortConfig(protocol: .udp, targetPort: 53, publishedPort: 5353, publishMode: .host),
            ]))
    }

    static let created = Date(timeIntervalSince1970: 1_765_000_000.123_456)

    @Test func aServiceWithEveryFieldReadsBackTheSame() async throws {
        let store = MemoryClusterStore()
        var previous = Self.fullSpec()
        previous.mode = .global
        previous.updateConfig = nil
        previous.rollbackConfig = nil
        previous.endpointSpec = nil
        previous.taskTemplate.logDriver = nil
        previous.taskTemplate.containerSpec.stopGracePeriod = nil
        previous.taskTemplate.containerSpec.initProcess = nil
        var service = SwarmService(
            id: "svc1", version: 0, createdAt: Self.created, updatedAt: Self.created.addingTimeInterval(1),
            spec: Self.fullSpec(), previousSpec: previous,
            endpoint: ServiceEndpoint(spec: EndpointSpec(mode: .dnsrr), ports: [PortConfig(targetPort: 80, publishedPort: 30000)],
                                      virtualIPs: [.init(networkID: "net1", address: "10.0.0.2/24")]))
        service.updateStatus = ServiceUpdateStatus(state: .rollbackCompleted, startedAt: Self.created.addingTimeInterval(5),
                                                   completedAt: Self.created.addingTimeInterval(9), message: "done")
        let table = StoreTable<ServiceMessage>(store)
        let commit = try await store.commit(try table.create(service.stored))
        let read = try #require(try await table.get("svc1"))
        var expected = service
        expected.version = UInt64(commit.revision)
        #expect(SwarmService(read) == expected)
        // The optional parts stay absent when unset (Docker's JSON leaves them out).
        #expect(!read.object.previousSpec.hasUpdateConfig && !read.object.previousSpec.taskTemplate.hasLogDriver)
        #expect(!read.object.previousSpec.taskTemplate.containerSpec.hasStopGracePeriodNs)
        // An update in progress has no completion time.
        service.id = "svc2"
        service.updateStatus = ServiceUpdateStatus(state: .updating, startedAt: Self.created, message: "updating")
        let second = try await store.commit(try table.create(service.stored))
        service.version = UInt64(second.revision)
        #expect(SwarmService(try #require(try await table.get("svc2"))) == service)
    }

    @Test func aTaskWithEveryFieldReadsBackTheSame() async throws {
        let store = MemoryClusterStore()
        var task = SwarmTask(
            id: "task1", createdAt: Self.created, updatedAt: Self.created.addingTimeInterval(2), serviceID: "svc1",
            slot: 2, nodeID: "node1", labels: ["l": "v"], spec: Self.fullSpec().taskTemplate, specVersion: 17,
            endpoint: EndpointSpec(mode: .dnsrr, ports: [PortConfig(targetPort: 80, publishedPort: 81, publishMode: .host)]),
            desiredState: .running,
            status: TaskStatus(timestamp: Self.created.addingTimeInterval(3), state: .failed, message: "started",
                               err: "exit 1", containerStatus: TaskContainerStatus(containerID: "c1", pid: 42, exitCode: 1),
                               portStatus: [PortConfig(protocol: .sctp, targetPort: 9, publishedPort: 99, publishMode: .host)]),
            networksAttachments: [TaskNetworkAttachment(networkID: "net1", addresses: ["10.0.0.5/24"], aliases: ["a"])])
        task.status.runningSince = Self.created.addingTimeInterval(4)
        task.restartHistory = [Self.created, Self.created.addingTimeInterval(1.5)]
        let table = StoreTable<TaskMessage>(store)
        let commit = try await store.commit(try table.create(task.stored))
        let read = SwarmTask(try #require(try await table.get("task1")))
        var expected = task
        expected.version = UInt64(commit.revision)
        #expect(read == expected)
        // A task without a container or an endpoint yet keeps them absent.
        var bare = task
        bare.id = "task2"
        bare.endpoint = nil
        bare.status.containerStatus = nil
        bare.status.runningSince = nil
        bare.restartHistory = []
        let second = try await store.commit(try table.create(bare.stored))
        bare.version = UInt64(second.revision)
        #expect(SwarmTask(try #require(try await table.get("task2"))) == bare)
    }

    @Test func timesReadBackAsWritten() {
        let date = Date(nanoseconds: 1_765_000_000_123_456_789)
        #expect(abs(date.nanoseconds - 1_765_000_000_123_456_789) < 1_000)
        #expect(Date(nanoseconds: 0).nanoseconds == 0)
        // Whatever the clock says, a time goes through the store unchanged.
        for _ in 0..<1_000 {
            let now = Date()
            #expect(Date(nanoseconds: now.nanoseconds) == now)
        }
    }
}
