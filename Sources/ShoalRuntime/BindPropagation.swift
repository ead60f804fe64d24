import ShoalCore
import ShoalOS

/// Propagation of bind mounts (`bind-propagation=`, `-v src:dst:rshared`), as Docker 20.10 applies it: the mode
/// goes on the OCI mount; a shared bind needs its source on a shared mount and a slave bind one that is shared or
/// slave (else the start fails with Docker's words); and the container's root keeps a propagation that lets the
/// bind's events through (shared for a shared bind, rslave for a slave one).
public enum BindPropagation {
    /// The rootfs propagation the binds need (nil: runc's default).
    static func rootfsPropagation(_ binds: [ContainerSpecOptions.BindMount]) -> String? {
        let used = Set(binds.map(\.propagation))
        if !used.isDisjoint(with: ["shared", "rshared"]) { return "shared" }
        if !used.isDisjoint(with: ["slave", "rslave"]) { return "rslave" }
        return nil
    }

    /// Docker's check of each shared or slave bind's source mount (its ensureShared / ensureSharedOrSlave).
    public static func checkSources(_ binds: [ContainerSpecOptions.BindMount]) throws {
        for bind in binds {
            let shared = ["shared", "rshared"].contains(bind.propagation)
            guard shared || ["slave", "rslave"].contains(bind.propagation),
                  let source = Mounts.sourceMount(of: bind.source) else { continue }
            let accepted = shared ? ["shared:"] : ["shared:", "master:"]
            guard !source.optional.contains(where: { field in accepted.contains { field.hasPrefix($0) } }) else {
                continue
            }
            throw ShoalError.internalError("path \(bind.source) is mounted on \(source.mountPoint) but it is not a "
                                               + (shared ? "shared mount" : "shared or slave mount"))
        }
    }
}
