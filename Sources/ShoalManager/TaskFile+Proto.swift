import Foundation
import ShoalClusterProto
import ShoalModel

extension TaskFile {
    init(_ message: Shoal_Cluster_V1_TaskFile) {
        self.init(target: message.target, data: message.data, mode: message.mode, uid: message.uid, gid: message.gid)
    }

    var message: Shoal_Cluster_V1_TaskFile {
        var message = Shoal_Cluster_V1_TaskFile()
        message.target = target
        message.data = data
        message.mode = mode
        message.uid = uid
        message.gid = gid
        return message
    }
}
