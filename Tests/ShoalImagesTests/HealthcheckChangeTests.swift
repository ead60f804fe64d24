import ShoalCore
import ShoalOCI
import Testing
@testable import ShoalImages

/// `docker import/commit --change 'HEALTHCHECK …'`, read as Docker's Dockerfile parser reads the instruction.
@Suite struct HealthcheckChangeTests {
    func check(_ change: String) throws -> Healthcheck? { try ImageChanges.apply([change]).healthcheck }

    func refusal(_ change: String) -> String? {
        do {
            _ = try check(change)
            return nil
        } catch {
            return (error as? ShoalError)?.message
        }
    }

    @Test func formsAndOptions() throws {
        #expect(try check("HEALTHCHECK CMD test -f /ok") == Healthcheck(test: ["CMD-SHELL", "test -f /ok"]))
        #expect(try check(#"HEALTHCHECK CMD ["test", "-f", "/ok"]"#) == Healthcheck(test: ["CMD", "test", "-f", "/ok"]))
        #expect(try check("HEALTHCHECK --interval=5s --timeout=500ms --start-period=1m --retries=4 cmd true")
                == Healthcheck(test: ["CMD-SHELL", "true"], interval: 5_000_000_000, timeout: 500_000_000,
                               startPeriod: 60_000_000_000, retries: 4))
        #expect(try check("HEALTHCHECK NONE") == Healthcheck(test: ["NONE"]))
    }

    @Test func refusalsInDockersWords() {
        #expect(refusal("HEALTHCHECK NONE x") == "HEALTHCHECK NONE takes no arguments")
        #expect(refusal("HEALTHCHECK RUN x") == #"Unknown type "RUN" in HEALTHCHECK (try CMD)"#)
        #expect(refusal("HEALTHCHECK CMD") == "Missing command after HEALTHCHECK CMD")
        #expect(refusal("HEALTHCHECK --interval=1ns CMD true") == #"Interval "interval" cannot be less than 1ms"#)
        #expect(refusal("HEALTHCHECK --retries=0 CMD true") == "--retries must be at least 1 (not 0)")
        #expect(refusal("HEALTHCHECK --every=1s CMD true") == "Unknown flag: every")
    }
}
