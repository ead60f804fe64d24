import Foundation
import HTTPTypes
import Hummingbird
@testable import ShoalDockerAPI
import Testing

@Suite struct QueryTests {
    private func query(_ target: String) -> Query {
        Query(Request(head: HTTPRequest(method: .get, scheme: nil, authority: nil, path: target),
                      body: .init(buffer: ByteBuffer())))
    }

    @Test func valuesAreDecodedAsGoDecodesThem() {
        // Go's url.Values.Encode writes a space as `+` and a plus as `%2B`.
        let decoded = query("/images/create?changes=CMD+%5B%22sh%22%5D&sum=1%2B2&empty=&flag")
        #expect(decoded["changes"] == #"CMD ["sh"]"#)
        #expect(decoded["sum"] == "1+2")
        #expect(decoded["empty"] == "")
        #expect(decoded["flag"] == "")
        #expect(decoded["missing"] == nil)
    }

    @Test func repeatedParametersKeepEveryValue() {
        let decoded = query("/images/get?names=a%3A1&names=b")
        #expect(decoded.multi["names"] == ["a:1", "b"])
        #expect(decoded["names"] == "b")
    }

    @Test func timestampsTakeDockersFormOnlyAndStayInRange() throws {
        #expect(try query("/events?since=1690000000.5").timestamp("since") == Date(timeIntervalSince1970: 1_690_000_000.5))
        #expect(try query("/events?since=-5").timestamp("since") == Date(timeIntervalSince1970: -5))
        #expect(try query("/events").timestamp("since") == nil)
        // A Double's other spellings overflowed the engine's Int64 nanoseconds (the fuzzer's `since=1e99`).
        for bad in ["1e99", "inf", "nan", "-inf", "0x10", "1.", ".5", "1.2.3", "+1", "1e3"] {
            #expect(throws: DockerAPIError.self, "\(bad)") { try query("/events?since=\(bad)").timestamp("since") }
        }
        // Far times are clamped to what Int64 nanoseconds hold.
        let far = try #require(try query("/events?until=99999999999999999999").timestamp("until"))
        #expect(far.timeIntervalSince1970 < 9.3e9)
    }
}
