import Foundation
import ShoalModel
import ShoalTestSupport
import Testing
@testable import ShoalEngine

/// LayerChanges on directories laid out as overlayfs leaves them: a whiteout (character device 0:0), an opaque
/// directory (trusted.overlay.opaque=y), copied-up and new entries. Root only (mknod, trusted xattrs).
@Suite(.enabled(if: getuid() == 0, "needs root for mknod and trusted xattrs"))
struct LayerChangesTests {
    @Test func whiteoutsOpaqueDirectoriesAndCopiesUp() async throws {
        try await TestRun.with("layers") { run in
            let lower = run.path("lower"), upper = run.path("upper")
            try await Shell.sh("""
                mkdir -p \(lower)/a \(lower)/b \(lower)/etc \(upper)/a \(upper)/b \(upper)/d \(upper)/etc
                touch \(lower)/a/x \(lower)/a/y \(lower)/b/z \(lower)/c \(lower)/etc/keep
                echo new > \(upper)/a/new; echo changed > \(upper)/c; touch \(upper)/d/e \(upper)/etc/hosts
                mknod \(upper)/b/z c 0 0
                python3 -c 'import os, sys; os.setxattr(sys.argv[1], "trusted.overlay.opaque", b"y")' \(upper)/a
                """)
            let changes = LayerChanges.compute(upper: upper, lowers: [lower])
            let shown = changes.map { "\(["C", "A", "D"][$0.kind.rawValue]) \($0.path)" }
            // /etc holds only a mount target of the runtime: not a change.
            #expect(shown == ["C /a", "A /a/new", "D /a/x", "D /a/y", "C /b", "D /b/z", "C /c", "A /d", "A /d/e"],
                    "\(shown)")
        }
    }
}
