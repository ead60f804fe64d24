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
}
