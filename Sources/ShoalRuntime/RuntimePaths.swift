/// Where the runtime keeps per-container state on the host. Everything needed to find a container again after a
/// daemon restart is under these directories (put them on /run: containers do not survive a reboot either).
///
///     <runcRoot>/<id>/state.json          runc's own state (runc --root)
///     <stateRoot>/exits/<id>              exit code, written by conmon (--exit-dir)
///     <stateRoot>/sockets/<id> → bundle   symlink made by conmon (--socket-dir-path); attach socket is <bundle>/attach
///     <stateRoot>/containers/<id>/        conmon --persist-dir: conmon.pid, pid, exit
///     <stateRoot>/exec/<id>/<session>/    an exec's bundle and conmon --persist-dir (a tmpfs of its own when
///                                         the state root is on disk: an exec makes and drops a dozen files)
///
/// The bundle directory belongs to the engine (any path): the runtime writes config.json there and conmon puts
/// `attach` (socket), `ctl` and `winsz` (fifos) next to it. The log path is the engine's too.
public struct RuntimePaths: Sendable, Equatable {
    public var runcRoot: String
    public var stateRoot: String

    public init(runcRoot: String = "/run/shoal/runc", stateRoot: String = "/run/shoal/runtime") {
        self.runcRoot = runcRoot
        self.stateRoot = stateRoot
    }

    public var exitDir: String { stateRoot + "/exits" }
    public var socketDir: String { stateRoot + "/sockets" }
    public var containersDir: String { stateRoot + "/containers" }

    public func persistDir(_ id: String) -> String { containersDir + "/" + id }
    public func exitFile(_ id: String) -> String { exitDir + "/" + id }
    public func conmonPidFile(_ id: String) -> String { persistDir(id) + "/conmon.pid" }
    public func containerPidFile(_ id: String) -> String { persistDir(id) + "/pid" }
    /// conmon's symlink to the bundle; opening it gives the bundle dir even after a restart.
    public func socketLink(_ id: String) -> String { socketDir + "/" + id }
    /// Every exec session's directory is below this one.
    public var execRoot: String { stateRoot + "/exec" }
    /// The exec sessions of container `id`.
    public func execSessions(_ id: String) -> String { execRoot + "/" + id }
    public func execDir(_ id: String, session: String) -> String { execSessions(id) + "/" + session }
}
