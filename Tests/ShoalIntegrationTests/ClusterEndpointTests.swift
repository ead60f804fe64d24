import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// The cluster endpoint's door (issue 13, first part): `shoal cluster credentials` and `shoal credentials` write a
/// bundle (docker.env, ca.pem, cert.pem, key.pem) with which the stock CLI and docker-py drive the managers'
/// TCP 2376 with mutual TLS; a client without a certificate, with one from another CA, with a node's own
/// certificate, or speaking plain HTTP gets nothing; a worker issues no bundle.
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
}
