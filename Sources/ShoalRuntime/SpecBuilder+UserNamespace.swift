import ShoalCore

/// A remapped container's user namespace (dockerd's WithNamespaces with `--userns-remap`): a `user` namespace with
/// the daemon's uid and gid ranges, so that the container's root is the first subordinate id on the host.
extension SpecBuilder {
    static func applyUserNamespace(_ mapping: IDMapping, network: ContainerSpecOptions.NetworkMode,
                                   linux: inout OCISpec.Linux, mounts: inout [OCISpec.Mount]) {
        linux.namespaces.insert(.init(type: "user"), at: 0)
        linux.uidMappings = mapping.uids
        linux.gidMappings = mapping.gids
        for index in mounts.indices {
            switch (mounts[index].destination, mounts[index].type) {
            case ("/sys", "sysfs") where network != .none:
                // The kernel mounts a sysfs only for the user namespace that owns the network namespace, and the
                // network layer made this one outside it: the host's /sys comes in read-only instead (Podman's
                // answer to the same limit; runc 1.1 has no fallback of its own).
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
