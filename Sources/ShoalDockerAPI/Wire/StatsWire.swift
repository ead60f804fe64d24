import ShoalCore
import ShoalModel

/// Docker's stats JSON (types.StatsJSON as a cgroup v1 host fills it). Optional fields are the ones Docker leaves
/// out when zero.
struct StatsWire: Encodable, Sendable {
    struct CPUUsage: Encodable, Sendable {
        var total_usage: UInt64
        var percpu_usage: [UInt64]?
        var usage_in_kernelmode: UInt64
        var usage_in_usermode: UInt64
    }
    struct ThrottlingData: Encodable, Sendable {
        var periods: UInt64
        var throttled_periods: UInt64
        var throttled_time: UInt64
    }
    struct CPUStats: Encodable, Sendable {
        var cpu_usage: CPUUsage
        var system_cpu_usage: UInt64?
        var online_cpus: Int?
        var throttling_data: ThrottlingData

        init(_ sample: ContainerStats?) {
            cpu_usage = CPUUsage(total_usage: sample?.cpuTotalNanos ?? 0,
                                 percpu_usage: sample.flatMap { $0.perCPUNanos.isEmpty ? nil : $0.perCPUNanos },
                                 usage_in_kernelmode: sample?.cpuKernelNanos ?? 0,
                                 usage_in_usermode: sample?.cpuUserNanos ?? 0)
            system_cpu_usage = sample.flatMap { $0.systemCPUNanos == 0 ? nil : $0.systemCPUNanos }
            online_cpus = sample.flatMap { $0.onlineCPUs == 0 ? nil : $0.onlineCPUs }
            throttling_data = ThrottlingData(periods: sample?.throttlingPeriods ?? 0,
                                             throttled_periods: sample?.throttledPeriods ?? 0,
                                             throttled_time: sample?.throttledNanos ?? 0)
        }
    }
    struct MemoryStats: Encodable, Sendable {
        var usage: UInt64?
        var max_usage: UInt64?
        var stats: [String: UInt64]?
        var limit: UInt64?
    }
    struct PidsStats: Encodable, Sendable {
        var current: UInt64?
        var limit: UInt64?
    }
    struct BlkioEntry: Encodable, Sendable {
        var major: UInt64
        var minor: UInt64
        var op: String
        var value: UInt64
    }
    struct BlkioStats: Encodable, Sendable {
        var io_service_bytes_recursive: [BlkioEntry]
        var io_serviced_recursive: [BlkioEntry]
        var io_queue_recursive: [BlkioEntry] = []
        var io_service_time_recursive: [BlkioEntry] = []
        var io_wait_time_recursive: [BlkioEntry] = []
        var io_merged_recursive: [BlkioEntry] = []
        var io_time_recursive: [BlkioEntry] = []
        var sectors_recursive: [BlkioEntry] = []
    }
    struct StorageStats: Encodable, Sendable {}
    struct NetworkStats: Encodable, Sendable {
        var rx_bytes: UInt64
        var rx_packets: UInt64
        var rx_errors: UInt64
        var rx_dropped: UInt64
        var tx_bytes: UInt64
        var tx_packets: UInt64
        var tx_errors: UInt64
        var tx_dropped: UInt64
    }

    var read: String
    var preread: String
    var pids_stats: PidsStats
    var blkio_stats: BlkioStats
    var num_procs: Int = 0
    var storage_stats = StorageStats()
    var cpu_stats: CPUStats
    var precpu_stats: CPUStats
    var memory_stats: MemoryStats
    var name: String
    var id: String
    var networks: [String: NetworkStats]?

    init(record: ContainerRecord, sample: ContainerStats, previous: ContainerStats?) {
        read = Wire.rfc3339Nano(sample.read)
        preread = previous.map { Wire.rfc3339Nano($0.read) } ?? Wire.zeroTime
        pids_stats = PidsStats(current: sample.pids == 0 ? nil : sample.pids, limit: sample.pidsLimit)
        func entries(_ counters: [BlockIOCounter]) -> [BlkioEntry] {
            counters.map { BlkioEntry(major: $0.major, minor: $0.minor, op: $0.op, value: $0.value) }
        }
        blkio_stats = BlkioStats(io_service_bytes_recursive: entries(sample.ioServiceBytes),
                                 io_serviced_recursive: entries(sample.ioServiced))
        cpu_stats = CPUStats(sample)
        precpu_stats = CPUStats(previous)
        memory_stats = MemoryStats(usage: sample.memoryUsage == 0 ? nil : sample.memoryUsage,
                                   max_usage: sample.memoryMaxUsage == 0 ? nil : sample.memoryMaxUsage,
                                   stats: sample.memoryStats.isEmpty ? nil : sample.memoryStats,
                                   limit: sample.memoryLimit == 0 ? nil : sample.memoryLimit)
        name = "/" + record.name
        id = record.id
        networks = sample.networks.isEmpty ? nil : sample.networks.mapValues {
            NetworkStats(rx_bytes: $0.rxBytes, rx_packets: $0.rxPackets, rx_errors: $0.rxErrors,
                         rx_dropped: $0.rxDropped, tx_bytes: $0.txBytes, tx_packets: $0.txPackets,
                         tx_errors: $0.txErrors, tx_dropped: $0.txDropped)
        }
    }
}
