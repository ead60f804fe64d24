/// Where the engine keeps things. `dataRoot` survives reboots (records, images, volumes, logs); `execRoot` is
/// runtime state on tmpfs (runc and conmon state, sockets) that lives as long as the containers do.
public struct EnginePaths: Sendable, Equatable {
    public var dataRoot: String
    public var execRoot: String

    public init(dataRoot: String, execRoot: String) {
        self.dataRoot = dataRoot
        self.execRoot = execRoot
    }

    public var database: String { dataRoot + "/shoal.db" }
    public var imagesRoot: String { dataRoot + "/images" }
    public var volumesRoot: String { dataRoot + "/volumes" }
    public var containersRoot: String { dataRoot + "/containers" }
    public var spoolRoot: String { dataRoot + "/tmp" }
    public var runcRoot: String { execRoot + "/runc" }
    public var runtimeStateRoot: String { execRoot + "/runtime" }

    /// Per container: the bundle (config.json, conmon's attach socket), overlay upper/work dirs, the mounted
    /// rootfs, the log and the sandbox files.
    public func containerDirectory(_ id: String) -> String { containersRoot + "/" + id }
    public func rootfs(_ id: String) -> String { containerDirectory(id) + "/rootfs" }
    public func upperDirectory(_ id: String) -> String { containerDirectory(id) + "/upper" }
    public func workDirectory(_ id: String) -> String { containerDirectory(id) + "/work" }
    /// The /dev/shm of a container with `--ipc shareable`: a tmpfs on the host that its joiners bind too.
    public func sharedMemory(_ id: String) -> String { containerDirectory(id) + "/shm" }
    public func logPath(_ id: String) -> String { containerDirectory(id) + "/container.log" }
}
