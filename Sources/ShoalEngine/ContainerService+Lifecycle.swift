import Foundation
import ShoalCore
import ShoalModel
import ShoalOS
import ShoalRuntime

extension ContainerService {
    // MARK: start

    public func start(_ ref: String) async throws {
        let id = try resolve(ref).id
        try await locks.withLock(id) { try await self.startLocked(id) }
    }

    /// Mounts the rootfs, attaches the sandbox, writes the OCI spec, creates the container under conmon,
    /// connects waiting attach sessions, then starts it. Each host change is undone if a later step fails.
    func startLocked(_ id: String) async throws {
        guard var record = records[id] else { throw ShoalError.notFound("No such container: \(id)") }
        switch record.state.status {
        case .running, .paused: return
        case .removing: throw ShoalError.conflict("container \(id) is marked for removal and cannot be started")
        case .dead: throw ShoalError.conflict("container \(id) is dead and cannot be started")
        case .created, .exited, .restarting: break
        }
        let directory = paths.containerDirectory(id)
        let rootfs = paths.rootfs(id)
        var undo = UndoStack()
        do {
            let logPolicy = try Self.logPolicy(record.spec.host.logConfig)
            try Self.checkJournal(logPolicy)
            for dir in [paths.upperDirectory(id), paths.workDirectory(id), rootfs] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            // The upper directory is the rootfs's "/" (owned by the container's root, as the image's is).
            if let mapping = userNamespace(record.spec.host) { try Self.chownToRoot([paths.upperDirectory(id)], mapping) }
            if !Mounts.isMounted(rootfs) {
                let lower = try await images.layerDirectories(for: record.imageID)
                try Mounts.overlay(lowerDirs: lower, upperDir: paths.upperDirectory(id),
                                   workDir: paths.workDirectory(id), target: rootfs)
                undo.push { try? Mounts.unmount(rootfs) }
            }
            let linked = try linkedSetup(record)
            var linking = record
            linking.spec.host.extraHosts += linked.hosts
            let sandbox = try await sandboxes.attach(linking, directory: directory)
            record.network = sandbox.state
            if let mapping = userNamespace(record.spec.host) { try Self.chownToRoot(sandbox.files.map(\.source), mapping) }
            let sandboxes = self.sandboxes
            let attachedRecord = record
            undo.push { await sandboxes.detach(attachedRecord) }

            try mountSharedMemory(record, undo: &undo)
            var options = try specOptions(record, rootfs: rootfs, sandbox: sandbox)
            // Docker puts the links' variables before the container's own, which win on a clash.
            let own = Set(record.env.map { $0.split(separator: "=", maxSplits: 1).first.map(String.init) ?? $0 })
            options.env = linked.env.filter { !own.contains(String($0.split(separator: "=")[0])) } + options.env
            let user = try UserResolver.resolve(record.user, rootfs: rootfs, groupAdd: record.spec.host.groupAdd ?? [])
            let spec = try SpecBuilder.build(options, user: user,
                                             hostDevices: record.spec.host.privileged ? HostDevices.list() : [],
                                             allCapabilities: Self.hostCapabilities)
            try await AppArmorLoader.ensureLoaded(forContainerProfile: spec.process.apparmorProfile)
            // A previous run of this container may have left runc state if the daemon died mid-way.
            if runtime.hasState(id: id) { try? await runtime.delete(id: id, force: true) }
            let pid = try await runtime.create(
                id: id, bundle: directory, spec: spec, logPath: logPolicy.keepsLog ? paths.logPath(id) : nil,
                terminal: record.spec.tty,
                openStdin: record.spec.openStdin, stdinOnce: record.spec.stdinOnce)
            let runtime = self.runtime
            undo.push { try? await runtime.delete(id: id, force: true) }
            for session in pendingAttaches.removeValue(forKey: id) ?? [] {
                do {
                    await session.connect(try runtime.attach(id: id))
                } catch {
                    session.end()
                }
            }
            try await runtime.start(id: id)
            record.state.status = .running
            record.state.pid = pid
            record.state.exitCode = 0
            record.state.error = ""
            record.state.startedAt = Date()
            record.manuallyStopped = false
            startHealthMonitor(&record)
            try save(record)
            startMonitor(id)
            publish(record, "start")
        } catch {
            await undo.run()
            for session in pendingAttaches.removeValue(forKey: id) ?? [] { session.end() }
            let message = (error as? ShoalError)?.description ?? "\(error)"
            record.state.error = message
            record.state.exitCode = Self.startFailureExitCode(message)
            if record.state.status == .restarting { record.state.status = .exited }
            try? save(record)
            if record.spec.host.autoRemove {
                // As Docker: a `--rm` container that cannot start is removed (the CLI waits for that).
                try? await removeLocked(id, removeVolumes: true)
            }
            throw Self.startError(error)
        }
    }

