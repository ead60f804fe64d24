import ShoalEtcdProto

extension EtcdClient {
    /// The cluster's members (`etcdctl member list`).
    public func memberList() async throws -> [EtcdMember] {
        let options = callOptions
        return try await withFailover("member list") { connection in
            try await connection.cluster.memberList(Etcdserverpb_MemberListRequest(), options: options)
                .members.map(EtcdMember.init)
        }
    }

    /// Adds a member that will join at `peerURLs` (`etcdctl member add`). Start it afterwards with
    /// `--initial-cluster-state=existing` and an initial cluster naming every member; until it runs, the
    /// cluster's quorum counts it.
    /// - Returns: the new member (not started yet: no name) and the members after the change.
    public func memberAdd(peerURLs: [String], isLearner: Bool = false) async throws -> (
        added: EtcdMember, members: [EtcdMember]
    ) {
        var request = Etcdserverpb_MemberAddRequest()
        request.peerUrls = peerURLs
        request.isLearner = isLearner
        let options = callOptions
        return try await withFailover("member add \(peerURLs.joined(separator: ","))") { connection in
            let response = try await connection.cluster.memberAdd(request, options: options)
            return (EtcdMember(response.member), response.members.map(EtcdMember.init))
        }
    }

    /// Makes a learner a voting member (`etcdctl member promote`). etcd refuses (failed precondition, "can only
    /// promote a learner member which is in sync with leader") until the learner has caught up: retry.
    /// - Returns: the members after the change.
    @discardableResult
    public func memberPromote(id: UInt64) async throws -> [EtcdMember] {
        var request = Etcdserverpb_MemberPromoteRequest()
        request.id = id
        let options = callOptions
        return try await withFailover("member promote \(String(id, radix: 16))") { connection in
            try await connection.cluster.memberPromote(request, options: options).members.map(EtcdMember.init)
        }
    }

    /// Removes a member (`etcdctl member remove ID`); a running member that is removed stops itself. etcd
    /// refuses (unavailable, "unhealthy cluster") while the members left would not have a quorum that has been
    /// connected for 5 s, e.g. right after a member joined: retry later.
    /// - Returns: the members after the change.
    @discardableResult
    public func memberRemove(id: UInt64) async throws -> [EtcdMember] {
        var request = Etcdserverpb_MemberRemoveRequest()
        request.id = id
        let options = callOptions
        return try await withFailover("member remove \(String(id, radix: 16))") { connection in
            try await connection.cluster.memberRemove(request, options: options).members.map(EtcdMember.init)
        }
    }

    /// What the first reachable endpoint says of itself (`etcdctl endpoint status`).
    public func status() async throws -> EtcdStatus {
        let options = callOptions
        return try await withFailover("status") { connection in
            EtcdStatus(try await connection.maintenance.status(Etcdserverpb_StatusRequest(), options: options))
        }
    }

    /// What each endpoint says of itself, in endpoint order; nil for one that did not answer. Never fails over.
    public func statusOfEachEndpoint() async -> [EtcdStatus?] {
        let options = callOptions
        var statuses: [EtcdStatus?] = []
        for index in configuration.endpoints.indices {
            let status = try? await withEndpoint(index) { connection in
                EtcdStatus(try await connection.maintenance.status(Etcdserverpb_StatusRequest(), options: options))
            }
            statuses.append(status)
        }
        return statuses
    }
}
