import Foundation
import ShoalCA
import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

typealias SecretMessage = Shoal_Cluster_V1_Secret
typealias ConfigMessage = Shoal_Cluster_V1_Config
typealias DataObjectSpecMessage = Shoal_Cluster_V1_DataObjectSpec

/// A secret or a config as the store keeps it (secrets.proto), so that one leader-side store, one lookup and one
/// conversion serve both kinds. The kinds differ in one thing only: where the payload is kept.
protocol DataObjectMessage: StoreObject {
    static var kind: DataObjectKind { get }
    init()
    var id: String { get set }
    var spec: DataObjectSpecMessage { get set }
    var createdAtNs: Int64 { get set }
    var updatedAtNs: Int64 { get set }

    /// Keeps `payload` as this kind keeps it: a config in its spec, a secret sealed with the data key.
    mutating func keep(payload: [UInt8], key: ClusterDataKey?) throws
    /// The payload as given, opened with the data key when sealed.
    func payload(key: ClusterDataKey?) throws -> [UInt8]
}

extension SecretMessage: DataObjectMessage {
    static var kind: DataObjectKind { .secret }

    /// What the payload is sealed for: the secret's place in the store, so a sealed payload copied onto another
    /// secret does not open.
    var sealingContext: String { "\(Self.table)/\(id)" }

    mutating func keep(payload: [UInt8], key: ClusterDataKey?) throws {
        guard let key else { throw DataObjectErrors.noDataKey }
        var sealed = Shoal_Cluster_V1_SealedData()
        sealed.keyID = key.id
        sealed.box = Data(try key.seal(payload, context: sealingContext))
        sealedData = sealed
        spec.clearData()
    }

    func payload(key: ClusterDataKey?) throws -> [UInt8] {
        guard let key else { throw DataObjectErrors.noDataKey }
        guard sealedData.keyID == key.id else { throw DataObjectErrors.otherDataKey(sealedData.keyID, have: key.id) }
        return try key.open(Array(sealedData.box), context: sealingContext)
    }
}

extension ConfigMessage: DataObjectMessage {
    static var kind: DataObjectKind { .config }

    mutating func keep(payload: [UInt8], key: ClusterDataKey?) {
        spec.data = Data(payload)
    }

    func payload(key: ClusterDataKey?) -> [UInt8] { Array(spec.data) }
}