    /// What `--privileged` and `--cap-add ALL` grant: the daemon's own bounding set (a daemon that lacks a
    /// capability cannot hand it out, and runc refuses to try).
    static let hostCapabilities = Capabilities.hostBounding()

    /// Docker records 127 for "not found", 126 for "permission denied", 128 otherwise on a failed start.
    static func startFailureExitCode(_ message: String) -> Int32 {
        if message.contains("executable file not found") || message.contains("no such file or directory") { return 127 }
        if message.contains("permission denied") { return 126 }
        return 128
    }

    /// Runtime failures at start are worded as Docker words them; the CLI picks its exit code (126/127) from
    /// the message text.
    static func startError(_ error: any Error) -> ShoalError {
        guard let error = error as? ShoalError else {
            return ShoalError.internalError("failed to start container", cause: error)
        }
        if error.code == .internalError || error.code == .invalidArgument {
            let text = error.description
            if text.contains("executable file not found") || text.contains("no such file or directory")
                || text.contains("permission denied") || text.contains("exec format error") {
                return ShoalError.invalidArgument(
                    "failed to create task for container: OCI runtime create failed: \(text): unknown")
            }
        }
        return error
    }

    /// The container's `--security-opt` list, read and checked as Docker does; a profile it names must also
    /// resolve on this host. Docker answers a bad option with 500 and Docker's own message.
    static func securityOptions(_ host: HostSpec) throws -> SecurityOptions {
        do {
            let options = try SecurityOptions.parse(host.securityOpt ?? [])
            if case .profile(let profile) = options.seccomp {
                _ = try SeccompResolver.resolve(profile, capabilities: [], host: .current)
            }
            return options
        } catch let error as SecurityOptionError {
            throw ShoalError.internalError(error.message)
        }
    }

    func specOptions(_ record: ContainerRecord, rootfs: String, sandbox: SandboxAttachment) throws
        -> ContainerSpecOptions {
        let host = record.spec.host
        var options = ContainerSpecOptions(id: record.id, rootfs: rootfs, args: record.entrypoint + record.cmd)
        options.env = record.env
        options.workingDir = record.workingDir
        options.user = record.user
        // With the host's network the container also carries the host's name, as in Docker.
        options.hostname = sandbox.network == .host ? KernelHostName.read() : record.hostname
        options.terminal = record.spec.tty
        options.readOnlyRootfs = host.readonlyRootfs
        options.privileged = host.privileged
        options.capAdd = host.capAdd
        options.capDrop = host.capDrop
        options.tmpfs = host.tmpfs
        if host.shmSize > 0 { options.shmSize = host.shmSize }
        if host.memory > 0 { options.memory = host.memory }
        if host.memorySwap != 0 { options.memorySwap = host.memorySwap }
        if host.nanoCPUs > 0 { options.cpus = Double(host.nanoCPUs) / 1e9 }
        if host.cpuShares > 0 { options.cpuShares = UInt64(host.cpuShares) }
        options.pidsLimit = host.pidsLimit
        options.network = sandbox.network
        options.initProcess = host.initProcess ?? false
        options.initPath = initPath
        options.sysctls = host.sysctls
        let security = try Self.securityOptions(host)
        options.noNewPrivileges = security.noNewPrivileges
        options.seccomp = security.seccomp
        options.appArmorProfile = security.appArmorProfile
        options.maskedPaths = host.maskedPaths
        options.readonlyPaths = host.readonlyPaths
        options.cpusetCpus = host.cpusetCpus
        options.cpusetMems = host.cpusetMems
        try applyNamespaces(host, to: &options)
        for mapping in host.devices ?? [] {
            let (devices, rules) = try HostDevices.mapped(mapping.pathOnHost, as: mapping.pathInContainer,
                                                          permissions: mapping.cgroupPermissions)
            options.devices += devices
            options.deviceRules += rules
        }
        for text in host.deviceCgroupRules ?? [] {
            let rule = try DeviceCgroupRule(parsing: text)
            options.deviceRules.append(.init(allow: true, type: rule.type, major: rule.major, minor: rule.minor,
                                             access: rule.access))
        }
        var binds: [ContainerSpecOptions.BindMount] = []
        for file in sandbox.files {
            binds.append(.init(source: file.source, destination: file.destination, readOnly: false))
        }
        for mount in record.mounts {
            switch mount.kind {
            case .bind, .volume:
                binds.append(.init(source: mount.source, destination: mount.destination, readOnly: mount.readOnly,
                                   propagation: mount.propagation ?? "rprivate"))
            case .tmpfs:
                var parts: [String] = []
                if mount.tmpfsSize > 0 { parts.append("size=\(mount.tmpfsSize)") }
                if let mode = mount.tmpfsMode { parts.append("mode=" + String(mode, radix: 8)) }
                if mount.readOnly { parts.append("ro") }
                options.tmpfs[mount.destination] = parts.joined(separator: ",")
            }
        }
        try BindPropagation.checkSources(binds)
        options.binds = binds
        try applyUserNamespace(host, sandbox: sandbox, to: &options)
        return options
    }

