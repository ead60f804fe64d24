import Foundation
import ShoalCore

/// Docker's refusals of a container's memory and CPU limits, with its words: the same at create (`docker run -m
/// --cpus`) and at `docker update`.
public enum ResourceLimits {
    public static let minimumMemory: Int64 = 6 << 20

    /// A memory limit in bytes (0: none).
    public static func checkMemory(_ bytes: Int64) throws {
        if bytes < 0 { throw ShoalError.invalidArgument("invalid memory limit: must be positive") }
        if bytes > 0 && bytes < minimumMemory {
            throw ShoalError.invalidArgument("Minimum memory limit allowed is 6MB")
        }
    }

    /// `--cpus` in billionths of a CPU (0: none), up to the CPUs this host has.
    public static func checkNanoCPUs(_ nano: Int64) throws {
        let cpus = Int64(ProcessInfo.processInfo.activeProcessorCount)
        guard nano >= 0, nano <= cpus * 1_000_000_000 else {
            throw ShoalError.invalidArgument(
                "Range of CPUs is from 0.01 to \(cpus).00, as there are only \(cpus) CPUs available")
        }
    }
}
