import ShoalCore
@testable import ShoalRuntime
import ShoalTestSupport
import Testing

@Suite struct SpecBuilderTests {
    let root = ExecUser(uid: 0, gid: 0, additionalGids: [], home: "/root")

    func options(_ edit: (inout ContainerSpecOptions) -> Void = { _ in }) -> ContainerSpecOptions {
        var options = ContainerSpecOptions(id: "abc", rootfs: "/r", args: ["sh"])
        edit(&options)
        return options
    }

    @Test func dockerDefaults() throws {
        let spec = try SpecBuilder.build(options(), user: root)
        #expect(spec.process.capabilities?.bounding == Capabilities.dockerDefault)
        #expect(spec.process.capabilities?.inheritable == nil)
        #expect(spec.process.env == ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"])
        #expect(spec.process.cwd == "/")
        #expect(spec.linux.cgroupsPath == "/shoal/abc")
        #expect(spec.linux.namespaces.map(\.type) == ["pid", "ipc", "uts", "mount", "network"])
        #expect(spec.linux.maskedPaths?.contains("/proc/kcore") == true)
        #expect(spec.linux.readonlyPaths == ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"])
        #expect(spec.mounts.map(\.destination) == ["/proc", "/dev", "/dev/pts", "/sys", "/sys/fs/cgroup", "/dev/mqueue", "/dev/shm"])
        #expect(spec.mounts.first { $0.destination == "/dev/shm" }?.options?.contains("size=67108864") == true)
        #expect(spec.mounts.first { $0.destination == "/sys" }?.options?.contains("ro") == true)
        #expect(spec.linux.resources?.devices?.first == .init(allow: false, access: "rwm"))
        #expect(spec.process.rlimits == nil)
        #expect(spec.root.readonly == nil)
    }

    @Test func bindPropagationReachesTheMountAndTheRoot() throws {
        #expect(try SpecBuilder.build(options(), user: root).linux.rootfsPropagation == nil)
        let shared = try SpecBuilder.build(options {
            $0.binds = [.init(source: "/a", destination: "/a", propagation: "rslave"),
                        .init(source: "/b", destination: "/b", propagation: "rshared")]
        }, user: root)
        #expect(shared.mounts.first { $0.destination == "/b" }?.options == ["rbind", "rw", "rshared"])
        #expect(shared.linux.rootfsPropagation == "shared")
        let slave = try SpecBuilder.build(options {
            $0.binds = [.init(source: "/a", destination: "/a", propagation: "slave")]
        }, user: root)
        #expect(slave.linux.rootfsPropagation == "rslave")
    }

