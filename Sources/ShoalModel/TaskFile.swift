import Foundation

/// A secret or config as a file in a task's container: where it goes, what it holds, its owner and mode. A
/// node gets the files of its own tasks only, and keeps them in memory (a tmpfs), never on its disk.
public struct TaskFile: Sendable, Equatable {
    /// Absolute path in the container (`/run/secrets/NAME` for a secret by default, `/NAME` for a config).
    public var target: String
    public var data: Data
    public var mode: UInt32
    public var uid: String
    public var gid: String

    public init(target: String, data: Data, mode: UInt32 = 0o444, uid: String = "0", gid: String = "0") {
        self.target = target
        self.data = data
        self.mode = mode
        self.uid = uid
        self.gid = gid
    }

    /// Docker's targets: a secret's relative name goes under /run/secrets, a config's under /.
    public static func secretTarget(_ name: String) -> String { name.hasPrefix("/") ? name : "/run/secrets/" + name }
    public static func configTarget(_ name: String) -> String { name.hasPrefix("/") ? name : "/" + name }
}
