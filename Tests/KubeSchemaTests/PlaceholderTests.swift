import Testing
@testable import KubeSchema

@Test func placeholder() { #expect(Bool(true)) }