    @Test func capabilityRules() throws {
        #expect(try Capabilities.resolve(add: ["sys_admin"], drop: ["NET_RAW", "cap_chown"], privileged: false)
            == Capabilities.dockerDefault.filter { $0 != "CAP_NET_RAW" && $0 != "CAP_CHOWN" } + ["CAP_SYS_ADMIN"])
        #expect(try Capabilities.resolve(add: ["ALL"], drop: ["MKNOD"], privileged: false)
            == Capabilities.all.filter { $0 != "CAP_MKNOD" })
        #expect(try Capabilities.resolve(add: ["NET_ADMIN"], drop: ["all"], privileged: false) == ["CAP_NET_ADMIN"])
        #expect(try Capabilities.resolve(add: [], drop: [], privileged: true) == Capabilities.all)
        #expect(throws: ShoalError.self) { try Capabilities.resolve(add: ["FOO"], drop: [], privileged: false) }
    }

    @Test func privilegedHasNoMasksAndAllDevices() throws {
        let device = OCISpec.Device(path: "/dev/sda", type: "b", major: 8, minor: 0, fileMode: 0o660, uid: 0, gid: 6)
        let spec = try SpecBuilder.build(options { $0.privileged = true }, user: root, hostDevices: [device])
        #expect(spec.linux.maskedPaths == nil && spec.linux.readonlyPaths == nil)
        #expect(spec.linux.devices == [device])
        #expect(spec.linux.resources?.devices == [.init(allow: true, access: "rwm")])
        #expect(spec.process.capabilities?.effective?.count == Capabilities.all.count)
        #expect(spec.mounts.first { $0.destination == "/sys" }?.options?.contains("rw") == true)
    }

    @Test func environmentLikeDocker() throws {
        let spec = try SpecBuilder.build(options {
            $0.hostname = "h1"
            $0.terminal = true
            $0.env = ["PATH=/custom", "A=1", "HOSTNAME=override"]
        }, user: root)
        #expect(spec.process.env == ["PATH=/custom", "HOSTNAME=override", "TERM=xterm", "A=1"])
        #expect(spec.hostname == "h1")
        #expect(spec.process.terminal == true)
    }

    @Test func mountsTmpfsBindsInitAndReadOnly() throws {
        let spec = try SpecBuilder.build(options {
            $0.readOnlyRootfs = true
            $0.tmpfs = ["/run": "size=1m,exec", "/dev/shm": ""]
            $0.binds = [try! .init(parsing: "/host/data:/data:ro"), .init(source: "/v", destination: "/data/sub")]
            $0.initProcess = true
            $0.shmSize = 1 << 20
        }, user: root)
        #expect(spec.root.readonly == true)
        #expect(spec.process.args == ["/sbin/docker-init", "--", "sh"])
        let byDest = Dictionary(spec.mounts.map { ($0.destination, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byDest["/run"]?.options == ["nosuid", "nodev", "size=1m", "exec"])
        #expect(byDest["/dev/shm"]?.type == "tmpfs" && byDest["/dev/shm"]?.source == "tmpfs")
        #expect(spec.mounts.filter { $0.destination == "/dev/shm" }.count == 1)
        #expect(byDest["/data"]?.options == ["rbind", "ro", "rprivate"])
        #expect(byDest["/sbin/docker-init"]?.source == "/usr/bin/tini-static")
        let dataIndex = spec.mounts.firstIndex { $0.destination == "/data" }!
        let subIndex = spec.mounts.firstIndex { $0.destination == "/data/sub" }!
        #expect(dataIndex < subIndex)
        #expect(throws: ShoalError.self) { try ContainerSpecOptions.BindMount(parsing: "relative:/x") }
    }

    @Test func resourcesAndNamespaces() throws {
        let spec = try SpecBuilder.build(options {
            $0.memory = 64 << 20
            $0.cpus = 1.5
            $0.pidsLimit = 50
            $0.network = .path("/run/netns/x")
            $0.sysctls = ["net.ipv4.ip_forward": "1"]
        }, user: root)
        #expect(spec.linux.resources?.memory?.limit == 64 << 20)
        #expect(spec.linux.resources?.cpu?.quota == 150_000 && spec.linux.resources?.cpu?.period == 100_000)
        #expect(spec.linux.resources?.pids?.limit == 50)
        #expect(spec.linux.namespaces.last == .init(type: "network", path: "/run/netns/x"))
        #expect(spec.linux.sysctl == ["net.ipv4.ip_forward": "1"])
        let host = try SpecBuilder.build(options { $0.network = .host }, user: root)
        #expect(!host.linux.namespaces.contains { $0.type == "network" })
        #expect(throws: ShoalError.self) { try SpecBuilder.build(options { $0.memory = 1024 }, user: root) }
    }
}

@Suite struct UserResolverTests {
    let passwd = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n"
    let group = "root:x:0:\nwheel:x:10:app,root\napp:x:1000:\nstaff:x:50:\n"

    @Test func namesNumbersAndGroups() throws {
        #expect(try UserResolver.resolve("", passwd: passwd, group: group)
            == ExecUser(uid: 0, gid: 0, additionalGids: [10], home: "/root"))
        #expect(try UserResolver.resolve("app", passwd: passwd, group: group)
            == ExecUser(uid: 1000, gid: 1000, additionalGids: [10], home: "/home/app"))
        #expect(try UserResolver.resolve("app:staff", passwd: passwd, group: group).gid == 50)
        #expect(try UserResolver.resolve("1234:99", passwd: passwd, group: group)
            == ExecUser(uid: 1234, gid: 99, additionalGids: [], home: "/"))
        #expect(try UserResolver.resolve("app", passwd: passwd, group: group, groupAdd: ["staff", "7"]).additionalGids == [10, 50, 7])
    }

    @Test func dockerErrorTexts() {
        #expect { try UserResolver.resolve("xyz", passwd: passwd, group: group) } throws: { error in
            (error as? ShoalError)?.message == "unable to find user xyz: no matching entries in passwd file"
        }
        #expect { try UserResolver.resolve("app:nogroup", passwd: passwd, group: group) } throws: { error in
            (error as? ShoalError)?.message == "unable to find group nogroup: no matching entries in group file"
        }
        #expect { try UserResolver.resolve("xyz", passwd: nil, group: nil) } throws: { error in
            (error as? ShoalError)?.message == "unable to find user xyz: no matching entries in passwd file"
        }
    }
}

