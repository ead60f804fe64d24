import Foundation
import ShoalArchive
import ShoalCore
import ShoalImages
import ShoalTestSupport

/// A busybox root filesystem and an extra layer on top of it, made once per test run directory.
struct Fixtures {
    let run: TestRun
    let base: String
    let extra: String

    init(_ run: TestRun) throws {
        self.run = run
        base = run.path("rootfs-base")
        try BusyboxRootfs.make(at: base)
        extra = run.path("rootfs-extra")
        try FileManager.default.createDirectory(atPath: extra + "/etc", withIntermediateDirectories: true)
        try "extra\n".write(toFile: extra + "/etc/extra", atomically: true, encoding: .utf8)
    }

    func busyboxSave(tags: [String] = ["busybox:latest"], gzip: Bool = false, name: String = "busybox.tar") async throws
        -> (path: String, id: Digest) {
        let path = run.path(name)
        let ids = try await ImageTarballs.dockerSave([.init(repoTags: tags, layers: [.directory(base)])], to: path,
                                                     work: run.directory.path, gzip: gzip)
        return (path, ids[0])
    }

    func store(_ name: String = "store") throws -> ImageStore {
        try ImageStore(root: run.path(name))
    }
}

/// Every file and directory below `path` (to prove a failed operation left nothing behind).
func treeListing(_ path: String) -> [String] {
    guard let enumerator = FileManager.default.enumerator(atPath: path) else { return [] }
    return (enumerator.allObjects as? [String] ?? []).sorted()
}
