import ShoalCore
import ShoalModel

/// `--volumes-from CONTAINER[:ro|rw]`: the volumes and binds of other containers, at the same places, read-only
/// or read-write as asked (as the source has them when not said). They stay the source's: `rm -v` of this
/// container leaves them.
extension ContainerService {
    func inheritedMounts(_ sources: [String]) throws -> [ResolvedMount] {
        var mounts: [ResolvedMount] = []
        for entry in sources {
            var reference = entry
            var mode = ""
            if let colon = entry.lastIndex(of: ":") {
                reference = String(entry[..<colon])
                mode = String(entry[entry.index(after: colon)...])
            }
            guard ["", "ro", "rw"].contains(mode), !reference.isEmpty else {
                throw ShoalError.invalidArgument("invalid mode: \(mode)")
            }
            let source = try resolve(reference)
            for var mount in source.mounts where mount.kind != .tmpfs {
                if !mode.isEmpty { mount.readOnly = mode == "ro" }
                mount.anonymous = false
                mounts.append(mount)
            }
        }
        return mounts
    }
}
