import Foundation
import ShoalOS
import ShoalTestSupport
import Testing

/// Issue 14, "Bad input": random, truncated and oversized requests over the API's unix socket never crash the
/// daemon, never hang a connection, never lose a container, and get Docker's refusals (400/413 with
/// `{"message": …}`) where a request can be read at all.
/// `SHOAL_FUZZ_SEED` replays a run (the seed is printed), `SHOAL_FUZZ_SECONDS` sets its length (default 10: the
/// suite runs beside every other one on two cores; the figures in the notes come from longer runs).
@Suite(.serialized, .timeLimit(.minutes(4))) struct APIFuzzTests {
    /// What one worker saw in one batch.
    struct BatchResult: Sendable {
        var requests = 0
        var statuses: [Int: Int] = [:]
        var noAnswer = 0
        var serverErrors: [String] = []
        var hangs: [String] = []
        /// Exchanges that took over a second (a refusal should be quick), with their time.
        var slow: [String] = []
    }

    static func runBatch(socket: String, seed: UInt64, witnesses: [String], count: Int) -> BatchResult {
        var fuzzer = APIFuzzer(seed: seed, witnesses: witnesses)
        var result = BatchResult()
        for _ in 0..<count {
            let fuzzCase = fuzzer.next()
            let started = Date()
            let exchange = RawHTTPClient.exchange(socket: socket, fuzzCase.bytes, halfClose: !fuzzCase.mayWait,
                                                  timeout: fuzzCase.mayWait ? 0.5 : 15,
                                                  enough: RawHTTPClient.completeResponse)
            result.requests += 1
            let elapsed = Date().timeIntervalSince(started)
            if elapsed > 1, !fuzzCase.mayWait { result.slow.append(String(format: "%.1f s: ", elapsed) + fuzzCase.label) }
            if let status = exchange.status {
                result.statuses[status, default: 0] += 1
                // 503 is Docker's answer to a swarm call on a node outside a swarm, 501 to what it does not do, and
                // dockerd's service and task logs answer a bad `tail` with a 500 of their own (TaskLogRoutes keeps it).
                let dockersOwn = ["tail value must be", "negative tail values"].contains { exchange.body.contains($0) }
                if status >= 500, status != 503, status != 501, !dockersOwn {
                    let body = exchange.body.prefix(200).replacingOccurrences(of: "\r\n", with: " ")
                    result.serverErrors.append("\(fuzzCase.label) -> \(status) \(body)")
                }
            } else {
                result.noAnswer += 1
            }
            // A connection neither answered nor closed in 15 s after the client stopped sending.
            if exchange.timedOut, !fuzzCase.mayWait {
                result.hangs.append(fuzzCase.label)
            }
        }
        return result
    }

    /// The daemon's pid lives, `GET /version` answers 200 and every witness still exists and runs.
    static func expectHealthy(_ daemon: DaemonFixture, witnesses: [String], after what: String) async throws {
        #expect(DaemonFixture.isAlive(daemon.pid), "daemon died after \(what)\n\(daemon.daemonLog(lines: 40))")
        let socket = daemon.socket
        let version = try await runBlocking {
            RawHTTPClient.exchange(socket: socket, RawHTTPClient.request("GET", "/version"), timeout: 15,
                                   enough: RawHTTPClient.completeResponse)
        }
        #expect(version.status == 200, "GET /version after \(what): \(version.received.count) bytes, \(version.body)")
        for id in witnesses {
            let inspect = try await runBlocking {
                RawHTTPClient.exchange(socket: socket, RawHTTPClient.request("GET", "/v1.41/containers/\(id)/json"),
                                       timeout: 15, enough: RawHTTPClient.completeResponse)
            }
            #expect(inspect.status == 200 && inspect.body.contains("\"Running\":true"),
                    "witness \(id) after \(what): \(inspect.status ?? 0) \(inspect.body.prefix(300))")
        }
    }

    /// Two running containers the fuzzer must never lose.
    static func witnesses(_ daemon: DaemonFixture, _ run: TestRun) async throws -> [String] {
        try await daemon.loadBusybox()
        var ids: [String] = []
        for index in 1...2 {
            ids.append(try await daemon.dockerOK(["run", "-d", "--name", run.name("w\(index)-"), "busybox", "sleep", "100000"]))
        }
        return ids
    }

    @Test func fuzzedRequestsNeverCrashHangOrLoseContainers() async throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["SHOAL_FUZZ_SEED"].flatMap { UInt64($0) } ?? UInt64.random(in: 1..<UInt64.max)
        let seconds = environment["SHOAL_FUZZ_SECONDS"].flatMap { Double($0) } ?? 10
        print("fuzz: seed \(seed) (replay with SHOAL_FUZZ_SEED=\(seed)), \(Int(seconds)) s")
        try await TestRun.with("fuzz") { run in
            let daemon = try await DaemonFixture(run)
            let witnesses = try await Self.witnesses(daemon, run)
            let pid = daemon.pid
            let rssBefore = ProcessFigures.rssKiB(pid)
            let fdsBefore = ProcessFigures.openDescriptors(pid)
            let socket = daemon.socket
            var total = BatchResult()
            var crashes = 0
            let deadline = Date().addingTimeInterval(seconds)
            var batch: UInt64 = 0
            while Date() < deadline {
                // Two workers at once (the machine has two cores); each batch's seeds follow from the run's seed.
                let results = try await withThrowingTaskGroup(of: BatchResult.self) { group in
                    for worker in 0..<UInt64(2) {
                        let batchSeed = seed &+ batch &* 2 &+ worker
                        group.addTask { try await runBlocking { Self.runBatch(socket: socket, seed: batchSeed, witnesses: witnesses, count: 60) } }
                    }
                    return try await group.reduce(into: [BatchResult]()) { $0.append($1) }
                }
                for result in results {
                    total.requests += result.requests
                    total.noAnswer += result.noAnswer
                    total.statuses.merge(result.statuses, uniquingKeysWith: +)
                    total.serverErrors += result.serverErrors
                    total.hangs += result.hangs
                    total.slow += result.slow
                }
                if !DaemonFixture.isAlive(pid) {
                    crashes += 1
                    // Keep the crash report: the run's cleanup removes the daemon's log.
                    let kept = "/tmp/shoal-fuzz-crash-\(seed).log"
                    try? FileManager.default.removeItem(atPath: kept)
                    try? FileManager.default.copyItem(atPath: daemon.logPath, toPath: kept)
                    print("fuzz: the daemon died in batch \(batch); its log: \(kept)")
                }
                try await Self.expectHealthy(daemon, witnesses: witnesses, after: "batch \(batch) (seed \(seed))")
                if crashes > 0 { break }
                // The trend shows a leak (steady growth) from the allocator's high-water mark (a plateau).
                if batch % 10 == 9 {
                    print("fuzz: after \(total.requests) requests RSS \(ProcessFigures.mebibytes(ProcessFigures.rssKiB(pid))) MiB")
                }
                batch += 1
            }
            // Connections the fuzzer left open have closed: give the daemon a moment to notice.
            try await Task.sleep(for: .seconds(1))
            let rssAfter = ProcessFigures.rssKiB(pid)
            let fdsAfter = ProcessFigures.openDescriptors(pid)
            #expect(try await daemon.dockerOK(["version", "--format", "{{.Server.APIVersion}}"]) == "1.41")
            let running = try await daemon.dockerOK(["ps", "-q", "--no-trunc", "--filter", "status=running"])
            for id in witnesses { #expect(running.contains(id), "witness \(id) lost") }
            // An upload cut short leaves no spool file behind.
            #expect(try await Shell.sh("ls -A '\(daemon.dataRoot)/tmp' 2>/dev/null") == "", "spool left behind")

            let statuses = total.statuses.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: " ")
            print("fuzz: statuses \(statuses), \(total.noAnswer) closed without an answer")
            for sample in total.serverErrors.prefix(20) { print("fuzz: 5xx: \(sample)") }
            for sample in total.hangs.prefix(20) { print("fuzz: hang: \(sample)") }
            for sample in total.slow.prefix(20) { print("fuzz: slow: \(sample)") }
            print("fuzz: \(total.requests) requests, \(crashes) crashes, \(total.serverErrors.count) 5xx, "
                + "\(total.hangs.count) hangs, RSS before \(ProcessFigures.mebibytes(rssBefore)) MiB after "
                + "\(ProcessFigures.mebibytes(rssAfter)) MiB, fds before \(fdsBefore) after \(fdsAfter) (seed \(seed))")
            #expect(crashes == 0)
            #expect(total.hangs.isEmpty, "\(total.hangs.prefix(5))")
            #expect(total.serverErrors.isEmpty, "\(total.serverErrors.prefix(5))")
            #expect(fdsAfter <= fdsBefore + 4, "descriptors leaked: \(fdsBefore) before, \(fdsAfter) after")
        }
    }

    // MARK: Docker's refusals, one by one

    /// Sends `bytes` off the pool and returns what came back.
    static func send(_ daemon: DaemonFixture, _ bytes: [UInt8], halfClose: Bool = true) async throws -> RawExchange {
        let socket = daemon.socket
        return try await runBlocking {
            RawHTTPClient.exchange(socket: socket, bytes, halfClose: halfClose, timeout: 30,
                                   enough: RawHTTPClient.completeResponse)
        }
    }

    /// The body is Docker's error: a JSON object with a `message`.
    static func message(_ exchange: RawExchange) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(exchange.body.utf8)) as? [String: Any]
        return object?["message"] as? String
    }

    @Test func oversizedAndMalformedBodiesGetDockersRefusals() async throws {
        try await TestRun.with("fuzzbody") { run in
            let daemon = try await DaemonFixture(run)
            let witnesses = try await Self.witnesses(daemon, run)

            // Over the router's 16 MiB limit: 413, with Content-Length and chunked alike.
            let huge = Array(("{\"Image\":\"" + String(repeating: "A", count: 16 << 20) + "\"}").utf8)
            let tooLarge = try await Self.send(daemon, RawHTTPClient.request("POST", "/v1.41/containers/create", body: huge))
            #expect(tooLarge.status == 413, "\(tooLarge.statuses) \(tooLarge.body.prefix(200))")
            #expect(Self.message(tooLarge)?.contains("too large") == true, "\(tooLarge.body.prefix(200))")
            let chunked = try await Self.send(daemon, RawHTTPClient.chunkedRequest("POST", "/v1.41/networks/create", body: huge))
            #expect(chunked.status == 413, "\(chunked.statuses) \(chunked.body.prefix(200))")
            #expect(Self.message(chunked)?.contains("too large") == true, "\(chunked.body.prefix(200))")

            // Malformed JSON: 400 with Docker's message shape.
            for body in ["{", "{\"Image\": }", "[1,2", "\u{0}", "{\"Image\":\"busybox\"} trailing"] {
                let bad = try await Self.send(daemon, RawHTTPClient.request("POST", "/v1.41/containers/create", body: Array(body.utf8)))
                #expect(bad.status == 400, "\(body): \(bad.statuses) \(bad.body.prefix(200))")
                #expect(Self.message(bad) != nil, "\(body): \(bad.body.prefix(200))")
            }

            // Deeply nested and wrongly typed JSON: 400 too.
            for body in [String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
                         String(repeating: "{\"a\":", count: 100_000) + "1" + String(repeating: "}", count: 100_000),
                         "{\"Image\": 5}", "{\"Cmd\": {\"x\": 1}}", "[]", "\"x\"", "1e400"] {
                let bad = try await Self.send(daemon, RawHTTPClient.request("POST", "/containers/create", body: Array(body.utf8)))
                #expect(bad.status == 400, "\(body.prefix(40)): \(bad.statuses) \(bad.body.prefix(200))")
                #expect(Self.message(bad) != nil, "\(body.prefix(40)): \(bad.body.prefix(200))")
            }

            // Broken chunk framing in a body a route reads: the client's fault, 400 (Go's net/http gives 400).
            for framing in ["zz\r\n{}\r\n0\r\n\r\n", "2\r\n{}XX0\r\n\r\n", "ffffffffffffffffff\r\n{}"] {
                let head = "POST /v1.41/volumes/create HTTP/1.1\r\nHost: d\r\nContent-Type: application/json\r\n"
                    + "Transfer-Encoding: chunked\r\n\r\n"
                let bad = try await Self.send(daemon, Array((head + framing).utf8))
                #expect(bad.status == 400 || (bad.status == nil && bad.closed), "\(framing.debugDescription): \(bad.statuses) \(bad.body.prefix(200))")
                #expect(bad.status == nil || Self.message(bad) != nil, "\(bad.body.prefix(200))")
            }

            // A Content-Length longer than the body, then the client stops sending: refused or closed, no hang.
            let lying = Array("POST /v1.41/containers/create HTTP/1.1\r\nHost: d\r\nContent-Length: 100000\r\n\r\n{\"Image\":".utf8)
            let cut = try await Self.send(daemon, lying)
            #expect(!cut.timedOut, "\(cut.statuses)")
            #expect(cut.status.map { (400..<500).contains($0) } ?? cut.closed, "\(cut.statuses) \(cut.body.prefix(200))")
            try await Self.expectHealthy(daemon, witnesses: witnesses, after: "bodies")
        }
    }

    @Test func oversizedHeadersAreRefusedWithoutHarm() async throws {
        try await TestRun.with("fuzzhead") { run in
            let daemon = try await DaemonFixture(run)
            let witnesses = try await Self.witnesses(daemon, run)
            let line = RawHTTPClient.request("GET", "/version", headers: [("X-Big", String(repeating: "a", count: 100_000))])
            let many = RawHTTPClient.request("GET", "/version", headers: (0..<10_000).map { ("X-Header-\($0)", "value-\($0)") })
            let huge = RawHTTPClient.request("GET", "/version", headers: (0..<100_000).map { ("X-Header-\($0)", "value-\($0)") })
            let uri = RawHTTPClient.request("GET", "/containers/json?x=" + String(repeating: "q", count: 200_000))
            for (what, bytes) in [("100 KB header line", line), ("10,000 headers (250 KB)", many), ("100,000 headers (2.6 MB)", huge),
                                  ("200 KB URI", uri)] {
                let answer = try await Self.send(daemon, bytes)
                // Docker answers 431 (Go's limit is 1 MB); NIO's is 80 KB and it answers 400. Either, or a close.
                #expect(answer.status.map { [400, 413, 414, 431].contains($0) } ?? answer.closed,
                        "\(what): \(answer.statuses) timedOut=\(answer.timedOut)")
                #expect(!answer.timedOut, "\(what) hung")
            }
            // Under the limit (80 KB in all, as NIO counts names and values), many headers are served as Docker
            // serves them.
            let small = RawHTTPClient.request("GET", "/version", headers: (0..<5_000).map { ("X-H\($0)", "v") })
            #expect(try await Self.send(daemon, small).status == 200)
            try await Self.expectHealthy(daemon, witnesses: witnesses, after: "headers")
        }
    }

    @Test func aPathTooLongForTheKernelIsTheClientsFault() async throws {
        try await TestRun.with("fuzzpath") { run in
            let daemon = try await DaemonFixture(run)
            let witness = try await Self.witnesses(daemon, run)[0]
            // lstat's ENAMETOOLONG was a 500; Docker's stat answers the client's error.
            for method in ["GET", "HEAD"] {
                let answer = try await Self.send(daemon, RawHTTPClient.request(
                    method, "/v1.41/containers/\(witness)/archive?path=/" + String(repeating: "a", count: 20_000)))
                #expect(answer.status == 400, "\(method): \(answer.statuses) \(answer.body.prefix(200))")
                #expect(method == "HEAD" || Self.message(answer)?.contains("file name too long") == true, "\(answer.body.prefix(200))")
            }
        }
    }

    @Test func timestampsADoubleCannotHoldAreRefusedNotFatal() async throws {
        try await TestRun.with("fuzztime") { run in
            let daemon = try await DaemonFixture(run)
            let witnesses = try await Self.witnesses(daemon, run)
            // `since=1e99` parsed as a Double and trapped converting to Int64 nanoseconds: the daemon died.
            for target in ["/v1.41/events?since=1e99&until=1", "/events?since=0&until=1e99", "/events?until=-inf",
                           "/containers/\(witnesses[0])/logs?stdout=1&since=1e99", "/containers/\(witnesses[0])/logs?stdout=1&until=nan"] {
                let answer = try await Self.send(daemon, RawHTTPClient.request("GET", target))
                #expect(answer.status == 400, "\(target): \(answer.statuses) \(answer.body.prefix(200))")
                #expect(Self.message(answer)?.contains("invalid value") == true, "\(answer.body.prefix(200))")
                #expect(DaemonFixture.isAlive(daemon.pid), "daemon died on \(target)")
            }
            // Far but well-formed times are clamped: the stream ends at once, as for any `until` in the past.
            let far = try await Self.send(daemon, RawHTTPClient.request("GET", "/events?since=99999999999999999999&until=1"))
            #expect(far.status == 200 && !far.timedOut, "\(far.statuses)")
            try await Self.expectHealthy(daemon, witnesses: witnesses, after: "timestamps")
        }
    }

    @Test func hijackingRequestsHaveTheSameBodyLimit() async throws {
        try await TestRun.with("fuzzhijack") { run in
            let daemon = try await DaemonFixture(run)
            let witnesses = try await Self.witnesses(daemon, run)
            // attach and exec start are read below the router: their bodies were collected without a limit.
            let body = [UInt8](repeating: 0x41, count: (16 << 20) + 1)
            let rssBefore = ProcessFigures.rssKiB(daemon.pid)
            for path in ["/v1.41/containers/zmissing/attach?stream=1&stdout=1", "/v1.41/exec/zmissing/start"] {
                let headers = [("Connection", "Upgrade"), ("Upgrade", "tcp")]
                for bytes in [RawHTTPClient.request("POST", path, headers: headers, body: body),
                              RawHTTPClient.chunkedRequest("POST", path, headers: headers, body: body)] {
                    let answer = try await Self.send(daemon, bytes)
                    #expect(answer.status == 413, "\(path): \(answer.statuses) \(answer.body.prefix(200))")
                    #expect(Self.message(answer)?.contains("too large") == true, "\(answer.body.prefix(200))")
                }
            }
            print("hijack bodies: RSS before \(ProcessFigures.mebibytes(rssBefore)) MiB after \(ProcessFigures.mebibytes(ProcessFigures.rssKiB(daemon.pid))) MiB")
            try await Self.expectHealthy(daemon, witnesses: witnesses, after: "hijack bodies")
        }
    }
}
