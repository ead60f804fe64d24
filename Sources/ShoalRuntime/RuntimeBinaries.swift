import ShoalOS

/// The programs the runtime drives, found in the usual Debian places.
public struct RuntimeBinaries: Sendable, Equatable {
    public var runc: String
    public var conmon: String

    public init(runc: String? = nil, conmon: String? = nil) {
        self.runc = runc ?? Self.find("runc", in: ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"])
        self.conmon = conmon ?? Self.find("conmon", in: ["/usr/bin", "/usr/libexec/podman", "/usr/local/bin"])
    }

    static func find(_ name: String, in dirs: [String]) -> String {
        dirs.map { $0 + "/" + name }.first(where: FileIO.exists) ?? "/usr/bin/" + name
    }
}
