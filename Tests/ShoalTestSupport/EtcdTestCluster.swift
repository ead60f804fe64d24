import Foundation
import ShoalCore
import Glibc
import ShoalEtcd
import ShoalOS

// Real etcd members for tests (ShoalEtcdTests, ShoalClusterStoreTests): unique ports and data directories per
// run, killed by pid when the run cleans up.

public enum FreePort {
    /// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's pick from its ephemeral range, so never
    /// 2379/2380 where a system etcd may run).
    public static func next() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ShellError(command: "socket", status: errno, stderr: "") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ShellError(command: "bind 127.0.0.1:0", status: errno, stderr: "") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// Certificates made with the openssl CLI for one test: a CA, a member certificate (server and client auth,
/// IP SAN 127.0.0.1, used for the client and peer ports) and a client certificate.
public struct TestCertificates {
    public let directory: String
    public var caFile: String { directory + "/ca.crt" }
    public var memberCertificate: String { directory + "/member.crt" }
    public var memberKey: String { directory + "/member.key" }
    public var clientCertificate: String { directory + "/client.crt" }
    public var clientKey: String { directory + "/client.key" }

    /// Makes a CA named `name` and leaf certificates signed by it in `directory`.
    public static func make(in directory: String, name: String = "shoal-test-ca") async throws -> TestCertificates {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let certificates = TestCertificates(directory: directory)
        try await Shell.sh(
            """
            set -e
            cd '\(directory)'
            cat > ca.ext <<'EOF'
            basicConstraints=critical,CA:TRUE
            keyUsage=critical,keyCertSign,cRLSign
            subjectKeyIdentifier=hash
            EOF
            cat > member.ext <<'EOF'
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature,keyEncipherment
            extendedKeyUsage=serverAuth,clientAuth
            subjectAltName=IP:127.0.0.1,DNS:localhost
            EOF
            cat > client.ext <<'EOF'
            basicConstraints=critical,CA:FALSE
            keyUsage=critical,digitalSignature
            extendedKeyUsage=clientAuth
            EOF
            openssl ecparam -name prime256v1 -genkey -noout -out ca.key 2>/dev/null
            openssl req -new -key ca.key -subj '/CN=\(name)' -out ca.csr
            openssl x509 -req -in ca.csr -signkey ca.key -days 2 -extfile ca.ext -out ca.crt 2>/dev/null
            for leaf in member client; do
              openssl ecparam -name prime256v1 -genkey -noout -out $leaf.key 2>/dev/null
              openssl req -new -key $leaf.key -subj "/CN=shoal-$leaf" -out $leaf.csr
              openssl x509 -req -in $leaf.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \\
                -extfile $leaf.ext -out $leaf.crt 2>/dev/null
            done
            """)
        return certificates
    }

    public var clientTLS: EtcdClientTLS {
        EtcdClientTLS(trustedCAFile: caFile, certificateFile: clientCertificate, keyFile: clientKey)
    }

    public var memberTLS: EtcdServerTLS {
        EtcdServerTLS(certificateFile: memberCertificate, keyFile: memberKey, trustedCAFile: caFile)
    }
}

/// N etcd members on loopback, started by `EtcdSupervisor`s, killed by pid when the test's run cleans up
/// (even when the test failed).
public final class EtcdTestCluster: Sendable {
    public let members: [EtcdSupervisor]
    public let clientTLS: EtcdClientTLS?
    public let token: String

    public var endpoints: [EtcdEndpoint] { members.flatMap(\.clientEndpoints) }

    private init(members: [EtcdSupervisor], clientTLS: EtcdClientTLS?, token: String) {
        self.members = members
        self.clientTLS = clientTLS
        self.token = token
    }

