import Foundation
import ShoalTestSupport
import Testing

/// The Docker API over TCP, as a remote Docker host is driven: with `--tlsverify` only clients holding a
/// certificate from the daemon's CA get in (the stock CLI with DOCKER_TLS_VERIFY/DOCKER_CERT_PATH and docker-py's
/// TLSConfig, hijacked attach and exec streams included); plaintext clients, clients without a certificate, with
/// one from another CA or with an expired one are refused. A TCP host without client verification is refused at
/// start unless the operator opens the API explicitly, and then the daemon warns.
@Suite(.timeLimit(.minutes(4))) struct RemoteAPITests {
    /// A CA, the daemon's certificate (for 127.0.0.1) and client certificates, made with openssl in `dir`.
    struct Certificates {
        let dir: String
        var ca: String { dir + "/ca.pem" }
        var serverCertificate: String { dir + "/server-cert.pem" }
        var serverKey: String { dir + "/server-key.pem" }
        /// A DOCKER_CERT_PATH directory (ca.pem, cert.pem, key.pem) per client.
        func client(_ name: String) -> String { dir + "/client-" + name }

        static func make(in dir: String) async throws -> Certificates {
            let script = #"""
                set -e
                cd "$1"
                key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
                ca() {
                    key "$1-key.pem"
                    openssl req -x509 -new -key "$1-key.pem" -out "$1.pem" -days 2 -subj "/CN=$1" \
                        -addext keyUsage=critical,keyCertSign,cRLSign
                }
                ca ca
                ca other-ca
                # Strict X.509 (key usages, authority key IDs), as recent OpenSSL clients such as Python 3.13 want.
                leaf='keyUsage=critical,digitalSignature\nauthorityKeyIdentifier=keyid\n'
                printf "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n$leaf" > server.ext
                printf "extendedKeyUsage=clientAuth\n$leaf" > client.ext
                key server-key.pem
                openssl req -new -key server-key.pem -subj /CN=shoal-daemon -out server.csr
                openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
                    -extfile server.ext -out server-cert.pem 2>/dev/null
                client() {  # NAME CA [openssl ca dates]
                    mkdir "client-$1"
                    cp ca.pem "client-$1/ca.pem"
                    key "client-$1/key.pem"
                    openssl req -new -key "client-$1/key.pem" -subj "/CN=client-$1" -out "client-$1.csr"
                }
                client good
                openssl x509 -req -in client-good.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
                    -extfile client.ext -out client-good/cert.pem 2>/dev/null
                client stranger
                openssl x509 -req -in client-stranger.csr -CA other-ca.pem -CAkey other-ca-key.pem -CAcreateserial \
                    -days 2 -extfile client.ext -out client-stranger/cert.pem 2>/dev/null
                # An expired certificate needs explicit dates: `openssl ca` takes them.
                client expired
                mkdir newcerts && : > index.txt && echo 01 > serial
                printf '[ca]\ndefault_ca=t\n[t]\ndatabase=index.txt\nnew_certs_dir=newcerts\nserial=serial\ndefault_md=sha256\npolicy=p\n[p]\ncommonName=supplied\n' > ca.cnf
                openssl ca -batch -config ca.cnf -cert ca.pem -keyfile ca-key.pem -in client-expired.csr \
                    -startdate 20200101000000Z -enddate 20200102000000Z -extfile client.ext -notext \
                    -out client-expired/cert.pem 2>/dev/null
                """#
            let made = try await Shell.run("/bin/sh", ["-c", script, "certs", dir])
            guard made.status == 0 else { throw ShellError(command: "make certificates", status: made.status, stderr: made.stderr) }
            return Certificates(dir: dir)
        }
    }

    static func docker(_ daemon: DaemonFixture, port: Int, certPath: String?, verify: Bool = true, _ arguments: [String],
                       stdin: String? = nil) async throws -> Shell.Result {
        var environment = ["DOCKER_HOST": "tcp://127.0.0.1:\(port)", "DOCKER_CONFIG": daemon.run.path("docker-config"),
                           "DOCKER_CLI_HINTS": "false"]
        if let certPath {
            environment["DOCKER_CERT_PATH"] = certPath
            environment[verify ? "DOCKER_TLS_VERIFY" : "DOCKER_TLS"] = "1"
        }
        return try await Shell.run(DaemonFixture.docker, arguments, environment: environment, stdin: stdin, timeout: 30)
    }

    @Test func onlyClientsWithACertificateFromTheDaemonsCAGetIn() async throws {
        try await TestRun.with("tlsapi") { run in
            let dir = run.path("certs")
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let certs = try await Certificates.make(in: dir)
            let port = try await ImageFixtures.freePort()
            let daemon = try await DaemonFixture(run, arguments: [
                "-H", "tcp://127.0.0.1:\(port)", "--tlsverify", "--tlscacert", certs.ca,
                "--tlscert", certs.serverCertificate, "--tlskey", certs.serverKey])
            try await daemon.loadBusybox()
            func good(_ arguments: [String], stdin: String? = nil) async throws -> Shell.Result {
                try await Self.docker(daemon, port: port, certPath: certs.client("good"), arguments, stdin: stdin)
            }

            let version = try await good(["version", "--format", "{{.Server.APIVersion}}"])
            #expect(version.status == 0 && version.stdout == "1.41\n", "\(version)\n\(daemon.daemonLog())")
            // Hijacked streams inside TLS: attach (with stdin) and exec.
            let echoed = try await good(["run", "--rm", "busybox", "echo", "over-tls"])
            #expect(echoed.stdout == "over-tls\n", "\(echoed)")
            let piped = try await good(["run", "--rm", "-i", "busybox", "cat"], stdin: "through stdin\n")
            #expect(piped.stdout == "through stdin\n", "\(piped)")
            #expect(try await good(["run", "-d", "--name", "remote", "busybox", "sleep", "1000"]).status == 0)
            let exec = try await good(["exec", "remote", "sh", "-c", "echo exec-$((6*7))"])
            #expect(exec.stdout == "exec-42\n", "\(exec)")
            #expect(try await good(["rm", "-f", "remote"]).status == 0)

            // Refused: plaintext, TLS without a client certificate, another CA's certificate, an expired one.
            let plain = try await Self.docker(daemon, port: port, certPath: nil, ["version"])
            #expect(plain.status != 0 && !plain.stdout.contains("1.41"), "\(plain)")
            let anonymous = run.path("anonymous")
            try FileManager.default.createDirectory(atPath: anonymous, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: certs.ca, toPath: anonymous + "/ca.pem")
            let noCertificate = try await Self.docker(daemon, port: port, certPath: anonymous, verify: false,
                                                      ["version", "--format", "{{.Server.APIVersion}}"])
            #expect(noCertificate.status != 0 && !noCertificate.stdout.contains("1.41"), "\(noCertificate)")
            for client in ["stranger", "expired"] {
                let refused = try await Self.docker(daemon, port: port, certPath: certs.client(client),
                                                    ["version", "--format", "{{.Server.APIVersion}}"])
                #expect(refused.status != 0 && !refused.stdout.contains("1.41"), "\(client): \(refused)")
            }

            // docker-py's TLSConfig: in with the certificate, out without.
            let py = """
                import docker, sys
                from docker.tls import TLSConfig
                base, path = "https://127.0.0.1:" + sys.argv[1], sys.argv[2]
                tls = TLSConfig(client_cert=(path + "/cert.pem", path + "/key.pem"), ca_cert=path + "/ca.pem", verify=True)
                client = docker.DockerClient(base_url=base, tls=tls)
                print(client.version()["ApiVersion"], client.containers.run("busybox", ["echo", "py"], remove=True).decode().strip())
                try:
                    docker.DockerClient(base_url=base, tls=TLSConfig(ca_cert=path + "/ca.pem", verify=True)).version()
                    print("anonymous answered")
                except Exception:
                    print("anonymous refused")
                """
            // requests prefers REQUESTS_CA_BUNDLE (set on some machines) to the session's CA: unset it.
            let viaPython = try await Shell.run(
                "/usr/bin/env", ["-u", "REQUESTS_CA_BUNDLE", "-u", "CURL_CA_BUNDLE", "python3", "-c", py, String(port),
                                 certs.client("good")],
                timeout: 60)
            #expect(viaPython.stdout == "1.41 py\nanonymous refused\n", "\(viaPython.stdout)\(viaPython.stderr)")
        }
    }

    @Test func anOpenTCPHostNeedsTheOperatorsExplicitConsent() async throws {
        try await TestRun.with("openapi") { run in
            let port = try await ImageFixtures.freePort()
            // Refused before the daemon makes anything.
            let root = run.path("refused-data")
            let refused = try await Shell.run(DaemonFixture.binary, [
                "daemon", "--data-root", root, "--exec-root", run.path("refused-exec"), "-H", "tcp://127.0.0.1:\(port)"],
                timeout: 30)
            #expect(refused.status != 0, "\(refused)")
            #expect(refused.stderr.contains("refusing to serve the API on tcp://127.0.0.1:\(port) without encryption"),
                    "\(refused.stderr)")
            #expect(!FileManager.default.fileExists(atPath: root))
            // Consent given: served in the clear, with a warning in the log.
            let daemon = try await DaemonFixture(run, arguments: ["-H", "tcp://127.0.0.1:\(port)", "--open-tcp-api"])
            let version = try await Self.docker(daemon, port: port, certPath: nil, ["version", "--format", "{{.Server.APIVersion}}"])
            #expect(version.stdout == "1.41\n", "\(version)")
            #expect(daemon.daemonLog(lines: 200).contains("without encryption: anyone who can reach it controls this host"))
        }
    }
}
