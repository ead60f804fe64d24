/// What `docker update` changes in a container's host configuration (`POST /containers/{id}/update`); nil:
/// unchanged. Applied to the record, and to the running container's cgroups.
public struct ContainerUpdate: Sendable, Equatable {
    public var memory: Int64?
    public var memorySwap: Int64?
    public var nanoCPUs: Int64?
    public var cpuShares: Int64?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    public var pidsLimit: Int64?
    public var restartPolicy: RestartPolicy?

    public init() {}
}
