import ShoalCore
import ShoalModel
import ShoalScheduler
import Testing

/// `shoal.depends-on`: the label's reading, and which pending tasks StartOrder holds back and why.
@Suite struct StartOrderTests {
    func service(_ id: String, _ name: String, stack: String? = nil, dependsOn: String? = nil) throws
        -> StartOrder.Service
    {
        var labels: [String: String] = [:]
        if let stack { labels[ServiceDependencies.stackLabel] = stack }
        if let dependsOn { labels[ServiceDependencies.label] = dependsOn }
        return StartOrder.Service(id: id, name: name, stack: stack,
                                  dependencies: try ServiceDependencies(labels: labels, serviceName: name))
    }

    @Test func theLabelListsNamesOnce() throws {
        #expect(try ServiceDependencies(labels: [:], serviceName: "web").names.isEmpty)
        #expect(try ServiceDependencies(labels: ["shoal.depends-on": "db, cache,db"], serviceName: "web").names
            == ["db", "cache"])
        #expect(ServiceDependencies.candidates("db", stack: "shop") == ["shop_db", "db"])
        #expect(ServiceDependencies.candidates("db", stack: nil) == ["db"])
    }

    @Test func badLabelsAreRefused() {
        for value in ["", "db,", "a b", " , "] {
            #expect(throws: ShoalError.self, "\(value)") {
                try ServiceDependencies(labels: ["shoal.depends-on": value], serviceName: "web")
            }
        }
        #expect(throws: ShoalError.self) { try ServiceDependencies(labels: ["shoal.depends-on": "web"], serviceName: "web") }
        #expect(throws: ShoalError.self) {
            try ServiceDependencies(labels: ["shoal.depends-on": "web", "com.docker.stack.namespace": "s"],
                                    serviceName: "s_web")
        }
    }

    @Test func tasksWaitUntilEveryDependencyServes() throws {
        let services = [try service("D", "shop_db", stack: "shop"), try service("C", "cache"),
                        try service("W", "shop_web", stack: "shop", dependsOn: "db,cache"),
                        try service("X", "free")]
        let pending = [task("w1", service: "W"), task("w2", service: "W"), task("x1", service: "X")]
        // Neither serves: web waits for the first one missing, in the label's order; the free service goes.
        var held = StartOrder.held(pending, services: services, serving: [:])
        #expect(held == ["w1": "waiting for service shop_db to have a healthy task (shoal.depends-on)",
                         "w2": "waiting for service shop_db to have a healthy task (shoal.depends-on)"])
        held = StartOrder.held(pending, services: services, serving: ["D": 1])
        #expect(held["w1"] == "waiting for service cache to have a healthy task (shoal.depends-on)")
        #expect(StartOrder.held(pending, services: services, serving: ["D": 1, "C": 2]).isEmpty)
    }

    @Test func aMissingDependencyIsNamed() throws {
        let services = [try service("W", "web", dependsOn: "db")]
        #expect(StartOrder.held([task("w1", service: "W")], services: services, serving: [:])
            == ["w1": "waiting for service db, which does not exist (shoal.depends-on)"])
    }
}
