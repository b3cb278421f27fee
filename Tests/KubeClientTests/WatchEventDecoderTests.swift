import KubeCore
import Testing

@testable import KubeClient

@Suite("Watch stream decoding")
struct WatchEventDecoderTests {
    let added = #"{"type":"ADDED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"5"}}}"#
    let modified = #"{"type":"MODIFIED","object":{"kind":"ConfigMap","metadata":{"name":"a","resourceVersion":"6"},"data":{"k":"v\nw"}}}"#
    let bookmark = #"{"type":"BOOKMARK","object":{"kind":"ConfigMap","metadata":{"resourceVersion":"9"}}}"#
    let gone = #"{"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}}"#

    @Test func eventSplitAcrossChunksByteByByte() throws {
        var d = WatchEventDecoder()
        var events: [WatchEvent] = []
        for byte in Array((added + "\n" + modified + "\n").utf8) {
            events += try d.feed([byte])
        }
        #expect(events.map(\.type) == [.added, .modified])
        #expect(events[0].object.name == "a")
        #expect(events[1].object.resourceVersion == "6")
        // An escaped newline inside a string is not a line end.
        #expect(events[1].object["data"]["k"] == "v\nw")
    }

    @Test func severalEventsInOneChunkAndAPartialTail() throws {
        var d = WatchEventDecoder()
        let text = added + "\n" + bookmark + "\n" + gone + "\n" + modified
        let cut = text.utf8.count - 10
        let first = try d.feed(Array(text.utf8.prefix(cut)))
        #expect(first.map(\.type) == [.added, .bookmark, .error])
        #expect(first[1].object.resourceVersion == "9")
        #expect(APIStatus(json: first[2].object, httpCode: 0).code == 410)
        #expect(try d.feed(Array(text.utf8.dropFirst(cut))).isEmpty)  // still no newline
        // The server ended the body without a final newline: the last event still counts.
        #expect(try d.finish()?.type == .modified)
        #expect(try d.finish() == nil)
    }

    @Test func blankLinesAndCRLFAreIgnored() throws {
        var d = WatchEventDecoder()
        let events = try d.feed(Array("\n\r\n\(added)\r\n\n".utf8))
        #expect(events.count == 1)
        #expect(try d.finish() == nil)
    }

    @Test func malformedLinesFailTheStream() throws {
        var d = WatchEventDecoder()
        let operation1 = { try d.feed(Array("{\"type\":\"ADDED\",\"object\":\n".utf8)) }
        #expect(throws: KubeAPIError.self, performing: operation1)
        var d2 = WatchEventDecoder()
        let operation3 = { try d2.feed(Array(#"{"type":"RENAMED","object":{}}"#.utf8 + [10])) }
        let e = #expect(throws: KubeAPIError.self, performing: operation3)
        #expect(e?.description.contains("RENAMED") == true)
        var d3 = WatchEventDecoder(maxEventBytes: 16)
        let operation2 = { try d3.feed(Array(added.utf8)) }
        #expect(throws: KubeAPIError.self, performing: operation2)
    }
}
