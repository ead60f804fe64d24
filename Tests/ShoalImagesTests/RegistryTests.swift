import Foundation
import ShoalCore
import ShoalImages
import ShoalOCI
import ShoalTestSupport
import Synchronization
import Testing

/// Collects progress events from any thread.
final class EventLog: Sendable {
    private let events = Mutex<[ProgressEvent]>([])
    var all: [ProgressEvent] { events.withLock { $0 } }
    var statuses: [String] { all.map(\.status) }
    func record(_ event: ProgressEvent) { events.withLock { $0.append(event) } }
}

@Suite(.serialized) struct RegistryTests {
    @Test func pushRemovePullAnonymously() async throws {
        try await TestRun.with("reg") { run in
            let registry = try await LocalRegistry.start(in: run)
            let fixtures = try Fixtures(run)
            let (tarball, id) = try await fixtures.busyboxSave(gzip: false)
            let store = try fixtures.store()
            _ = try await store.load(tarballAt: tarball)
            let name = "\(registry.domain)/test/bb:1"
            try await store.tag("busybox", name)

            let pushed = EventLog()
            let digest = try await store.push(name, progress: pushed.record)
            #expect(pushed.statuses.contains("Pushed"))
            #expect(pushed.statuses.last?.hasPrefix("1: digest: \(digest) size: ") == true)
            #expect(try await store.image(name).repoDigests == ["\(registry.domain)/test/bb@\(digest)"])
            // A second push finds every layer there already.
            let again = EventLog()
            try await store.push(name, progress: again.record)
            #expect(again.statuses.contains("Layer already exists") && !again.statuses.contains("Pushed"))

            _ = try await store.remove(name, force: true)
            _ = try await store.remove("busybox", force: true)
            #expect(await store.list().isEmpty)

            let pulled = EventLog()
            let image = try await store.pull(name, progress: pulled.record)
            #expect(image.id == id)
            #expect(image.repoTags == [name])
            #expect(image.repoDigests == ["\(registry.domain)/test/bb@\(digest)"])
            #expect(pulled.statuses.first == "Pulling from test/bb")
            #expect(pulled.statuses.contains("Pull complete"))
            #expect(pulled.all.contains { $0.status == "Downloading" && ($0.total ?? 0) > 0 })
            #expect(pulled.statuses.suffix(2) == ["Digest: \(digest)", "Status: Downloaded newer image for \(name)"])
            let dirs = try await store.layerDirectories(for: name)
            #expect(FileManager.default.isExecutableFile(atPath: dirs[0] + "/bin/busybox"))

            let upToDate = EventLog()
            _ = try await store.pull(name, progress: upToDate.record)
            #expect(upToDate.statuses.contains("Already exists"))
            #expect(upToDate.statuses.last == "Status: Image is up to date for \(name)")
            // By digest too.
            #expect(try await store.pull("\(registry.domain)/test/bb@\(digest)").id == id)

            let missing = await #expect(throws: ShoalError.self) { try await store.pull("\(registry.domain)/test/bb:nope") }
            #expect(missing?.code == .notFound)
            #expect(missing?.message.contains("manifest unknown") == true, "\(missing?.message ?? "")")
        }
    }

    @Test func pushAndPullWithBasicAuth() async throws {
        try await TestRun.with("reg") { run in
            let registry = try await LocalRegistry.start(in: run, user: "shoal", password: "s3cret")
            let fixtures = try Fixtures(run)
            let (tarball, id) = try await fixtures.busyboxSave()
            let store = try fixtures.store()
            _ = try await store.load(tarballAt: tarball)
            let name = "\(registry.domain)/private/bb:latest"
            try await store.tag("busybox", name)

            let denied = await #expect(throws: ShoalError.self) { try await store.push(name) }
            #expect(denied?.code == .permissionDenied)
            let wrong = RegistryCredentials(username: "shoal", password: "nope")
            await #expect(throws: ShoalError.self) { try await store.push(name, credentials: wrong) }

            let credentials = RegistryCredentials(username: "shoal", password: "s3cret")
            try await store.push(name, credentials: credentials)
            _ = try await store.remove(name, force: true)
            _ = try await store.remove("busybox", force: true)
            await #expect(throws: ShoalError.self) { try await store.pull(name) }
            #expect(await store.list().isEmpty)
            #expect(try await store.pull(name, credentials: credentials).id == id)
        }
    }

    @Test func challengeParsing() {
        let parsed = RegistryClientTestHooks.parse(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#)
        #expect(parsed.scheme == "bearer")
        #expect(parsed.parameters == ["realm": "https://auth.example/token", "service": "registry.example",
                                      "scope": "repository:a/b:pull"])
        #expect(RegistryClientTestHooks.parse(#"Basic realm="x""#).scheme == "basic")
    }
}
