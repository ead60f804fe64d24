import Glibc

/// A failed netlink operation: the kernel's errno (positive, e.g. EEXIST) and what was being done.
public struct NetlinkError: Error, CustomStringConvertible, Sendable, Equatable {
    public let errno: Int32
    /// What was attempted, as a short phrase naming the object ("add link br0").
    public let operation: String
    /// The kernel's extended-ACK text when it gave one ("Nexthop has invalid gateway"), or the local reason an
    /// argument was refused before sending (then `errno` is EINVAL).
    public let detail: String?

    public init(errno: Int32, operation: String, detail: String? = nil) {
        self.errno = errno
        self.operation = operation
        self.detail = detail.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// "netlink: add link br0: File exists" (+ " (detail)" when there is one).
    public var description: String {
        let reason = String(cString: strerror(errno))
        let base = "netlink: \(operation): \(reason)"
        return detail.map { "\(base) (\($0))" } ?? base
    }
}
