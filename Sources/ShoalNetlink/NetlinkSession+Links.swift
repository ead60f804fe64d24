import Glibc

extension NetlinkSession {
    /// `ip link add NAME [mtu MTU] [address MAC] type bridge`. A bridge given its address keeps it; one without
    /// takes the lowest address among its ports and changes it whenever a port with a lower one joins or that port
    /// leaves, which leaves every neighbour that had resolved the bridge's address sending to the old one.
    public func linkAddBridge(name: String, mtu: UInt32? = nil, address: [UInt8]? = nil) throws(NetlinkError) {
        let operation = "add link \(name)"
        try Validate.linkName(name, operation)
        try change(operation, NetlinkRequest.linkAddBridge(name: name, mtu: mtu, address: address))
    }

    /// `ip link add NAME [mtu MTU] type veth peer name PEER [mtu MTU] [netns FD]`: with `peerNamespaceFD` (an open
    /// netns file) the peer is created directly inside that namespace. `mtu` applies to both ends.
    public func linkAddVeth(name: String, peerName: String, peerNamespaceFD: Int32? = nil,
                            mtu: UInt32? = nil) throws(NetlinkError) {
        let operation = "add link \(name)"
        try Validate.linkName(name, operation)
        try Validate.linkName(peerName, operation)
        try change(operation, NetlinkRequest.linkAddVeth(name: name, peerName: peerName,
                                                         peerNamespaceFD: peerNamespaceFD, mtu: mtu))
    }

    /// `ip link add NAME [mtu MTU] type vxlan id VNI [local IP] dstport PORT [dev UNDERLAY] [no]learning [proxy]`.
    /// With `proxy` the device answers ARP requests from its own neighbour table (an overlay's peers are
    /// programmed there, so no ARP broadcast has to cross hosts).
    public func linkAddVXLAN(name: String, vni: UInt32, local: [UInt8]? = nil, port: UInt16 = 4789,
                             underlayIndex: Int32? = nil, learning: Bool = false, proxy: Bool = false,
                             mtu: UInt32? = nil) throws(NetlinkError) {
        let operation = "add link \(name)"
        try Validate.linkName(name, operation)
        if let local { _ = try Validate.family(of: local, operation) }
        guard vni < 1 << 24 else {
            throw NetlinkError(errno: EINVAL, operation: operation, detail: "VNI must fit 24 bits")
        }
        try change(operation, NetlinkRequest.linkAddVXLAN(name: name, vni: vni, local: local, port: port,
                                                          underlayIndex: underlayIndex, learning: learning, proxy: proxy,
                                                          mtu: mtu))
    }

    /// `ip link add link PARENT name NAME [mtu MTU] [netns FD] type macvlan mode bridge`: a device with its own MAC
    /// address on `parentIndex` (a link of the session's namespace); with `namespaceFD` (an open netns file) it is
    /// created directly inside that namespace. In bridge mode the parent's macvlans reach each other without
    /// leaving the host, and frames for other addresses go out through the parent.
    public func linkAddMacvlan(name: String, parentIndex: Int32, namespaceFD: Int32? = nil,
                               mtu: UInt32? = nil) throws(NetlinkError) {
        let operation = "add link \(name)"
        try Validate.linkName(name, operation)
        try change(operation, NetlinkRequest.linkAddMacvlan(name: name, parentIndex: parentIndex,
                                                            namespaceFD: namespaceFD, mtu: mtu))
    }

    /// `ip link show NAME` → its index; nil when there is no such link.
    public func linkIndex(name: String) throws(NetlinkError) -> Int32? {
        try link(name: name)?.index
    }

    /// `ip link show NAME`; nil when there is no such link (ENODEV).
    public func link(name: String) throws(NetlinkError) -> LinkInfo? {
        let operation = "get link \(name)"
        try Validate.linkName(name, operation)
        do {
            return try perform(operation, NetlinkRequest.linkGet(name: name)).lazy.compactMap(LinkInfo.init).first
        } catch where error.errno == ENODEV {
            return nil
        }
    }

    /// `ip link show` (every link of the session's namespace)
    public func links() throws(NetlinkError) -> [LinkInfo] {
        try perform("dump links", NetlinkRequest.linkDump()).compactMap(LinkInfo.init)
    }

    /// `ip link set DEV up`
    public func linkSetUp(index: Int32) throws(NetlinkError) {
        try change("set link \(index) up", NetlinkRequest.linkSetUp(index: index, up: true))
    }

    /// `ip link set DEV down`
    public func linkSetDown(index: Int32) throws(NetlinkError) {
        try change("set link \(index) down", NetlinkRequest.linkSetUp(index: index, up: false))
    }

    /// `ip link set DEV master BR` (`masterIndex` 0 = `ip link set DEV nomaster`)
    public func linkSetMaster(index: Int32, masterIndex: Int32) throws(NetlinkError) {
        try change("set link \(index) master \(masterIndex)",
                   NetlinkRequest.linkSetMaster(index: index, masterIndex: masterIndex))
    }

    /// `bridge link set dev DEV hairpin on|off`: the bridge may send a frame back out of the port it came in on.
    public func bridgePortSetHairpin(index: Int32, on: Bool) throws(NetlinkError) {
        try change("set bridge port \(index) hairpin \(on ? "on" : "off")",
                   NetlinkRequest.bridgePortSetHairpin(index: index, on: on))
    }

    /// `ip link set DEV netns NS` where `namespaceFD` is an open netns file (e.g. of /run/netns/NS)
    public func linkSetNamespace(index: Int32, namespaceFD: Int32) throws(NetlinkError) {
        try change("set link \(index) netns fd \(namespaceFD)",
                   NetlinkRequest.linkSetNamespace(index: index, namespaceFD: namespaceFD))
    }

    /// `ip link set DEV name NAME` (the link must be down)
    public func linkSetName(index: Int32, name: String) throws(NetlinkError) {
        let operation = "set link \(index) name \(name)"
        try Validate.linkName(name, operation)
        try change(operation, NetlinkRequest.linkSetName(index: index, name: name))
    }

    /// `ip link set DEV mtu MTU`
    public func linkSetMTU(index: Int32, mtu: UInt32) throws(NetlinkError) {
        try change("set link \(index) mtu \(mtu)", NetlinkRequest.linkSetMTU(index: index, mtu: mtu))
    }

    /// `ip link set DEV address MAC`
    public func linkSetAddress(index: Int32, mac: [UInt8]) throws(NetlinkError) {
        let operation = "set link \(index) address \(Format.mac(mac))"
        try Validate.mac(mac, operation)
        try change(operation, NetlinkRequest.linkSetAddress(index: index, mac: mac))
    }

    /// `ip link del DEV` (deleting one end of a veth pair deletes both)
    public func linkDelete(index: Int32) throws(NetlinkError) {
        try change("delete link \(index)", NetlinkRequest.linkDelete(index: index))
    }

    /// `ip link del NAME`; false when no such link existed.
    @discardableResult
    public func linkDelete(name: String) throws(NetlinkError) -> Bool {
        let operation = "delete link \(name)"
        try Validate.linkName(name, operation)
        do {
            try change(operation, NetlinkRequest.linkDelete(name: name))
            return true
        } catch where error.errno == ENODEV {
            return false
        }
    }
}
