import AsyncHTTPClient
import Foundation
import ShoalCore
import ShoalIPAM
import ShoalNetlink
import ShoalNetwork
import ShoalOS

/// `shoal cluster up`'s choices.
public struct LocalClusterOptions: Sendable {
    public var name: String
    public var nodes: Int
    public var managers: Int
    /// The hosts' /24 (chosen from 10.199.0.0/16, avoiding the host's routes, when nil).
    public var subnet: String?
    /// The `shoal` executable the hosts run.
    public var shoalBinary: String
    /// Upstream DNS for the hosts' containers (`--dns` of each daemon).
    public var dns: [String]
    /// Form a swarm of the hosts (the first `managers` join as managers); false: hosts and daemons only.
    public var swarm: Bool
    /// The swarm's `--dispatcher-heartbeat` in seconds (nil: Docker's 5 s).
    public var heartbeatSeconds: Double?
    /// `--insecure-registry` of each daemon.
    public var insecureRegistries: [String] = []
    /// The managers' cluster endpoint strategy (`spread`, `binpack`); nil: the daemon's default.
    public var clusterStrategy: String?

    public init(name: String = "shoal", nodes: Int = 3, managers: Int = 1, subnet: String? = nil,
                shoalBinary: String, dns: [String] = [], swarm: Bool = true, heartbeatSeconds: Double? = nil) {
        self.name = name
        self.nodes = nodes
        self.managers = managers
        self.subnet = subnet
        self.shoalBinary = shoalBinary
        self.dns = dns
        self.swarm = swarm
        self.heartbeatSeconds = heartbeatSeconds
    }
}

/// Makes, lists and removes local multi-host clusters (see LocalClusterState.swift for what a cluster is).
public struct LocalCluster: Sendable {
    public let layout: LocalClusterLayout

    public init(layout: LocalClusterLayout = LocalClusterLayout()) {
        self.layout = layout
    }

    // MARK: up