    // MARK: exit

    /// Waits for the container's exit, and meanwhile keeps its log: rotation by size, and entries sent on to
    /// the journal for the journald driver. Both end by themselves once the container has ended and its last
    /// output is in the log, before the exit is handled.
    func startMonitor(_ id: String) {
        monitors[id]?.cancel()
        let runtime = self.runtime
        let logPath = paths.logPath(id)
        let policy = try? Self.logPolicy(records[id]?.spec.host.logConfig)
        let journal = journalForwarding(id, follow: true)
        monitors[id] = Task {
            let code = await withTaskGroup(of: Int32?.self) { group in
                group.addTask {
                    do {
                        return try await runtime.waitForExit(id: id)
                    } catch {
                        return runtime.exitCode(id: id) ?? 255
                    }
                }
                if let policy, let maxSize = policy.maxSize {
                    group.addTask {
                        await runtime.superviseLog(id: id, logPath: logPath, maxSize: maxSize,
                                                   maxFiles: policy.maxFiles)
                        return nil
                    }
                }
                if let journal {
                    group.addTask {
                        await journal()
                        return nil
                    }
                }
                return await group.reduce(into: Int32(255)) { code, result in if let result { code = result } }
            }
            await self.handleExit(id, code: code)
        }
    }

    /// The container's process ended: release what start took, record the exit, wake waiters, then apply the
    /// restart policy or auto-remove.
    func handleExit(_ id: String, code: Int32) async {
        let removeAfter = await locks.withLock(id) { () -> Bool in
            guard var record = records[id], record.state.isRunning else { return false }
            monitors[id] = nil
            stopHealthMonitor(id)
            record.state.status = .exited
            record.state.exitCode = code
            record.state.pid = 0
            record.state.finishedAt = Date()
            // The exit is on disk before the runtime state that also holds it goes: a daemon that stops in between
            // finds an exited container whose leftovers restore() releases, never a running one without its
            // runtime state (whose exit code would be lost: 255).
            try? save(record)
            await releaseRuntime(record)
            record.network = ContainerNetworkState()
            publish(record, "die", extra: ["exitCode": String(code)])
            resolveWaiters(id, [.nextExit, .notRunning], WaitResult(statusCode: code))
            if shouldRestart(record, exitCode: code) {
                record.state.status = .restarting
                try? save(record)
                scheduleRestart(record)
                return false
            }
            try? save(record)
            return record.spec.host.autoRemove
        }
        if removeAfter {
            try? await locks.withLock(id) { try await self.removeLocked(id, removeVolumes: true) }
        }
    }

    /// Runtime state, sandbox and rootfs mount of a container whose process is gone.
    func releaseRuntime(_ record: ContainerRecord) async {
        if runtime.hasState(id: record.id) { try? await runtime.delete(id: record.id, force: true) }
        await sandboxes.detach(record)
        let rootfs = paths.rootfs(record.id)
        // Unmounting an overlay syncs its upper dir: keep that off the actor.
        try? await runBlocking { if Mounts.isMounted(rootfs) { try Mounts.unmount(rootfs) } }
        let sharedMemory = paths.sharedMemory(record.id)
        if Mounts.isMounted(sharedMemory) { try? Mounts.unmount(sharedMemory) }
    }

