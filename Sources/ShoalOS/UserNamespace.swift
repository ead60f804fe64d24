import CShoal
import Foundation
import ShoalCore

/// A network namespace owned by a user namespace with a given mapping, both pinned by bind mounts (the user
/// namespace beside the network one, at `<path>.user`): the sandbox of a remapped container. Docker lets runc make
/// the container's network namespace inside its user namespace; Shoal builds sandboxes before runc starts, so it
/// makes both first and runc joins them. Only then may the container mount a sysfs of its own, and may `runc exec`
/// (which enters the user namespace first) enter the network namespace.
public enum UserNamespace {
    public static func userPath(forNetwork path: String) -> String { path + ".user" }

    /// `unshare --user --net` in a child that waits on its stdin; the mapping written from here (root of the parent
    /// namespace may write any), both namespaces pinned, then the child let go.
    public static func createOwnedNetwork(at path: String, mapping: IDMapping) async throws {
        let userPath = userPath(forNetwork: path)
        var child: ChildProcess?
        var descriptors: [Int32] = []
        defer { descriptors.forEach { close($0) } }
        do {
            NetworkNamespace.remove(at: userPath)  // a pin a crash left behind
            for file in [path, userPath] {
                let fd = open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o444)
                guard fd >= 0 else { throw ShoalError.system("create \(file)") }
                close(fd)
            }
            let input = try FileIO.pipe(nonBlockingRead: false)
            descriptors += [input.read, input.write]
            let output = try FileIO.pipe()
            descriptors += [output.read, output.write]
            let spawned = try ChildProcess.spawn("/usr/bin/unshare", ["--user", "--net", "--", "/bin/sh", "-c", "echo; read _"],
                                                 fds: [input.read, output.write, -1])
            child = spawned
            // One line once the namespaces exist (before, /proc/PID/ns would still be ours). The child's ends
            // closed here, so that its end of output is seen should it die first.
            [input.read, output.write].forEach { close($0) }
            descriptors = [input.write, output.read]
            guard let line = try await FileIO.read(output.read), !line.isEmpty else {
                throw ShoalError.internalError("unshare --user --net ended before making its namespaces")
            }
            try write(mapping.uids, to: "/proc/\(spawned.pid)/uid_map")
            try write(mapping.gids, to: "/proc/\(spawned.pid)/gid_map")
            for (kind, file) in [("user", userPath), ("net", path)] {
                guard cshoal_mount("/proc/\(spawned.pid)/ns/\(kind)", file, nil, cshoal_ms_bind(), nil) == 0 else {
                    throw ShoalError.system("pin the \(kind) namespace at \(file)")
                }
            }
            // Its stdin at end of file: `read` returns and the child ends; the pins keep the namespaces.
            close(input.write)
            descriptors = [output.read]
            _ = try await spawned.wait()
        } catch {
            if let child {
                kill(child.pid, SIGKILL)
                _ = try? await child.wait()
            }
            remove(networkAt: path)
            throw error
        }
    }

    /// Unpins both namespaces; quiet when they are gone.
    public static func remove(networkAt path: String) {
        NetworkNamespace.remove(at: path)
        NetworkNamespace.remove(at: userPath(forNetwork: path))
    }

    /// A map file takes all its lines in one write(2).
    private static func write(_ ranges: [IDMapping.Range], to file: String) throws {
        let text = ranges.map { "\($0.containerID) \($0.hostID) \($0.size)\n" }.joined()
        let fd = open(file, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ShoalError.system("open \(file)") }
        defer { close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written == text.utf8.count else { throw ShoalError.system("write \(file)") }
    }
}
