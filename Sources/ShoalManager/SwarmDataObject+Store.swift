import Foundation
import ShoalClusterProto
import ShoalClusterStore
import ShoalModel

// The conversion edge between secrets and configs as the domain shows them (ShoalModel) and as the store and the
// control API carry them (secrets.proto). A domain object's `version` is the store's version of the object, never a
// stored field. Payloads cross here only as the specs hold them: a stored secret's spec has none (it is sealed
// beside it, see DataObjectMessage), so a secret read from the store never shows one.

extension SwarmDataObject {
    init<Message: DataObjectMessage>(_ stored: Versioned<Message>) {
        let object = stored.object
        self.init(kind: Message.kind, id: object.id, version: UInt64(stored.version),
                  createdAt: Date(nanoseconds: object.createdAtNs), updatedAt: Date(nanoseconds: object.updatedAtNs),
                  spec: DataObjectSpec(object.spec))
    }
}

extension DataObjectSpec {
    init(_ message: DataObjectSpecMessage) {
        self.init(name: message.name, labels: message.labels, data: message.hasData ? message.data : nil,
                  driver: message.hasDriver ? SwarmDriver(message.driver) : nil,
                  templating: message.hasTemplating ? SwarmDriver(message.templating) : nil)
    }

    var message: DataObjectSpecMessage {
        var message = DataObjectSpecMessage()
        message.name = name
        message.labels = labels
        if let data { message.data = data }
        if let driver { message.driver = driver.message }
        if let templating { message.templating = templating.message }
        return message
    }
}

extension SwarmDriver {
    init(_ message: Shoal_Cluster_V1_Driver) {
        self.init(name: message.name, options: message.options)
    }

    var message: Shoal_Cluster_V1_Driver {
        var message = Shoal_Cluster_V1_Driver()
        message.name = name
        message.options = options
        return message
    }
}
