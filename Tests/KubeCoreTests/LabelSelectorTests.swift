import Testing

@testable import KubeCore

@Suite struct LabelSelectorTests {
    let web: [String: String] = ["app": "web", "tier": "frontend", "version": "3"]

    @Test func equalityForms() throws {
        #expect(try LabelSelector(parsing: "app=web").matches(web))
        #expect(try LabelSelector(parsing: "app==web").matches(web))
        #expect(!(try LabelSelector(parsing: "app=db").matches(web)))
        #expect(try LabelSelector(parsing: "app!=db").matches(web))
        #expect(!(try LabelSelector(parsing: "app!=web").matches(web)))
    }

    @Test func negativeRequirementsMatchAbsentKeys() throws {
        #expect(try LabelSelector(parsing: "missing!=x").matches(web))
        #expect(try LabelSelector(parsing: "missing notin (x,y)").matches(web))
        #expect(!(try LabelSelector(parsing: "missing in (x,y)").matches(web)))
        #expect(!(try LabelSelector(parsing: "missing=x").matches(web)))
    }

    @Test func setsAndExistence() throws {
        #expect(try LabelSelector(parsing: "tier in (backend, frontend)").matches(web))
        #expect(!(try LabelSelector(parsing: "tier notin (frontend)").matches(web)))
        #expect(try LabelSelector(parsing: "tier").matches(web))
        #expect(!(try LabelSelector(parsing: "!tier").matches(web)))
        #expect(try LabelSelector(parsing: "!legacy").matches(web))
        #expect(!(try LabelSelector(parsing: "legacy").matches(web)))
    }

    @Test func conjunctionWithWhitespace() throws {
        let s = try LabelSelector(parsing: "  app = web ,tier in ( frontend ),  !legacy , version ")
        #expect(s.matches(web))
        #expect(!s.matches(["app": "web", "tier": "frontend", "version": "3", "legacy": "true"]))
        #expect(s.requirements.count == 4)
    }

    @Test func emptySelectorMatchesEverything() throws {
        let s = try LabelSelector(parsing: "")
        #expect(s.isEmpty)
        #expect(s.matches([:]))
        #expect(s.matches(web))
        #expect(try LabelSelector(parsing: "   ").isEmpty)
        #expect(!(try LabelSelector(parsing: "a").isEmpty))
    }

    @Test func emptyValues() throws {
        #expect(try LabelSelector(parsing: "a=").matches(["a": ""]))
        #expect(!(try LabelSelector(parsing: "a=").matches(["a": "x"])))
        #expect(try LabelSelector(parsing: "a in ()").matches(["a": ""]))
    }

    @Test func greaterAndLessThan() throws {
        #expect(try LabelSelector(parsing: "version>2").matches(web))
        #expect(!(try LabelSelector(parsing: "version<3").matches(web)))
        #expect(!(try LabelSelector(parsing: "app>1").matches(web)))  // not an integer label
        let operation1 = { try LabelSelector(parsing: "version>x") }
        #expect(throws: LabelSelectorError.self, performing: operation1)
    }

    @Test func descriptionIsSortedCanonicalForm() throws {
        let s = try LabelSelector(parsing: "tier notin (b,a),app=web,!legacy,x,v==1,w!=2")
        #expect(s.description == "app=web,!legacy,tier notin (a,b),v==1,w!=2,x")
        // The rendering parses back to the same selector.
        #expect(try LabelSelector(parsing: s.description) == s)
    }

    @Test func syntaxErrorsNamePosition() throws {
        let cases: [(String, Int)] = [
            ("app=web,", 8),  // trailing comma: end of string at 8
            ("app in web", 7),  // missing '('
            ("app=(x)", 4),
            ("a b", 2),
            ("!a=b", 2),
            ("tier in (a b)", 11),
            (",a", 0),
        ]
        for (text, pos) in cases {
            do {
                _ = try LabelSelector(parsing: text)
                Issue.record("expected \(text) to fail")
            } catch let e as LabelSelectorError {
                #expect(e.position == pos, "\(text): \(e)")
                #expect(e.description.contains("position \(pos)"))
                #expect(e.description.contains(text))
            }
        }
    }

    @Test func invalidKeysAndValuesAreRejected() throws {
        let operation2 = { try LabelSelector(parsing: "-bad=x") }
        #expect(throws: LabelSelectorError.self, performing: operation2)
        let operation3 = { try LabelSelector(parsing: "a=bad value!") }
        #expect(throws: LabelSelectorError.self, performing: operation3)
        let operation4 = { try LabelSelector(parsing: "a=\(String(repeating: "v", count: 64))") }
        #expect(throws: LabelSelectorError.self, performing: operation4)
        let operation5 = { try LabelSelector(parsing: "example.com/role=api") }
        #expect(throws: Never.self, performing: operation5)
        let operation6 = { try LabelSelector(parsing: "Example.com/role=api") }
        #expect(throws: LabelSelectorError.self, performing: operation6)
    }

    @Test func metaV1SelectorMatchLabelsAndExpressions() throws {
        let json: JSONValue = [
            "matchLabels": ["app": "web"],
            "matchExpressions": [
                ["key": "tier", "operator": "In", "values": ["frontend", "edge"]],
                ["key": "legacy", "operator": "DoesNotExist"],
                ["key": "version", "operator": "Exists"],
                ["key": "zone", "operator": "NotIn", "values": ["eu"]],
            ],
        ]
        let s = try LabelSelector(json: json)
        #expect(s.matches(web))
        #expect(!s.matches(["app": "web", "tier": "backend", "version": "1"]))
        #expect(!s.matches(["app": "web", "tier": "edge", "version": "1", "zone": "eu"]))
        #expect(s.description == "app=web,!legacy,tier in (edge,frontend),version,zone notin (eu)")
    }

    @Test func metaV1NullSelectsNothingEmptySelectsEverything() throws {
        let none = try LabelSelector(json: .null)
        #expect(!none.matches([:]))
        #expect(!none.isEmpty)
        let all = try LabelSelector(json: [:])
        #expect(all.matches([:]))
        #expect(all.isEmpty)
    }

    @Test func metaV1SelectorErrors() throws {
        let operation7 = {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "Like", "values": ["x"]]]])
        }
        #expect(throws: LabelSelectorError.self, performing: operation7)
        let operation8 = {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "In", "values": []]]])
        }
        #expect(throws: LabelSelectorError.self, performing: operation8)
        let operation9 = {
            try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "Exists", "values": ["x"]]]])
        }
        #expect(throws: LabelSelectorError.self, performing: operation9)
        do {
            _ = try LabelSelector(json: ["matchExpressions": [["key": "a", "operator": "Like"]]])
        } catch let e as LabelSelectorError {
            #expect(e.description.contains("\"Like\" is not a valid label selector operator"))
        }
    }

    @Test func matchLabelsInitEqualsParsedForm() throws {
        #expect(LabelSelector(matchLabels: ["b": "2", "a": "1"]) == (try LabelSelector(parsing: "a=1,b=2")))
    }
}