@Suite struct LogFormatTests {
    @Test func timestamps() throws {
        let stamp = try #require(LogTimestamp(rfc3339: "2026-11-22T18:08:15.123456789+01:00"))
        #expect(stamp.description == "2026-11-22T17:08:15.123456789Z")
        #expect(LogTimestamp(rfc3339: "1970-01-01T00:00:01Z")?.seconds == 1)
        #expect(LogTimestamp(rfc3339: "2000-02-29T00:00:00.5-00:30")?.nanoseconds == 500_000_000)
        #expect(LogTimestamp(rfc3339: "garbage") == nil)
    }

    @Test func partialRecordsAreJoinedPerStream() throws {
        var assembler = K8sLogReader.Assembler()
        let lines = [
            "2026-11-22T17:08:15.000000001+00:00 stdout P abc",
            "2026-11-22T17:08:15.000000002+00:00 stderr F err line",
            "2026-11-22T17:08:15.000000003+00:00 stdout F def",
            "2026-11-22T17:08:15.000000004+00:00 stdout P tail",
        ]
        var entries: [LogEntry] = []
        for line in lines {
            let record = try #require(K8sLogReader.parse(Array(line.utf8)[...]))
            if let entry = assembler.add(record) { entries.append(entry) }
        }
        entries += assembler.flush()
        #expect(entries.map { String(decoding: $0.bytes, as: UTF8.self) } == ["err line\n", "abcdef\n", "tail"])
        #expect(entries[1].timestamp.nanoseconds == 1)
        #expect(entries[0].stream == .stderr)
    }

    @Test func tailSinceUntilOnAFile() async throws {
        try await TestRun.with("log") { run in
            let path = run.path("c.log")
            let lines = [
                "2026-01-01T00:00:01.000000000+00:00 stdout F a",
                "2026-01-01T00:00:02.000000000+00:00 stderr F b",
                "2026-01-01T00:00:03.000000000+00:00 stdout P c1",
                "2026-01-01T00:00:04.000000000+00:00 stdout F c2",
                "2026-01-01T00:00:05.000000000+00:00 stdout F d",
            ]
            try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
            func texts(_ options: LogOptions) async throws -> [String] {
                var out: [String] = []
                for try await entry in K8sLogReader.read(path: path, options: options) {
                    out.append(String(decoding: entry.bytes, as: UTF8.self))
                }
                return out
            }
            #expect(try await texts(LogOptions()) == ["a\n", "b\n", "c1c2\n", "d\n"])
            #expect(try await texts(LogOptions(tail: 2)) == ["c1c2\n", "d\n"])
            #expect(try await texts(LogOptions(tail: 3)) == ["b\n", "c1c2\n", "d\n"])
            #expect(try await texts(LogOptions(tail: 10)).count == 4)
            #expect(try await texts(LogOptions(tail: 0)).isEmpty)
            #expect(try await texts(LogOptions(stdout: false)) == ["b\n"])
            let t4 = try #require(LogTimestamp(rfc3339: "2026-01-01T00:00:04Z"))
            let t2 = try #require(LogTimestamp(rfc3339: "2026-01-01T00:00:02Z"))
            #expect(try await texts(LogOptions(since: t4)) == ["d\n"])
            #expect(try await texts(LogOptions(until: t2)) == ["a\n", "b\n"])
        }
    }

    @Test func runcErrorMessages() {
        let json = #"{"level":"error","msg":"runc create failed: exec: \"nosuch\": executable file not found in $PATH","time":"x"}"#
        #expect(RuncMessages.errorText(json) == "runc create failed: exec: \"nosuch\": executable file not found in $PATH")
        let text = #"time="x" level=error msg="container \"a\" does not exist""#
        #expect(RuncMessages.errorText(text) == "container \"a\" does not exist")
        #expect(RuncMessages.isUserError("exec: \"x\": executable file not found in $PATH"))
    }
}