    public static func start(
        _ run: TestRun, size: Int = 1, certificates: TestCertificates? = nil, timers: EtcdRaftTimers? = nil
    ) async throws -> EtcdTestCluster {
        do {
            return try await start(run, size: size, certificates: certificates, timers: timers, attempt: 1)
        } catch let error as ShoalError where error.message.contains("not healthy after") {
            // Seen under the full suite on two cores, with and without TLS, one member or three: a member (the one
            // that won the first election) never answers a status call from this process although its log says
            // it serves. The members are killed and a fresh cluster (new ports, new data) is made once; the error,
            // which tells what the kernel said of the member (running, namespace, listening), is printed.
            print("etcd test cluster: a member never became healthy, starting a fresh cluster once: \(error.message.prefix(600))")
            return try await start(run, size: size, certificates: certificates, timers: timers, attempt: 2)
        }
    }

    private static func start(
        _ run: TestRun, size: Int, certificates: TestCertificates?, timers: EtcdRaftTimers?, attempt: Int
    ) async throws -> EtcdTestCluster {
        let scheme = certificates == nil ? "http" : "https"
        var urls: [(client: String, peer: String)] = []
        for _ in 0..<size {
            urls.append(("\(scheme)://127.0.0.1:\(try FreePort.next())", "\(scheme)://127.0.0.1:\(try FreePort.next())"))
        }
        let initial = urls.indices.map { EtcdInitialMember(name: "m\($0)", peerURL: urls[$0].peer) }
        let members = urls.indices.map { index in
            let configuration = EtcdMemberConfiguration(
                name: "m\(index)", dataDirectory: run.path(attempt == 1 ? "m\(index)" : "m\(index)-\(attempt)"),
                clientURLs: [urls[index].client],
                peerURLs: [urls[index].peer], initialCluster: initial, initialClusterToken: run.id + "-\(attempt)",
                clientTLS: certificates?.memberTLS, peerTLS: certificates?.memberTLS, timers: timers)
            return EtcdSupervisor(configuration: configuration, clientTLS: certificates?.clientTLS)
        }
        let cluster = EtcdTestCluster(members: members, clientTLS: certificates?.clientTLS, token: run.id)
        for member in members { cluster.killOnCleanup(member, run) }
        // A new multi-member cluster only elects a leader once a quorum runs: start them together.
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                // Generous: with the whole suite running on two cores a member can take long to win its first election.
                for member in members { group.addTask { try await member.start(timeout: .seconds(60)) } }
                try await group.waitForAll()
            }
        } catch {
            for member in members { await member.kill() }
            throw error
        }
        return cluster
    }

    public func killOnCleanup(_ member: EtcdSupervisor, _ run: TestRun) {
        // terminateNow waits (up to 2 s) for etcd's threads to end: on a dispatch thread, off the pool.
        run.onCleanup("kill etcd \(member.configuration.name)") {
            _ = try? await runBlocking { member.terminateNow() }
        }
    }

    // 30 s by default: with the whole suite on two cores a member can be slow to answer; tests that expect a
    // failure pass a short deadline themselves.
    public func client(_ indices: [Int]? = nil, tls: EtcdClientTLS?? = nil, callTimeout: Duration = .seconds(30)) throws -> EtcdClient {
        let chosen = (indices ?? Array(members.indices)).flatMap { members[$0].clientEndpoints }
        return try EtcdClient(
            configuration: EtcdClientConfiguration(endpoints: chosen, tls: tls ?? clientTLS, callTimeout: callTimeout))
    }

    /// Index of the member that leads, asking each member in turn.
    public func leaderIndex(using client: EtcdClient) async -> Int? {
        let statuses = await client.statusOfEachEndpoint()
        return statuses.firstIndex { $0?.isLeader == true }
    }
}

/// Runs `body` with a client and closes the client afterwards, whatever happens.
public func withClient(_ client: EtcdClient, _ body: (EtcdClient) async throws -> Void) async throws {
    try await withClient(client) { (client: EtcdClient) async throws -> Bool in
        try await body(client)
        return true
    }
}

@discardableResult
public func withClient<T>(_ client: EtcdClient, _ body: (EtcdClient) async throws -> T) async throws -> T {
    do {
        let result = try await body(client)
        await client.close()
        return result
    } catch {
        await client.close()
        throw error
    }
}
