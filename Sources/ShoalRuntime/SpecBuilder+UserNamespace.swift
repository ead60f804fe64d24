import ShoalCore

/// A remapped container's user namespace (dockerd's WithNamespaces with `--userns-remap`): a `user` namespace with
/// the daemon's uid and gid ranges, so that the container's root is the first subordinate id on the host.
extension SpecBuilder {
    /// - Parameter path: the user namespace that owns the network namespace the container joins, if any.
    static func applyUserNamespace(_ mapping: IDMapping, path: String?, network: ContainerSpecOptions.NetworkMode,
                                   linux: inout OCISpec.Linux, mounts: inout [OCISpec.Mount]) {
        linux.namespaces.insert(.init(type: "user", path: path), at: 0)
        linux.uidMappings = mapping.uids
        linux.gidMappings = mapping.gids
        for index in mounts.indices {
            switch (mounts[index].destination, mounts[index].type) {
            case ("/sys", "sysfs") where network != .none && path == nil:
                // The kernel mounts a sysfs only for the user namespace that owns the network namespace: one made
                // outside it gets the host's /sys read-only instead (Podman's answer to the same limit; runc 1.1
                // has no fallback of its own). Shoal's own sandboxes of remapped containers are made inside it.
                mounts[index] = .init(destination: "/sys", type: "bind", source: "/sys",
                                      options: ["rbind", "nosuid", "noexec", "nodev", "ro"])
            case (_, "cgroup"):
                // dockerd clears read-only here: the remount cannot be done inside a user namespace.
                mounts[index].options?.removeAll { $0 == "ro" }
            default:
                break
            }
        }
    }
}
