/// Kernel counters a container's stats carry, as the runtime reads them and the API shows them.

/// One interface's counters from `/proc/PID/net/dev` (Docker's `networks.IFACE`).
public struct InterfaceCounters: Sendable, Equatable {
    public var rxBytes: UInt64 = 0, rxPackets: UInt64 = 0, rxErrors: UInt64 = 0, rxDropped: UInt64 = 0
    public var txBytes: UInt64 = 0, txPackets: UInt64 = 0, txErrors: UInt64 = 0, txDropped: UInt64 = 0

    public init() {}

    /// Every interface of a `/proc/PID/net/dev` text (the namespace of PID) but loopback, which Docker leaves out.
    public static func parse(netDev text: String) -> [String: InterfaceCounters] {
        var result: [String: InterfaceCounters] = [:]
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].split(separator: " ").last.map(String.init) ?? ""
            let values = line[line.index(after: colon)...].split(separator: " ").compactMap { UInt64($0) }
            guard name != "lo", !name.isEmpty, values.count >= 12 else { continue }
            var counters = InterfaceCounters()
            (counters.rxBytes, counters.rxPackets, counters.rxErrors, counters.rxDropped) =
                (values[0], values[1], values[2], values[3])
            (counters.txBytes, counters.txPackets, counters.txErrors, counters.txDropped) =
                (values[8], values[9], values[10], values[11])
            result[name] = counters
        }
        return result
    }
}

/// One `major:minor op value` entry of a block I/O statistic (Docker's `blkio_stats` lists).
public struct BlockIOCounter: Sendable, Equatable {
    public var major: UInt64
    public var minor: UInt64
    public var op: String
    public var value: UInt64

    public init(major: UInt64, minor: UInt64, op: String, value: UInt64) {
        self.major = major
        self.minor = minor
        self.op = op
        self.value = value
    }

    /// A cgroup v1 blkio file (`8:0 Read 4096` lines; the closing `Total N` line has no device and is left out).
    public static func parse(blkio text: String) -> [BlockIOCounter] {
        text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let value = UInt64(fields[2]) else { return nil }
            let device = fields[0].split(separator: ":")
            guard device.count == 2, let major = UInt64(device[0]), let minor = UInt64(device[1]) else { return nil }
            return BlockIOCounter(major: major, minor: minor, op: String(fields[1]), value: value)
        }
    }
}