    func shouldRestart(_ record: ContainerRecord, exitCode: Int32) -> Bool {
        let policy = record.spec.host.restartPolicy
        switch policy.name {
        case .no: return false
        case .always, .unlessStopped: return !record.manuallyStopped
        case .onFailure:
            return exitCode != 0 && !record.manuallyStopped
                && (policy.maximumRetryCount == 0 || record.restartCount < policy.maximumRetryCount)
        }
    }

    /// Docker's back-off: 100 ms doubling per restart, reset once a run lasted 10 s.
    func scheduleRestart(_ record: ContainerRecord) {
        let ranFor = (record.state.finishedAt ?? Date()).timeIntervalSince(record.state.startedAt ?? Date())
        let exponent = ranFor >= 10 ? 0 : min(record.restartCount, 10)
        let delay = Duration.milliseconds(100 * (1 << exponent))
        let id = record.id
        Task {
            try? await Task.sleep(for: delay)
            await self.restartByPolicy(id)
        }
    }

    func restartByPolicy(_ id: String) async {
        await locks.withLock(id) {
            guard var record = records[id], record.state.status == .restarting else { return }
            record.restartCount += 1
            try? save(record)
            do {
                try await startLocked(id)
                publish(record, "restart")
            } catch {
                logger.warning("restart of \(id) failed: \(error)")
            }
        }
    }

    // MARK: stop, kill, restart, pause

