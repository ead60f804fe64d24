import Foundation
import ShoalModel

// Secrets and configs between Docker's JSON and the domain, kind by kind (a config's spec has no Driver in Docker's
// API: one sent is ignored, as Go's decoder ignores unknown fields).

extension SwarmDataObject {
    var wire: DataObjectWire {
        DataObjectWire(ID: id, Version: ObjectVersionWire(version), CreatedAt: Wire.rfc3339Nano(createdAt),
                       UpdatedAt: Wire.rfc3339Nano(updatedAt), Spec: DataObjectSpecWire(spec, kind: kind))
    }
}

extension DataObjectSpecWire {
    init(_ spec: DataObjectSpec, kind: DataObjectKind) {
        Name = spec.name.omittedIfEmpty
        Labels = spec.labels
        // Empty data is Go's omitempty; a secret's is never shown, whatever a backend returned.
        Data = kind == .secret || spec.data?.isEmpty == true ? nil : spec.data
        Driver = kind == .secret ? spec.driver.map(DriverWire.init) : nil
        Templating = spec.templating.map(DriverWire.init)
    }

    func spec(_ kind: DataObjectKind) -> DataObjectSpec {
        DataObjectSpec(name: Name ?? "", labels: Labels ?? [:], data: Data,
                       driver: kind == .secret ? Driver.map(SwarmDriver.init) : nil,
                       templating: Templating.map(SwarmDriver.init))
    }
}

extension DriverWire {
    init(_ driver: SwarmDriver) {
        self.init(Name: driver.name.omittedIfEmpty, Options: driver.options.isEmpty ? nil : driver.options)
    }
}

extension SwarmDriver {
    init(_ wire: DriverWire) {
        self.init(name: wire.Name ?? "", options: wire.Options ?? [:])
    }
}
