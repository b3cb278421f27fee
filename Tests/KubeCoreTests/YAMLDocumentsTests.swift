import KubeCore
import Testing

@Suite struct YAMLDocumentsTests {
    @Test func everyDocumentOfAStreamIsRead() throws {
        let docs = try JSONValue.documents(yaml: "a: 1\n---\nb: [x, 2.5]\n---\n# only a comment\n")
        #expect(docs.count == 2)
        #expect(docs[0] == ["a": 1])
        #expect(docs[1] == ["b": ["x", 2.5]])
    }

    @Test func aSyntaxErrorInALaterDocumentIsAnErrorNotATruncatedList() {
        let text = "kind: A\n---\nkind: B\n  bad: [unclosed\n---\nkind: C\n"
        let operation1 = { try JSONValue.documents(yaml: text) }
        #expect(throws: (any Error).self, performing: operation1)
    }
}
