import Foundation
import ShoalCore
import ShoalDNS
import ShoalIPAM
import ShoalModel
import ShoalNFTables
import ShoalNetwork
import ShoalOS

/// A running container's sandbox as the network service holds it.
struct LiveSandbox: Sendable {
    var containerID: String
    var containerName: String
    var path: String
    var endpoints: [EndpointState] = []
    /// The `docker_gwbridge` endpoint of a container whose networks are all overlays: its way out and where its
    /// ports are published (not one of its networks, as in Docker).
    var gatewayEndpoint: EndpointState?
    var ports: [PublishedPort] = []
    var publications: [PortPublication] = []
    var reservations: [HostPortReservation] = []
    var proxies: [IPv6PortProxy] = []
    var dns: DNSServer?
    var local: LocalRecords?

    var state: ContainerNetworkState {
        ContainerNetworkState(sandboxKey: path, endpoints: endpoints, ports: ports, gatewayEndpoint: gatewayEndpoint)
    }

    /// Every interface of the sandbox, the gateway endpoint included.
    var allEndpoints: [EndpointState] { endpoints + (gatewayEndpoint.map { [$0] } ?? []) }
}

extension NetworkService: NetworkSandboxProvider {
    // MARK: create

    public func prepare(_ spec: ContainerSpec) async throws -> ContainerSpec {
        var spec = spec
        let mode = spec.host.networkMode
        if mode.hasPrefix("container:") {
            throw ShoalError.invalidArgument("network mode \"\(mode)\" is not supported")
        }
        // As Docker: a network that does not exist fails the start (404), not the create.
        guard let primary = try? await resolveAny(mode == "default" ? "bridge" : mode) else { return spec }
        if !primary.hasEndpoints {
            var others: [NetworkRecord] = []
            for name in spec.networks.keys {
                let other = try await resolveAny(name)
                if other.id != primary.id { others.append(other) }
            }
            if !others.isEmpty {
                throw ShoalError.invalidArgument(
                    "container cannot be connected to multiple networks with one of the networks in private (none) mode")
            }
            spec.networks = [:]
            return spec
        }
        var normalized: [String: EndpointRequest] = [:]
        for (reference, request) in spec.networks {
            // The CLI names the endpoint of `--network default` (and of no --network at all) "default".
            guard let network = try? await resolveAny(reference == "default" ? "bridge" : reference) else {
                normalized[reference] = request
                continue
            }
            guard network.hasEndpoints else {
                throw ShoalError.invalidArgument(
                    "container cannot be connected to network \(network.name) and to \(primary.name) at once")
            }
            normalized[network.name] = request
        }
        if normalized[primary.name] == nil { normalized[primary.name] = EndpointRequest() }
        for (name, request) in normalized {
            guard let network = try? await resolveAny(name) else { continue }
            try check(request, on: network, task: spec.labels[SwarmTask.containerLabel] != nil)
        }
        spec.networks = normalized
        return spec
    }

    /// Docker's refusals for `--network-alias` and `--ip` where they cannot apply. A service task's container
    /// joins its service's overlays whether they are attachable or not.
    func check(_ request: EndpointRequest, on network: NetworkRecord, task: Bool = false) throws {
        if !task { try checkAttachable(network) }
        if network.isDefaultBridge && !request.aliases.isEmpty {
            throw ShoalError.invalidArgument(
                "network-scoped alias is supported only for containers in user defined networks")
        }
        try checkAddresses(request, on: network)
    }

    public func networkName(_ reference: String) async throws -> String { try await resolveAny(reference).name }

    // MARK: start and exit