    /// Creates the hosts and starts their daemons. Every step is recorded in the state file before the next, so
    /// `down` removes a cluster that failed half-way; `up` itself undoes everything when a step fails.
    public func up(_ options: LocalClusterOptions) async throws -> LocalClusterState {
        try Self.validate(options)
        let name = options.name
        if FileManager.default.fileExists(atPath: layout.stateFile(name)) {
            throw ShoalError.conflict("cluster \(name) already exists (remove it with: shoal cluster down --name \(name))")
        }
        for directory in [layout.runDirectory(name) + "/netns", layout.dataDirectory(name)] {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let netlink = try NetlinkSession()
        defer { netlink.close() }
        let subnet = try options.subnet.map { try IPv4Subnet(parsing: $0, label: "subnet") } ?? chooseSubnet(netlink)
        guard subnet.prefixLength <= 28, subnet.addressCount >= UInt64(options.nodes + 3) else {
            throw ShoalError.invalidArgument("subnet \(subnet) is too small for \(options.nodes) hosts")
        }
        let tag = Self.tag(name)
        var state = LocalClusterState(
            name: name, created: Date(), subnet: subnet.description, gateway: subnet.firstHost.description,
            bridge: "shc\(tag)", nodes: [])
        do {
            try save(state)
            try makeBridge(state, subnet: subnet, netlink: netlink)
            for index in 1...options.nodes {
                let node = try await makeHost(index: index, options: options, state: state, subnet: subnet,
                                              netlink: netlink)
                state.nodes.append(node)
                try save(state)
            }
            try await waitUntilServing(state)
            if options.swarm {
                try await formSwarm(state, heartbeatSeconds: options.heartbeatSeconds)
                state.swarm = true
                try save(state)
            }
            return state
        } catch {
            await down(state)
            throw error
        }
    }

    static func validate(_ options: LocalClusterOptions) throws {
        guard Identifier.isValidName(options.name), options.name.utf8.count <= 32 else {
            throw ShoalError.invalidArgument("invalid cluster name \(options.name): [a-zA-Z0-9][a-zA-Z0-9_.-]+, at most 32")
        }
        guard (1...32).contains(options.nodes) else {
            throw ShoalError.invalidArgument("--nodes must be between 1 and 32")
        }
        guard (1...options.nodes).contains(options.managers) else {
            throw ShoalError.invalidArgument("--managers must be between 1 and --nodes (\(options.nodes))")
        }
    }

    /// Six hex digits of the name: link names must fit in 15 bytes whatever the cluster is called.
    static func tag(_ name: String) -> String {
        String(format: "%06x", ShortHash.fnv1a(name) & 0xFF_FFFF)
    }

    private func chooseSubnet(_ netlink: NetlinkSession) throws -> IPv4Subnet {
        var pool = try SubnetPool(pools: [try AddressPoolSpec(parsing: "base=10.199.0.0/16,size=24")])
        return try pool.allocate(avoiding: BridgeDataplane.routedSubnets(netlink))
    }

    /// `ip link add shcXXXXXX type bridge; ip addr add GW/LEN dev …; ip link set … up`.
    private func makeBridge(_ state: LocalClusterState, subnet: IPv4Subnet, netlink: NetlinkSession) throws {
        do {
            // Its own MAC, fixed: hosts joining it must not move it (see BridgeDataplane.ensureBridge).
            try netlink.linkAddBridge(name: state.bridge, address: MACAddress(derivedFrom: subnet.firstHost).bytes)
            guard let index = try netlink.linkIndex(name: state.bridge) else {
                throw ShoalError.internalError("bridge \(state.bridge) vanished")
            }
            try netlink.addressAdd(index: index, address: subnet.firstHost.octets,
                                   prefixLength: UInt8(subnet.prefixLength))
            try netlink.linkSetUp(index: index)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError.internalError("cluster bridge \(state.bridge): \(error)", cause: error)
        }
    }

    /// One host: a namespace with `eth0` on the cluster bridge, and its daemon.
    private func makeHost(index: Int, options: LocalClusterOptions, state: LocalClusterState, subnet: IPv4Subnet,
                          netlink: NetlinkSession) async throws -> LocalClusterState.Node {
        let run = layout.runDirectory(state.name)
        let hostname = "\(state.name)-n\(index)"
        let address = IPv4Address(subnet.network.value + UInt32(index) + 1)
        var node = LocalClusterState.Node(
            index: index, hostname: hostname, address: address.description,
            role: index <= options.managers ? "manager" : "worker", netns: "\(run)/netns/node-\(index)",
            hostLink: "\(state.bridge)n\(index)", dataRoot: "\(layout.dataDirectory(state.name))/node-\(index)",
            execRoot: "\(run)/node-\(index)", socket: "\(run)/node-\(index)/shoal.sock", pid: 0)
        try await NetworkNamespace.create(at: node.netns)
        do {
            try plumb(node, bridge: state.bridge, prefixLength: subnet.prefixLength, gateway: subnet.firstHost,
                      netlink: netlink)
            node.pid = try startDaemon(node, options: options)
        } catch {
            _ = try? netlink.linkDelete(name: node.hostLink)
            NetworkNamespace.remove(at: node.netns)
            throw error
        }
        return node
    }

    private func plumb(_ node: LocalClusterState.Node, bridge: String, prefixLength: Int, gateway: IPv4Address,
                       netlink: NetlinkSession) throws {
        let namespace = open(node.netns, O_RDONLY | O_CLOEXEC)
        guard namespace >= 0 else { throw ShoalError.internalError("cannot open \(node.netns)") }
        defer { close(namespace) }
        do {
            try netlink.linkAddVeth(name: node.hostLink, peerName: "eth0", peerNamespaceFD: namespace)
            guard let index = try netlink.linkIndex(name: node.hostLink),
                  let master = try netlink.linkIndex(name: bridge) else {
                throw ShoalError.internalError("veth or bridge missing")
            }
            try netlink.linkSetMaster(index: index, masterIndex: master)
            try netlink.linkSetUp(index: index)
            let inside = try NetlinkSession(namespacePath: node.netns)
            defer { inside.close() }
            guard let eth0 = try inside.linkIndex(name: "eth0"), let lo = try inside.linkIndex(name: "lo") else {
                throw ShoalError.internalError("eth0 or lo missing in \(node.netns)")
            }
            try inside.linkSetUp(index: lo)
            try inside.addressAdd(index: eth0, address: try IPv4Address(parsing: node.address).octets,
                                  prefixLength: UInt8(prefixLength))
            try inside.linkSetUp(index: eth0)
            try inside.routeAdd(destination: nil, prefixLength: 0, gateway: gateway.octets, outputIndex: eth0,
                                family: .inet)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError.internalError("host \(node.hostname): \(error)", cause: error)
        }
    }

    /// `nsenter --net=NS -- unshare --uts -- sh -c 'hostname NAME && exec shoal daemon …'`: no fork on the way
    /// (nsenter and unshare exec), so the pid is the daemon's. Its own session, so it outlives this command.
    private func startDaemon(_ node: LocalClusterState.Node, options: LocalClusterOptions) throws -> Int32 {
        try FileManager.default.createDirectory(atPath: node.execRoot, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: node.dataRoot, withIntermediateDirectories: true)
        let logPath = node.dataRoot + "/daemon.log"
        let log = open(logPath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard log >= 0 else { throw ShoalError.internalError("cannot open \(logPath)") }
        defer { close(log) }
        var daemon = [options.shoalBinary, "daemon", "--data-root", node.dataRoot, "--exec-root", node.execRoot,
                      "-H", "unix://" + node.socket]
        for server in options.dns { daemon += ["--dns", server] }
        for registry in options.insecureRegistries { daemon += ["--insecure-registry", registry] }
        if let strategy = options.clusterStrategy { daemon += ["--cluster-strategy", strategy] }
        let child = try ChildProcess.spawn(
            "/usr/bin/nsenter",
            ["--net=" + node.netns, "--", "/usr/bin/unshare", "--uts", "--", "/bin/sh", "-c",
             "hostname \"$0\" && exec \"$@\"", node.hostname] + daemon,
            fds: [-1, log, log], newSession: true)
        return child.pid
    }

    private func waitUntilServing(_ state: LocalClusterState) async throws {
        let deadline = Date().addingTimeInterval(60)
        for node in state.nodes {
            while !UnixSocketProbe.isListening(node.socket) {
                guard Date() < deadline, DaemonState.isRunning(node.pid) else {
                    let log = (try? String(contentsOfFile: node.dataRoot + "/daemon.log", encoding: .utf8)) ?? ""
                    throw ShoalError.internalError(
                        "the daemon of \(node.hostname) did not start: \(log.suffix(2000))")
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    // MARK: the swarm

    /// `docker swarm init` on the first host, `docker swarm join` on the others (managers one after another, as
    /// each adds a store member; workers all at once), then waits until the first manager lists every host Ready.
    private func formSwarm(_ state: LocalClusterState, heartbeatSeconds: Double?) async throws {
        let http = HTTPClient(eventLoopGroupProvider: .singleton)
        do {
            try await formSwarm(state, heartbeatSeconds: heartbeatSeconds, http: http)
        } catch {
            try? await http.shutdown()
            throw error
        }
        try await http.shutdown()
    }

    private func formSwarm(_ state: LocalClusterState, heartbeatSeconds: Double?, http: HTTPClient) async throws {
        guard let first = state.nodes.first else { return }
        let leader = EngineSocketClient(socket: first.socket, http: http)
        let control = "\(first.address):2377"
        var initRequest: [String: any Sendable] = ["AdvertiseAddr": control, "ListenAddr": "0.0.0.0:2377"]
        if let heartbeatSeconds {
            initRequest["Spec"] = ["Dispatcher": ["HeartbeatPeriod": Int64(heartbeatSeconds * 1e9)]] as [String: any Sendable]
        }
        try await leader.call(.POST, "/swarm/init", body: initRequest)
        guard let swarm = try await leader.json(.GET, "/swarm") as? [String: Any],
              let tokens = swarm["JoinTokens"] as? [String: Any],
              let workerToken = tokens["Worker"] as? String, let managerToken = tokens["Manager"] as? String else {
            throw ShoalError.internalError("the first manager did not give its join tokens")
        }
        func join(_ node: LocalClusterState.Node, token: String) async throws {
            try await EngineSocketClient(socket: node.socket, http: http).call(.POST, "/swarm/join", body: [
                "RemoteAddrs": [control], "JoinToken": token, "AdvertiseAddr": "\(node.address):2377",
                "ListenAddr": "0.0.0.0:2377",
            ])
        }
        for node in state.nodes.dropFirst() where node.role == "manager" {
            try await join(node, token: managerToken)
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for node in state.nodes where node.role == "worker" {
                group.addTask { try await join(node, token: workerToken) }
            }
            try await group.waitForAll()
        }
        let deadline = Date().addingTimeInterval(90)
        while true {
            let nodes = (try? await leader.json(.GET, "/nodes") as? [[String: Any]]) ?? []
            let ready = nodes.filter { (($0["Status"] as? [String: Any])?["State"] as? String) == "ready" }.count
            if nodes.count == state.nodes.count && ready == nodes.count { return }
            guard Date() < deadline else {
                throw ShoalError.internalError("only \(ready) of \(state.nodes.count) hosts are Ready after 90 s")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    // MARK: ls and down

    public func list() -> [LocalClusterState] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: layout.dataRoot)) ?? []
        return names.sorted().compactMap { try? load($0) }
    }

    public func load(_ name: String) throws -> LocalClusterState {
        guard let data = FileManager.default.contents(atPath: layout.stateFile(name)) else {
            throw ShoalError.notFound("no cluster named \(name)")
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(LocalClusterState.self, from: data)
    }

    /// A credentials bundle for the cluster `name` (its first manager signs it) in `directory`, by default the
    /// cluster's data directory's `credentials/USER`. Returns the path of its `docker.env`.
    public func credentials(name: String, directory: String?, user: String) async throws -> String {
        try await CredentialsBundle.write(
            from: try managerSocket(name), to: directory ?? "\(layout.dataDirectory(name))/credentials/\(user)",
            user: user)
    }

    /// Revokes the bundle at `path` (made for the cluster `name`) on the cluster's managers.
    public func revokeCredentials(name: String, bundle path: String) async throws -> String {
        try await CredentialsBundle.revoke(through: try managerSocket(name), bundle: path)
    }

    private func managerSocket(_ name: String) throws -> String {
        let state = try load(name)
        guard state.swarm == true, let manager = state.nodes.first(where: { $0.role == "manager" }) else {
            throw ShoalError.invalidState("cluster \(name) is not a swarm: it has no cluster endpoint")
        }
        return manager.socket
    }

    /// Stops every daemon by its recorded pid and removes what `up` made, in reverse order.
    public func down(name: String) async throws {
        await down(try load(name))
    }

    func down(_ state: LocalClusterState) async {
        let netlink = try? NetlinkSession()
        defer { netlink?.close() }
        for node in state.nodes.reversed() {
            DaemonState.stop(pid: node.pid)
            DaemonState.remove(execRoot: node.execRoot, dataRoot: node.dataRoot)
            _ = try? netlink?.linkDelete(name: node.hostLink)
            NetworkNamespace.remove(at: node.netns)
        }
        _ = try? netlink?.linkDelete(name: state.bridge)
        try? FileManager.default.removeItem(atPath: layout.runDirectory(state.name))
        try? FileManager.default.removeItem(atPath: layout.dataDirectory(state.name))
    }

    private func save(_ state: LocalClusterState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        try AtomicFile.write(Array(try encoder.encode(state)), to: layout.stateFile(state.name))
    }
}
