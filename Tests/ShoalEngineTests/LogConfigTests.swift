import ShoalCore
import ShoalModel
import Testing

/// Log driver options: Docker 20.10's checks at create (names) and at start (values), with its messages.
struct LogConfigTests {
    func refusal(_ config: LogConfig) -> String? {
        do {
            try config.validate()
            return nil
        } catch {
            return (error as? ShoalError)?.message ?? "\(error)"
        }
    }

    func startRefusal(_ type: String, _ options: [String: String]) -> String? {
        do {
            _ = try LogPolicy(LogConfig(type: type, config: options))
            return nil
        } catch {
            return (error as? ShoalError)?.message ?? "\(error)"
        }
    }

    @Test func createChecksNamesAsDockerDoes() {
        #expect(LogConfig(type: "").type == "json-file")
        #expect(refusal(LogConfig()) == nil)
        #expect(refusal(LogConfig(type: "local", config: ["max-size": "1m", "max-file": "2", "compress": "x"])) == nil)
        #expect(refusal(LogConfig(type: "journald", config: ["tag": "{{.Name}}"])) == nil)
        #expect(refusal(LogConfig(type: "none", config: ["anything": "goes"])) == nil)
        #expect(refusal(LogConfig(type: "syslg")) == "logger: no log driver named 'syslg' is registered")
        #expect(refusal(LogConfig(config: ["max-sise": "1m"])) == "unknown log opt 'max-sise' for json-file log driver")
        #expect(refusal(LogConfig(type: "local", config: ["tag": "x"])) == "unknown log opt 'tag' for log driver local")
        #expect(refusal(LogConfig(type: "journald", config: ["max-size": "1m"]))
            == "unknown log opt 'max-size' for journald log driver")
        #expect(refusal(LogConfig(config: ["mode": "fast"])) == "logger: logging mode not supported: fast")
        #expect(refusal(LogConfig(config: ["max-buffer-size": "1m"]))
            == "logger: max-buffer-size option is only supported with 'mode=non-blocking'")
        #expect(refusal(LogConfig(config: ["mode": "non-blocking", "max-buffer-size": "lots"]))
            == "error parsing option max-buffer-size: invalid size: 'lots'")
        #expect(refusal(LogConfig(config: ["mode": "non-blocking", "max-buffer-size": "4m"])) == nil)
        #expect(refusal(LogConfig(config: ["cache-disabled": "maybe"]))
            == "invalid value for option cache-disabled: maybe")
    }

    @Test func startChecksValuesAsEachDriverDoes() throws {
        #expect(try LogPolicy(LogConfig()) == LogPolicy())
        #expect(try LogPolicy(LogConfig(config: ["max-size": "10k", "max-file": "3"]))
            == LogPolicy(maxSize: 10_000, maxFiles: 3))
        #expect(try LogPolicy(LogConfig(type: "local")) == LogPolicy(maxSize: 20 << 20, maxFiles: 5))
        #expect(try LogPolicy(LogConfig(type: "local", config: ["max-file": "1", "compress": "false"]))
            == LogPolicy(maxSize: 20 << 20, maxFiles: 1))
        #expect(try LogPolicy(LogConfig(type: "none")).keepsLog == false)
        #expect(try LogPolicy(LogConfig(type: "journald")).journald)

        #expect(startRefusal("json-file", ["max-size": "abc"]) == "invalid size: 'abc'")
        #expect(startRefusal("json-file", ["max-size": "0"]) == "max-size must be a positive number")
        #expect(startRefusal("json-file", ["max-file": "x"]) == "strconv.Atoi: parsing \"x\": invalid syntax")
        #expect(startRefusal("json-file", ["max-file": "0"]) == "max-file cannot be less than 1")
        #expect(startRefusal("json-file", ["compress": "yes"]) == "strconv.ParseBool: parsing \"yes\": invalid syntax")
        #expect(startRefusal("json-file", ["compress": "true", "max-file": "2"])
            == "compress cannot be true when max-file is less than 2 or max-size is not set")
        #expect(startRefusal("local", ["max-size": "1q"]) == "invalid value for max-size: 1q: invalid size: '1q'")
        #expect(startRefusal("local", ["max-file": "two"])
            == "invalid value for max-file: two: strconv.Atoi: parsing \"two\": invalid syntax")
        #expect(startRefusal("local", ["compress": "no"])
            == "error reading compress log option: strconv.ParseBool: parsing \"no\": invalid syntax")
        #expect(startRefusal("local", ["max-file": "-1", "compress": "false"])
            == "max file count cannot be less than 0")
        #expect(startRefusal("local", ["max-file": "1"]) == "compression cannot be enabled when max file count is 1")
    }

    @Test func sizesAndNumbersParseAsGoUnitsAndStrconv() throws {
        #expect(try HumanSize.bytes("10", binary: false) == 10)
        #expect(try HumanSize.bytes("10k", binary: false) == 10_000)
        #expect(try HumanSize.bytes("1.5m", binary: false) == 1_500_000)
        #expect(try HumanSize.bytes("2 GiB", binary: false) == 2_000_000_000)
        #expect(try HumanSize.bytes("2MB", binary: true) == 2 << 20)
        #expect(try HumanSize.bytes("3b", binary: true) == 3)
        for bad in ["", "k", "-1", "1x", "1kk", ".5", "1.", "1  ", "m1"] {
            #expect(throws: ShoalError.self, "\(bad)") { try HumanSize.bytes(bad, binary: false) }
        }
        #expect(try GoParse.int("+7") == 7)
        #expect(try GoParse.int("-2") == -2)
        #expect(throws: ShoalError.self) { try GoParse.int("99999999999999999999") }
        #expect(GoParse.bool("T") == true && GoParse.bool("0") == false && GoParse.bool("yes") == nil)
    }
}