    public func attach(_ record: ContainerRecord, directory: String) async throws -> SandboxAttachment {
        // A service task takes its service's traffic once its agent says it serves (`serveServiceNames`).
        if record.spec.labels[SwarmTask.containerLabel] != nil { heldBack.insert(record.id) }
        let mode = record.spec.host.networkMode
        let primary = try await resolveAny(mode == "default" ? "bridge" : mode)
        let files = [(directory + "/hosts", "/etc/hosts"), (directory + "/resolv.conf", "/etc/resolv.conf"),
                     (directory + "/hostname", "/etc/hostname")]
        if !primary.hasEndpoints {
            let host = primary.driver == "host"
            let hosts = host
                ? (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? SandboxFiles.hosts(
                    extraHosts: [], ownAddress: nil, hostname: record.hostname)
                : SandboxFiles.hosts(extraHosts: record.spec.host.extraHosts, ownAddress: nil,
                                     hostname: record.hostname)
            try writeFiles(record, directory: directory, hosts: hosts, embeddedDNS: false, keepLoopback: host)
            return SandboxAttachment(network: host ? .host : .none, files: files)
        }

        let path = options.sandboxDirectory + "/" + record.id
        if NetworkNamespace.isPinned(at: path) || FileManager.default.fileExists(atPath: path) {
            dataplane.removeSandbox(at: path)
        }
        let userNamespace = record.spec.host.usernsMode == "host" ? nil : options.idMapping
        try await dataplane.createSandbox(at: path, userNamespace: userNamespace)
        var live = LiveSandbox(containerID: record.id, containerName: record.name, path: path)
        sandboxes[record.id] = live
        do {
            for (network, request) in try await joinList(record) {
                let endpoint = try await plumb(network, request: request, record: record, sandbox: live)
                live.endpoints.append(endpoint)
                sandboxes[record.id] = live
            }
            try await addGatewayIfNeeded(record, sandbox: &live)
            sandboxes[record.id] = live
            if let outside = publishingEndpoint(live) {
                try await publishPorts(record, endpoint: outside, into: &live)
                sandboxes[record.id] = live
                if !live.publications.isEmpty { try await applyFirewall() }
            }
            let embedded = live.endpoints.contains { networks[$0.networkID]?.isDefaultBridge == false }
            if embedded { try await startDNS(record, sandbox: &live) }
            sandboxes[record.id] = live
            let hosts = SandboxFiles.hosts(extraHosts: record.spec.host.extraHosts,
                                           ownAddress: live.endpoints.first?.ipv4Address, hostname: record.hostname,
                                           domainname: record.spec.domainname ?? "")
            try writeFiles(record, directory: directory, hosts: hosts, embeddedDNS: embedded, keepLoopback: false)
            let overlays = overlayNetworkIDs(live)
            var computed: [String: [BalancedService]] = [:]
            if !overlays.isEmpty {
                await balancers.applyNow(balancedServices(on: overlays, computed: &computed), in: path)
            }
        } catch {
            sandboxes[record.id] = nil
            await teardown(live)
            throw error
        }
        return SandboxAttachment(network: .path(path), files: files, state: live.state,
                                 userNamespace: userNamespace == nil ? nil : UserNamespace.userPath(forNetwork: path))
    }

    public func detach(_ record: ContainerRecord) async {
        heldBack.remove(record.id)
        if let live = sandboxes.removeValue(forKey: record.id) {
            balancers.forget(live.path)
            await teardown(live)
            return
        }
        // Not live (a daemon that died mid-way): undo what the record says was made.
        var leftover = LiveSandbox(containerID: record.id, containerName: record.name,
                                   path: record.network.sandboxKey)
        leftover.endpoints = record.network.endpoints
        leftover.gatewayEndpoint = record.network.gatewayEndpoint
        await teardown(leftover)
    }

    /// Every host change of a sandbox, undone in reverse order; each step is quiet when already undone.
    func teardown(_ live: LiveSandbox) async {
        await live.dns?.close()
        for proxy in live.proxies { await proxy.close() }
        for endpoint in live.endpoints { endpoints.remove(id: endpoint.endpointID) }
        syncBalancers()
        if !live.publications.isEmpty {
            releaseHostPorts(live.ports)
            do { try await applyFirewall() } catch { logger.error("firewall update after \(live.containerName): \(error)") }
        }
        for endpoint in live.allEndpoints {
            await unplumb(endpoint, containerID: live.containerID, sandbox: live.path)
        }
        if !live.path.isEmpty { dataplane.removeSandbox(at: live.path) }
        for endpoint in live.endpoints { releaseOverlayIfUnused(endpoint.networkID) }
        // The reservations' sockets close when `live` goes.
    }

    public func restore(_ record: ContainerRecord) async {
        guard !record.network.sandboxKey.isEmpty else { return }
        // A task that was serving when the daemon stopped (still running, healthy or unchecked) serves on.
        if record.spec.labels[SwarmTask.containerLabel] != nil,
           !record.state.isRunning || !(record.state.health.map { $0.status == .healthy } ?? true) {
            heldBack.insert(record.id)
        }
        var live = LiveSandbox(containerID: record.id, containerName: record.name, path: record.network.sandboxKey)
        live.endpoints = record.network.endpoints
        live.gatewayEndpoint = record.network.gatewayEndpoint
        for endpoint in live.allEndpoints {
            if let address = try? IPv4Address(parsing: endpoint.ipv4Address) {
                try? addresses[endpoint.networkID]?.allocate(specific: address)
            }
            if let network = networks[endpoint.networkID], network.isSwarmScoped {
                do { _ = try await ensureOverlay(network) } catch {
                    logger.error("restore: overlay \(network.name) for \(record.name): \(error)")
                }
            }
            reclaimIPv6(endpoint)
            registerNames(endpoint, of: record.id)
        }
        if let first = publishingEndpoint(live) {
            for port in record.network.ports {
                do {
                    if port.hostIP == "::" {
                        try await proxyIPv6(port, containerIP: first.ipv4Address, into: &live)
                        continue
                    }
                    try holdPort(port, containerIP: first.ipv4Address, endpoint: first, into: &live)
                } catch {
                    logger.error("restore: port \(port.hostIP):\(port.hostPort) of \(record.name): \(error)")
                }
            }
        }
        if live.endpoints.contains(where: { networks[$0.networkID]?.isDefaultBridge == false }) {
            do { try await startDNS(record, sandbox: &live) } catch {
                logger.error("restore: DNS for \(record.name): \(error)")
            }
        }
        sandboxes[record.id] = live
        do { try await applyFirewall() } catch { logger.error("restore: firewall: \(error)") }
    }

    public func renamed(_ record: ContainerRecord) async {
        guard var live = sandboxes[record.id] else { return }
        live.containerName = record.name
        for index in live.endpoints.indices {
            guard let network = networks[live.endpoints[index].networkID] else { continue }
            live.endpoints[index].dnsNames = dnsNames(record, aliases: live.endpoints[index].aliases, network: network)
            registerNames(live.endpoints[index], of: record.id)
        }
        sandboxes[record.id] = live
        // The other hosts learn the new names through the leader, as Docker's rename updates the cluster's
        // service records.
        for endpoint in live.endpoints where networks[endpoint.networkID]?.isSwarmScoped == true {
            await cluster?.rename(attachmentID: endpoint.endpointID, containerName: record.name,
                                  dnsNames: endpoint.dnsNames)
        }
    }

    // MARK: connect and disconnect

    public func connect(_ record: ContainerRecord, network reference: String, request: EndpointRequest) async throws
        -> ContainerNetworkState
    {
        let network = try await resolveAny(reference)
        guard network.hasEndpoints else {
            throw ShoalError.permissionDenied("container cannot be disconnected from host network or connected to host network")
        }
        guard var live = sandboxes[record.id] else {
            throw ShoalError.invalidState("container \(record.name) is not running")
        }
        if live.endpoints.contains(where: { $0.networkID == network.id }) {
            throw ShoalError.permissionDenied("endpoint with name \(record.name) already exists in network \(network.name)")
        }
        try check(request, on: network)
        let endpoint = try await plumb(network, request: request, record: record, sandbox: live)
        live.endpoints.append(endpoint)
        sandboxes[record.id] = live
        do {
            try await addGatewayIfNeeded(record, sandbox: &live)
        } catch {
            logger.error("connect: no way out for \(record.name) on \(network.name): \(error)")
        }
        sandboxes[record.id] = live
        if !network.isDefaultBridge {
            if let local = live.local {
                setDNSScope(local, live)
            } else {
                do { try await startDNS(record, sandbox: &live) } catch {
                    logger.error("connect: DNS for \(record.name): \(error)")
                }
                sandboxes[record.id] = live
            }
        }
        return live.state
    }

    public func disconnect(_ record: ContainerRecord, network reference: String) async throws -> ContainerNetworkState {
        let network = try await resolveAny(reference)
        guard var live = sandboxes[record.id] else {
            throw ShoalError.invalidState("container \(record.name) is not running")
        }
        guard let index = live.endpoints.firstIndex(where: { $0.networkID == network.id }) else {
            throw ShoalError.permissionDenied("container \(record.id) is not connected to network \(network.name)")
        }
        let endpoint = live.endpoints.remove(at: index)
        endpoints.remove(id: endpoint.endpointID)
        sandboxes[record.id] = live
        syncBalancers()
        if let local = live.local { setDNSScope(local, live) }
        let dropped = live.publications.filter { $0.containerIP == endpoint.ipv4Address }
        if !dropped.isEmpty {
            live.publications.removeAll { $0.containerIP == endpoint.ipv4Address }
            releaseHostPorts(live.ports)
            live.ports = []
            live.reservations = []
            for proxy in live.proxies { await proxy.close() }
            live.proxies = []
        }
        sandboxes[record.id] = live
        if !dropped.isEmpty { try? await applyFirewall() }
        await unplumb(endpoint, containerID: record.id, sandbox: live.path)
        releaseOverlayIfUnused(endpoint.networkID)
        return live.state
    }

    // MARK: pieces

    /// The networks a container joins at start, its primary network first.
    func joinList(_ record: ContainerRecord) async throws -> [(NetworkRecord, EndpointRequest)] {
        let mode = record.spec.host.networkMode
        let primary = try await resolveAny(mode == "default" ? "bridge" : mode)
        var list = [(primary, record.spec.networks[primary.name] ?? EndpointRequest())]
        for name in record.spec.networks.keys.sorted() where name != primary.name {
            list.append((try await resolveAny(name), record.spec.networks[name] ?? EndpointRequest()))
        }
        return list
    }

    /// Address, interface and DNS names of one endpoint. Undoes its own steps when one fails. On an overlay the
    /// address comes from the leader and the interface is a macvlan on the overlay's VXLAN device; on a local
    /// bridge network the address comes from the network's own allocator and a veth joins the bridge.
    func plumb(_ network: NetworkRecord, request: EndpointRequest, record: ContainerRecord, sandbox: LiveSandbox,
               names: [String]? = nil) async throws -> EndpointState
    {
        let dnsNames = names ?? dnsNames(record, aliases: request.aliases, network: network)
        let lease = try await lease(network, request: request, record: record, dnsNames: dnsNames)
        let used = Set(sandbox.allEndpoints.map(\.containerInterface))
        let interface = (0...).lazy.map { "eth\($0)" }.first { !used.contains($0) }!
        // One default route per sandbox, through the first local network that has a way out (an overlay has none:
        // its containers go out through docker_gwbridge).
        let hasRoute = sandbox.allEndpoints.contains { endpoint in
            networks[endpoint.networkID].map { !$0.isInternal && !$0.isSwarmScoped } ?? false
        }
        let hasRoute6 = sandbox.allEndpoints.contains { endpoint in
            endpoint.ipv6Gateway != nil && networks[endpoint.networkID].map { !$0.isInternal } ?? false
        }
        // `--mac-address` names the MAC on the first network, when that is a bridge network of this host (an
        // overlay's peers find each endpoint by the MAC derived from its address).
        let chosen = sandbox.endpoints.isEmpty && !network.isSwarmScoped
            ? record.spec.macAddress.flatMap { try? MACAddress(parsing: $0) } : nil
        var settings = InterfaceSettings(
            bridge: lease.bridge, hostName: "veth" + lease.endpointID.prefix(7), containerName: interface,
            address: lease.address, prefixLength: lease.prefixLength, mac: chosen ?? MACAddress(derivedFrom: lease.address),
            mtu: lease.mtu, defaultGateway: !hasRoute && !network.isInternal && !network.isSwarmScoped ? lease.gateway : nil)
        settings.ipv6 = lease.ipv6
        if lease.ipv6 != nil && !hasRoute6 && !network.isInternal { settings.defaultGateway6 = ipv6Gateway(network) }
        settings.linkLocal = linkLocalAddresses(request)
        let driver: any NetworkDriver
        do {
            driver = try self.driver(network)
            try driver.plug(settings, sandbox: sandbox.path)
        } catch {
            await giveBack(lease.address, ipv6: lease.ipv6?.address, endpointID: lease.endpointID, network: network)
            throw error
        }
        // A task on the ingress network answers mesh clients, who keep their own address, through the node that
        // sent it each connection.
        if network.isIngress && record.id != Self.ingressSandboxID {
            do {
                try await MeshReturnPath.install(interface: interface, sandbox: sandbox.path)
            } catch {
                driver.unplug(hostInterface: driver.hasHostEnd ? settings.hostName : "", containerInterface: interface,
                              sandbox: sandbox.path)
                await giveBack(lease.address, ipv6: lease.ipv6?.address, endpointID: lease.endpointID,
                               network: network)
                throw error
            }
        }
        var endpoint = EndpointState(
            networkID: network.id, networkName: network.name, endpointID: lease.endpointID,
            hostInterface: driver.hasHostEnd ? settings.hostName : "", containerInterface: interface,
            ipv4Address: lease.address.description, prefixLength: lease.prefixLength,
            gateway: network.isSwarmScoped ? "" : lease.gateway?.description ?? "",
            macAddress: settings.mac.description, aliases: request.aliases, dnsNames: lease.dnsNames ?? dnsNames)
        endpoint.links = request.links
        endpoint.ipv6Address = lease.ipv6?.address.description
        endpoint.ipv6PrefixLength = lease.ipv6?.prefixLength
        endpoint.ipv6Gateway = lease.ipv6.flatMap { _ in ipv6Gateway(network)?.description }
        endpoint.linkLocalIPs = request.linkLocalIPs
        registerNames(endpoint, of: record.id)
        events.publish(EngineEvent(kind: .network, action: "connect", actorID: network.id,
                                   attributes: ["container": record.id, "name": network.name, "type": network.driver]))
        return endpoint
    }

    /// What an endpoint gets from its network before its interface is made.
    struct Lease {
        var endpointID: String
        var address: IPv4Address
        var prefixLength: Int
        var gateway: IPv4Address?
        var bridge: String
        var mtu: Int?
        var ipv6: IPv6Assignment? = nil
        /// The names the leader gave an overlay endpoint (a task's answers to its service's too), when it did.
        var dnsNames: [String]? = nil
    }

    func lease(_ network: NetworkRecord, request: EndpointRequest, record: ContainerRecord, dnsNames: [String])
        async throws -> Lease
    {
        if network.isSwarmScoped {
            let overlay = try await ensureOverlay(network)
            guard let cluster else { throw ClusterNetworkErrors.notInSwarm }
            var call = ClusterAttachRequest(
                networkID: network.id, containerID: record.id, containerName: record.name, aliases: request.aliases,
                dnsNames: dnsNames, requestedAddress: request.ipv4Address)
            call.taskID = record.labels[SwarmTask.containerLabel]
            let attachment = try await cluster.attach(call)
            return Lease(endpointID: attachment.id, address: attachment.address,
                         prefixLength: attachment.prefixLength, gateway: attachment.gateway, bridge: overlay.vxlan,
                         mtu: overlay.mtu, dnsNames: attachment.dnsNames)
        }
        guard var allocator = addresses[network.id], let bridge = network.bridgeName else {
            throw ShoalError.internalError("network \(network.name) has no address allocator")
        }
        let address = try allocator.take(request.ipv4Address)
        addresses[network.id] = allocator
        let ipv6: IPv6Assignment?
        do {
            ipv6 = try leaseIPv6(network, request: request)
        } catch {
            addresses[network.id]?.release(address)
            throw error
        }
        return Lease(endpointID: Identifier.random(), address: address, prefixLength: allocator.subnet.prefixLength,
                     gateway: allocator.gateway, bridge: bridge, mtu: network.mtu, ipv6: ipv6)
    }

    /// Returns an endpoint's address: to the network's allocator here, or to the leader for an overlay.
    func giveBack(_ address: IPv4Address?, ipv6: IPv6Address? = nil, endpointID: String,
                  network: NetworkRecord?) async {
        if network?.isSwarmScoped == true {
            await cluster?.detach(attachmentID: endpointID)
        } else if let network {
            if let address { _ = addresses[network.id]?.release(address) }
            if let ipv6 { addresses6[network.id]?.release(ipv6) }
        }
    }

    /// Undoes `plumb` (the DNS names are removed by the caller first, so they stop resolving before the
    /// interface goes).
    func unplumb(_ endpoint: EndpointState, containerID: String, sandbox: String) async {
        let network = networks[endpoint.networkID]
        (network.flatMap { try? driver($0) } ?? drivers["bridge"])?.unplug(
            hostInterface: endpoint.hostInterface, containerInterface: endpoint.containerInterface, sandbox: sandbox)
        await giveBack(try? IPv4Address(parsing: endpoint.ipv4Address),
                       ipv6: endpoint.ipv6Address.flatMap { try? IPv6Address(parsing: $0) },
                       endpointID: endpoint.endpointID, network: network)
        events.publish(EngineEvent(kind: .network, action: "disconnect", actorID: endpoint.networkID,
                                   attributes: ["container": containerID, "name": network?.name ?? endpoint.networkName,
                                                "type": network?.driver ?? "bridge"]))
    }

    /// Name, aliases, short ID and host name; nothing on the default bridge (Docker resolves no names there).
    func dnsNames(_ record: ContainerRecord, aliases: [String], network: NetworkRecord) -> [String] {
        guard !network.isDefaultBridge else { return [] }
        var names: [String] = []
        for name in [record.name] + aliases + [record.shortID, record.hostname] where !names.contains(name) {
            names.append(name)
        }
        return names
    }

    /// `containerID`'s endpoint in the endpoint table (DNS, peers, balancers); a service task's answers to its
    /// service's names only while the task serves.
    func registerNames(_ endpoint: EndpointState, of containerID: String) {
        guard !endpoint.dnsNames.isEmpty, let address = try? IPv4Address(parsing: endpoint.ipv4Address) else { return }
        let names = heldBack.contains(containerID) ? ServiceDNSNames.withoutServiceNames(endpoint.dnsNames) : endpoint.dnsNames
        var entry = NetworkEndpoint(id: endpoint.endpointID, networkID: endpoint.networkID, address: address,
                                    mac: MACAddress(derivedFrom: address), dnsNames: names)
        entry.ipv6 = endpoint.ipv6Address.flatMap { try? IPv6Address(parsing: $0) }
        endpoints.upsert(entry)
        syncBalancers()
    }

    /// A service task now runs (healthy, when it has a health check): its endpoints here answer to its service's
    /// names (`tasks.NAME`, and NAME with dnsrr), so this host's balancers and DNS send it traffic from now on, as
    /// the leader has the other hosts do once it hears the task runs.
    public func serveServiceNames(_ containerID: String) {
        guard heldBack.remove(containerID) != nil, let live = sandboxes[containerID] else { return }
        for endpoint in live.endpoints where ServiceDNSNames.includeServiceNames(endpoint.dnsNames) {
            registerNames(endpoint, of: containerID)
        }
    }

    /// A service task about to be stopped: its endpoints here stop answering to its service's names, so this
    /// host's balancers drop it before its stop signal, as the leader already had the other hosts do.
    public func drainServiceNames(_ containerID: String) {
        guard heldBack.insert(containerID).inserted, let live = sandboxes[containerID] else { return }
        for endpoint in live.endpoints where ServiceDNSNames.includeServiceNames(endpoint.dnsNames) {
            registerNames(endpoint, of: containerID)
        }
    }

    /// The swarm-scoped networks a sandbox is on (where service VIPs live), the ingress network aside (it only
    /// carries the routing mesh).
    func overlayNetworkIDs(_ live: LiveSandbox) -> Set<String> {
        Set(live.endpoints.filter { networks[$0.networkID].map { $0.isSwarmScoped && !$0.isIngress } ?? false }
            .map(\.networkID))
    }

    /// Every overlay sandbox balances its networks' VIPs over the tasks as the endpoint table has them now (after
    /// any change of it: the leader's stream, a local endpoint made or gone).
    func syncBalancers() {
        var byNetwork: [String: [BalancedService]] = [:]
        for live in sandboxes.values {
            let overlays = overlayNetworkIDs(live)
            if overlays.isEmpty && balancers.applied(in: live.path) == nil { continue }
            balancers.want(balancedServices(on: overlays, computed: &byNetwork), in: live.path)
        }
        syncIngress()
    }

    /// What a sandbox on `overlays` balances: each network's VIPs, networks in order, each network worked out once
    /// per change however many sandboxes share it (`computed`).
    func balancedServices(on overlays: Set<String>, computed: inout [String: [BalancedService]])
        -> [BalancedService]
    {
        overlays.sorted().flatMap { network in
            if let known = computed[network] { return known }
            let services = endpoints.balancedServices(on: [network])
            computed[network] = services
            return services
        }
    }

    /// The networks whose names a sandbox resolves: not the default bridge (Docker resolves none there), nor the
    /// ingress network (it carries only the routing mesh).
    func userNetworkIDs(_ live: LiveSandbox) -> [String] {
        live.endpoints.filter { networks[$0.networkID].map { !$0.isDefaultBridge && !$0.isIngress } ?? false }
            .map(\.networkID)
    }

    /// The endpoint links of the sandbox's user networks (Docker's per-endpoint `--link`), by network ID.
    func dnsLinks(_ live: LiveSandbox) -> LocalRecords.Links {
        var texts: [String: [String: String]] = [:]
        for endpoint in live.endpoints {
            guard let links = endpoint.links, !links.isEmpty else { continue }
            texts[endpoint.networkID] = Dictionary(links.map { ($0.alias, $0.target) }) { first, _ in first }
        }
        return LocalRecords.links(texts)
    }

    func setDNSScope(_ local: LocalRecords, _ live: LiveSandbox) {
        local.setScope(networks: userNetworkIDs(live), links: dnsLinks(live))
    }

    /// The sandbox's own DNS server on 127.0.0.11:53, answering names of the networks it shares and forwarding
    /// the rest from the host's namespace (so loopback upstreams work, as in Docker).
    func startDNS(_ record: ContainerRecord, sandbox live: inout LiveSandbox) async throws {
        let sockets = try await DNSSockets.open(in: live.path)
        let local = LocalRecords(table: dnsTable, networks: userNetworkIDs(live), links: dnsLinks(live))
        let forwarder = try? ForwardingResolver(upstreams: upstreams(for: record))
        do {
            live.dns = try await DNSServer.serve(
                udpSocket: sockets.udp, tcpSocket: sockets.tcp,
                resolver: ChainResolver(local: local, forwarder: forwarder))
        } catch {
            close(sockets.udp)
            close(sockets.tcp)
            throw error
        }
        live.local = local
    }

    func upstreams(for record: ContainerRecord) -> [String] {
        if !record.spec.host.dns.isEmpty { return record.spec.host.dns }
        if !options.upstreamDNS.isEmpty { return options.upstreamDNS }
        return SandboxFiles.nameservers(in: SandboxFiles.hostResolvConf())
    }

    func writeFiles(_ record: ContainerRecord, directory: String, hosts: String, embeddedDNS: Bool,
                    keepLoopback: Bool) throws {
        let hostResolv = SandboxFiles.hostResolvConf()
        let resolv: String
        let search = record.spec.host.dnsSearch ?? [], dnsOptions = record.spec.host.dnsOptions ?? []
        if embeddedDNS {
            resolv = SandboxFiles.embeddedResolvConf(hostResolvConf: hostResolv, searchDomains: search,
                                                     dnsOptions: dnsOptions)
        } else {
            // Only plain addresses can go in a resolv.conf (the daemon's `--dns` may carry a port for tests).
            let servers = (record.spec.host.dns.isEmpty ? options.upstreamDNS : record.spec.host.dns)
                .filter { (try? IPAddress(parsing: $0)) != nil }
            resolv = SandboxFiles.plainResolvConf(servers: servers, hostResolvConf: hostResolv,
                                                  keepLoopback: keepLoopback, searchDomains: search,
                                                  dnsOptions: dnsOptions)
        }
        // Written while the container's process does not run (attach comes before its start), and made again from
        // the record at every start: no reader can see them half-written, and nothing is lost if the machine stops.
        // An atomic write would sync each one to disk (three journal commits per container on ext4).
        try hosts.write(toFile: directory + "/hosts", atomically: false, encoding: .utf8)
        try resolv.write(toFile: directory + "/resolv.conf", atomically: false, encoding: .utf8)
        let hostname = record.spec.host.networkMode == "host" ? KernelHostName.read() : record.hostname
        try (hostname + "\n").write(toFile: directory + "/hostname", atomically: false, encoding: .utf8)
    }
}