    public func stop(_ ref: String, timeout: Int?, signal: String?) async throws {
        let record = try resolve(ref)
        let id = record.id
        let exited: Promise<WaitResult>? = try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            if record.state.status == .restarting {
                record.state.status = .exited
                record.manuallyStopped = true
                try save(record)
                return nil
            }
            guard record.state.isRunning else { return nil }
            record.manuallyStopped = true
            try save(record)
            let promise = registerWaiter(id, .nextExit)
            let signalNumber = try Signals.parse(signal ?? record.stopSignal)
            try? await runtime.signal(id: id, pid: record.state.pid, signal: signalNumber)
            publish(record, "kill", extra: ["signal": String(signalNumber)])
            if record.state.status == .paused { try? await runtime.resume(id: id) }
            return promise
        }
        guard let exited else { return }
        let seconds = timeout ?? record.spec.stopTimeout ?? 10
        if seconds < 0 {
            _ = await exited.value
        } else if await exited.value(timeout: .seconds(seconds)) == nil {
            try? await runtime.kill(id: id, signal: 9)
            _ = await exited.value
        }
        if let record = records[id] { publish(record, "stop") }
    }

    /// Sends a signal. With SIGKILL (the default) it returns once the container has stopped, as Docker does,
    /// so `docker kill x && docker rm x` works.
    public func kill(_ ref: String, signal: String?) async throws {
        let record = try resolve(ref)
        let id = record.id
        let exited = try await locks.withLock(id) { () -> Promise<WaitResult>? in
            guard var record = records[id], record.state.isRunning else {
                throw ShoalError.conflict("Cannot kill container: \(ref): Container \(id) is not running")
            }
            let number = try Signals.parse(signal ?? "SIGKILL")
            if number == 9 || number == (try? Signals.parse(record.stopSignal)) {
                record.manuallyStopped = true
                try save(record)
            }
            let promise = number == 9 ? registerWaiter(id, .nextExit) : nil
            try await runtime.signal(id: id, pid: record.state.pid, signal: number)
            // A frozen process only dies once thawed.
            if number == 9 && record.state.status == .paused { try? await runtime.resume(id: id) }
            publish(record, "kill", extra: ["signal": String(number)])
            return promise
        }
        if let exited { _ = await exited.value(timeout: .seconds(10)) }
    }

    public func restart(_ ref: String, timeout: Int?, signal: String?) async throws {
        let id = try resolve(ref).id
        try await stop(id, timeout: timeout, signal: signal)
        try await start(id)
        if let record = records[id] { publish(record, "restart") }
    }

    public func pause(_ ref: String) async throws {
        let id = try resolve(ref).id
        try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            guard record.state.status == .running else {
                if record.state.status == .paused { throw ShoalError.conflict("Container \(id) is already paused") }
                throw ShoalError.conflict("Container \(id) is not running")
            }
            try await runtime.pause(id: id)
            stopHealthMonitor(id)
            record.state.status = .paused
            try save(record)
            publish(record, "pause")
        }
    }

    public func unpause(_ ref: String) async throws {
        let id = try resolve(ref).id
        try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            guard record.state.status == .paused else {
                throw ShoalError.conflict("Container \(id) is not paused")
            }
            try await runtime.resume(id: id)
            record.state.status = .running
            try save(record)
            resumeHealthMonitor(id)
            publish(record, "unpause")
        }
    }

    // MARK: wait

    /// Registers a wait now; the returned closure awaits the result.
    public func wait(_ ref: String, condition: WaitCondition) throws -> @Sendable () async -> WaitResult {
        let record = try resolve(ref)
        if condition == .notRunning && !record.state.isRunning {
            let result = WaitResult(statusCode: record.state.exitCode)
            return { result }
        }
        let promise = registerWaiter(record.id, condition)
        return { await promise.value }
    }

    func registerWaiter(_ id: String, _ condition: WaitCondition) -> Promise<WaitResult> {
        let promise = Promise<WaitResult>()
        waiters[id, default: []].append((condition, promise))
        return promise
    }

    func resolveWaiters(_ id: String, _ conditions: Set<WaitCondition>, _ result: WaitResult) {
        guard let list = waiters[id] else { return }
        var remaining: [(condition: WaitCondition, promise: Promise<WaitResult>)] = []
        for waiter in list {
            if conditions.contains(waiter.condition) { waiter.promise.fulfill(result) } else { remaining.append(waiter) }
        }
        waiters[id] = remaining.isEmpty ? nil : remaining
    }

    // MARK: rename

    public func rename(_ ref: String, to newName: String) async throws {
        let id = try resolve(ref).id
        let name = Self.plainName(newName)
        guard Identifier.isValidName(name) else {
            throw ShoalError.invalidArgument("Invalid container name (\(newName)), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed")
        }
        try await locks.withLock(id) {
            guard var record = records[id] else { throw ShoalError.notFound("No such container: \(ref)") }
            if record.name == name {
                throw ShoalError.invalidArgument("Renaming a container with the same name as its current name")
            }
            if let owner = idsByName[name] {
                throw ShoalError.conflict("Error when allocating new name: Conflict. The container name \"/\(name)\" is already in use by container \"\(owner)\". You have to remove (or rename) that container to be able to reuse that name.")
            }
            let oldName = record.name
            record.name = name
            try save(record)
            idsByName[oldName] = nil
            idsByName[name] = id
            await sandboxes.renamed(record)
            publish(record, "rename", extra: ["oldName": "/" + oldName])
        }
    }
}

/// Undo actions recorded as a start proceeds, run in reverse when a later step fails.
struct UndoStack {
    private var actions: [@Sendable () async -> Void] = []
    mutating func push(_ action: @escaping @Sendable () async -> Void) { actions.append(action) }
    func run() async {
        for action in actions.reversed() { await action() }
    }
}

/// Signal names and numbers as `docker kill -s` and STOPSIGNAL accept them (`SIGTERM`, `TERM`, `15`).
enum Signals {
    static let numbers: [String: Int32] = [
        "HUP": 1, "INT": 2, "QUIT": 3, "ILL": 4, "TRAP": 5, "ABRT": 6, "BUS": 7, "FPE": 8, "KILL": 9, "USR1": 10,
        "SEGV": 11, "USR2": 12, "PIPE": 13, "ALRM": 14, "TERM": 15, "STKFLT": 16, "CHLD": 17, "CONT": 18,
        "STOP": 19, "TSTP": 20, "TTIN": 21, "TTOU": 22, "URG": 23, "XCPU": 24, "XFSZ": 25, "VTALRM": 26,
        "PROF": 27, "WINCH": 28, "IO": 29, "PWR": 30, "SYS": 31,
    ]

    static func parse(_ text: String) throws -> Int32 {
        if let number = Int32(text), (1...64).contains(number) { return number }
        var name = text.uppercased()
        if name.hasPrefix("SIG") { name.removeFirst(3) }
        guard let number = numbers[name] else { throw ShoalError.invalidArgument("Invalid signal: \(text)") }
        return number
    }
}
