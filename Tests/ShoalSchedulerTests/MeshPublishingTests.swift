import ShoalCore
import ShoalModel
import Testing

/// A service's `shoal.publish.*` labels: where its routing-mesh ports answer, and the refusals.
@Suite struct MeshPublishingTests {
    @Test func labelsChooseWhereAndTravelAsText() throws {
        #expect(try MeshPublishing(labels: [:]) == .everywhere)
        #expect(try MeshPublishing(labels: ["shoal.publish.address": "internal"]) == .internalAddress)
        #expect(try MeshPublishing(labels: ["shoal.publish.interface": "eth1"]) == .interface("eth1"))
        for choice in [MeshPublishing.everywhere, .internalAddress, .interface("br-lan")] {
            #expect(MeshPublishing(wire: choice.wire) == choice)
        }
        // A choice this node does not know publishes nowhere rather than everywhere.
        #expect(MeshPublishing(wire: "public") == nil)
    }

    @Test func badLabelsAreRefused() {
        #expect(throws: ShoalError.self) { try MeshPublishing(labels: ["shoal.publish.address": "public"]) }
        #expect(throws: ShoalError.self) { try MeshPublishing(labels: ["shoal.publish.interface": "a/b"]) }
        #expect(throws: ShoalError.self) { try MeshPublishing(labels: ["shoal.publish.interface": "a-name-far-too-long"]) }
        #expect(throws: ShoalError.self) {
            try MeshPublishing(labels: ["shoal.publish.address": "internal", "shoal.publish.interface": "eth0"])
        }
    }
}
