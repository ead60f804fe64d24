import Foundation
import ShoalRuntime
import Glibc

/// Facts about this host for `docker info` and `docker version`, read once.
struct HostFacts: Sendable {
    var kernelVersion: String
    var architecture: String
    var operatingSystem: String
    var hostname: String
    var cpus: Int
    var memoryBytes: Int64
    /// "1" on cgroup v1 and hybrid hosts (Docker reports the controllers' version), "2" on a unified host.
    var cgroupVersion: String
    var runcVersion: String
    /// `docker info`'s Security Options: the kernel's confinement features Shoal applies, then cgroupns.
    var securityOptions: [String]

    /// - Parameter remapping: whether containers run in a user namespace (`docker info` then lists `name=userns`).
    static func read(remapping: Bool) -> HostFacts {
        var name = utsname()
        uname(&name)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
        }
        var os = "Linux"
        if let release = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8) {
            for line in release.split(separator: "\n") where line.hasPrefix("PRETTY_NAME=") {
                os = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        let unified = FileManager.default.fileExists(atPath: "/sys/fs/cgroup/cgroup.controllers")
        return HostFacts(
            kernelVersion: field(name.release), architecture: field(name.machine), operatingSystem: os,
            hostname: field(name.nodename), cpus: ProcessInfo.processInfo.activeProcessorCount,
            memoryBytes: Int64(ProcessInfo.processInfo.physicalMemory), cgroupVersion: unified ? "2" : "1",
            runcVersion: "runc", securityOptions: HostSecurity.infoOptions() + (remapping ? ["name=userns"] : []) + ["name=cgroupns"])
    }
}
