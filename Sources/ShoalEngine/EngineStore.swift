/// ShoalEngine: the host-local services behind the Docker API — containers, volumes, events — and their
/// persistence. It drives the runtime and the image store and records every change it makes so a failure can
/// undo exactly that. It must never speak HTTP or know Docker's JSON.
import Foundation
import GRDB
import ShoalCore
import ShoalModel

/// Host-local state in SQLite (`<data-root>/shoal.db`): one row per container, volume and network, the record kept
/// as JSON beside the columns that need indexes. Writes are transactions, so a crash never leaves half a record.
public final class EngineStore: Sendable {
    private let database: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(5)
        // WAL with synchronous=NORMAL: a commit is atomic and the database always consistent, but commits do not
        // wait for fsync (checkpoints do). A power cut may lose the last few changes, never corrupt the file;
        // containers do not survive a power cut either. FULL made every state change wait for the disk, which
        // serialised parallel `docker rm` behind fsyncs.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            database = try DatabaseQueue(path: path, configuration: configuration)
            try Self.migrator.migrate(database)
        } catch {
            throw ShoalError.internalError("cannot open the state database \(path)", cause: error)
        }
    }

    private static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.create(table: "container") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull().unique()
                table.column("record", .blob).notNull()
            }
            try db.create(table: "volume") { table in
                table.primaryKey("name", .text)
                table.column("record", .blob).notNull()
            }
        }
        migrator.registerMigration("v2-networks") { db in
            try db.create(table: "network") { table in
                table.primaryKey("id", .text)
                table.column("name", .text).notNull().unique()
                table.column("record", .blob).notNull()
            }
        }
        return migrator
    }

    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .millisecondsSince1970
        return encoder
    }()

    private static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .millisecondsSince1970
        return decoder
    }()

    // MARK: containers

    /// Inserts a new container; the name's uniqueness is enforced by the database as well as by the caller.
    public func insert(_ record: ContainerRecord) throws {
        let data = try Self.encoder.encode(record)
        try write { db in
            try db.execute(sql: "INSERT INTO container (id, name, record) VALUES (?, ?, ?)",
                           arguments: [record.id, record.name, data])
        }
    }

    public func update(_ record: ContainerRecord) throws {
        let data = try Self.encoder.encode(record)
        try write { db in
            try db.execute(sql: "UPDATE container SET name = ?, record = ? WHERE id = ?",
                           arguments: [record.name, data, record.id])
        }
    }

    public func deleteContainer(id: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM container WHERE id = ?", arguments: [id]) }
    }

    public func containers() throws -> [ContainerRecord] {
        let rows = try read { db in try Data.fetchAll(db, sql: "SELECT record FROM container") }
        return try rows.map { try Self.decoder.decode(ContainerRecord.self, from: $0) }
    }

    // MARK: volumes

    public func upsert(_ volume: VolumeRecord) throws {
        let data = try Self.encoder.encode(volume)
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO volume (name, record) VALUES (?, ?)",
                           arguments: [volume.name, data])
        }
    }

    public func deleteVolume(name: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM volume WHERE name = ?", arguments: [name]) }
    }

    public func volumes() throws -> [VolumeRecord] {
        let rows = try read { db in try Data.fetchAll(db, sql: "SELECT record FROM volume") }
        return try rows.map { try Self.decoder.decode(VolumeRecord.self, from: $0) }
    }

    // MARK: networks

    public func upsert(_ network: NetworkRecord) throws {
        let data = try Self.encoder.encode(network)
        try write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO network (id, name, record) VALUES (?, ?, ?)",
                           arguments: [network.id, network.name, data])
        }
    }

    public func deleteNetwork(id: String) throws {
        try write { db in try db.execute(sql: "DELETE FROM network WHERE id = ?", arguments: [id]) }
    }

    public func networks() throws -> [NetworkRecord] {
        let rows = try read { db in try Data.fetchAll(db, sql: "SELECT record FROM network") }
        return try rows.map { try Self.decoder.decode(NetworkRecord.self, from: $0) }
    }

    private func write(_ body: (Database) throws -> Void) throws {
        do {
            try database.write(body)
        } catch let error as ShoalError {
            throw error
        } catch {
            throw ShoalError.internalError("state database write failed", cause: error)
        }
    }

    private func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw ShoalError.internalError("state database read failed", cause: error)
        }
    }
}
