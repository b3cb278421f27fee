import Testing

@testable import KubeCore

/// Regressions of defects once found in the JSON layer.
@Suite struct JSONRegressionTests {
    /// Go's decoder refuses numbers that overflow float64; ours turns them into infinity, which
    /// then serializes as `null`, silently changing the document.
    @Test func outOfRangeNumbersAreRejected() throws {
        let operation1 = { try JSONValue(parsing: "1e400") }
        #expect(throws: JSONParseError.self, performing: operation1)
        let operation2 = { try JSONValue(parsing: "-1e400") }
        #expect(throws: JSONParseError.self, performing: operation2)
    }

    /// `==` between .int and .double must be exact, or equality stops being transitive.
    @Test func intDoubleEqualityIsExact() {
        let big = JSONValue.int(9_007_199_254_740_993)  // 2^53 + 1, not representable as a Double
        let asDouble = JSONValue.double(9_007_199_254_740_992)
        #expect(JSONValue.int(9_007_199_254_740_992) == asDouble)
        #expect(big != asDouble)
        #expect(JSONValue.double(1.5) != .int(1))
    }
}
