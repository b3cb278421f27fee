import Foundation
import KubeCore
import Testing

@testable import KubeRuntime

@Suite("KubeTime")
struct KubeTimeTests {
    @Test func formatsTimeAndMicroTime() {
        let d = Date(timeIntervalSince1970: 1_767_225_600.25)  // 2026-01-01T00:00:00.25Z
        #expect(KubeTime.format(d) == "2026-01-01T00:00:00Z")
        #expect(KubeTime.format(d, micro: true) == "2026-01-01T00:00:00.250000Z")
        #expect(KubeTime.format(Date(timeIntervalSince1970: 951_827_696)) == "2000-02-29T12:34:56Z")
    }

    @Test func parsesWhatItFormatsAndOffsets() throws {
        let d = Date(timeIntervalSince1970: 1_800_000_123.5)
        let parsed = try #require(KubeTime.parse(KubeTime.format(d, micro: true)))
        #expect(abs(parsed.timeIntervalSince(d)) < 1e-6)
        #expect(KubeTime.parse("2026-01-01T02:00:00+02:00") == Date(timeIntervalSince1970: 1_767_225_600))
        #expect(KubeTime.parse("2026-13-01T00:00:00Z") == nil)
        #expect(KubeTime.parse("yesterday") == nil)
    }
}
