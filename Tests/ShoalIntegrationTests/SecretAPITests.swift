import Foundation
import ShoalTestSupport
import Testing

/// Swarm secrets and configs, driven with the stock docker CLI and docker-py on a swarm made by `shoal cluster up`
/// (2 managers, 1 worker): create, list, inspect, update and remove through the leader and through the other
/// manager, Docker's refusals (a taken name, a bad name, an object a service uses, a worker), the data key handed to
/// the joined and the promoted manager only (and given up on demotion), and the secret's value nowhere in clear in
/// etcd's data.
@Suite(.serialized, .timeLimit(.minutes(6))) struct SecretAPITests {
    @Test func secretsAndConfigsWorkLikeDockersAndSecretsStaySealed() async throws {
        try await TestRun.with("secrets") { run in
            let cluster = LocalClusterFixture(run, prefix: "k", subnetOctet: 77, shoalTimeout: 150, dockerTimeout: 30)
            let up = try await cluster.up(nodes: 3, managers: 2, swarm: true)
            try #require(up.status == 0, "\(up)")
            func docker(_ node: Int, _ arguments: [String], stdin: String? = nil) async throws -> Shell.Result {
                guard let stdin else { return try await cluster.docker(node, arguments) }
                return try await Shell.run(DaemonFixture.docker, arguments, environment: [
                    "DOCKER_HOST": "unix://" + cluster.socket(node), "DOCKER_CONFIG": run.path("docker-config"),
                ], stdin: stdin, timeout: 30)
            }
            // Values no other test writes, so a match in etcd's files can only be ours.
            let secretValue = "secret-value-\(run.name("v"))"
            let configValue = "config-value-\(run.name("c"))"

            // A secret from stdin, through the leader; a config from a file, through the other manager.
            let created = try await docker(1, ["secret", "create", "--label", "env=test", "db-pass", "-"], stdin: secretValue)
            try #require(created.status == 0, "\(created)\n\(cluster.log(1))")
            let secretID = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(secretID.count == 25, "\(created)")
            let configFile = run.path("app.conf")
            try Data(configValue.utf8).write(to: URL(fileURLWithPath: configFile))
            let config = try await docker(2, ["config", "create", "app.conf", configFile])
            try #require(config.status == 0, "\(config)\n\(cluster.log(2))")
            let configID = config.stdout.trimmingCharacters(in: .whitespacesAndNewlines)

            for node in 1...2 {
                let list = try await docker(node, ["secret", "ls", "--format", "{{.ID}} {{.Name}}"])
                #expect(list.stdout == "\(secretID) db-pass\n", "node \(node): \(list)")
                let configs = try await docker(node, ["config", "ls", "-q"])
                #expect(configs.stdout == "\(configID)\n", "node \(node): \(configs)")
            }
            #expect(try await docker(2, ["secret", "ls", "-q", "--filter", "label=env=test"]).stdout == "\(secretID)\n")
            #expect(try await docker(1, ["secret", "ls", "-q", "--filter", "name=nope"]).stdout == "")
            #expect(try await docker(1, ["secret", "ls", "-q", "--filter", "id=\(secretID.prefix(6))"]).stdout
                == "\(secretID)\n")

            // Inspect: a secret never shows its value; a config does (base64 in JSON).
            let inspected = try await docker(2, ["secret", "inspect", "db-pass"])
            let secret = try #require(try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [[String: Any]])
                .first
            let spec = try #require(secret?["Spec"] as? [String: Any])
            #expect(Set(spec.keys) == ["Name", "Labels"], "\(inspected.stdout)")
            #expect(spec["Labels"] as? [String: String] == ["env": "test"])
            #expect((secret?["Version"] as? [String: Any])?["Index"] is Int)
            #expect(!inspected.stdout.contains(secretValue)
                        && !inspected.stdout.contains(Data(secretValue.utf8).base64EncodedString()))
            let pretty = try await docker(1, ["secret", "inspect", "--pretty", secretID])
            #expect(pretty.status == 0 && pretty.stdout.contains("db-pass") && pretty.stdout.contains(" - env=test"),
                    "\(pretty)")
            let configData = try await docker(1, ["config", "inspect", "--format", "{{printf \"%s\" .Spec.Data}}", "app.conf"])
            #expect(configData.stdout == configValue + "\n", "\(configData)")

            // Docker's refusals.
            let taken = try await docker(2, ["secret", "create", "db-pass", configFile])
            #expect(taken.status != 0 && taken.stderr.contains(
                "rpc error: code = AlreadyExists desc = secret db-pass already exists"), "\(taken)")
            let badName = try await docker(1, ["secret", "create", "bad_", configFile])
            #expect(badName.status != 0 && badName.stderr.contains(
                "invalid name, only 64 [a-zA-Z0-9-_.] characters allowed"), "\(badName)")
            // The CLI refuses an empty payload itself (the daemon's answer is checked with docker-py below).
            let empty = try await docker(1, ["secret", "create", "empty", "-"], stdin: "")
            #expect(empty.status != 0 && empty.stderr.contains("data is empty"), "\(empty)")
            let unknown = try await docker(2, ["secret", "inspect", "nope"])
            #expect(unknown.status != 0 && unknown.stderr.contains("secret nope not found"), "\(unknown)")

            // A service names them (resolved to their IDs); while it does they stay.
            let service = try await docker(2, ["service", "create", "--detach", "--name", "uses", "--secret", "db-pass",
                                               "--config", "source=app.conf,target=/app.conf", "127.0.0.1:9/busybox", "sleep", "1000"])
            try #require(service.status == 0, "\(service)\n\(cluster.log(1))")
            let references = try await docker(1, [
                "service", "inspect", "--format",
                "{{(index .Spec.TaskTemplate.ContainerSpec.Secrets 0).SecretID}} {{(index .Spec.TaskTemplate.ContainerSpec.Configs 0).ConfigID}}",
                "uses",
            ])
            #expect(references.stdout == "\(secretID) \(configID)\n", "\(references)")
            let missing = try await docker(1, ["service", "create", "--detach", "--secret", "nope", "127.0.0.1:9/busybox"])
            #expect(missing.status != 0 && missing.stderr.contains("secret not found: nope"), "\(missing)")
            let inUse = try await docker(2, ["secret", "rm", "db-pass"])
            #expect(inUse.status != 0 && inUse.stderr.contains(
                "rpc error: code = InvalidArgument desc = secret 'db-pass' is in use by the following service: uses"),
                "\(inUse)")
            let configInUse = try await docker(1, ["config", "rm", "app.conf"])
            #expect(configInUse.status != 0 && configInUse.stderr.contains(
                "config 'app.conf' is in use by the following service: uses"), "\(configInUse)")

            // The worker answers nothing; it holds no data key, the joined manager holds the leader's.
            for arguments in [["secret", "ls"], ["secret", "create", "w", configFile], ["config", "inspect", "app.conf"]] {
                let worker = try await docker(3, arguments)
                #expect(worker.status != 0 && worker.stderr.contains(
                    "This node is not a swarm manager. Worker nodes can't be used to view or modify cluster state."),
                    "\(arguments): \(worker)")
            }
            let keyFile = "/swarm/certificates/data.key"
            let leaderKey = try Data(contentsOf: URL(fileURLWithPath: cluster.dataRoot(1) + keyFile))
            #expect(try Data(contentsOf: URL(fileURLWithPath: cluster.dataRoot(2) + keyFile)) == leaderKey)
            #expect(!FileManager.default.fileExists(atPath: cluster.dataRoot(3) + keyFile))
            let mode = try FileManager.default.attributesOfItem(atPath: cluster.dataRoot(2) + keyFile)[.posixPermissions]
            #expect(mode as? Int == 0o600)

            // etcd's data (WAL, snapshots, bolt db) on both managers: the config's value is there in clear, which
            // shows the search sees what is stored; the secret's value and the key are not.
            for node in 1...2 {
                let etcd = cluster.dataRoot(node) + "/swarm/etcd"
                #expect(try Self.files(under: etcd, contain: Array(configValue.utf8)), "node \(node)")
                #expect(try !Self.files(under: etcd, contain: Array(secretValue.utf8)), "node \(node)")
                let keyBytes = try #require(Data(base64Encoded: String(decoding: leaderKey, as: UTF8.self)
                    .trimmingCharacters(in: .whitespacesAndNewlines)))
                #expect(try !Self.files(under: etcd, contain: Array(keyBytes)), "node \(node)")
            }

            // Once the service is gone, several go at once.
            #expect(try await docker(1, ["service", "rm", "uses"]).status == 0)
            let removed = try await docker(2, ["secret", "rm", "db-pass", "nope"])
            #expect(removed.status != 0 && removed.stdout == "db-pass\n" && removed.stderr.contains("secret nope not found"),
                    "\(removed)")
            #expect(try await docker(1, ["config", "rm", configID]).stdout == "\(configID)\n")
            #expect(try await docker(1, ["secret", "ls", "-q"]).stdout == "")

            // docker-py, through the manager that does not lead.
            let py = """
                import base64, docker, sys
                client = docker.DockerClient(base_url="unix://" + sys.argv[1])
                made = client.secrets.create(name="py-secret", data=b"py-value", labels={"k": "v"})
                got = client.secrets.get("py-secret")
                print(got.id == made.id, got.name, got.attrs["Spec"]["Labels"], "Data" in got.attrs["Spec"])
                print([s.name for s in client.secrets.list(filters={"label": "k=v"})], client.secrets.list(filters={"name": "zz"}))
                version = got.attrs["Version"]["Index"]
                client.api._raise_for_status(client.api._post_json(client.api._url("/secrets/{0}/update", got.id),
                    params={"version": version}, data={"Name": "py-secret", "Labels": {"k": "w"}}))
                print(client.api.inspect_secret(got.id)["Spec"]["Labels"])
                try:
                    client.api._raise_for_status(client.api._post_json(client.api._url("/secrets/{0}/update", got.id),
                        params={"version": version}, data={"Name": "renamed"}))
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                conf = client.configs.create(name="py-config", data=b"a = 1", labels={"x": "y"})
                attrs = client.api.inspect_config(conf.id)
                print(base64.b64decode(attrs["Spec"]["Data"]).decode(), attrs["Spec"]["Labels"])
                client.api._raise_for_status(client.api._post_json(client.api._url("/configs/{0}/update", conf.id),
                    params={"version": attrs["Version"]["Index"]},
                    data={"Name": "py-config", "Labels": {"x": "z"}, "Data": attrs["Spec"]["Data"]}))
                print(client.configs.get("py-config").attrs["Spec"]["Labels"])
                ref = docker.types.SecretReference(secret_id="0123456789abcdef012345678", secret_name="ghost")
                try:
                    client.services.create("127.0.0.1:9/busybox", ["sleep", "1"], name="py-svc", secrets=[ref])
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                try:
                    client.secrets.create(name="py-secret", data=b"again")
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                try:
                    client.configs.create(name="py-empty", data=b"")
                except docker.errors.APIError as error:
                    print(error.status_code, error.explanation)
                got.remove()
                conf.remove()
                print(client.secrets.list(), client.configs.list())
                try:
                    client.secrets.get("py-secret")
                except docker.errors.NotFound as error:
                    print(error.status_code, error.explanation)
                """
            let viaPython = try await Shell.run("/usr/bin/env", ["python3", "-c", py, cluster.socket(2)])
            #expect(viaPython.stdout == """
                True py-secret {'k': 'v'} False
                ['py-secret'] []
                {'k': 'w'}
                400 rpc error: code = InvalidArgument desc = only updates to Labels are allowed
                a = 1 {'x': 'y'}
                {'x': 'z'}
                400 rpc error: code = InvalidArgument desc = secret not found: ghost
                409 rpc error: code = AlreadyExists desc = secret py-secret already exists
                400 rpc error: code = InvalidArgument desc = config data must be larger than 0 and less than 512000 bytes
                [] []
                404 secret py-secret not found

                """, "\(viaPython.stdout)\(viaPython.stderr)")

            // A promoted worker gets the key (and answers); a demoted manager gives its copy up.
            #expect(try await docker(1, ["node", "promote", cluster.host(3)]).status == 0)
            let promoted = try await cluster.eventually(60) {
                try await docker(3, ["secret", "ls"]).status == 0
                    && FileManager.default.fileExists(atPath: cluster.dataRoot(3) + keyFile)
            }
            #expect(promoted, "\(cluster.log(3))")
            #expect(try Data(contentsOf: URL(fileURLWithPath: cluster.dataRoot(3) + keyFile)) == leaderKey)
            let late = try await docker(3, ["secret", "create", "late", configFile])
            #expect(late.status == 0, "\(late)\n\(cluster.log(3))")
            #expect(try await docker(3, ["node", "demote", cluster.host(2)]).status == 0)
            let demoted = try await cluster.eventually(60) {
                try await docker(2, ["secret", "ls"]).stderr.contains("This node is not a swarm manager")
                    && !FileManager.default.fileExists(atPath: cluster.dataRoot(2) + keyFile)
            }
            #expect(demoted, "\(cluster.log(2))")
        }
    }

    /// Whether any regular file under `directory` holds `needle`.
    static func files(under directory: String, contain needle: [UInt8]) throws -> Bool {
        let enumerator = FileManager.default.enumerator(atPath: directory)
        while let relative = enumerator?.nextObject() as? String {
            let path = directory + "/" + relative
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let data = FileManager.default.contents(atPath: path) else { continue }
            if data.range(of: Data(needle)) != nil { return true }
        }
        return false
    }
}
