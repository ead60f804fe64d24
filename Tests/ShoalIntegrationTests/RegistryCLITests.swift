import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Push, pull and login with the stock docker CLI against Debian's docker-registry on loopback (plain HTTP, as
/// Docker treats loopback registries as insecure).
@Suite(.serialized, .timeLimit(.minutes(3))) struct RegistryCLITests {
    @Test func pushRemovePullRun() async throws {
        try await TestRun.with("regpush") { run in
            let daemon = try await DaemonFixture(run)
            let registry = try await LocalRegistry.start(in: run)
            let local = run.name("img")
            try await daemon.loadBusybox(as: "\(local):latest", cmd: ["echo", "pulled-and-ran"])
            let id = try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", local])
            let remote = "\(registry.domain)/ns/\(local):1"
            try await daemon.dockerOK(["tag", local, remote])

            let push = try await daemon.docker(["push", remote])
            #expect(push.status == 0, "\(push.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(push.stdout.contains("The push refers to repository [\(registry.domain)/ns/\(local)]"), "\(push.stdout)")
            #expect(push.stdout.contains(": Pushed"), "\(push.stdout)")
            let digestLine = push.stdout.split(separator: "\n").first { $0.hasPrefix("1: digest: sha256:") }
            #expect(digestLine != nil, "\(push.stdout)")
            let digest = digestLine.map { String($0.split(separator: " ")[2]) } ?? ""
            #expect(digestLine?.contains(" size: ") == true)
            // A second push finds every layer there already.
            let again = try await daemon.dockerOK(["push", remote])
            #expect(again.contains("Layer already exists"), "\(again)")
            #expect(again.contains("1: digest: \(digest)"))

            try await daemon.dockerOK(["rmi", local, remote])
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
            #expect(try ImageFixtures.layerCount(daemon) == 0)

            let pull = try await daemon.docker(["pull", remote])
            #expect(pull.status == 0, "\(pull.stderr)")
            for line in ["1: Pulling from ns/\(local)", ": Pulling fs layer", ": Pull complete", "Digest: \(digest)",
                         "Status: Downloaded newer image for \(remote)"] {
                #expect(pull.stdout.contains(line), "missing \(line) in \(pull.stdout)")
            }
            #expect(pull.stdout.hasSuffix("\(remote)\n"), "\(pull.stdout)")
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", remote]) == id)
            #expect(try await daemon.dockerOK(["images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"])
                == "\(registry.domain)/ns/\(local):1 \(digest)")
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{json .RepoDigests}}", remote])
                == "[\"\(registry.domain)/ns/\(local)@\(digest)\"]")
            #expect(try await daemon.dockerOK(["run", "--rm", remote]) == "pulled-and-ran")

            // Pulling again changes nothing; pulling by digest names the same image.
            let repeated = try await daemon.dockerOK(["pull", remote])
            #expect(repeated.contains("Status: Image is up to date for \(remote)"), "\(repeated)")
            try await daemon.dockerOK(["pull", "\(registry.domain)/ns/\(local)@\(digest)"])
            #expect(try await daemon.dockerOK(["image", "inspect", "-f", "{{.Id}}", "\(registry.domain)/ns/\(local)@\(digest)"]) == id)
        }
    }

    @Test func basicAuthRegistryNeedsLogin() async throws {
        try await TestRun.with("regauth") { run in
            let daemon = try await DaemonFixture(run)
            let password = "pw-\(run.id)"
            let registry = try await LocalRegistry.start(in: run, user: "u", password: password)
            let local = run.name("sec")
            try await daemon.loadBusybox(as: "\(local):latest", cmd: ["echo", "authorised"])
            let remote = "\(registry.domain)/ns/\(local):1"
            try await daemon.dockerOK(["tag", local, remote])

            let anonymous = try await daemon.docker(["push", remote])
            #expect(anonymous.status == 1)
            #expect(anonymous.stderr.contains("unauthorized: authentication required"), "\(anonymous.stderr)")

            let wrong = try await daemon.docker(["login", registry.domain, "-u", "u", "--password-stdin"], stdin: "nope\n")
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains("401 Unauthorized"), "\(wrong.stderr)")

            let login = try await daemon.docker(["login", registry.domain, "-u", "u", "--password-stdin"], stdin: password + "\n")
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.stdout.contains("Login Succeeded"), "\(login.stdout)")

            let push = try await daemon.docker(["push", remote])
            #expect(push.status == 0, "\(push.stderr)")
            #expect(push.stdout.contains(": Pushed"), "\(push.stdout)")
            try await daemon.dockerOK(["rmi", local, remote])
            let pull = try await daemon.docker(["pull", remote])
            #expect(pull.status == 0, "\(pull.stderr)")
            #expect(try await daemon.dockerOK(["run", "--rm", remote]) == "authorised")

            try await daemon.dockerOK(["logout", registry.domain])
            try await daemon.dockerOK(["rmi", remote])
            let denied = try await daemon.docker(["pull", remote])
            #expect(denied.status == 1)
            #expect(denied.stderr.contains("unauthorized: authentication required"), "\(denied.stderr)")
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
        }
    }

    @Test func unknownTagsAndRepositoriesAreNotFound() async throws {
        try await TestRun.with("regmiss") { run in
            let daemon = try await DaemonFixture(run)
            let registry = try await LocalRegistry.start(in: run)
            let local = run.name("known")
            try await daemon.loadBusybox(as: "\(local):latest")
            try await daemon.dockerOK(["tag", local, "\(registry.domain)/ns/\(local):1"])
            try await daemon.dockerOK(["push", "\(registry.domain)/ns/\(local):1"])

            let tag = try await daemon.docker(["pull", "\(registry.domain)/ns/\(local):nope"])
            #expect(tag.status == 1)
            #expect(tag.stderr.contains("manifest for \(registry.domain)/ns/\(local):nope not found: manifest unknown"),
                    "\(tag.stderr)")
            let repository = try await daemon.docker(["pull", "\(registry.domain)/ns/never-pushed-\(local):1"])
            #expect(repository.status == 1)
            #expect(repository.stderr.contains("not found") || repository.stderr.contains("unknown"), "\(repository.stderr)")
            let notLocal = try await daemon.docker(["push", "\(registry.domain)/ns/\(local):absent"])
            #expect(notLocal.status == 1)
            #expect(notLocal.stderr.contains("An image does not exist locally with the tag: \(registry.domain)/ns/\(local)"),
                    "\(notLocal.stderr)")
            // `docker run` of an image that is nowhere says so and exits 125.
            let runMissing = try await daemon.docker(["run", "--rm", "\(registry.domain)/ns/\(local):nope"])
            #expect(runMissing.status == 125)
            #expect(runMissing.stderr.contains("not found"), "\(runMissing.stderr)")
            #expect(try await ImageFixtures.imageIDs(daemon).count == 1)
        }
    }

    @Test func unreachableRegistryFailsAndLeavesNothing() async throws {
        try await TestRun.with("regdown") { run in
            let daemon = try await DaemonFixture(run)
            let port = try await ImageFixtures.freePort()
            let before = try await ImageFixtures.storeListing(daemon)
            let start = Date()
            let pull = try await daemon.docker(["pull", "127.0.0.1:\(port)/ns/img:1"])
            let elapsed = Date().timeIntervalSince(start)
            #expect(pull.status == 1)
            #expect(pull.stderr.contains("127.0.0.1:\(port)"), "\(pull.stderr)")
            #expect(pull.stderr.lowercased().contains("connection refused") || pull.stderr.contains("connect"),
                    "\(pull.stderr)")
            // How fast is a figure, not a test (no timing assertions): printed for the log.
            print("registry: a pull from a closed port failed after \(Int(elapsed * 1000)) ms")
            #expect(try await ImageFixtures.storeListing(daemon) == before)
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")

            let local = run.name("down")
            try await daemon.loadBusybox(as: "127.0.0.1:\(port)/ns/\(local):1")
            let push = try await daemon.docker(["push", "127.0.0.1:\(port)/ns/\(local):1"])
            #expect(push.status == 1)
            #expect(push.stderr.lowercased().contains("connection refused") || push.stderr.contains("connect"),
                    "\(push.stderr)")
            let login = try await daemon.docker(["login", "127.0.0.1:\(port)", "-u", "u", "--password-stdin"], stdin: "p\n")
            #expect(login.status == 1)
        }
    }
}
