// swift-tools-version: 6.1
// Shoal — a container cluster platform. The module map and the layer rule are in ../shared/DESIGN.md:
// dependencies only point down (L0 → L6).
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]

let package = Package(
    name: "Shoal",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "shoal", targets: ["shoal"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // L0
        .target(name: "CShoal", cSettings: [.define("_GNU_SOURCE")]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .target(
            name: "ShoalCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // L1
        .target(
            name: "ShoalOS",
            dependencies: ["ShoalCore", "CShoal", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalArchive",
            dependencies: ["ShoalCore", "CLibArchive"],
            swiftSettings: strict
        ),
        .target(name: "ShoalModel", dependencies: ["ShoalCore"], swiftSettings: strict),
        .target(name: "ShoalIPAM", dependencies: ["ShoalCore"], swiftSettings: strict),
        .target(name: "ShoalNetlink", dependencies: ["CShoal"], swiftSettings: strict),
        .target(name: "ShoalNFTables", swiftSettings: strict),
        // L2
        .target(
            name: "ShoalOCI",
            dependencies: [
                "ShoalCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalRuntime",
            dependencies: ["ShoalCore", "ShoalOS", "CShoal", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalDNS",
            dependencies: [
                "ShoalCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalCA",
            dependencies: [
                "ShoalCore", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        // Generated code (scripts/gen-proto.sh): the etcd API for the managers' store client only, and Shoal's own
        // cluster API, which every node links. No node-side target may depend on ShoalEtcdProto.
        .target(
            name: "ShoalEtcdProto",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalClusterProto",
            dependencies: [
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalEtcd",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalEtcdProto",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP2", package: "swift-nio-http2"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // L3
        .target(
            name: "ShoalImages",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalArchive", "ShoalOCI", "ShoalIPAM",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalNetwork",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalIPAM", "ShoalNetlink", "ShoalNFTables", "ShoalDNS", "ShoalModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalClusterStore",
            dependencies: [
                "ShoalCore", "ShoalEtcd", "ShoalClusterProto",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: strict
        ),
        // L4
        .target(
            name: "ShoalEngine",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalModel", "ShoalOCI", "ShoalRuntime", "ShoalImages", "ShoalArchive",
                "ShoalNetwork", "ShoalIPAM", "ShoalDNS", "ShoalNFTables",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(name: "ShoalScheduler", dependencies: ["ShoalCore", "ShoalModel"], swiftSettings: strict),
        .target(
            name: "ShoalOrchestrator",
            dependencies: ["ShoalCore", "ShoalModel", "ShoalScheduler"],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalAgent",
            dependencies: ["ShoalCore", "ShoalModel", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalAllocator",
            dependencies: ["ShoalCore", "ShoalIPAM", "ShoalCA", "ShoalClusterStore", "ShoalClusterProto", "ShoalModel"],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalClusterClient",
            dependencies: [
                "ShoalCore", "ShoalModel", "ShoalCA", "ShoalClusterProto",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // L5
        .target(
            name: "ShoalDockerAPI",
            dependencies: [
                "ShoalCore", "ShoalModel",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalManager",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalModel", "ShoalCA", "ShoalClusterStore", "ShoalEtcd", "ShoalNetlink",
                "ShoalClusterClient", "ShoalClusterProto", "ShoalAllocator", "ShoalIPAM", "ShoalScheduler", "ShoalOrchestrator", "ShoalAgent",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // L6
        .target(
            name: "ShoalDaemon",
            dependencies: [
                "ShoalCore", "ShoalModel", "ShoalEngine", "ShoalDockerAPI", "ShoalImages", "ShoalOCI", "ShoalRuntime",
                "ShoalOS", "ShoalIPAM", "ShoalManager", "ShoalClusterProto", "ShoalAgent", "ShoalNetwork", "ShoalNFTables",
                "ShoalClusterEndpoint", "ShoalScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalClusterEndpoint",
            dependencies: [
                "ShoalCore", "ShoalModel", "ShoalDockerAPI", "ShoalScheduler",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalLocalCluster",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalIPAM", "ShoalNetlink", "ShoalNetwork", "ShoalEtcd", "ShoalManager", "ShoalCA",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // The control plane's scale simulation: the real leader, simulated nodes (only their engine is fake).
        .target(
            name: "ShoalSimulation",
            dependencies: [
                "ShoalCore", "ShoalOS", "ShoalModel", "ShoalManager", "ShoalAgent",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ShoalCLI",
            dependencies: [
                "ShoalCore", "ShoalDaemon", "ShoalLocalCluster", "ShoalSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(name: "shoal", dependencies: ["ShoalCLI"], swiftSettings: strict),

        // Tests
        .target(
            name: "ShoalTestSupport",
            dependencies: ["ShoalCore", "ShoalOS", "ShoalEtcd", "ShoalLocalCluster"],
            path: "Tests/ShoalTestSupport",
            swiftSettings: strict
        ),
        .testTarget(name: "ShoalCoreTests", dependencies: ["ShoalCore"], swiftSettings: strict),
        .testTarget(name: "ShoalIPAMTests", dependencies: ["ShoalIPAM", "ShoalCore"], swiftSettings: strict),
        .testTarget(
            name: "ShoalClusterEndpointTests",
            dependencies: ["ShoalClusterEndpoint", "ShoalCore", "ShoalScheduler"],
            swiftSettings: strict),
        .testTarget(
            name: "ShoalSchedulerTests", dependencies: ["ShoalScheduler", "ShoalModel", "ShoalCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalOrchestratorTests",
            dependencies: ["ShoalOrchestrator", "ShoalModel", "ShoalScheduler", "ShoalCore"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalAgentTests",
            dependencies: ["ShoalAgent", "ShoalModel", "ShoalCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalAllocatorTests",
            dependencies: ["ShoalAllocator", "ShoalIPAM", "ShoalCore", "ShoalCA", "ShoalClusterStore", "ShoalClusterProto"],
            swiftSettings: strict
        ),
        .testTarget(name: "ShoalNetlinkTests", dependencies: ["ShoalNetlink", "ShoalTestSupport"], swiftSettings: strict),
        .testTarget(name: "ShoalNFTablesTests", dependencies: ["ShoalNFTables", "ShoalCore", "ShoalTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ShoalCATests",
            dependencies: [
                "ShoalCA", "ShoalCore", "ShoalTestSupport", .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "X509", package: "swift-certificates"),
                .product(name: "SwiftASN1", package: "swift-asn1"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalEtcdTests",
            dependencies: [
                "ShoalEtcd", "ShoalEtcdProto", "ShoalTestSupport", "ShoalCore", "ShoalOS",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalClusterStoreTests",
            dependencies: ["ShoalClusterStore", "ShoalCore", "ShoalEtcd", "ShoalClusterProto", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalManagerTests",
            dependencies: [
                "ShoalManager", "ShoalCA", "ShoalCore", "ShoalEtcd", "ShoalModel", "ShoalOS", "ShoalTestSupport",
                "ShoalAllocator", "ShoalClusterProto", "ShoalClusterStore",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalNetworkTests",
            dependencies: ["ShoalNetwork", "ShoalNetlink", "ShoalNFTables", "ShoalIPAM", "ShoalOS", "ShoalCore", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalEngineTests", dependencies: ["ShoalEngine", "ShoalModel", "ShoalCore", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(name: "ShoalDNSTests", dependencies: ["ShoalDNS", "ShoalCore", "ShoalTestSupport"], swiftSettings: strict),
        .testTarget(
            name: "ShoalArchiveTests",
            dependencies: ["ShoalArchive", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalImagesTests",
            dependencies: ["ShoalImages", "ShoalOCI", "ShoalArchive", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalRuntimeTests",
            dependencies: ["ShoalRuntime", "ShoalOS", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalDockerAPITests",
            dependencies: [
                "ShoalDockerAPI", "ShoalModel", "ShoalCore",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalSimulationTests",
            dependencies: ["ShoalSimulation", "ShoalManager", "ShoalModel", "ShoalCore", "ShoalEtcd", "ShoalOS", "ShoalTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ShoalIntegrationTests",
            dependencies: ["ShoalDaemon", "ShoalTestSupport", "ShoalCore", "ShoalOS", "ShoalClusterClient", "ShoalCA"],
            swiftSettings: strict
        ),
    ]
)
