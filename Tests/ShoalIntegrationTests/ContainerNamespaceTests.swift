import Foundation
import ShoalTestSupport
import Testing

/// `--pid`, `--uts`, `--ipc`, `--cgroupns`, `--device`, `--device-cgroup-rule`, `--group-add`, `--cpuset-cpus`,
/// `--runtime` and `--isolation` with the stock CLI on real containers: which namespaces a container shares
/// (compared by /proc/…/ns links), which devices it may open, what inspect shows, and Docker's refusals with its
/// messages.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerNamespaceTests {
    @Test func containersShareTheNamespacesTheyAskFor() async throws {
        try await TestRun.with("nsmodes") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            func inside(_ options: [String], _ command: String) async throws -> String {
                try await daemon.dockerOK(["run", "--rm", "--network", "none"] + options + ["busybox", "sh", "-c", command])
            }
            func link(_ path: String) throws -> String { try FileManager.default.destinationOfSymbolicLink(atPath: path) }
            let own = ProcessInfo.processInfo.processIdentifier

            // Docker's defaults: a namespace of its own for each; the host's cgroup namespace on a cgroup v1 host.
            let defaults = try await inside([], "for k in pid uts ipc; do readlink /proc/self/ns/$k; done")
            for kind in ["pid", "uts", "ipc"] {
                #expect(!defaults.contains(try link("/proc/\(own)/ns/\(kind)")), "\(kind): \(defaults)")
            }
            #expect(try await inside([], "readlink /proc/self/ns/cgroup") == (try link("/proc/\(own)/ns/cgroup")))
            #expect(try await inside(["--cgroupns", "private"], "readlink /proc/self/ns/cgroup")
                != (try link("/proc/\(own)/ns/cgroup")))

            // The host's: the same namespace links as this test process, and the host's name.
            for kind in ["pid", "uts", "ipc"] {
                #expect(try await inside(["--\(kind)", "host"], "readlink /proc/self/ns/\(kind)")
                    == (try link("/proc/\(own)/ns/\(kind)")), "\(kind)")
            }
            let hostName = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(try await inside(["--uts", "host"], "hostname") == hostName)
            // /dev/shm of the host with --ipc host; none with --ipc none.
            let marker = "shoal-ipc-" + run.name("m")
            try Data().write(to: URL(fileURLWithPath: "/dev/shm/" + marker))
            run.onCleanup("remove the /dev/shm marker") { try? FileManager.default.removeItem(atPath: "/dev/shm/" + marker) }
            #expect(try await inside(["--ipc", "host"], "ls /dev/shm").split(separator: "\n").contains { $0 == marker })
            #expect(try await inside(["--ipc", "none"], "test -e /dev/shm && echo there || echo none") == "none")

            // Another container's: its processes and its shared memory, when it shares them.
            let donor = run.name("donor")
            try await daemon.dockerOK(["run", "-d", "--name", donor, "--network", "none", "--ipc", "shareable",
                                       "busybox", "sh", "-c", "echo from-donor > /dev/shm/note; exec sleep 1000"])
            let seen = try await inside(["--pid", "container:\(donor)"], "ps -o args")
            #expect(seen.contains("sleep 1000"), "\(seen)")
            #expect(try await inside(["--ipc", "container:\(donor)"], "cat /dev/shm/note") == "from-donor")
            let modes = try await daemon.dockerOK(["inspect", "-f",
                "{{.HostConfig.PidMode}}|{{.HostConfig.UTSMode}}|{{.HostConfig.IpcMode}}|{{.HostConfig.CgroupnsMode}}", donor])
            #expect(modes == "||shareable|host", "\(modes)")

            // Refusals, in Docker's words.
            let plain = run.name("plain")
            try await daemon.dockerOK(["run", "-d", "--name", plain, "--network", "none", "busybox", "sleep", "1000"])
            let notShareable = try await daemon.docker(["run", "--rm", "--ipc", "container:\(plain)", "busybox", "true"])
            #expect(notShareable.status != 0 && notShareable.stderr.contains(
                "can't join IPC of container \(plain): non-shareable IPC (hint: use IpcMode:shareable for the donor container)"),
                "\(notShareable)")
            let missing = try await daemon.docker(["run", "--rm", "--pid", "container:nosuch", "busybox", "true"])
            #expect(missing.status != 0 && missing.stderr.contains(
                "cannot join PID of a non running container: nosuch: No such container: nosuch"), "\(missing)")
            try await daemon.dockerOK(["stop", "-t", "0", plain])
            let stopped = try await daemon.docker(["run", "--rm", "--pid", "container:\(plain)", "busybox", "true"])
            #expect(stopped.status != 0 && stopped.stderr.contains("is not running"), "\(stopped)")
            let named = try await daemon.docker(["create", "--uts", "host", "--hostname", "x", "busybox"])
            #expect(named.status != 0 && named.stderr.contains("conflicting options: hostname and the UTS mode"), "\(named)")
            let badIPC = try await daemon.docker(["create", "--ipc", "sideways", "busybox"])
            #expect(badIPC.status != 0 && badIPC.stderr.contains("invalid IPC mode: sideways"), "\(badIPC)")
            // The CLI checks --cgroupns itself; the daemon refuses what other clients send.
            let badCgroup = try await Shell.run("/usr/bin/curl", [
                "-s", "-w", "\n%{http_code}", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json",
                "-d", #"{"Image":"busybox","HostConfig":{"CgroupnsMode":"shared"}}"#,
                "http://localhost/v1.41/containers/create"])
            #expect(badCgroup.stdout == #"{"message":"invalid cgroup namespace mode: shared"}"# + "\n\n400", "\(badCgroup)")
            for name in [donor, plain] { _ = try await daemon.docker(["rm", "-f", name]) }
        }
    }

    @Test func devicesAndDeviceCgroupRules() async throws {
        try await TestRun.with("devices") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            func inside(_ options: [String], _ command: String) async throws -> Shell.Result {
                try await daemon.docker(["run", "--rm", "--network", "none"] + options + ["busybox", "sh", "-c", command])
            }
            // A host device under another name, usable; read-only when asked: a node of fuse's numbers (10:229, not
            // in the defaults) made for the test, so the host need not have /dev/fuse.
            let fuse = run.path("fuse")
            try await Shell.sh("mknod \(fuse) c 10 229")
            let mapped = try await inside(["--device", "/dev/null:/dev/mynull"],
                                          "echo hi > /dev/mynull && stat -c '%F %t:%T' /dev/mynull")
            #expect(mapped.status == 0 && mapped.stdout == "character special file 1:3\n", "\(mapped)")
            let readOnly = try await inside(["--device", "\(fuse):/dev/myfuse:r"],
                                            "exec 3</dev/myfuse && echo read; exec 4>/dev/myfuse && echo written")
            #expect(readOnly.stdout == "read\n" && readOnly.stderr.contains("Operation not permitted"), "\(readOnly)")
            // Any node may be made (Docker's and runc's defaults), but only opened where a rule allows it.
            let open = "mknod /dev/f c 10 229; exec 3</dev/f && echo opened"
            let refused = try await inside([], open)
            #expect(refused.status != 0 && refused.stderr.contains("Operation not permitted"), "\(refused)")
            let allowed = try await inside(["--device-cgroup-rule", "c 10:229 r"], open)
            #expect(allowed.status == 0 && allowed.stdout == "opened\n", "\(allowed)")
            let missing = try await daemon.docker(["run", "--rm", "--device", "/dev/nosuch", "busybox", "true"])
            #expect(missing.status != 0 && missing.stderr.contains(
                #"error gathering device information while adding custom device "/dev/nosuch": no such file or directory"#),
                "\(missing)")
            let badMode = try await Shell.run("/usr/bin/curl", [
                "-s", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json", "-d",
                #"{"Image":"busybox","HostConfig":{"Devices":[{"PathOnHost":"/dev/null","CgroupPermissions":"rwx"}]}}"#,
                "http://localhost/v1.41/containers/create"])
            #expect(badMode.stdout == #"{"message":"invalid device mode: rwx"}"# + "\n", "\(badMode)")
            let badRule = try await Shell.run("/usr/bin/curl", [
                "-s", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json", "-d",
                #"{"Image":"busybox","HostConfig":{"DeviceCgroupRules":["c one:3 rwm"]}}"#,
                "http://localhost/v1.41/containers/create"])
            #expect(badRule.stdout == #"{"message":"invalid device cgroup rule format: 'c one:3 rwm'"}"# + "\n",
                    "\(badRule)")
        }
    }

    @Test func groupsCPUSetsRuntimeAndIsolation() async throws {
        try await TestRun.with("nsgroups") { run in
            let daemon = try await DaemonFixture(run)
            try await daemon.loadBusybox()
            // By name (the image's /etc/group has `app`, gid 1000) and by number.
            let groups = try await daemon.dockerOK(["run", "--rm", "--network", "none", "--group-add", "app",
                                                    "--group-add", "4242", "busybox", "id", "-G"])
            #expect(groups.split(separator: " ").map(String.init) == ["0", "1000", "4242"], "\(groups)")
            let unknown = try await daemon.docker(["run", "--rm", "--group-add", "nosuchgroup", "busybox", "true"])
            #expect(unknown.status != 0 && unknown.stderr.contains("Unable to find group nosuchgroup"), "\(unknown)")
            // The cpuset cgroup holds only CPU 0.
            let name = run.name("cpuset")
            try await daemon.dockerOK(["run", "-d", "--name", name, "--network", "none", "--cpuset-cpus", "0",
                                       "busybox", "sleep", "1000"])
            let allowed = try await daemon.dockerOK(["exec", name, "grep", "Cpus_allowed_list", "/proc/self/status"])
            #expect(allowed.hasSuffix("\t0"), "\(allowed)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.HostConfig.CpusetCpus}}", name]) == "0")
            // Config.MacAddress (API 1.41's --mac-address; this CLI sends it per network, which needs 1.44, so it
            // goes through the API here): the interface on the default bridge has it; a malformed one is refused.
            let withMAC = run.name("mac")
            let made = try await Shell.run("/usr/bin/curl", [
                "-s", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json", "-d",
                #"{"Image":"busybox","Cmd":["cat","/sys/class/net/eth0/address"],"MacAddress":"02:42:AC:11:FF:01"}"#,
                "http://localhost/v1.41/containers/create?name=\(withMAC)"])
            #expect(made.stdout.contains("\"Id\""), "\(made)")
            try await daemon.dockerOK(["start", "-a", withMAC])
            #expect(try await daemon.dockerOK(["logs", withMAC]) == "02:42:ac:11:ff:01")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.Config.MacAddress}}", withMAC]) == "02:42:AC:11:FF:01")
            _ = try await daemon.docker(["rm", withMAC])
            let badMAC = try await Shell.run("/usr/bin/curl", [
                "-s", "--unix-socket", daemon.socket, "-H", "Content-Type: application/json",
                "-d", #"{"Image":"busybox","MacAddress":"02:42:zz"}"#, "http://localhost/v1.41/containers/create"])
            #expect(badMAC.stdout == #"{"message":"02:42:zz is not a valid mac address"}"# + "\n", "\(badMAC)")
            // runc is the one runtime and Linux has one isolation: the others are refused as Docker does.
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "--runtime", "runc", "--isolation",
                                               "default", "busybox", "echo", "ok"]) == "ok")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{.HostConfig.Runtime}}", name]) == "runc")
            let kata = try await daemon.docker(["create", "--runtime", "kata", "busybox"])
            #expect(kata.status != 0 && kata.stderr.contains("Unknown runtime specified kata"), "\(kata)")
            let hyperv = try await daemon.docker(["create", "--isolation", "hyperv", "busybox"])
            #expect(hyperv.status != 0 && hyperv.stderr.contains(
                #"Invalid isolation: "hyperv" - linux only supports 'default'"#), "\(hyperv)")
            _ = try await daemon.docker(["rm", "-f", name])
        }
    }
}
