/// Constraint parsing with Docker's error texts, and matching against node properties and labels.
import ShoalCore
import ShoalModel
import Testing
@testable import ShoalScheduler

@Suite struct ConstraintTests {
    @Test func parsesBothOperatorsAndTrimsBlanks() throws {
        let equal = try Constraint(parsing: "node.role==manager")
        #expect(equal.key == "node.role" && equal.op == .equal && equal.value == "manager" && equal.subject == .role)
        let notEqual = try Constraint(parsing: "  node.labels.zone  !=  east ")
        #expect(notEqual.key == "node.labels.zone" && notEqual.op == .notEqual && notEqual.value == "east")
        #expect(notEqual.subject == .nodeLabel("zone"))
        #expect(try Constraint(parsing: "engine.labels.disk==ssd").subject == .engineLabel("disk"))
        #expect(try Constraint(parsing: "NODE.Platform.OS==linux").subject == .os)
        #expect(try Constraint(parsing: "node.platform.arch!=arm64").subject == .architecture)
        #expect(try Constraint(parsing: "node.id==abc").subject == .nodeID)
        #expect(try Constraint(parsing: "node.hostname==a").subject == .hostname)
        #expect(try Constraint(parsing: "node.ip==10.0.0.0/24").subject == .nodeIP)
        // Well formed but naming nothing: accepted, and then it matches no node.
        #expect(try Constraint(parsing: "node.zone==east").subject == .unknown)
        // A bare prefix is not a label key.
        #expect(try Constraint(parsing: "node.labels.==x").subject == .unknown)
    }

    @Test func valuesMayHoldTheSymbolsDockerAllows() throws {
        for value in ["a b", "v1.2:3", "x-y_z", "*", "(a|b)", "[0-9]+", "^a$", "a/b", "back\\slash", "a?"] {
            #expect(try Constraint(parsing: "node.labels.k==\(value)").value == value)
        }
    }

    @Test func malformedExpressionsAreRefusedWithDockersWords() {
        expectError("constraint expected one operator from ==, !=") { _ = try Constraint(parsing: "node.role=manager") }
        expectError("constraint expected one operator from ==, !=") { _ = try Constraint(parsing: "node.role") }
        expectError("constraint expected one operator from ==, !=") { _ = try Constraint(parsing: "") }
        expectError("key '' is invalid") { _ = try Constraint(parsing: "==manager") }
        expectError("key 'a' is invalid") { _ = try Constraint(parsing: "a==b") }
        expectError("key '1node' is invalid") { _ = try Constraint(parsing: "1node==x") }
        expectError("key 'node role' is invalid") { _ = try Constraint(parsing: "node role==x") }
        expectError("value '' is invalid") { _ = try Constraint(parsing: "node.labels.zone==") }
        expectError("value 'a!=b' is invalid") { _ = try Constraint(parsing: "node.labels.x==a!=b") }
        expectError("value '>3' is invalid") { _ = try Constraint(parsing: "node.labels.x==>3") }
        expectError("value 'é' is invalid") { _ = try Constraint(parsing: "node.labels.x==é") }
        // "!=" is looked for only when "==" is absent.
        expectError("key 'a!' is invalid") { _ = try Constraint(parsing: "a!==b") }
    }

    @Test func aListFailsOnItsFirstBadExpression() throws {
        expectError("value '' is invalid") { _ = try Constraint.parse(["node.role==worker", "node.id==", "x"]) }
        #expect(try Constraint.parse([]).isEmpty)
    }

    @Test func matchesNodePropertiesCaseInsensitively() throws {
        let manager = node("n1", hostname: "Alpha", role: .manager, os: "linux", architecture: "x86_64")
        let cases: [(String, Bool)] = [
            ("node.id==n1", true), ("node.id==N1", true), ("node.id!=n1", false), ("node.id==n2", false),
            ("node.hostname==alpha", true), ("node.hostname!=beta", true),
            ("node.role==manager", true), ("node.role==MANAGER", true), ("node.role==worker", false),
            ("node.role!=worker", true),
            ("node.platform.os==Linux", true), ("node.platform.os==windows", false),
            ("node.platform.arch==x86_64", true), ("node.platform.arch!=x86_64", false),
            ("node.unknown==x", false), ("node.unknown!=x", false),
        ]
        for (expression, expected) in cases {
            #expect(try Constraint(parsing: expression).matches(manager) == expected, "\(expression)")
        }
    }

    @Test func labelNamesAreCaseSensitiveAndMissingLabelsReadEmpty() throws {
        let labelled = node("n1", labels: ["zone": "East", "Disk": "ssd"], engineLabels: ["gpu": "yes"])
        let cases: [(String, Bool)] = [
            ("node.labels.zone==east", true), ("NODE.LABELS.zone==east", true), ("node.labels.ZONE==east", false),
            ("node.labels.Disk==ssd", true), ("node.labels.disk==ssd", false), ("node.labels.disk!=ssd", true),
            ("node.labels.rack!=r1", true), ("node.labels.rack==r1", false),
            ("engine.labels.gpu==yes", true), ("engine.labels.gpu!=yes", false), ("engine.labels.zone==east", false),
        ]
        for (expression, expected) in cases {
            #expect(try Constraint(parsing: expression).matches(labelled) == expected, "\(expression)")
        }
    }

    @Test func nodeIPMatchesAnAddressOrASubnet() throws {
        let inside = node("n1", address: "10.1.2.3:2377")
        let cases: [(String, Bool)] = [
            ("node.ip==10.1.2.3", true), ("node.ip!=10.1.2.3", false), ("node.ip==10.1.2.4", false),
            ("node.ip==10.1.0.0/16", true), ("node.ip!=10.1.0.0/16", false), ("node.ip==10.2.0.0/16", false),
            ("node.ip!=10.2.0.0/16", true), ("node.ip==0.0.0.0/0", true),
            // Neither an address nor a subnet: no node, whichever the operator.
            ("node.ip==host", false), ("node.ip!=host", false), ("node.ip==10.0.0.0/33", false),
        ]
        for (expression, expected) in cases {
            #expect(try Constraint(parsing: expression).matches(inside) == expected, "\(expression)")
        }
    }

    @Test func everyConstraintOfAListMustMatch() throws {
        let constraints = try Constraint.parse(["node.role==worker", "node.labels.zone==east"])
        #expect(constraints.allMatch(node("a", labels: ["zone": "east"])))
        #expect(!constraints.allMatch(node("b", role: .manager, labels: ["zone": "east"])))
        #expect(!constraints.allMatch(node("c")))
        #expect([Constraint]().allMatch(node("d")))
    }
}
