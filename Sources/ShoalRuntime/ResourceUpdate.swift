/// The limits `docker update` changes on a running container, as `runc update` takes them; nil: unchanged.
public struct ResourceUpdate: Sendable, Equatable {
    public var memory: Int64?
    /// Memory plus swap; -1 unlimited.
    public var memorySwap: Int64?
    public var memoryReservation: Int64?
    public var cpuShares: UInt64?
    /// `--cpus` as CFS quota over a 100 ms period.
    public var cpus: Double?
    public var cpusetCpus: String?
    public var cpusetMems: String?
    /// ≤ 0: unlimited.
    public var pidsLimit: Int64?

    public init() {}

    var runcFlags: [String] {
        var flags: [String] = []
        if let memory { flags += ["--memory", String(memory)] }
        if let memorySwap { flags += ["--memory-swap", String(memorySwap)] }
        if let memoryReservation { flags += ["--memory-reservation", String(memoryReservation)] }
        if let cpuShares { flags += ["--cpu-share", String(cpuShares)] }
        if let cpus {
            flags += ["--cpu-period", String(SpecBuilder.cpuPeriod),
                      "--cpu-quota", cpus > 0 ? String(SpecBuilder.cpuQuota(cpus)) : "-1"]
        }
        if let cpusetCpus { flags += ["--cpuset-cpus", cpusetCpus] }
        if let cpusetMems { flags += ["--cpuset-mems", cpusetMems] }
        if let pidsLimit { flags += ["--pids-limit", String(pidsLimit > 0 ? pidsLimit : -1)] }
        return flags
    }
}
