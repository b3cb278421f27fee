import Testing

@testable import KubeCore

/// Defects found in the shared JSON layer (files owned elsewhere), pinned as known issues so
/// that the fix is noticed: each `withKnownIssue` starts failing once the bug is gone.
@Suite struct JSONKnownIssuesTests {
    /// Go's decoder refuses numbers that overflow float64; ours turns them into infinity, which
    /// then serializes as `null`, silently changing the document.
    @Test func outOfRangeNumbersAreRejected() throws {
        withKnownIssue("JSONParser.parseNumber accepts 1e400 as +infinity") {
            #expect(throws: JSONParseError.self) { try JSONValue(parsing: "1e400") }
        }
    }

    /// `==` between .int and .double must be exact, or equality stops being transitive.
    @Test func intDoubleEqualityIsExact() {
        let big = JSONValue.int(9_007_199_254_740_993)  // 2^53 + 1, not representable as a Double
        let asDouble = JSONValue.double(9_007_199_254_740_992)
        #expect(JSONValue.int(9_007_199_254_740_992) == asDouble)
        withKnownIssue("JSONValue.== converts Int64 to Double before comparing") {
            #expect(big != asDouble)
        }
    }
}
