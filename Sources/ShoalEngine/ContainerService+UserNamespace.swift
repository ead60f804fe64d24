import Glibc
import ShoalCore
import ShoalModel
import ShoalOS
import ShoalRuntime

/// `--userns-remap`: which containers run in the daemon's user namespace, what Docker refuses with it, and the
/// files Shoal makes for a container that its root must own (dockerd chowns the same ones to the remapped root).
extension ContainerService {
    /// The daemon's remapping, unless the container opted out with `--userns host`.
    func userNamespace(_ host: HostSpec) -> IDMapping? {
        host.usernsMode == "host" ? nil : idMapping
    }

    /// The container's user namespace in its spec options: the daemon's mapping, the one its sandbox belongs to,
    /// and on each bind the flags its source's mount locks (runc remounts binds inside the user namespace).
    func applyUserNamespace(_ host: HostSpec, sandbox: SandboxAttachment, to options: inout ContainerSpecOptions)
        throws {
        guard let mapping = userNamespace(host) else { return }
        options.userNamespace = mapping
        options.userNamespacePath = sandbox.userNamespace
        for index in options.binds.indices {
            options.binds[index].lockedOptions = try Mounts.lockedOptions(of: options.binds[index].source)
        }
    }

    /// dockerd's refusals (verifyPlatformContainerSettings): what shares the host's kernel view needs `--userns host`.
    static func checkUserNamespace(_ host: HostSpec, remapping: Bool) throws {
        guard remapping, host.usernsMode != "host" else { return }
        if host.privileged {
            throw ShoalError.invalidArgument("privileged mode is incompatible with user namespaces.  You must run the container in the host namespace when running privileged mode")
        }
        if host.networkMode == "host" {
            throw ShoalError.invalidArgument("cannot share the host's network namespace when user namespaces are enabled")
        }
        if host.pidMode == "host" {
            throw ShoalError.invalidArgument("cannot share the host PID namespace when user namespaces are enabled")
        }
    }

    /// Gives `paths` (not following symlinks) to the container's root on the host.
    public static func chownToRoot(_ paths: [String], _ mapping: IDMapping) throws {
        for path in paths where lchown(path, mapping.rootUID, mapping.rootGID) != 0 {
            throw ShoalError.internalError("cannot chown \(path) to the remapped root: \(String(cString: strerror(errno)))")
        }
    }
}
