import Foundation
import ShoalCore
import ShoalModel
import ShoalNFTables
import ShoalNetwork
import ShoalOS

/// The routing mesh on this host (Docker's `ingress-sbox`): once a service publishes a port on the mesh, the host
/// gets a sandbox with an interface on the ingress network (its address from the leader) and one on
/// docker_gwbridge. The host's table DNATs each mesh port to the sandbox as it would a container's `-p`; inside,
/// IngressRuleset spreads the connections over the service's tasks on the ingress network, wherever they run, with
/// the client's own address; each task sends its replies back to the sandbox they came from (MeshReturnPath). A
/// host that runs no task of the service answers too.
///
/// The ingress network carries no names and no VIP balancing in the tasks' sandboxes: its only use is this.
extension NetworkService {
    /// The sandbox's key among `sandboxes`, and the container ID its ingress endpoint is attached with.
    static let ingressSandboxID = IngressSandbox.containerID

    var ingressSandboxPath: String { options.sandboxDirectory + "/ingress_sbox" }

    /// Brings the mesh in step with the endpoint table (after each change of it): the sandbox is made the first
    /// time a port is published (in the background: it needs the leader), then its table and the host's DNATs
    /// follow the ports and their tasks.
    func syncIngress() {
        guard let mesh = endpoints.mesh() else {
            if sandboxes[Self.ingressSandboxID] != nil { applyIngress([]) }
            return
        }
        guard sandboxes[Self.ingressSandboxID] != nil else {
            guard !ingressPending else { return }
            ingressPending = true
            Task { await self.makeIngressSandbox(networkID: mesh.networkID) }
            return
        }
        applyIngress(mesh.rules)
    }

    /// The addresses of this host a mesh port is published on (nil: every one).
    func meshAddresses(_ publishOn: MeshPublishing?) -> [String?] {
        switch publishOn {
        case .everywhere: [nil]
        case .internalAddress: ingressUnderlay.map { [$0.description] } ?? []
        case .interface(let name): dataplane.ipv4Addresses(ofInterface: name).map(\.description)
        case nil: []
        }
    }

    /// The mesh's ports and tasks now: the sandbox's table (through its worker, in order) and, when the set of
    /// ports changed, the host's DNATs to the sandbox.
    private func applyIngress(_ rules: [MeshRule]) {
        guard var live = sandboxes[Self.ingressSandboxID], !live.endpoints.isEmpty,
              let gateway = live.gatewayEndpoint, let bridge = networks[gateway.networkID]?.bridgeName else { return }
        ingressSync.want(IngressRuleset(rules: rules.map(\.rule)), in: live.path)
        let publications = Self.hostPublications(rules, sandboxAddress: gateway.ipv4Address, bridge: bridge,
                                                 addresses: meshAddresses)
        guard publications != live.publications else { return }
        live.publications = publications
        sandboxes[Self.ingressSandboxID] = live
        Task {
            do { try await self.applyFirewall() } catch { self.logger.error("routing mesh: host firewall: \(error)") }
        }
    }

    /// Each mesh port, on the host addresses its service chose (`addresses`; nil: every one), DNATed to the same
    /// port of the ingress sandbox.
    static func hostPublications(_ rules: [MeshRule], sandboxAddress: String, bridge: String,
                                 addresses: (MeshPublishing?) -> [String?]) -> [PortPublication] {
        var seen: Set<String> = []
        return rules.sorted { ($0.rule.publishedPort, $0.rule.proto.rawValue) < ($1.rule.publishedPort, $1.rule.proto.rawValue) }
            .flatMap { mesh -> [PortPublication] in
                let rule = mesh.rule
                guard seen.insert("\(rule.proto.rawValue)/\(rule.publishedPort)").inserted else { return [] }
                return addresses(mesh.publishOn).map { hostIP in
                    PortPublication(proto: rule.proto, hostIP: hostIP, hostPort: rule.publishedPort,
                                    containerIP: sandboxAddress, containerPort: rule.publishedPort, bridge: bridge)
                }
            }
    }

    /// Makes the sandbox: its namespace (forwarding on), its ingress interface, its docker_gwbridge interface (its
    /// way back to clients); then serves the mesh as it stands. Nothing is left behind when a step fails: the
    /// next change of the endpoint table tries again.
    private func makeIngressSandbox(networkID: String) async {
        defer { ingressPending = false }
        guard sandboxes[Self.ingressSandboxID] == nil else { return }
        let path = ingressSandboxPath
        if NetworkNamespace.isPinned(at: path) || FileManager.default.fileExists(atPath: path) {
            dataplane.removeSandbox(at: path)
        }
        var live = LiveSandbox(containerID: Self.ingressSandboxID, containerName: IngressSandbox.endpointName, path: path)
        let record = Self.ingressSandboxRecord
        do {
            let network = try await resolveAny(networkID)
            ingressUnderlay = await cluster?.underlayAddress()
            try await dataplane.createSandbox(at: path)
            try await NetworkNamespace.run(in: path) { try Sysctl.set("net.ipv4.ip_forward", "1") }
            live.endpoints = [try await plumb(network, request: EndpointRequest(), record: record, sandbox: live,
                                              names: [])]
            live.gatewayEndpoint = try await plumb(try await gatewayNetwork(), request: EndpointRequest(),
                                                   record: record, sandbox: live, names: [])
        } catch {
            logger.error("routing mesh: cannot make the ingress sandbox: \(error)")
            await teardown(live)
            return
        }
        sandboxes[Self.ingressSandboxID] = live
        syncIngress()
    }

    /// Undoes the sandbox (the host leaves the swarm).
    public func removeIngressSandbox() async {
        guard let live = sandboxes.removeValue(forKey: Self.ingressSandboxID) else { return }
        ingressSync.forget(live.path)
        await teardown(live)
    }

    /// What `plumb` needs of a container, for the sandbox that is none.
    static var ingressSandboxRecord: ContainerRecord {
        ContainerRecord(id: ingressSandboxID, name: IngressSandbox.endpointName, created: Date(), spec: ContainerSpec(image: ""),
                        imageID: "", entrypoint: [], cmd: [], env: [], workingDir: "", user: "", hostname: "",
                        stopSignal: "", mounts: [], exposedPorts: [], labels: [:])
    }
}
