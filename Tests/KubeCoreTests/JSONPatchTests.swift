import Testing

@testable import KubeCore

@Suite struct JSONPatchTests {
    func apply(_ ops: String, _ doc: String) throws -> JSONValue {
        try JSONPatch.apply(try JSONValue(parsing: ops), to: try JSONValue(parsing: doc))
    }

    func error(_ ops: String, _ doc: String) throws -> JSONPatchError {
        do {
            _ = try apply(ops, doc)
        } catch let e as JSONPatchError {
            return e
        }
        Issue.record("patch \(ops) was expected to fail")
        throw JSONPatchError(index: nil, op: "", path: "", reason: "no error")
    }

    @Test func addToObjectAndArray() throws {
        #expect(try apply(#"[{"op":"add","path":"/b","value":2}]"#, #"{"a":1}"#) == ["a": 1, "b": 2])
        #expect(try apply(#"[{"op":"add","path":"/a/1","value":"x"}]"#, #"{"a":[0,1]}"#) == ["a": [0, "x", 1]])
        #expect(try apply(#"[{"op":"add","path":"/a/-","value":9}]"#, #"{"a":[0]}"#) == ["a": [0, 9]])
        #expect(try apply(#"[{"op":"add","path":"/a/1","value":9}]"#, #"{"a":[0]}"#) == ["a": [0, 9]])
        #expect(try apply(#"[{"op":"add","path":"/a","value":null}]"#, #"{}"#) == JSONValue.object(["a": .null]))
        #expect(try apply(#"[{"op":"add","path":"","value":[1]}]"#, #"{"a":1}"#) == [1])
        // add replaces an existing member
        #expect(try apply(#"[{"op":"add","path":"/a","value":2}]"#, #"{"a":1}"#) == ["a": 2])
    }

    @Test func pointerEscapes() throws {
        let doc = #"{"a/b":{"m~n":1},"":{"":2}}"#
        #expect(try apply(#"[{"op":"replace","path":"/a~1b/m~0n","value":5}]"#, doc)[path: ["a/b", "m~n"]] == 5)
        #expect(try apply(#"[{"op":"test","path":"//","value":2}]"#, doc) == (try JSONValue(parsing: doc)))
        let e = try error(#"[{"op":"add","path":"/a~2","value":1}]"#, doc)
        #expect(e.description.contains("~0 and ~1"))
    }

    @Test func removeReplaceMoveCopy() throws {
        let doc = #"{"a":{"b":1,"c":[1,2,3]},"d":"x"}"#
        #expect(try apply(#"[{"op":"remove","path":"/a/c/1"}]"#, doc)[path: ["a", "c"]] == [1, 3])
        #expect(try apply(#"[{"op":"remove","path":"/d"}]"#, doc)["d"] == .null)
        #expect(try apply(#"[{"op":"replace","path":"/a/b","value":[true]}]"#, doc)[path: ["a", "b"]] == [true])
        let moved = try apply(#"[{"op":"move","from":"/a/b","path":"/e"}]"#, doc)
        #expect(moved["e"] == 1 && moved[path: ["a", "b"]] == .null)
        let copied = try apply(#"[{"op":"copy","from":"/a/c","path":"/a/c2"}]"#, doc)
        #expect(copied[path: ["a", "c2"]] == [1, 2, 3] && copied[path: ["a", "c"]] == [1, 2, 3])
        // move within an array
        #expect(try apply(#"[{"op":"move","from":"/a/c/0","path":"/a/c/-"}]"#, doc)[path: ["a", "c"]] == [2, 3, 1])
    }

    @Test func operationsApplyInSequence() throws {
        let out = try apply(
            #"[{"op":"add","path":"/l","value":[]},{"op":"add","path":"/l/-","value":1},{"op":"add","path":"/l/0","value":0},{"op":"test","path":"/l","value":[0,1]}]"#,
            "{}")
        #expect(out == ["l": [0, 1]])
    }

    @Test func failedTestSaysSoAndNamesIndexAndPath() throws {
        let e = try error(
            #"[{"op":"replace","path":"/a","value":2},{"op":"test","path":"/a","value":1}]"#, #"{"a":1}"#)
        #expect(e.index == 1)
        #expect(e.path == "/a")
        #expect(e.isTestFailure)
        #expect(e.description.contains("test operation failed"))
        #expect(e.description.contains("operation 1"))
        let missing = try error(#"[{"op":"test","path":"/nope","value":1}]"#, #"{"a":1}"#)
        #expect(missing.isTestFailure)
    }

    @Test func testComparesByMeaning() throws {
        let operation1 = { try apply(#"[{"op":"test","path":"/a","value":{"y":[1.0],"x":"s"}}]"#, #"{"a":{"x":"s","y":[1]}}"#) }
        #expect(throws: Never.self, performing: operation1)
    }

    @Test func errorsNameTheOperation() throws {
        let cases: [(String, String, Int, String)] = [
            (#"[{"op":"remove","path":"/x"}]"#, #"{}"#, 0, "/x"),
            (#"[{"op":"add","path":"/a","value":1},{"op":"replace","path":"/b","value":1}]"#, #"{}"#, 1, "/b"),
            (#"[{"op":"add","path":"/a/b/c","value":1}]"#, #"{"a":{}}"#, 0, "/a/b/c"),
            (#"[{"op":"add","path":"/a/5","value":1}]"#, #"{"a":[1]}"#, 0, "/a/5"),
            (#"[{"op":"add","path":"/a/01","value":1}]"#, #"{"a":[1,2]}"#, 0, "/a/01"),
            (#"[{"op":"move","from":"/a","path":"/a/b"}]"#, #"{"a":{}}"#, 0, "/a/b"),
            (#"[{"op":"frobnicate","path":"/a"}]"#, #"{}"#, 0, "/a"),
            (#"[{"op":"add","path":"/a"}]"#, #"{}"#, 0, "/a"),
            (#"[{"op":"remove","path":""}]"#, #"{}"#, 0, ""),
        ]
        for (ops, doc, index, path) in cases {
            let e = try error(ops, doc)
            #expect(e.index == index, "\(ops): \(e)")
            #expect(e.path == path, "\(ops): \(e)")
            #expect(!e.isTestFailure)
        }
        #expect(try error(#"{"op":"add"}"#, "{}").index == nil)
    }
}
