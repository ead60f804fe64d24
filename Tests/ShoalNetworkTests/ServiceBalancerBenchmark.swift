import Foundation
import Glibc
import ShoalNFTables
import ShoalTestSupport
import Testing
@testable import ShoalNetwork

/// The figures of `scripts/bench.sh --only vip-balancer` (which runs this with SHOAL_BENCH_VIP=<output file>):
/// new connections per second, and requests per second on one connection, from the client sandbox of a
/// BalancerLab, in four set-ups taken in turn each round (so drift on the machine hits all alike):
///   direct-bare   to b1's address, no table in the client's namespace (conntrack off there);
///   direct        to b1's address, the balancer loaded for the VIP (conntrack on, as in a container with VIPs);
///   vip-1         to the VIP balanced over b1 alone: the cost of the DNAT itself against `direct`;
///   direct-3      to b1, b2 or b3, the client picking one at random per connection, the balancer loaded: the
///                 same spread over three servers without the DNAT (the fair baseline of vip-3);
///   vip-3         to the VIP balanced over b1, b2, b3.
/// Writes {"rounds": …, "seconds": …, "samples": {setup: {"conns_per_s": […], "reqs_per_s": […]}}, "errors": …}.
@Suite(.serialized, .enabled(if: getuid() == 0 && ProcessInfo.processInfo.environment["SHOAL_BENCH_VIP"] != nil,
                             "a benchmark: run by scripts/bench.sh --only vip-balancer"))
struct ServiceBalancerBenchmark {
    static let setups = ["direct-bare", "direct", "vip-1", "direct-3", "vip-3"]

    @Test func connectionsThroughTheVIPAgainstStraightToABackend() async throws {
        let environment = ProcessInfo.processInfo.environment
        let output = environment["SHOAL_BENCH_VIP"]!
        let rounds = Int(environment["SHOAL_BENCH_VIP_ROUNDS"] ?? "") ?? 3
        let seconds = Double(environment["SHOAL_BENCH_VIP_SECONDS"] ?? "") ?? 3
        try await TestRun.with("vipbench") { run in
            let lab = try await BalancerLab.make(run, backends: 3)
            let client = lab.clientSandbox
            run.onCleanup("remove the balancer") { try? await ServiceBalancer.remove(inNetns: client) }
            let script = run.path("load.py")
            try Self.loadScript.write(toFile: script, atomically: true, encoding: .utf8)
            let b1 = lab.backends["b1"]!.address, all = ["b1", "b2", "b3"].map { lab.backends[$0]!.address }
            var samples: [String: [String: [Double]]] = [:]
            var errors: [String] = []
            for round in 0..<rounds {
                for index in Self.setups.indices {
                    let setup = Self.setups[(index + round) % Self.setups.count]
                    let target: String
                    switch setup {
                    case "direct-bare":
                        try await ServiceBalancer.remove(inNetns: client)
                        target = b1
                    case "direct", "direct-3":
                        try await ServiceBalancer.apply([BalancedService(vip: BalancerLab.vip, backends: all)],
                                                        inNetns: client)
                        target = setup == "direct" ? b1 : all.joined(separator: ",")
                    case "vip-1":
                        try await ServiceBalancer.apply([BalancedService(vip: BalancerLab.vip, backends: [b1])],
                                                        inNetns: client)
                        target = BalancerLab.vip
                    default:
                        try await ServiceBalancer.apply([BalancedService(vip: BalancerLab.vip, backends: all)],
                                                        inNetns: client)
                        target = BalancerLab.vip
                    }
                    let result = try await Shell.run("/usr/bin/nsenter", [
                        "--net=" + client, "--", "/usr/bin/python3", script, target, String(BalancerLab.port),
                        String(seconds),
                    ], timeout: seconds * 3 + 30)
                    guard result.status == 0,
                          let figures = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Double]
                    else {
                        errors.append("\(setup) round \(round): \(result.status) \(result.stderr)")
                        continue
                    }
                    for (metric, value) in figures where metric != "errors" {
                        samples[setup, default: [:]][metric, default: []].append(value)
                    }
                    if let failed = figures["errors"], failed > 0 {
                        errors.append("\(setup) round \(round): \(Int(failed)) failed connections")
                    }
                }
            }
            let record: [String: Any] = ["rounds": rounds, "seconds": seconds, "samples": samples, "errors": errors]
            try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])
                .write(to: URL(fileURLWithPath: output))
            #expect(errors.isEmpty, "\(errors)")
        }
    }

    /// Connections for `seconds` to one of the comma-separated hosts at random (connect, read the greeting, close with RST so that conntrack keeps the entry
    /// 10 s, not TIME_WAIT's 120 s), then requests on one connection for `seconds`; prints the rates as JSON.
    private static let loadScript = """
        import json, random, socket, struct, sys, time
        hosts, port, seconds = sys.argv[1].split(","), int(sys.argv[2]), float(sys.argv[3])
        linger = struct.pack("ii", 1, 0)
        done = errors = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            try:
                s.connect((random.choice(hosts), port))
                if s.recv(64):
                    done += 1
                else:
                    errors += 1
            except OSError:
                errors += 1
            finally:
                s.close()
        conns = done / (time.monotonic() - start)
        s = socket.create_connection((random.choice(hosts), port), timeout=5)
        f = s.makefile("rb")
        f.readline()
        requests = 0
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            s.sendall(b"?\\n")
            f.readline()
            requests += 1
        print(json.dumps({"conns_per_s": conns, "reqs_per_s": requests / (time.monotonic() - start), "errors": errors}))

        """
}
