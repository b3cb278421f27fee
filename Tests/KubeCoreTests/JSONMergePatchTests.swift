import Testing

@testable import KubeCore

@Suite struct JSONMergePatchTests {
    /// The examples table of RFC 7386, appendix A.
    @Test func rfc7386Examples() throws {
        let cases: [(String, String, String)] = [
            (#"{"a":"b"}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"b"}"#, #"{"b":"c"}"#, #"{"a":"b","b":"c"}"#),
            (#"{"a":"b"}"#, #"{"a":null}"#, #"{}"#),
            (#"{"a":"b","b":"c"}"#, #"{"a":null}"#, #"{"b":"c"}"#),
            (#"{"a":["b"]}"#, #"{"a":"c"}"#, #"{"a":"c"}"#),
            (#"{"a":"c"}"#, #"{"a":["b"]}"#, #"{"a":["b"]}"#),
            (#"{"a":{"b":"c"}}"#, #"{"a":{"b":"d","c":null}}"#, #"{"a":{"b":"d"}}"#),
            (#"{"a":[{"b":"c"}]}"#, #"{"a":[1]}"#, #"{"a":[1]}"#),
            (#"["a","b"]"#, #"["c","d"]"#, #"["c","d"]"#),
            (#"{"a":"b"}"#, #"["c"]"#, #"["c"]"#),
            (#"{"a":"foo"}"#, #"null"#, #"null"#),
            (#"{"a":"foo"}"#, #""bar""#, #""bar""#),
            (#"{"e":null}"#, #"{"a":1}"#, #"{"a":1,"e":null}"#),
            (#"[1,2]"#, #"{"a":"b","c":null}"#, #"{"a":"b"}"#),
            (#"{}"#, #"{"a":{"bb":{"ccc":null}}}"#, #"{"a":{"bb":{}}}"#),
        ]
        for (target, patch, expected) in cases {
            let got = JSONMergePatch.apply(try JSONValue(parsing: patch), to: try JSONValue(parsing: target))
            #expect(got == (try JSONValue(parsing: expected)), "\(target) + \(patch)")
        }
    }

    @Test func diffProducesPatchThatRoundTrips() throws {
        let from: JSONValue = [
            "metadata": ["name": "x", "labels": ["a": "1", "b": "2"]],
            "spec": ["replicas": 2, "template": ["spec": ["containers": [["name": "c", "image": "v1"]]]]],
            "status": ["ready": true],
        ]
        var to = from
        to[path: ["metadata", "labels", "b"]] = .null
        to[path: ["metadata", "labels", "c"]] = "3"
        to[path: ["spec", "replicas"]] = 3
        to[path: ["spec", "template", "spec", "containers"]] = [["name": "c", "image": "v2"]]
        to["status"] = .null
        to["extra"] = ["deep": ["x": 1]]

        let patch = JSONMergePatch.diff(from: from, to: to)
        #expect(
            patch
                == [
                    "metadata": ["labels": ["b": nil, "c": "3"]],
                    "spec": ["replicas": 3, "template": ["spec": ["containers": [["name": "c", "image": "v2"]]]]],
                    "status": nil,
                    "extra": ["deep": ["x": 1]],
                ])
        #expect(JSONMergePatch.apply(patch, to: from) == to)
    }

    @Test func diffOfEqualValuesIsEmpty() {
        let v: JSONValue = ["a": [1, 2], "b": ["c": 1.0]]
        let same: JSONValue = ["a": [1, 2], "b": ["c": 1]]
        #expect(JSONMergePatch.diff(from: v, to: same) == [:])
    }

    @Test func diffOfNonObjectsReplaces() {
        #expect(JSONMergePatch.diff(from: [1], to: [2]) == [2])
        #expect(JSONMergePatch.diff(from: "x", to: ["a": 1]) == ["a": 1])
        #expect(JSONMergePatch.apply(JSONMergePatch.diff(from: "x", to: ["a": 1]), to: "x") == ["a": 1])
    }
}
