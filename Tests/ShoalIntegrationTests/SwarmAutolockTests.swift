import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// `docker swarm init --autolock`, `swarm unlock`, `swarm unlock-key [--rotate]` and `swarm update --autolock`
/// with the stock CLI against a real daemon: a restarted manager comes up locked (its containers keep running),
/// only the current key unlocks it, and its data root holds no private key, data key or unlock key in clear.
@Suite(.timeLimit(.minutes(3))) struct SwarmAutolockTests {
    @Test func lockedAfterRestartUntilUnlockedWithTheCurrentKey() async throws {
        try await TestRun.with("autolock") { run in
            let daemon = try await DaemonFixture(run)
            // Below the ephemeral range and away from the other swarm suites (26000-28990).
            let port = 24000 + Int.random(in: 0..<100) * 10
            try await daemon.loadBusybox()

            let notInSwarm = try await daemon.docker(["swarm", "unlock"], stdin: "SWMKEY-1-x\n")
            #expect(notInSwarm.status != 0 && notInSwarm.stderr.contains("not part of a swarm"), "\(notInSwarm.stderr)")

            let initialised = try await daemon.docker([
                "swarm", "init", "--autolock", "--advertise-addr", "127.0.0.1:\(port)",
                "--listen-addr", "127.0.0.1:\(port)"])
            #expect(initialised.status == 0, "\(initialised)\n\(daemon.daemonLog(lines: 30))")
            let key = try await daemon.dockerOK(["swarm", "unlock-key", "-q"])
            #expect(key.hasPrefix("SWMKEY-1-") && key.count == 52, "\(key)")
            #expect(initialised.stdout.contains(
                "To unlock a swarm manager after it restarts, run the `docker swarm unlock`"))
            #expect(initialised.stdout.contains("    \(key)\n"), "\(initialised.stdout)")
            let autolock = "{{.Swarm.Cluster.Spec.EncryptionConfig.AutoLockManagers}}"
            #expect(try await daemon.dockerOK(["info", "-f", autolock]) == "true")
            let notLocked = try await daemon.docker(["swarm", "unlock"], stdin: key + "\n")
            #expect(notLocked.status != 0 && notLocked.stderr.contains("swarm is not locked"), "\(notLocked.stderr)")
            let raw = try await unlockCall(daemon, key)
            #expect(raw.hasPrefix("409 ") && raw.contains(#"{"message":"swarm is not locked"}"#), "\(raw)")
            try await daemon.dockerOK(["run", "-d", "--name", run.name("c"), "busybox", "sleep", "600"])

            // While it runs, the clear copies are in the exec root only; the data root holds them sealed.
            let dataKey = try String(contentsOfFile: daemon.execRoot + "/swarm-unlocked/data.key", encoding: .utf8)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let secrets = [key, dataKey, "PRIVATE KEY"]
            #expect(try await clearText(secrets, under: daemon.dataRoot + "/swarm") == [])

            // Restarted: locked. Swarm calls get Docker's message; the host's containers keep working.
            await daemon.stopDaemon()
            #expect(try await clearText(secrets, under: daemon.dataRoot + "/swarm") == [])
            #expect(!FileManager.default.fileExists(atPath: daemon.execRoot + "/swarm-unlocked"))
            try await daemon.start()
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"])
                == "locked false")
            let refused = try await daemon.docker(["node", "ls"])
            let lockedMessage = "Swarm is encrypted and needs to be unlocked before it can be used. "
                + "Please use \"docker swarm unlock\" to unlock it."
            #expect(refused.status != 0 && refused.stderr.contains(lockedMessage), "\(refused.stderr)")
            #expect(try await daemon.dockerOK(["exec", run.name("c"), "echo", "alive"]) == "alive")
            let leave = try await daemon.docker(["swarm", "leave"])
            #expect(leave.stderr.contains("Swarm is encrypted and locked. Please unlock it first"), "\(leave.stderr)")

            // Wrong and malformed keys are refused with Docker's messages; the right one starts the manager.
            let other = "SWMKEY-1-AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
            let wrong = try await daemon.docker(["swarm", "unlock"], stdin: other + "\n")
            #expect(wrong.status != 0 && wrong.stderr.contains("swarm could not be unlocked: invalid key provided"),
                    "\(wrong.stderr)")
            let malformed = try await daemon.docker(["swarm", "unlock"], stdin: "not-a-key\n")
            #expect(malformed.status != 0 && malformed.stderr.contains("invalid key string"), "\(malformed.stderr)")
            let status = try await unlockCall(daemon, "SWMKEY-1-AAEC")
            #expect(status.hasPrefix("401 "), "\(status)")
            try await daemon.dockerOK(["swarm", "unlock"], stdin: key + "\n")
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}}"])
                == "active true")
            #expect(try await daemon.dockerOK(["node", "ls", "--format", "{{.Status}} {{.ManagerStatus}}"])
                == "Ready Leader")

            // Rotation: a new key, and the material is sealed with it before the call returns.
            let rotated = try await daemon.dockerOK(["swarm", "unlock-key", "--rotate"])
            #expect(rotated.hasPrefix("Successfully rotated manager unlock key."), "\(rotated)")
            let newKey = try await daemon.dockerOK(["swarm", "unlock-key", "-q"])
            #expect(newKey != key && rotated.contains(newKey))
            await daemon.stopDaemon()
            try await daemon.start()
            let old = try await daemon.docker(["swarm", "unlock"], stdin: key + "\n")
            #expect(old.stderr.contains("invalid key provided"), "\(old.stderr)")
            try await daemon.dockerOK(["swarm", "unlock"], stdin: newKey + "\n")

            // Autolock off: no key, the material in clear again, and a restart is not locked.
            try await daemon.dockerOK(["swarm", "update", "--autolock=false"])
            let none = try await daemon.docker(["swarm", "unlock-key"])
            #expect(none.status != 0 && none.stderr.contains("no unlock key is set"), "\(none.stderr)")
            let noRotate = try await daemon.docker(["swarm", "unlock-key", "--rotate"])
            #expect(noRotate.stderr.contains("cannot rotate because autolock is not turned on"), "\(noRotate.stderr)")
            await daemon.stopDaemon()
            try await daemon.start()
            #expect(try await daemon.dockerOK(["info", "-f", "{{.Swarm.LocalNodeState}}"]) == "active")

            // On again by update: the CLI shows the new key, and the material is sealed at once.
            let on = try await daemon.dockerOK(["swarm", "update", "--autolock=true"])
            let third = try await daemon.dockerOK(["swarm", "unlock-key", "-q"])
            #expect(on.contains("Swarm updated.") && on.contains(third), "\(on)")
            #expect(try await clearText([third, dataKey, "PRIVATE KEY"], under: daemon.dataRoot + "/swarm") == [])
            try await daemon.dockerOK(["rm", "-f", run.name("c")])
            try await daemon.dockerOK(["swarm", "leave", "--force"])
            #expect(!FileManager.default.fileExists(atPath: daemon.execRoot + "/swarm-unlocked"))
        }
    }

    /// `POST /swarm/unlock` as a raw call: the status line's code and the body.
    private func unlockCall(_ daemon: DaemonFixture, _ key: String) async throws -> String {
        let result = try await Shell.run("/usr/bin/curl", [
            "-s", "-o", "-", "-w", "\n%{http_code}", "--unix-socket", daemon.socket, "-X", "POST",
            "-H", "Content-Type: application/json", "-d", #"{"UnlockKey":"\#(key)"}"#, "http://d/v1.41/swarm/unlock"])
        let lines = result.stdout.split(separator: "\n")
        return "\(lines.last ?? "") \(lines.dropLast().joined(separator: "\n"))"
    }

    /// The files under `root` (the manager's swarm directory: certificates, etcd's data and log; not following
    /// links) that hold any of `needles` in clear, as text or, for the
    /// keys, as their raw bytes.
    private func clearText(_ needles: [String], under root: String) async throws -> [String] {
        try await runBlocking {
            var patterns = needles.map { Data($0.utf8) }
            for needle in needles {
                var text = needle.hasPrefix("SWMKEY-1-") ? String(needle.dropFirst(9)) : needle
                text += String(repeating: "=", count: (4 - text.count % 4) % 4)
                if let raw = Data(base64Encoded: text) { patterns.append(raw) }
            }
            var found: [String] = []
            let enumerator = FileManager.default.enumerator(atPath: root)
            while let relative = enumerator?.nextObject() as? String {
                let path = root + "/" + relative
                guard let type = try? FileManager.default.attributesOfItem(atPath: path)[.type] as? FileAttributeType,
                      type == .typeRegular, let data = FileManager.default.contents(atPath: path) else { continue }
                if patterns.contains(where: { data.range(of: $0) != nil }) { found.append(relative) }
            }
            return found
        }
    }
}
