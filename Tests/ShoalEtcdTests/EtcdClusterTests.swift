import Foundation
import Glibc
import ShoalCore
import ShoalEtcd
import ShoalTestSupport
import Testing

extension RealEtcd {
    @Suite("three members, mutual TLS") struct ThreeMembersTLS {
        @Test func clusterServesMutualTLSClientsAndRefusesOthers() async throws {
            try await TestRun.with("etcd-tls") { run in
                let certificates = try await TestCertificates.make(in: run.path("pki"))
                let clock = ContinuousClock()
                let started = clock.now
                let cluster = try await EtcdTestCluster.start(run, size: 3, certificates: certificates)
                print("etcd: 3 members with mutual TLS healthy after \(milliseconds(clock.now - started)) ms")

                // A long deadline for the first calls: with the whole suite on two cores a new cluster answers slowly.
                try await withClient(try cluster.client(callTimeout: .seconds(30))) { client in
                    let members = try await client.memberList()
                    #expect(members.count == 3)
                    #expect(Set(members.map(\.name)) == ["m0", "m1", "m2"])
                    #expect(members.allSatisfy { $0.clientURLs.allSatisfy { $0.hasPrefix("https://") } })
                    try await client.put("/tls/a", "secret")
                }
                // Every member serves the same data.
                for index in 0..<3 {
                    try await withClient(try cluster.client([index])) { client in
                        let value = try await client.get("/tls/a")?.stringValue
                        #expect(value == "secret")
                    }
                }

                // A plaintext client gets nowhere.
                try await withClient(try cluster.client(tls: .some(nil), callTimeout: .seconds(2))) { client in
                    await #expect(throws: ShoalError.self) { try await client.get("/tls/a") }
                }
                // Nor does a client that trusts our CA but shows a certificate from another CA.
                let stranger = try await TestCertificates.make(in: run.path("other-pki"), name: "another-ca")
                let impostor = EtcdClientTLS(
                    trustedCAFile: certificates.caFile, certificateFile: stranger.clientCertificate,
                    keyFile: stranger.clientKey)
                try await withClient(try cluster.client(tls: impostor, callTimeout: .seconds(2))) { client in
                    await #expect(throws: ShoalError.self) { try await client.get("/tls/a") }
                }
                // Nor one without a client certificate at all.
                let anonymous = EtcdClientTLS(trustedCAFile: certificates.caFile)
                try await withClient(try cluster.client(tls: anonymous, callTimeout: .seconds(2))) { client in
                    await #expect(throws: ShoalError.self) { try await client.get("/tls/a") }
                }
                // And a client that trusts another CA refuses the members.
                let suspicious = EtcdClientTLS(
                    trustedCAFile: stranger.caFile, certificateFile: certificates.clientCertificate,
                    keyFile: certificates.clientKey)
                try await withClient(try cluster.client(tls: suspicious, callTimeout: .seconds(2))) { client in
                    await #expect(throws: ShoalError.self) { try await client.get("/tls/a") }
                }
            }
        }

        @Test func writesResumeAfterTheLeaderIsKilled() async throws {
            try await TestRun.with("etcd-failover") { run in
                let certificates = try await TestCertificates.make(in: run.path("pki"))
                let cluster = try await EtcdTestCluster.start(run, size: 3, certificates: certificates, timers: .fastLoopback)
                let leader = try #require(try await withClient(try cluster.client()) { await cluster.leaderIndex(using: $0) })
                // The client talks to the leader first, so the kill also takes its connection (and watch) away.
                let order = [leader] + cluster.members.indices.filter { $0 != leader }
                try await withClient(try cluster.client(order)) { client in
                    try await client.put("/f/before", "1")
                    let watch = try await client.watch(prefix: "/f/")
                    let pid = try #require(await cluster.members[leader].pid)
                    let clock = ContinuousClock()
                    let killed = clock.now
                    kill(pid, SIGKILL)
                    await cluster.members[leader].kill()  // reap it, no restart
                    // A write in flight when the leader dies is lost inside etcd and only fails at its deadline, so
                    // measure with short calls: the time until the cluster takes writes again, to ~0.2 s.
                    let quick = try cluster.client(order, callTimeout: .milliseconds(200))
                    var attempts = 0
                    while true {
                        attempts += 1
                        do {
                            // Put-if-absent: a call that timed out may still have been committed, and its retry must
                            // not write the key a second time (the watch below expects each write once).
                            _ = try await quick.txn(compare: [.absent("/f/after")],
                                                    success: [.put(key: "/f/after", value: Array("2".utf8))])
                            break
                        } catch {
                            try #require(clock.now - killed < .seconds(20), "no write succeeded: \(error)")
                        }
                    }
                    let elapsed = clock.now - killed
                    await quick.close()
                    print("etcd: leader SIGKILLed, a write succeeded again after \(milliseconds(elapsed)) ms (fast timers, \(attempts) call(s) of ≤ 0.2 s)")
                    // The long-lived client, which talked to the dead leader, carries on with the survivors.
                    try await client.put("/f/later", "3")
                    let survivors = try await client.memberList()
                    #expect(survivors.count == 3)
                    #expect(try await client.get("/f/before")?.stringValue == "1")

                    // The watch moved to a surviving member and lost nothing.
                    var seen: [String] = []
                    for try await event in watch {
                        seen.append(event.kv.key)
                        if event.kv.key == "/f/later" { break }
                    }
                    #expect(seen == ["/f/after", "/f/later"])
                    let statuses = await client.statusOfEachEndpoint()
                    #expect(statuses[0] == nil)  // the killed leader
                    #expect(statuses.dropFirst().contains { $0?.isLeader == true })
                }
            }
        }
    }
}
