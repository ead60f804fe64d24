import Foundation

/// What `docker info` and `docker version` report about this host and daemon.
public struct SystemInfo: Sendable, Equatable {
    public var id: String
    public var name: String
    public var containers: Int
    public var containersRunning: Int
    public var containersPaused: Int
    public var containersStopped: Int
    public var images: Int
    public var storageDriver: String
    public var cgroupDriver: String
    public var cgroupVersion: String
    public var kernelVersion: String
    public var operatingSystem: String
    public var osType: String
    public var architecture: String
    public var cpus: Int
    public var memoryBytes: Int64
    public var rootDir: String
    public var serverVersion: String
    public var runtimeName: String
    public var initBinary: String
    public var securityOptions: [String]
    public var labels: [String]
    /// The registries spoken to over plain HTTP, as CIDRs (`--insecure-registry`; loopback's always).
    public var insecureRegistryCIDRs: [String] = ["127.0.0.0/8"]
    /// Those given as `host[:port]`.
    public var insecureRegistryHosts: [String] = []

    public init(id: String, name: String, containers: Int, containersRunning: Int, containersPaused: Int,
                containersStopped: Int, images: Int, storageDriver: String, cgroupDriver: String,
                cgroupVersion: String, kernelVersion: String, operatingSystem: String, osType: String,
                architecture: String, cpus: Int, memoryBytes: Int64, rootDir: String, serverVersion: String,
                runtimeName: String, initBinary: String, securityOptions: [String] = [], labels: [String] = []) {
        self.id = id
        self.name = name
        self.containers = containers
        self.containersRunning = containersRunning
        self.containersPaused = containersPaused
        self.containersStopped = containersStopped
        self.images = images
        self.storageDriver = storageDriver
        self.cgroupDriver = cgroupDriver
        self.cgroupVersion = cgroupVersion
        self.kernelVersion = kernelVersion
        self.operatingSystem = operatingSystem
        self.osType = osType
        self.architecture = architecture
        self.cpus = cpus
        self.memoryBytes = memoryBytes
        self.rootDir = rootDir
        self.serverVersion = serverVersion
        self.runtimeName = runtimeName
        self.initBinary = initBinary
        self.securityOptions = securityOptions
        self.labels = labels
    }
}

/// `docker system df`: sizes of what the engine keeps.
public struct DiskUsage: Sendable, Equatable {
    public struct ContainerUsage: Sendable, Equatable {
        public var record: ContainerRecord
        public var sizeRw: Int64
        public init(record: ContainerRecord, sizeRw: Int64) {
            self.record = record
            self.sizeRw = sizeRw
        }
    }

    public struct VolumeUsage: Sendable, Equatable {
        public var record: VolumeRecord
        public var size: Int64
        public var refCount: Int
        public init(record: VolumeRecord, size: Int64, refCount: Int) {
            self.record = record
            self.size = size
            self.refCount = refCount
        }
    }

    public var layersSize: Int64
    public var images: [ImageInfo]
    public var containers: [ContainerUsage]
    public var volumes: [VolumeUsage]

    public init(layersSize: Int64, images: [ImageInfo], containers: [ContainerUsage], volumes: [VolumeUsage]) {
        self.layersSize = layersSize
        self.images = images
        self.containers = containers
        self.volumes = volumes
    }
}
