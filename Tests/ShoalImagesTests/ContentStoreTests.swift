import Foundation
import ShoalCore
import ShoalOCI
import ShoalTestSupport
import Testing

@Suite struct ContentStoreTests {
    @Test func blobsAreVerifiedBeforeTheyExist() async throws {
        try await TestRun.with("cs") { run in
            let store = try ContentStore(root: run.path("blobs"))
            let bytes = Array("hello".utf8)
            let digest = try store.write(bytes)
            #expect(digest == Digest.sha256(of: bytes))
            #expect(try store.read(digest) == bytes)
            let wrong = Digest.sha256(of: Array("other".utf8))
            let error = #expect(throws: ShoalError.self) { try store.write(Array("bad".utf8), expected: wrong) }
            #expect(error?.message.contains("digest mismatch") == true)
            #expect(!store.contains(wrong))
            #expect(try FileManager.default.contentsOfDirectory(atPath: run.path("blobs/ingest")) == [])
            #expect(store.all() == [digest])
        }
    }
}
