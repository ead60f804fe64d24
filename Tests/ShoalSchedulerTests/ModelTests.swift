/// The swarm service and task values: state order, defaults, and Codable round trips.
import Foundation
import ShoalModel
import Testing

@Suite struct ModelTests {
    @Test func taskStatesAreOrderedAsDockerLists() {
        let docker = ["new", "allocated", "pending", "assigned", "accepted", "preparing", "ready", "starting", "running",
                      "complete", "shutdown", "failed", "rejected", "remove", "orphaned"]
        #expect(TaskState.allCases.map(\.rawValue) == docker)
        #expect(TaskState.allCases.sorted() == TaskState.allCases)
        #expect(TaskState.running < .complete && !TaskState.running.isTerminal && TaskState.failed.isTerminal)
    }

    @Test func defaultsAreDockers() {
        let update = UpdateConfig()
        #expect(update.parallelism == 1 && update.delay == 0 && update.failureAction == .pause)
        #expect(update.monitor == 5 && update.maxFailureRatio == 0 && update.order == .stopFirst)
        let restart = TaskRestartPolicy()
        #expect(restart.condition == .any && restart.delay == 5 && restart.maxAttempts == 0 && restart.window == 0)
        #expect(EndpointSpec().mode == .vip)
        #expect(PortConfig(targetPort: 80).protocol == .tcp && PortConfig(targetPort: 80).publishMode == .ingress)
        #expect(UpdateConfig.Order.startFirst.rawValue == "start-first")
        #expect(TaskRestartPolicy.Condition.onFailure.rawValue == "on-failure")
    }

    @Test func aFullServiceSpecRoundTrips() throws {
        let spec = ServiceSpec(
            name: "web", labels: ["app": "shop"],
            taskTemplate: TaskSpec(
                containerSpec: TaskContainerSpec(
                    image: "nginx:1.25", labels: ["l": "v"], command: ["nginx"], args: ["-g", "daemon off;"],
                    hostname: "{{.Task.Name}}", env: ["A=1"], dir: "/srv", user: "www", readOnly: true,
                    mounts: [MountSpec(kind: .volume, source: "data", target: "/data")], stopGracePeriod: 30,
                    secrets: [SecretReference(file: ReferenceFileTarget(name: "key"), secretID: "s1", secretName: "key")],
                    configs: [ConfigReference(file: ReferenceFileTarget(name: "/etc/app.conf", mode: 0o400),
                                              configID: "c1", configName: "conf")]),
                resources: ResourceRequirements(limits: Resources(nanoCPUs: 500_000_000, memoryBytes: 1 << 28, pids: 100),
                                                reservations: Resources(nanoCPUs: 250_000_000)),
                restartPolicy: TaskRestartPolicy(condition: .onFailure, delay: 1, maxAttempts: 3, window: 60),
                placement: Placement(constraints: ["node.role==worker"],
                                     preferences: [PlacementPreference(spreadDescriptor: "node.labels.zone")],
                                     maxReplicas: 2, platforms: [Platform(architecture: "amd64", os: "linux")]),
                networks: [NetworkAttachmentConfig(target: "front", aliases: ["shop"])], forceUpdate: 1),
            mode: .replicated(replicas: 3), updateConfig: UpdateConfig(parallelism: 2, order: .startFirst),
            rollbackConfig: UpdateConfig(failureAction: .continue),
            endpointSpec: EndpointSpec(mode: .dnsrr, ports: [PortConfig(name: "http", targetPort: 80, publishedPort: 8080,
                                                                        publishMode: .host)]))
        let decoded = try JSONDecoder().decode(ServiceSpec.self, from: JSONEncoder().encode(spec))
        #expect(decoded == spec)
        let global = ServiceSpec(name: "agent", taskTemplate: spec.taskTemplate, mode: .global)
        #expect(try JSONDecoder().decode(ServiceSpec.self, from: JSONEncoder().encode(global)).mode.isGlobal)
    }

    @Test func aTaskRoundTrips() throws {
        let task = SwarmTask(
            id: "t1", version: 7, createdAt: Date(timeIntervalSince1970: 1), serviceID: "s1", slot: 2, nodeID: "n1",
            spec: TaskSpec(containerSpec: TaskContainerSpec(image: "busybox")), specVersion: 3,
            endpoint: EndpointSpec(ports: [PortConfig(targetPort: 80, publishedPort: 80, publishMode: .host)]),
            status: TaskStatus(timestamp: Date(timeIntervalSince1970: 2), state: .running, message: "started",
                               containerStatus: TaskContainerStatus(containerID: "c1", pid: 42),
                               portStatus: [PortConfig(targetPort: 80, publishedPort: 80, publishMode: .host)]),
            networksAttachments: [TaskNetworkAttachment(networkID: "net", addresses: ["10.0.1.5/24"])])
        #expect(task.updatedAt == task.createdAt)
        #expect(try JSONDecoder().decode(SwarmTask.self, from: JSONEncoder().encode(task)) == task)
    }
}
