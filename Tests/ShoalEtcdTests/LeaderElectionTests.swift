import Foundation
@testable import ShoalEtcd
import ShoalTestSupport
import Testing

extension RealEtcd {
    @Suite("leader election") struct Election {
        @Test func revokedLeaseHandsLeadershipOver() async throws {
            try await TestRun.with("etcd-elect") { run in
                let cluster = try await EtcdTestCluster.start(run)
                let first = try cluster.client()
                let second = try cluster.client()
                let observer = try cluster.client()
                defer { Task { await first.close(); await second.close(); await observer.close() } }
                let a = LeaderElection(client: first, key: "/election", candidate: "node-a", ttl: 5)
                let b = LeaderElection(client: second, key: "/election", candidate: "node-b", ttl: 5)
                let watcher = LeaderElection(client: observer, key: "/election", candidate: "observer")

                #expect(try await watcher.leader() == nil)
                var changes = watcher.observe().makeAsyncIterator()
                #expect(try await changes.next() == .some(nil))

                let leadershipA = try await a.campaign()
                #expect(try await watcher.leader()?.value == "node-a")
                #expect(try await changes.next()??.value == "node-a")

                // B waits while A leads.
                let campaignB = Task { try await b.campaign() }
                try await Task.sleep(for: .milliseconds(500))
                #expect(try await watcher.leader()?.value == "node-a")
                #expect(leadershipA.end == nil)

                // A's lease goes (as when etcd revokes it): B takes over.
                let clock = ContinuousClock()
                let revoked = clock.now
                try await observer.revokeLease(leadershipA.lease.id)
                let leadershipB = try await campaignB.value
                let takeover = clock.now - revoked
                print("etcd: election, lease revoked → the other candidate leads after \(milliseconds(takeover)) ms")
                #expect(try await leadershipA.waitUntilEnded() == .lost)
                #expect(leadershipB.revision > leadershipA.revision)
                let leader = try await watcher.leader()
                #expect(leader?.value == "node-b" && leader?.lease == leadershipB.lease.id)
                var observed = try await changes.next()
                if observed == .some(nil) { observed = try await changes.next() }  // the gap between the two terms
                #expect(observed??.value == "node-b")

                // Resigning frees the key at once; a new campaign by A then wins.
                try await b.resign()
                #expect(leadershipB.end == .resigned)
                #expect(try await watcher.leader() == nil)
                let again = try await a.campaign()
                #expect(again.lease != leadershipA.lease)
                #expect(try await watcher.leader()?.value == "node-a")
                try await a.resign()
            }
        }

        @Test func leaderWhoseLeaseExpiresLosesLeadership() async throws {
            try await TestRun.with("etcd-expire") { run in
                let cluster = try await EtcdTestCluster.start(run)
                let first = try cluster.client()
                let second = try cluster.client()
                defer { Task { await first.close(); await second.close() } }
                let a = LeaderElection(client: first, key: "/election", candidate: "node-a", ttl: 2)
                let b = LeaderElection(client: second, key: "/election", candidate: "node-b", ttl: 2)

                let leadershipA = try await a.campaign()
                let campaignB = Task { try await b.campaign() }
                // Held past its TTL while renewed…
                try await Task.sleep(for: .seconds(3))
                #expect(leadershipA.end == nil)
                #expect(try await b.leader()?.value == "node-a")

                // …then A stops renewing (a hung or partitioned manager): etcd expires the lease, B leads.
                let clock = ContinuousClock()
                let stopped = clock.now
                leadershipA.keepAlive.cancel()
                let leadershipB = try await campaignB.value
                print("etcd: election, leader stopped renewing (TTL 2 s) → the other candidate leads after \(milliseconds(clock.now - stopped)) ms")
                #expect(try await leadershipA.waitUntilEnded() == .lost)
                #expect(leadershipB.end == nil)
                #expect(try await a.leader()?.value == "node-b")
                try await b.resign()
            }
        }
    }

    @Suite("membership") struct Membership {
        @Test func addAndRemoveAMember() async throws {
            try await TestRun.with("etcd-members") { run in
                let cluster = try await EtcdTestCluster.start(run)
                try await withClient(try cluster.client()) { client in
                    try await client.put("/m/a", "1")
                    let first = try #require(try await client.memberList().first)

                    // Add a second member, then start it with the whole initial cluster and state `existing`.
                    let peerURL = "http://127.0.0.1:\(try FreePort.next())"
                    let clientURL = "http://127.0.0.1:\(try FreePort.next())"
                    let (added, members) = try await client.memberAdd(peerURLs: [peerURL])
                    #expect(members.count == 2)
                    #expect(!added.isStarted && added.peerURLs == [peerURL])
                    let joiner = EtcdSupervisor(
                        configuration: EtcdMemberConfiguration(
                            name: "m1", dataDirectory: run.path("m1"), clientURLs: [clientURL], peerURLs: [peerURL],
                            initialCluster: [
                                EtcdInitialMember(name: first.name, peerURL: first.peerURLs[0]),
                                EtcdInitialMember(name: "m1", peerURL: peerURL),
                            ],
                            initialClusterState: .existing, initialClusterToken: cluster.token))
                    cluster.killOnCleanup(joiner, run)
                    try await joiner.start()
                    let joined = try await client.memberList()
                    #expect(joined.count == 2 && joined.allSatisfy(\.isStarted))
                    #expect(Set(joined.map(\.name)) == [first.name, "m1"])

                    // The new member has the data and takes writes.
                    try await withClient(try EtcdClient(endpoints: joiner.clientEndpoints)) { direct in
                        #expect(try await direct.get("/m/a")?.stringValue == "1")
                        try await direct.put("/m/b", "2")
                    }

                    // Remove it again: it stops by itself; the cluster carries on alone.
                    // etcd's strict reconfig check refuses ("unhealthy cluster") until the other members have been
                    // connected for 5 s: a member that just joined cannot be removed at once.
                    let clock = ContinuousClock()
                    let joinedAt = clock.now
                    var remaining: [EtcdMember] = []
                    while true {
                        do {
                            remaining = try await client.memberRemove(id: added.id)
                            break
                        } catch {
                            try #require(clock.now - joinedAt < .seconds(20), "member remove kept failing: \(error)")
                        }
                    }
                    #expect(remaining.map(\.id) == [first.id])
                    let removed = clock.now
                    while await joiner.isRunning {
                        try #require(clock.now - removed < .seconds(10), "the removed member kept running")
                        try await Task.sleep(for: .milliseconds(100))
                    }
                    // It exited cleanly, and a clean exit is not a crash: the supervisor leaves it down.
                    #expect(await joiner.lastExit == .exited(0))
                    try await Task.sleep(for: .milliseconds(500))
                    #expect(await joiner.restarts == 0)
                    #expect(await !joiner.isRunning)
                    #expect(try await client.memberList().count == 1)
                    try await client.put("/m/c", "3")
                    #expect(try await client.range(prefix: "/m/").kvs.map(\.stringValue) == ["1", "2", "3"])
                }
            }
        }
    }
}
