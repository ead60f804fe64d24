import Foundation
import ShoalTestSupport
import Testing

/// Containers are confined as Docker confines them: its default seccomp profile (by capability), custom profiles
/// and their errors, no-new-privileges, masked and read-only system paths, the default capability set. What
/// Docker 20.10 does on this kind of host was checked with the same helper before these were written.
@Suite(.serialized, .timeLimit(.minutes(3))) struct ContainerSecurityTests {
    /// Makes the syscalls busybox has no applet for and prints `ok` or strerror (exit 1). Static, so it runs in
    /// the busybox image; installed setuid root so that no-new-privileges has something to hold back.
    static let helperSource = """
        #define _GNU_SOURCE
        #include <errno.h>
        #include <linux/kcmp.h>
        #include <linux/keyctl.h>
        #include <stdio.h>
        #include <stdlib.h>
        #include <string.h>
        #include <sys/ptrace.h>
        #include <sys/syscall.h>
        #include <sys/wait.h>
        #include <unistd.h>
        static int report(long r) {
            if (r < 0) { printf("%s\\n", strerror(errno)); return 1; }
            printf("ok\\n"); return 0;
        }
        int main(int argc, char **argv) {
            if (argc < 2) return 2;
            const char *c = argv[1];
            if (!strcmp(c, "keyctl")) return report(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
            if (!strcmp(c, "add_key")) return report(syscall(SYS_add_key, "user", "shoal", "x", 1, KEY_SPEC_PROCESS_KEYRING));
            if (!strcmp(c, "kcmp")) return report(syscall(SYS_kcmp, getpid(), getpid(), KCMP_VM, 0, 0));
            if (!strcmp(c, "ptrace") && argc > 2) {
                pid_t pid = atoi(argv[2]);
                long r = ptrace(PTRACE_ATTACH, pid, 0, 0);
                if (r == 0) { waitpid(pid, 0, 0); ptrace(PTRACE_DETACH, pid, 0, 0); }
                return report(r);
            }
            if (!strcmp(c, "euid")) { printf("%d\\n", (int)geteuid()); return 0; }
            return 2;
        }
        """

    /// `secbox`: busybox plus the helper (setuid root) and busybox's `unshare` applet.
    static func loadSecbox(_ daemon: DaemonFixture, _ run: TestRun) async throws {
        try await daemon.loadBusybox()
        let layer = run.path("secbox-layer")
        try FileManager.default.createDirectory(atPath: layer + "/bin", withIntermediateDirectories: true)
        try Self.helperSource.write(toFile: run.path("seccheck.c"), atomically: true, encoding: .utf8)
        try await Shell.sh("gcc -static -O2 -o \(layer)/bin/seccheck \(run.path("seccheck.c")) && chmod 4755 \(layer)/bin/seccheck")
        try FileManager.default.createSymbolicLink(atPath: layer + "/bin/unshare", withDestinationPath: "busybox")
        let rootfs = try ImageFixtures.rootfs(run)
        let tarball = run.path("secbox.tar")
        try await ImageTarballs.dockerSave([.init(repoTags: ["secbox:latest"], layers: [.directory(rootfs), .directory(layer)])],
                                           to: tarball, work: run.path("secbox-work"))
        try await daemon.dockerOK(["load", "-i", tarball])
    }

    /// The helper's verdict on one syscall in a fresh container run with `options`.
    static func verdict(_ daemon: DaemonFixture, _ options: [String], _ call: String) async throws -> String {
        let result = try await daemon.docker(["run", "--rm", "--network", "none"] + options + ["secbox", "seccheck", call])
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let denied = "Operation not permitted"

    @Test func defaultProfileRefusesWhatDockerRefuses() async throws {
        try await TestRun.with("seccomp") { run in
            let daemon = try await DaemonFixture(run)
            try await Self.loadSecbox(daemon, run)
            // A filter is installed (mode 2), as under Docker; --privileged and unconfined run without one.
            let mode = ["secbox", "grep", "^Seccomp:", "/proc/self/status"]
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none"] + mode) == "Seccomp:\t2")
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "--privileged"] + mode) == "Seccomp:\t0")
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined"]
                                              + mode) == "Seccomp:\t0")

            // unshare -U needs no capability: only the filter stops it. SYS_ADMIN opens it, as in Docker.
            let unshare = ["secbox", "unshare", "-U", "true"]
            let refused = try await daemon.docker(["run", "--rm", "--network", "none"] + unshare)
            #expect(refused.status != 0 && refused.stderr.contains(Self.denied), "\(refused)")
            #expect(try await daemon.docker(["run", "--rm", "--network", "none", "--security-opt", "seccomp=unconfined"]
                                            + unshare).status == 0)
            #expect(try await daemon.docker(["run", "--rm", "--network", "none", "--cap-add", "SYS_ADMIN"] + unshare).status == 0)

            // The kernel keyring is never the container's under the default profile, not even with SYS_ADMIN.
            for call in ["keyctl", "add_key"] {
                #expect(try await Self.verdict(daemon, [], call) == Self.denied, "\(call)")
                #expect(try await Self.verdict(daemon, ["--cap-add", "SYS_ADMIN"], call) == Self.denied, "\(call)")
                #expect(try await Self.verdict(daemon, ["--security-opt", "seccomp=unconfined"], call) == "ok", "\(call)")
            }

            // kcmp belongs to the ptrace family the profile opens only with SYS_PTRACE. ptrace itself is allowed
            // from Linux 4.8 on (Docker's profile too): a process may trace another of the same container.
            #expect(try await Self.verdict(daemon, [], "kcmp") == Self.denied)
            #expect(try await Self.verdict(daemon, ["--cap-add", "SYS_PTRACE"], "kcmp") == "ok")
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "secbox", "sh", "-c",
                                               "sleep 100 & sleep 0.2; seccheck ptrace $!"]) == "ok")

            // Mounting a new filesystem: SYS_ADMIN opens both the capability and the profile's mount rule.
            let mount = ["secbox", "sh", "-c", "mkdir /m && mount -t tmpfs none /m && echo mounted"]
            #expect(try await daemon.docker(["run", "--rm", "--network", "none"] + mount).status != 0)
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "--cap-add", "SYS_ADMIN"] + mount)
                == "mounted")
        }
    }

    @Test func customProfilesAndBadOptions() async throws {
        try await TestRun.with("seccustom") { run in
            let daemon = try await DaemonFixture(run)
            try await Self.loadSecbox(daemon, run)
            // The CLI reads the file and sends its content; this one refuses mount even to SYS_ADMIN, and mkdir
            // with EACCES, and allows the rest.
            let profile = run.path("profile.json")
            try """
                {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86"],
                 "syscalls": [{"names": ["mount"], "action": "SCMP_ACT_ERRNO"},
                              {"name": "mkdir", "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}
                """.write(toFile: profile, atomically: true, encoding: .utf8)
            let custom = ["run", "--rm", "--network", "none", "--security-opt", "seccomp=" + profile]
            let mount = try await daemon.docker(custom + ["--cap-add", "SYS_ADMIN", "secbox", "mount", "-t", "tmpfs",
                                                          "none", "/mnt"])
            // (busybox words EPERM from mount as "permission denied (are you root?)".)
            #expect(mount.status != 0 && mount.stderr.contains("permission denied"), "\(mount)")
            let mkdir = try await daemon.docker(custom + ["secbox", "mkdir", "/tmp/x"])
            #expect(mkdir.status != 0 && mkdir.stderr.contains("Permission denied"), "\(mkdir)")
            // What the default profile refuses, this one allows.
            #expect(try await Self.verdict(daemon, ["--security-opt", "seccomp=" + profile], "keyctl") == "ok")

            // A profile Docker cannot read is refused at create, with Docker's message and status (500).
            let wrongType = run.path("wrong.json")
            try #"{"defaultAction": 5}"#.write(toFile: wrongType, atomically: true, encoding: .utf8)
            let created = try await daemon.docker(["create", "--security-opt", "seccomp=" + wrongType, "secbox", "true"])
            #expect(created.status != 0 && created.stderr.contains("Error response from daemon: Decoding seccomp profile failed"),
                    "\(created)")
            let status = try await Shell.sh("""
                curl -s -o /dev/null -w '%{http_code}' --unix-socket \(daemon.socket) -H 'Content-Type: application/json' \
                  -d '{"Image": "secbox", "Cmd": ["true"], "HostConfig": {"SecurityOpt": ["seccomp={\\"defaultAction\\": 5}"]}}' \
                  http://docker/v1.41/containers/create
                """)
            #expect(status == "500")
            let both = run.path("both.json")
            try #"{"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"], "archMap": [{"architecture": "SCMP_ARCH_X86_64"}]}"#
                .write(toFile: both, atomically: true, encoding: .utf8)
            let bothCreated = try await daemon.docker(["create", "--security-opt", "seccomp=" + both, "secbox", "true"])
            #expect(bothCreated.stderr.contains(
                "both 'architectures' and 'archMap' are specified in the seccomp profile, use either 'architectures' or 'archMap'"),
                "\(bothCreated)")
            let unknown = try await daemon.docker(["create", "--security-opt", "foo=bar", "secbox", "true"])
            #expect(unknown.status != 0 && unknown.stderr.contains(#"invalid --security-opt 2: "foo=bar""#), "\(unknown)")
            let badFlag = try await daemon.docker(["create", "--security-opt", "no-new-privileges=maybe", "secbox", "true"])
            #expect(badFlag.stderr.contains(#"invalid --security-opt 2: "no-new-privileges=maybe""#), "\(badFlag)")
            #expect(try await daemon.dockerOK(["ps", "-aq"]).isEmpty, "a refused create leaves no container")

            // Without SELinux or AppArmor on the host, Docker accepts labels and profiles and applies nothing.
            try await daemon.dockerOK(["create", "--name", "labelled", "--security-opt", "label=disable",
                                       "--security-opt", "label=type:svirt_apache_t", "--security-opt", "apparmor=custom",
                                       "secbox", "true"])
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.SecurityOpt}}", "labelled"])
                == #"["label=disable","label=type:svirt_apache_t","apparmor=custom"]"#)
            #expect(try await daemon.docker(["start", "-a", "labelled"]).status == 0)
            let info = try await daemon.dockerOK(["info", "--format", "{{json .SecurityOptions}}"])
            #expect(info.contains(#""name=seccomp,profile=default""#), "\(info)")
            let appArmor = FileManager.default.fileExists(atPath: "/sys/kernel/security/apparmor")
                && ((try? String(contentsOfFile: "/sys/module/apparmor/parameters/enabled", encoding: .utf8)) ?? "").hasPrefix("Y")
            #expect(info.contains("name=apparmor") == appArmor, "\(info)")
        }
    }

    @Test func noNewPrivilegesHoldsBackSetuid() async throws {
        try await TestRun.with("nnp") { run in
            let daemon = try await DaemonFixture(run)
            try await Self.loadSecbox(daemon, run)
            let euid = ["--network", "none", "-u", "1000", "secbox", "seccheck", "euid"]
            #expect(try await daemon.dockerOK(["run", "--rm"] + euid) == "0", "the setuid helper raises a user to root")
            #expect(try await daemon.dockerOK(["run", "--rm", "--security-opt", "no-new-privileges"] + euid) == "1000")
            #expect(try await daemon.dockerOK(["run", "--rm", "--security-opt", "no-new-privileges=true"] + euid) == "1000")
            #expect(try await daemon.dockerOK(["run", "--rm", "--security-opt", "no-new-privileges=false"] + euid) == "0")
            #expect(try await daemon.dockerOK(["run", "--rm", "--network", "none", "--security-opt", "no-new-privileges",
                                               "secbox", "grep", "^NoNewPrivs:", "/proc/self/status"]) == "NoNewPrivs:\t1")
            // docker exec runs with the container's flag.
            try await daemon.dockerOK(["run", "-d", "--name", "held", "--network", "none", "--security-opt",
                                       "no-new-privileges", "secbox", "sleep", "100"])
            #expect(try await daemon.dockerOK(["exec", "-u", "1000", "held", "seccheck", "euid"]) == "1000")
        }
    }

    @Test func systemPathsAreMaskedUnlessUnconfinedOrPrivileged() async throws {
        try await TestRun.with("mask") { run in
            let daemon = try await DaemonFixture(run)
            try await Self.loadSecbox(daemon, run)
            // (This kernel has no /proc/kcore or /proc/sysrq-trigger: the probe reads masked paths it has.)
            // A masked file is /dev/null bound over it, a masked directory an empty read-only tmpfs; read-only
            // paths are read-only bind mounts of themselves.
            let probe = """
                stat -c %F /proc/keys; stat -c %F /proc/timer_list; ls /sys/firmware | wc -l; \
                grep -c ' /proc/sys proc ro' /proc/mounts; grep -c ' /proc/bus proc ro' /proc/mounts; true
                """
            func look(_ options: [String]) async throws -> [String] {
                try await daemon.dockerOK(["run", "--rm", "--network", "none"] + options + ["secbox", "sh", "-c", probe])
                    .split(separator: "\n").map(String.init)
            }
            let masked = try await look([])
            #expect(masked == ["character special file", "character special file", "0", "1", "1"], "\(masked)")
            let hostFirmware = try FileManager.default.contentsOfDirectory(atPath: "/sys/firmware").count
            for options in [["--security-opt", "systempaths=unconfined"], ["--privileged"]] {
                let open = try await look(options)
                #expect(open == ["regular empty file", "regular empty file", "\(hostFirmware)", "0", "0"], "\(options): \(open)")
            }
            // Inspect shows the lists Docker records at create: the defaults, or empty ones when unconfined.
            try await daemon.dockerOK(["create", "--name", "dflt", "secbox", "true"])
            try await daemon.dockerOK(["create", "--name", "open", "--security-opt", "systempaths=unconfined", "secbox", "true"])
            let paths = try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}", "dflt"])
            #expect(paths.contains(#""/proc/kcore""#) && paths.contains(#""/proc/sysrq-trigger""#), "\(paths)")
            #expect(try await daemon.dockerOK(["inspect", "-f", "{{json .HostConfig.MaskedPaths}} {{json .HostConfig.ReadonlyPaths}}",
                                               "open"]) == "[] []")
        }
    }

    @Test func defaultCapabilitiesAreDockers() async throws {
        try await TestRun.with("caps") { run in
            let daemon = try await DaemonFixture(run)
            try await Self.loadSecbox(daemon, run)
            // Docker's 14 (CapEff 00000000a80425fb under Docker 20.10 here): CHOWN DAC_OVERRIDE FOWNER FSETID
            // KILL SETGID SETUID SETPCAP NET_BIND_SERVICE NET_RAW MKNOD AUDIT_WRITE SETFCAP SYS_CHROOT, by bit.
            let dockerDefault: [Int] = [0, 1, 3, 4, 5, 6, 7, 8, 10, 13, 18, 27, 29, 31]
            let status = try await daemon.dockerOK(["run", "--rm", "--network", "none", "secbox", "grep", "^Cap",
                                                    "/proc/self/status"])
            var sets: [String: UInt64] = [:]
            for line in status.split(separator: "\n") {
                let parts = line.split(separator: ":")
                sets[String(parts[0])] = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16)
            }
            func bits(_ mask: UInt64?) -> [Int] { (0..<64).filter { (mask ?? 0) & (1 << UInt64($0)) != 0 } }
            #expect(sets["CapEff"] == 0xa80425fb, "\(status)")
            #expect(bits(sets["CapEff"]) == dockerDefault, "\(status)")
            #expect(bits(sets["CapBnd"]) == dockerDefault, "\(status)")
            #expect(bits(sets["CapPrm"]) == dockerDefault && sets["CapInh"] == 0 && sets["CapAmb"] == 0, "\(status)")
            // A user other than root starts with nothing effective, as in Docker.
            let user = try await daemon.dockerOK(["run", "--rm", "--network", "none", "-u", "1000", "secbox", "grep",
                                                  "^CapEff", "/proc/self/status"])
            #expect(user == "CapEff:\t0000000000000000")
        }
    }
}
