import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// The cluster endpoint (issue 13): `shoal cluster credentials` and `shoal credentials` write a bundle (docker.env,
/// ca.pem, cert.pem, key.pem) with which the stock CLI and docker-py drive the managers' TCP 2376 with mutual TLS;
/// a client without a certificate, with one from another CA, with a node's own certificate, or speaking plain HTTP
/// gets nothing; a worker issues no bundle; a revoked bundle is refused. Each node's engine channel (2381) admits
/// the managers only. Through the bundle, `docker run` is placed on the nodes as classic Swarm placed it.
@Suite(.timeLimit(.minutes(4))) struct ClusterEndpointTests {
    /// One HTTPS request to the endpoint with python's ssl (the CA given; a client certificate or none):
    /// `200` or `refused <error>`.
    static let probe = """
        import http.client, ssl, sys
        host, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
        context = ssl.create_default_context(cafile=ca)
        if cert:
            context.load_cert_chain(cert, key)
        try:
            connection = http.client.HTTPSConnection(host, port, context=context, timeout=20)
            connection.request("GET", "/v1.41/version")
            print(connection.getresponse().status)
        except Exception as error:
            print("refused", type(error).__name__)
        """

    @Test func aBundleDrivesTheManagersEndpointAndNothingElseGetsIn() async throws {
        try await TestRun.with("endpoint") { run in
            let cluster = LocalClusterFixture(run, prefix: "ce", subnetOctet: 84)
            let up = try await cluster.up(nodes: 2, managers: 1, swarm: true)
            try #require(up.status == 0, "\(up)")
            #expect(up.stdout.contains("\(cluster.name)-n1") && up.stdout.contains("\(cluster.name)-n2"), "\(up.stdout)")
            let manager = cluster.address(1)

            let bundle = run.path("bundle")
            let made = try await cluster.shoal(["cluster", "credentials", "--name", cluster.name, "--out", bundle,
                                                "--user", "ada"])
            try #require(made.status == 0, "\(made)\n\(cluster.log(1))")
            #expect(made.stdout == "source \(bundle)/docker.env\n")
            let environment = try String(contentsOfFile: bundle + "/docker.env", encoding: .utf8)
            #expect(environment == """
                export DOCKER_HOST=tcp://\(manager):2376
                export DOCKER_TLS_VERIFY=1
                export DOCKER_CERT_PATH=\(bundle)

                """)
            #expect(try FileManager.default.attributesOfItem(atPath: bundle + "/key.pem")[.posixPermissions] as? Int == 0o600)
            let subject = try await Shell.run("/usr/bin/openssl", ["x509", "-noout", "-subject", "-in", bundle + "/cert.pem"])
            #expect(subject.stdout.contains("OU = shoal-user") && subject.stdout.contains("CN = ada"), "\(subject)")

            // The stock CLI with the bundle's variables, as after `source docker.env`.
            let bundleEnvironment = ["DOCKER_HOST": "tcp://\(manager):2376", "DOCKER_TLS_VERIFY": "1",
                                     "DOCKER_CERT_PATH": bundle, "DOCKER_CONFIG": run.path("docker-config")]
            var nodes = try await Shell.run(DaemonFixture.docker, ["node", "ls", "--format", "{{.Hostname}}"],
                                            environment: bundleEnvironment, timeout: 60)
            // The endpoint opens within a moment of the node becoming a manager.
            for _ in 0..<50 where nodes.status != 0 {
                try await Task.sleep(for: .milliseconds(200))
                nodes = try await Shell.run(DaemonFixture.docker, ["node", "ls", "--format", "{{.Hostname}}"],
                                            environment: bundleEnvironment, timeout: 60)
            }
            #expect(Set(nodes.stdout.split(separator: "\n")) == ["\(cluster.name)-n1", "\(cluster.name)-n2"],
                    "\(nodes)\n\(cluster.log(1))")
            // docker-py's from_env() reads the same variables. (requests lets REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE,
            // when set, replace the bundle's CA: cleared here as a user of a bundle would.)
            let py = try await Shell.run("/usr/bin/env", ["python3", "-c", """
                import docker
                print(sorted(node.attrs["Description"]["Hostname"] for node in docker.from_env().nodes.list()))
                """], environment: bundleEnvironment.merging(["REQUESTS_CA_BUNDLE": "", "CURL_CA_BUNDLE": ""]) { $1 })
            #expect(py.stdout == "['\(cluster.name)-n1', '\(cluster.name)-n2']\n", "\(py)")

            // Who gets in: the user's certificate; not a client without one, not one from another CA, not a
            // node's own certificate (same CA, but a node's).
            func probe(_ certificate: String, _ key: String, ca: String = bundle + "/ca.pem") async throws -> String {
                try await Shell.run("/usr/bin/env", ["python3", "-c", Self.probe, manager, "2376", ca, certificate, key])
                    .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await probe(bundle + "/cert.pem", bundle + "/key.pem") == "200")
            #expect(try await probe("", "").hasPrefix("refused"))
            let stranger = try await TestCertificates.make(in: run.path("other-ca"), name: "another-ca")
            #expect(try await probe(stranger.clientCertificate, stranger.clientKey).hasPrefix("refused"))
            for node in [1, 2] {
                let own = cluster.certificates(node)
                #expect(try await probe(own + "/node.crt", own + "/node.key").hasPrefix("refused"), "node \(node)")
            }
            // The node engine channel (2381, every node) lets the managers in and nobody else: not a user's
            // bundle, not a worker's own certificate.
            func channel(_ node: Int, _ certificate: String, _ key: String) async throws -> String {
                try await Shell.run("/usr/bin/env", ["python3", "-c", Self.probe, cluster.address(node), "2381",
                                                     bundle + "/ca.pem", certificate, key])
                    .stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            #expect(try await channel(2, cluster.certificates(1) + "/node.crt", cluster.certificates(1) + "/node.key") == "200")
            #expect(try await channel(2, bundle + "/cert.pem", bundle + "/key.pem").hasPrefix("refused"))
            #expect(try await channel(1, cluster.certificates(2) + "/node.crt", cluster.certificates(2) + "/node.key")
                .hasPrefix("refused"))
            // Plain HTTP to the TLS port gets no HTTP answer.
            let plain = try await Shell.run(DaemonFixture.docker, ["version"], environment: [
                "DOCKER_HOST": "tcp://\(manager):2376", "DOCKER_CONFIG": run.path("docker-config"),
            ], timeout: 60)
            #expect(plain.status != 0 && !plain.stdout.contains("Server:"), "\(plain)")

            // `shoal credentials` on a manager's socket makes a bundle too; a worker's refuses.
            let direct = try await cluster.shoal(["credentials", "-H", "unix://" + cluster.socket(1),
                                                  "--out", run.path("direct"), "--user", "ops"])
            #expect(direct.status == 0 && direct.stdout == "source \(run.path("direct"))/docker.env\n", "\(direct)")
            let worker = try await cluster.shoal(["credentials", "-H", "unix://" + cluster.socket(2),
                                                  "--out", run.path("refused")])
            #expect(worker.status != 0 && worker.stderr.contains("not a swarm manager"), "\(worker)")
            #expect(!FileManager.default.fileExists(atPath: run.path("refused") + "/key.pem"))

            // A revoked bundle is refused from then on; another user's bundle still works.
            let revoked = try await cluster.shoal(["cluster", "credentials", "--name", cluster.name, "--revoke", bundle])
            #expect(revoked.status == 0 && revoked.stdout == "Revoked the credentials of ada\n", "\(revoked)")
            var afterRevocation = ""
            for _ in 0..<25 {
                afterRevocation = try await probe(bundle + "/cert.pem", bundle + "/key.pem")
                if afterRevocation.hasPrefix("refused") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(afterRevocation.hasPrefix("refused"), "\(afterRevocation)")
            #expect(try await probe(run.path("direct") + "/cert.pem", run.path("direct") + "/key.pem") == "200")
            // Revoking something that is no bundle of this cluster: refused, and the endpoint unchanged.
            let foreign = try await cluster.shoal(["credentials", "-H", "unix://" + cluster.socket(1),
                                                   "--revoke", stranger.clientCertificate])
            #expect(foreign.status != 0 && foreign.stderr.contains("not a credentials bundle's certificate"), "\(foreign)")
        }
    }

    /// Carina's seed transcript with local images, through the bundle: an overlay by default, a database pinned to
    /// `*n1` with no published port, a web application pinned to `*n2` that reaches it by name and publishes 8080,
    /// whose page the host opens at the address `docker port` prints; `docker ps` lists both as `NODE/NAME`; names
    /// are unique in the cluster; a constraint no node meets is classic Swarm's error with nothing made; logs,
    /// stop and rm reach the container's node.
    @Test func theSeedTranscriptPlacesContainersAcrossTheNodes() async throws {
        try await TestRun.with("endpoint-run") { run in
            let cluster = LocalClusterFixture(run, prefix: "cr", subnetOctet: 85)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true)
            try #require(up.status == 0, "\(up)")
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("mkdir -p \(rootfs)/www && echo from-db > \(rootfs)/www/index.html && tar -C \(rootfs) -cf \(run.path("app.tar")) .")
            for node in 1...3 {
                let loaded = try await cluster.docker(node, ["import", run.path("app.tar"), "app"])
                try #require(loaded.status == 0, "\(loaded)")
            }
            let endpoint = try await EndpointClient.open(cluster, run)
            let environment = endpoint.environment
            func docker(_ arguments: [String]) async throws -> Shell.Result { try await endpoint.docker(arguments) }

            let network = try await docker(["network", "create", "mynet"])
            #expect(network.status == 0, "\(network)")
            #expect(try await docker(["network", "inspect", "-f", "{{.Driver}} {{.Attachable}}", "mynet"]).stdout == "overlay true\n")
            let db = try await docker(["run", "-d", "--name", "db", "--net", "mynet", "--env", "constraint:node==*n1",
                                       "app", "httpd", "-f", "-p", "3306", "-h", "/www"])
            #expect(db.status == 0, "\(db)\n\(cluster.log(1))")
            let page = "until wget -qO /www/index.html http://db:3306/; do sleep 0.2; done; exec httpd -f -p 80 -h /www"
            let web = try await docker(["run", "-d", "--name", "web", "--net", "mynet", "--env", "constraint:node==*n2",
                                        "--publish", "8080:80", "app", "sh", "-c", page])
            #expect(web.status == 0, "\(web)")

            let listed = try await docker(["ps", "--format", "{{.Names}}"])
            #expect(Set(listed.stdout.split(separator: "\n")) == ["\(cluster.name)-n1/db", "\(cluster.name)-n2/web"], "\(listed)")
            // Each runs on the node its constraint names (as that node's own engine sees it).
            #expect(try await cluster.docker(1, ["ps", "--format", "{{.Names}}"]).stdout == "db\n")
            #expect(try await cluster.docker(2, ["ps", "--format", "{{.Names}}"]).stdout == "web\n")
            #expect(try await cluster.docker(3, ["ps", "-aq"]).stdout == "")
            // The scheduling entries leave the environment for classic Swarm's label.
            let placed = try await docker(["inspect", "-f", "{{json .Config.Env}} {{index .Config.Labels \"com.docker.swarm.constraints\"}}", "web"])
            #expect(!placed.stdout.contains("constraint:") && placed.stdout.hasSuffix(" [\"node==*n2\"]\n"), "\(placed)")
            #expect(try await docker(["inspect", "-f", "{{.Node.Name}}", "web"]).stdout == "\(cluster.name)-n2\n")

            let noPort = try await docker(["port", "db", "3306"])
            #expect(noPort.status != 0 && noPort.stderr.contains("Error: No public port '3306") && noPort.stderr.contains("published for db"), "\(noPort)")
            let port = try await docker(["port", "web", "80"])
            #expect(port.stdout == "\(cluster.address(2)):8080\n", "\(port)")
            // The host opens the page at that address: the web application got it from the database by name.
            var body: String?
            for _ in 0..<100 where body == nil {
                body = try await HTTPProbe.get("http://\(cluster.address(2)):8080/")
                if body == nil { try await Task.sleep(for: .milliseconds(200)) }
            }
            let webLogs = body == "from-db\n" ? "" : "\(try await docker(["logs", "web"]))"
            #expect(body == "from-db\n", "\(String(describing: body))\n\(webLogs)")

            // Names are the cluster's; a constraint nobody meets changes nothing.
            let taken = try await docker(["run", "-d", "--name", "db", "--env", "constraint:node==*n3", "app", "true"])
            #expect(taken.status == 125 && taken.stderr.contains("The container name \"/db\" is already in use"), "\(taken)")
            let nowhere = try await docker(["run", "-d", "--env", "constraint:node==*n9", "app", "true"])
            #expect(nowhere.status == 125
                && nowhere.stderr.contains("Unable to find a node that satisfies the following conditions"), "\(nowhere)")
            #expect(try await docker(["ps", "-aq"]).stdout.split(separator: "\n").count == 2)
            let bad = try await docker(["run", "-d", "--env", "constraint:node=*n1", "app", "true"])
            #expect(bad.status == 125, "\(bad)")

            // Networks: the swarm's once, each node's own as NODE/NAME; connect reaches the container's node.
            let networks = Set(try await docker(["network", "ls", "--format", "{{.Name}}"]).stdout.split(separator: "\n").map(String.init))
            #expect(networks.isSuperset(of: ["mynet", "ingress"] + (1...3).flatMap { ["\(cluster.name)-n\($0)/bridge", "\(cluster.name)-n\($0)/none"] }),
                    "\(networks)")
            #expect(!networks.contains("bridge"))
            #expect(try await docker(["network", "create", "other"]).status == 0)
            let connected = try await docker(["network", "connect", "other", "db"])
            #expect(connected.status == 0, "\(connected)")
            #expect(try await cluster.docker(1, ["inspect", "-f", "{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}", "db"])
                .stdout == "mynet other \n")
            #expect(try await docker(["network", "disconnect", "other", "db"]).status == 0)

            // Volumes are made on every node and listed per node; NODE/NAME removes one node's only.
            #expect(try await docker(["volume", "create", "shared"]).stdout == "shared\n")
            let volumes = try await docker(["volume", "ls", "-q"]).stdout
            #expect(volumes == (1...3).map { "\(cluster.name)-n\($0)/shared\n" }.joined(), "\(volumes)")
            #expect(try await docker(["volume", "rm", "\(cluster.name)-n1/shared"]).status == 0)
            #expect(try await cluster.docker(1, ["volume", "ls", "-q"]).stdout == "")
            #expect(try await cluster.docker(2, ["volume", "ls", "-q"]).stdout == "shared\n")
            #expect(try await docker(["volume", "rm", "shared"]).status == 0)
            #expect(try await docker(["volume", "ls", "-q"]).stdout == "")
            // Names stay unique through rename too.
            let renamed = try await docker(["rename", "web", "db"])
            #expect(renamed.status != 0 && renamed.stderr.contains("The container name \"/db\" is already in use"), "\(renamed)")
            // Events come from every node (db started on node 1, web on node 2).
            let events = try await docker(["events", "--since", "0", "--until", "\(Int(Date().timeIntervalSince1970) + 1)",
                                           "--filter", "event=start", "--format", "{{.Actor.Attributes.name}}"])
            #expect(Set(events.stdout.split(separator: "\n")).isSuperset(of: ["db", "web"]), "\(events)")

            // Streams are the node's: exec (with stdin and the exit code) on node 2, an attached run with --rm on
            // node 3 (stdout and stderr apart, its exit code, the container gone after).
            let exec = try await docker(["exec", "web", "sh", "-c", "cat /www/index.html; echo to-stderr >&2; exit 4"])
            #expect(exec.status == 4 && exec.stdout == "from-db\n" && exec.stderr == "to-stderr\n", "\(exec)")
            let echoed = try await Shell.run(DaemonFixture.docker, ["exec", "-i", "web", "cat"], environment: environment,
                                             stdin: "through the endpoint\n", timeout: 60)
            #expect(echoed.stdout == "through the endpoint\n", "\(echoed)")
            let attached = try await docker(["run", "--rm", "--env", "constraint:node==*n3", "app", "sh", "-c",
                                             "echo out; echo err >&2; exit 3"])
            #expect(attached.status == 3 && attached.stdout == "out\n" && attached.stderr == "err\n", "\(attached)")
            #expect(try await cluster.docker(3, ["ps", "-aq"]).stdout == "")

            // Calls about one container reach its node.
            #expect(try await docker(["stop", "-t", "1", "\(cluster.name)-n2/web"]).status == 0)
            #expect(try await cluster.docker(2, ["inspect", "-f", "{{.State.Status}}", "web"]).stdout == "exited\n")
            #expect(try await docker(["rm", "web"]).status == 0)
            #expect(try await cluster.docker(2, ["ps", "-aq"]).stdout == "")
            let gone = try await docker(["logs", "web"])
            #expect(gone.status != 0 && gone.stderr.contains("No such container: web"), "\(gone)")
            // A container the endpoint made and remembers, removed behind its back on its node: its full ID then
            // means nothing, as anywhere else.
            let created = try await docker(["create", "--env", "constraint:node==*n3", "app", "true"])
            let id = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            #expect(created.status == 0 && id.count == 64, "\(created)")
            #expect(try await cluster.docker(3, ["rm", id]).status == 0)
            let stale = try await docker(["start", id])
            #expect(stale.status != 0 && stale.stderr.contains("No such container: \(id)"), "\(stale)")
        }
    }

    /// `docker info` describes the cluster as classic Swarm did; a `docker run` of an image no node has pulls it
    /// on every node (the CLI's pull after the chosen node's "No such image") and then runs it where it was
    /// placed; `docker images` lists it once.
    @Test func infoDescribesTheClusterAndARunPullsEverywhere() async throws {
        try await TestRun.with("endpoint-pull") { run in
            let cluster = LocalClusterFixture(run, prefix: "cp", subnetOctet: 86)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true,
                                          extra: ["--dns", "127.0.0.1:1053", "--insecure-registry", cluster.subnet])
            try #require(up.status == 0, "\(up)")
            let registry = try await LocalRegistry.start(in: run, host: cluster.address(0))
            let rootfs = run.path("rootfs")
            try BusyboxRootfs.make(at: rootfs)
            try await Shell.sh("tar -C \(rootfs) -cf \(run.path("bb.tar")) .")
            let image = "\(registry.domain)/team/app:1"
            try #require(try await cluster.docker(1, ["import", run.path("bb.tar"), image]).status == 0)
            let pushed = try await cluster.docker(1, ["push", image])
            try #require(pushed.status == 0, "\(pushed)")
            try #require(try await cluster.docker(1, ["rmi", image]).status == 0)

            let endpoint = try await EndpointClient.open(cluster, run)
            func docker(_ arguments: [String]) async throws -> Shell.Result { try await endpoint.docker(arguments) }
            let info = try await docker(["info"])
            #expect(info.stdout.contains("Nodes: 3") && info.stdout.contains("Strategy: spread"), "\(info)")
            for node in 1...3 {
                #expect(info.stdout.contains(" \(cluster.name)-n\(node): \(cluster.address(node)):2376"), "\(info.stdout)")
            }

            let ran = try await docker(["run", "-d", "--name", "pulled", "--env", "constraint:node==*n3", image, "sleep", "1000"])
            #expect(ran.status == 0, "\(ran)\n\(cluster.log(1))")
            #expect(try await docker(["ps", "--format", "{{.Names}}"]).stdout == "\(cluster.name)-n3/pulled\n")
            for node in 1...3 {
                let here = try await cluster.docker(node, ["images", "--format", "{{.Repository}}:{{.Tag}}", image])
                #expect(here.stdout == "\(image)\n", "node \(node): \(here)")
            }
            let listed = try await docker(["images", "--format", "{{.Repository}}:{{.Tag}}"])
            #expect(listed.stdout == "\(image)\n", "\(listed)")
            // rmi removes it from every node; refused while a container uses it.
            let inUse = try await docker(["rmi", image])
            #expect(inUse.status != 0 && inUse.stderr.contains("conflict"), "\(inUse)")
            #expect(try await docker(["rm", "-f", "pulled"]).status == 0)
            let removed = try await docker(["rmi", image])
            #expect(removed.status == 0, "\(removed)")
            for node in 1...3 {
                #expect(try await cluster.docker(node, ["images", "-q", image]).stdout == "", "node \(node)")
            }
            // `docker pull` pulls on every node, each node's progress marked with its name.
            let pulled = try await docker(["pull", image])
            #expect(pulled.status == 0, "\(pulled)")
            for node in 1...3 {
                #expect(pulled.stdout.contains("\(cluster.name)-n\(node): "), "\(pulled.stdout)")
                #expect(try await cluster.docker(node, ["images", "-q", image]).stdout.count == 13, "node \(node)")
            }
            #expect(try await docker(["rmi", image]).status == 0)
            // An image no registry has: the pull fails, naming the nodes, and nothing runs.
            let missing = try await docker(["run", "-d", "\(registry.domain)/team/none:1", "true"])
            #expect(missing.status != 0 && missing.stderr.contains("\(cluster.name)-n"), "\(missing.stderr)")
            #expect(try await docker(["ps", "-aq"]).stdout == "")
        }
    }

    /// `-e reschedule:on-node-failure`: when the container's node is Down the leader makes it again, with its
    /// name, on another node and starts it; a container without the policy stays where it was. When the node
    /// comes back, its old copy is removed.
    @Test func aContainerThatAsksIsRescheduledWhenItsNodeIsDown() async throws {
        try await TestRun.with("endpoint-reschedule") { run in
            let cluster = LocalClusterFixture(run, prefix: "cs", subnetOctet: 87)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true, extra: ["--dispatcher-heartbeat", "1s"])
            try #require(up.status == 0, "\(up)")
            try await cluster.importBusybox(on: 1...3)
            let endpoint = try await EndpointClient.open(cluster, run)
            func docker(_ arguments: [String]) async throws -> Shell.Result { try await endpoint.docker(arguments) }
            // Kept off node 1 (the manager), so that it has one other node to go to.
            let moved = try await docker(["run", "-d", "--name", "mover", "--env", "reschedule:on-node-failure",
                                          "--env", "constraint:node!=*n1", "bb", "sleep", "1000"])
            #expect(moved.status == 0, "\(moved)")
            let first = try await docker(["inspect", "-f", "{{.Node.Name}}", "mover"]).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let lost = first.hasSuffix("-n2") ? 2 : 3
            let other = lost == 2 ? 3 : 2
            let stays = try await docker(["run", "-d", "--name", "stayer", "--env", "constraint:node==\(first)", "bb",
                                          "sleep", "1000"])
            #expect(stays.status == 0, "\(stays)")

            // Its node's daemon stops: Down within three 1 s heartbeats, then mover runs on the other worker.
            let arguments = try await ClusterStateFile.stopDaemon(lost, in: cluster.stateFile)
            var placed = ""
            for _ in 0..<150 {
                placed = try await docker(["ps", "--filter", "name=mover", "--format", "{{.Names}} {{.State}}"]).stdout
                if placed.hasSuffix("/mover running\n") { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(placed == "\(cluster.name)-n\(other)/mover running\n", "\(placed)\n\(cluster.log(1))")
            #expect(try await docker(["ps", "-a", "--filter", "name=stayer", "-q"]).stdout == "")
            #expect(try await docker(["inspect", "-f", "{{index .Config.Labels \"com.docker.swarm.reschedule-policies\"}}", "mover"])
                .stdout == "[\"on-node-failure\"]\n")

            // The node comes back: its copy of mover goes (the name is the moved one's); stayer stays.
            try ClusterStateFile.startDaemon(lost, in: cluster.stateFile, arguments: arguments)
            var left = ""
            for _ in 0..<150 {
                left = try await cluster.docker(lost, ["ps", "-a", "--format", "{{.Names}}"]).stdout
                if left == "stayer\n" { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(left == "stayer\n", "\(left)\n\(cluster.log(1))")
            let everywhere = try await docker(["ps", "-a", "--filter", "name=mover", "--format", "{{.Names}}"])
            #expect(everywhere.stdout == "\(cluster.name)-n\(other)/mover\n", "\(everywhere)")
        }
    }

    /// `docker version` shows each node's engine. With `--cluster-strategy binpack`, containers that reserve memory
    /// fill one node first and `docker info` shows what they reserve; a reservation no node has room for, and a
    /// constraint on an engine fact (kernelversion, operatingsystem, storagedriver), are judged as classic Swarm
    /// judged them. `exec -it` (with a terminal), top, stats, cp both ways (an archive larger than any buffer),
    /// kill, wait and restart reach the container's node.
    @Test func binpackReservationsEngineFactsAndEveryContainerCallReachTheNode() async throws {
        try await TestRun.with("endpoint-calls") { run in
            let cluster = LocalClusterFixture(run, prefix: "cb", subnetOctet: 88)
            let up = try await cluster.up(nodes: 3, managers: 1, swarm: true, extra: ["--cluster-strategy", "binpack"])
            try #require(up.status == 0, "\(up)")
            try await cluster.importBusybox(on: 1...3)
            let endpoint = try await EndpointClient.open(cluster, run)
            func docker(_ arguments: [String]) async throws -> Shell.Result { try await endpoint.docker(arguments) }

            let version = try await docker(["version", "--format",
                                             "{{.Server.Platform.Name}}|{{range .Server.Components}}{{.Name}} {{end}}"])
            #expect(version.stdout.hasPrefix("Shoal cluster endpoint (3 nodes)|Engine "), "\(version)")
            for node in 1...3 { #expect(version.stdout.contains(" \(cluster.name)-n\(node) "), "\(version)") }

            for index in 1...3 {
                let ran = try await docker(["run", "-d", "-m", "64m", "--name", "packed\(index)", "bb", "sleep", "1000"])
                try #require(ran.status == 0, "\(ran)")
            }
            let placed = try await docker(["inspect", "-f", "{{.Node.Name}}", "packed1", "packed2", "packed3"])
            let nodes = Set(placed.stdout.split(separator: "\n"))
            #expect(nodes.count == 1, "\(placed)")
            let info = try await docker(["info"])
            #expect(info.stdout.contains("Strategy: binpack") && info.stdout.contains("Reserved Memory: 192 MiB / "),
                    "\(info.stdout)")
            let tooBig = try await docker(["run", "-d", "-m", "100000g", "bb", "true"])
            #expect(tooBig.status == 125 && tooBig.stderr.contains("no resources available to schedule container"), "\(tooBig)")
            let tooMany = try await docker(["run", "-d", "--cpus", "4096", "bb", "true"])
            #expect(tooMany.status == 125 && tooMany.stderr.contains("no resources available"), "\(tooMany)")
            let kernel = try await Shell.sh("uname -r").trimmingCharacters(in: .whitespacesAndNewlines)
            let facts = try await docker(["run", "-d", "--name", "facts", "-e", "constraint:kernelversion==\(kernel)",
                                          "-e", "constraint:operatingsystem==/.+/", "-e", "constraint:storagedriver==overlay",
                                          "bb", "sleep", "1000"])
            #expect(facts.status == 0, "\(facts)")
            let zfs = try await docker(["run", "-d", "-e", "constraint:storagedriver==zfs", "bb", "true"])
            #expect(zfs.status == 125 && zfs.stderr.contains("[storagedriver==zfs]"), "\(zfs)")
            // Four runs of one name at once: one container.
            let racing = try await withThrowingTaskGroup(of: Int32.self) { group in
                for _ in 0..<4 { group.addTask { try await docker(["create", "--name", "once", "bb", "true"]).status } }
                return try await group.reduce(into: [Int32]()) { $0.append($1) }
            }
            #expect(racing.filter { $0 == 0 }.count == 1, "\(racing)")
            #expect(try await docker(["rm", "once"]).status == 0)
            #expect(try await docker(["ps", "-aq"]).stdout.split(separator: "\n").count == 4)

            // A terminal: `exec -it` under script(1), the command's exit code back.
            let terminal = try await Shell.run("/usr/bin/script", [
                "-qec", "\(DaemonFixture.docker) exec -it packed1 sh -c 'tty; exit 5'", "/dev/null",
            ], environment: endpoint.environment, timeout: 60)
            #expect(terminal.status == 5 && terminal.stdout.contains("/dev/pts/"), "\(terminal)")
            // logs -f follows the node's log to the container's end.
            #expect(try await docker(["run", "-d", "--name", "talker", "bb", "sh", "-c",
                                      "for i in 1 2 3; do echo line$i; sleep 0.3; done"]).status == 0)
            let followed = try await docker(["logs", "-f", "talker"])
            #expect(followed.status == 0 && followed.stdout == "line1\nline2\nline3\n", "\(followed)")
            #expect(try await docker(["rm", "talker"]).status == 0)
            let top = try await docker(["top", "packed1"])
            #expect(top.status == 0 && top.stdout.contains("sleep 1000"), "\(top)")
            let stats = try await docker(["stats", "--no-stream", "--format", "{{.Name}} {{.MemUsage}}", "packed1"])
            #expect(stats.status == 0 && stats.stdout.hasPrefix("packed1 ") && stats.stdout.contains("/ 64MiB"), "\(stats)")

            // cp: 24 MiB in and back out, whole, by name and by NODE/NAME.
            let big = run.path("big.bin")
            var bytes = [UInt8](repeating: 0, count: 24 << 20)
            for index in stride(from: 0, to: bytes.count, by: 4096) { bytes[index] = UInt8.random(in: 0...255) }
            try Data(bytes).write(to: URL(fileURLWithPath: big))
            let node = try #require(nodes.first).description
            let into = try await docker(["cp", big, "\(node)/packed1:/big.bin"])
            #expect(into.status == 0, "\(into)")
            let back = try await docker(["cp", "packed1:/big.bin", run.path("back.bin")])
            #expect(back.status == 0, "\(back)")
            #expect(FileManager.default.contentsEqual(atPath: big, andPath: run.path("back.bin")))
            let missing = try await docker(["cp", "packed1:/nowhere", run.path("none")])
            #expect(missing.status != 0 && missing.stderr.contains("Could not find the file /nowhere"), "\(missing)")

            // kill and wait: wait returns the code of the death by SIGKILL (pid 1 ignores signals it does not
            // handle); restart starts it again.
            async let waited = docker(["wait", "packed2"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await docker(["kill", "packed2"]).status == 0)
            let code = try await waited
            #expect(code.stdout == "137\n", "\(code)")
            let before = try await docker(["inspect", "-f", "{{.State.StartedAt}}", "packed3"]).stdout
            let restarted = try await docker(["restart", "-t", "1", "packed3"])
            #expect(restarted.status == 0, "\(restarted)")
            let after = try await docker(["inspect", "-f", "{{.State.Status}} {{.State.StartedAt}}", "packed3"]).stdout
            #expect(after.hasPrefix("running ") && !after.hasSuffix(" " + before), "\(before) → \(after)")

            // Swarm mode's commands answer as on a manager: secrets, a stack, its service's tasks.
            let secret = try await Shell.run(DaemonFixture.docker, ["secret", "create", "token", "-"],
                                             environment: endpoint.environment, stdin: "s3cret", timeout: 60)
            #expect(secret.status == 0, "\(secret)")
            #expect(try await docker(["secret", "ls", "--format", "{{.Name}}"]).stdout == "token\n")
            try """
                version: "3.8"
                services:
                  app:
                    image: bb
                    command: ["sleep", "1000"]
                    deploy:
                      replicas: 2
                    secrets: [token]
                secrets:
                  token:
                    external: true
                """.write(toFile: run.path("stack.yml"), atomically: true, encoding: .utf8)
            let deployed = try await docker(["stack", "deploy", "-c", run.path("stack.yml"), "team"])
            #expect(deployed.status == 0, "\(deployed)")
            var replicas = ""
            for _ in 0..<100 {
                replicas = try await docker(["service", "ls", "--format", "{{.Name}} {{.Replicas}}"]).stdout
                if replicas == "team_app 2/2\n" { break }
                try await Task.sleep(for: .milliseconds(200))
            }
            #expect(replicas == "team_app 2/2\n", "\(replicas)")
            let tasks = try await docker(["service", "ps", "--filter", "desired-state=running", "--format", "{{.Name}} {{.CurrentState}}", "team_app"])
            #expect(tasks.stdout.split(separator: "\n").count == 2 && tasks.stdout.contains("team_app.1 Running"), "\(tasks)")
            #expect(try await docker(["stack", "rm", "team"]).status == 0)
        }
    }
}

/// The stock docker CLI through a credentials bundle of `cluster` (as after `source docker.env`), once the
/// manager's endpoint answers.
struct EndpointClient {
    let environment: [String: String]

    static func open(_ cluster: LocalClusterFixture, _ run: TestRun) async throws -> EndpointClient {
        let bundle = run.path("bundle")
        let made = try await cluster.shoal(["cluster", "credentials", "--name", cluster.name, "--out", bundle])
        try #require(made.status == 0, "\(made)")
        let client = EndpointClient(environment: [
            "DOCKER_HOST": "tcp://\(cluster.address(1)):2376", "DOCKER_TLS_VERIFY": "1", "DOCKER_CERT_PATH": bundle,
            "DOCKER_CONFIG": run.path("docker-config"),
        ])
        // The endpoint opens within a moment of the node becoming a manager.
        var ready = try await client.docker(["version"])
        for _ in 0..<50 where ready.status != 0 {
            try await Task.sleep(for: .milliseconds(200))
            ready = try await client.docker(["version"])
        }
        try #require(ready.status == 0, "\(ready)\n\(cluster.log(1))")
        return client
    }

    func docker(_ arguments: [String]) async throws -> Shell.Result {
        try await Shell.run(DaemonFixture.docker, arguments, environment: environment, timeout: 120)
    }
}
