import Foundation
import ShoalCore
import ShoalTestSupport
import Testing

/// Login, push and pull against a registry with token auth (distribution's `auth: token`), the way Docker Hub
/// works: the registry answers 401 with a `Bearer realm=…,service=…,scope=…` challenge, the daemon asks the token
/// server (the realm) with the user's basic credentials and retries with the JWT it returns.
@Suite(.serialized, .timeLimit(.minutes(3))) struct RegistryTokenAuthTests {
    @Test func dockerCLILoginPushPullLogout() async throws {
        try await TestRun.with("regtok") { run in
            let daemon = try await DaemonFixture(run)
            let password = "pw-\(run.id)"
            let tokens = try await TokenServer.start(in: run, user: "u", password: password)
            let registry = try await LocalRegistry.start(in: run, tokenServer: tokens)
            let local = run.name("tok")
            try await daemon.loadBusybox(as: "\(local):latest", cmd: ["echo", "token-authorised"])
            let remote = "\(registry.domain)/ns/\(local):1"
            try await daemon.dockerOK(["tag", local, remote])

            // Anonymous: the token server hands out a token that grants nothing, the registry refuses it.
            let anonymous = try await daemon.docker(["push", remote])
            #expect(anonymous.status == 1)
            #expect(anonymous.stderr.contains("unauthorized: authentication required"), "\(anonymous.stderr)")

            // A wrong password is refused by the token server; Docker shows its `details` under the /v2/ request.
            let wrong = try await daemon.docker(["login", registry.domain, "-u", "u", "--password-stdin"], stdin: "nope\n")
            #expect(wrong.status == 1)
            #expect(wrong.stderr.contains(
                "Error response from daemon: Get \"http://\(registry.domain)/v2/\": unauthorized: incorrect username or password"),
                "\(wrong.stderr)")
            let config = (try? String(contentsOfFile: run.path("docker-config/config.json"), encoding: .utf8)) ?? ""
            #expect(!config.contains(registry.domain), "\(config)")

            let login = try await daemon.docker(["login", registry.domain, "-u", "u", "--password-stdin"], stdin: password + "\n")
            #expect(login.status == 0, "\(login.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(login.stdout.contains("Login Succeeded"), "\(login.stdout)")

            let push = try await daemon.docker(["push", remote])
            #expect(push.status == 0, "\(push.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(push.stdout.contains(": Pushed"), "\(push.stdout)")
            #expect(push.stdout.contains("1: digest: sha256:"), "\(push.stdout)")

            try await daemon.dockerOK(["rmi", local, remote])
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
            let pull = try await daemon.docker(["pull", remote])
            #expect(pull.status == 0, "\(pull.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(pull.stdout.contains("Status: Downloaded newer image for \(remote)"), "\(pull.stdout)")
            #expect(try await daemon.dockerOK(["run", "--rm", remote]) == "token-authorised")

            // The token server was asked for the registry's service: login without a scope, push for pull and push
            // rights on the repository, pull for pull rights.
            let requests = tokens.requests().map { $0.removingPercentEncoding ?? $0 }
            #expect(requests.allSatisfy { $0.hasPrefix("GET /token?") && $0.contains("service=\(tokens.service)") },
                    "\(requests)")
            #expect(requests.contains("GET /token?service=\(tokens.service)"), "\(requests)")
            // (distribution names the actions in either order)
            #expect(requests.contains { $0.contains("scope=repository:ns/\(local):") && $0.contains("push") }, "\(requests)")
            #expect(requests.contains { $0.hasSuffix("scope=repository:ns/\(local):pull") }, "\(requests)")

            try await daemon.dockerOK(["logout", registry.domain])
            try await daemon.dockerOK(["rmi", remote])
            let denied = try await daemon.docker(["pull", remote])
            #expect(denied.status == 1)
            #expect(denied.stderr.contains("unauthorized: authentication required"), "\(denied.stderr)")
            #expect(try await daemon.dockerOK(["images", "-q"]) == "")
        }
    }

    @Test func dockerPyLoginPushPull() async throws {
        try await TestRun.with("regtokpy") { run in
            let daemon = try await DaemonFixture(run)
            let password = "pw-\(run.id)"
            let tokens = try await TokenServer.start(in: run, user: "u", password: password)
            let registry = try await LocalRegistry.start(in: run, tokenServer: tokens)
            let local = run.name("tokpy")
            try await daemon.loadBusybox(as: "\(local):latest", cmd: ["echo", "py-authorised"])
            let repository = "\(registry.domain)/ns/\(local)"
            try await daemon.dockerOK(["tag", local, repository + ":1"])
            let script = """
            import sys, docker
            socket, registry, repository, password = sys.argv[1:5]
            client = docker.DockerClient(base_url='unix://' + socket)
            try:
                client.login(username='u', password='wrong', registry=registry)
                raise SystemExit('login with a wrong password succeeded')
            except docker.errors.APIError as error:
                assert 'incorrect username or password' in str(error), error
            answer = client.login(username='u', password=password, registry=registry)
            assert answer['Status'] == 'Login Succeeded', answer
            events = list(client.api.push(repository, tag='1', stream=True, decode=True))
            assert not [e for e in events if 'error' in e or 'errorDetail' in e], events
            assert any(e.get('status') == 'Pushed' for e in events), events
            client.images.remove(repository + ':1')
            image = client.images.pull(repository, tag='1')
            assert repository + ':1' in image.tags, image.tags
            out = client.containers.run(repository + ':1', remove=True)
            assert out == b'py-authorised\\n', out
            print('ok')
            """
            let path = run.path("login.py")
            try script.write(toFile: path, atomically: true, encoding: .utf8)
            // An empty DOCKER_CONFIG: docker-py must use only the credentials its login gave it.
            try FileManager.default.createDirectory(atPath: run.path("py-config"), withIntermediateDirectories: true)
            let result = try await Shell.run("/usr/bin/env", ["python3", path, daemon.socket, registry.domain, repository, password],
                                             environment: ["DOCKER_CONFIG": run.path("py-config")], timeout: 90)
            #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)\n\(daemon.daemonLog(lines: 20))")
            #expect(result.stdout == "ok\n")
        }
    }
}
