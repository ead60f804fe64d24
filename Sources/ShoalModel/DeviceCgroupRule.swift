import ShoalCore

/// One `--device-cgroup-rule`: `TYPE MAJOR:MINOR ACCESS`, e.g. `c 1:3 rwm` or `b *:* m` (`a` for every type, `*`
/// for any number), as the device cgroup takes it.
public struct DeviceCgroupRule: Sendable, Equatable {
    public var type: String
    /// nil: any.
    public var major: Int64?
    public var minor: Int64?
    public var access: String

    public init(parsing text: String) throws {
        let invalid = ShoalError.invalidArgument("invalid device cgroup rule format: '\(text)'")
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        guard parts.count == 3, ["a", "b", "c"].contains(String(parts[0])) else { throw invalid }
        let numbers = parts[1].split(separator: ":", omittingEmptySubsequences: false)
        guard numbers.count == 2 else { throw invalid }
        func number(_ part: Substring) throws -> Int64? {
            if part == "*" { return nil }
            guard let value = Int64(part), value >= 0 else { throw invalid }
            return value
        }
        let access = String(parts[2])
        guard Self.isAccess(access) else { throw invalid }
        type = String(parts[0])
        major = try number(numbers[0])
        minor = try number(numbers[1])
        self.access = access
    }

    /// Device cgroup permissions: one to three of r, w and m.
    public static func isAccess(_ text: String) -> Bool {
        (1...3).contains(text.count) && text.allSatisfy { "rwm".contains($0) }
    }
}
