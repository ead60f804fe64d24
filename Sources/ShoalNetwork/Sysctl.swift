import Foundation
import ShoalCore

/// Kernel parameters under /proc/sys (`sysctl -w`) and per-device settings under /sys.
public enum Sysctl {
    /// Writes `value` to `/proc/sys/<key with dots as slashes>` unless it already holds it.
    public static func set(_ key: String, _ value: String) throws {
        try write("/proc/sys/" + key.replacingOccurrences(of: ".", with: "/"), value, name: key)
    }

    /// Writes a kernel setting file (procfs or sysfs) unless it already holds `value`.
    public static func write(_ path: String, _ value: String, name: String? = nil) throws {
        let key = name ?? path
        if let current = try? String(contentsOfFile: path, encoding: .utf8),
           current.trimmingCharacters(in: .whitespacesAndNewlines) == value { return }
        do {
            try Data((value + "\n").utf8).write(to: URL(fileURLWithPath: path))
        } catch {
            throw ShoalError.internalError("cannot set \(key)=\(value)", cause: error)
        }
    }
}
