import KubeCore
import Testing

/// What `kubectl apply -k crds/` needs from each CRD, and what users see: structural schemas
/// (apiextensions.k8s.io/v1 rejects others), printer columns, short names, the `serin`
/// category (`kubectl get serin`), and the status subresource for objects Serin reports on.
@Suite("CRDs: structural schemas, columns, names, status")
struct CRDStructureTests {
    static func crds() throws -> [(file: String, crd: JSONValue)] { try Repository.crds() }

    @Test("every CRD is apiextensions.k8s.io/v1 in group serin.dev, named plural.group, with one storage version")
    func identity() throws {
        for (file, crd) in try Self.crds() {
            #expect(crd["apiVersion"] == "apiextensions.k8s.io/v1", "\(file)")
            #expect(crd[path: ["spec", "group"]] == "serin.dev", "\(file)")
            let plural = crd[path: ["spec", "names", "plural"]].stringValue ?? ""
            #expect(crd.name == "\(plural).serin.dev", "\(file)")
            #expect(crd[path: ["spec", "names", "singular"]].stringValue == crd[path: ["spec", "names", "kind"]].stringValue?.lowercased(), "\(file)")
            #expect(crd[path: ["spec", "names", "listKind"]].stringValue == (crd[path: ["spec", "names", "kind"]].stringValue ?? "") + "List", "\(file)")
            let versions = crd[path: ["spec", "versions"]].arrayValue ?? []
            let storage = versions.filter { $0["storage"] == true }
            #expect(storage.count == 1, "\(file): \(storage.count) storage versions")
            let served = versions.allSatisfy { $0["served"] == true }
            #expect(served, "\(file)")
        }
    }

    @Test("short names are unique and every kind is in the serin category")
    func namesAndCategory() throws {
        var seen: [String: String] = [:]
        for (file, crd) in try Self.crds() {
            let names = crd[path: ["spec", "names"]]
            #expect((names["categories"].arrayValue ?? []).contains("serin"), "\(file): not in category serin")
            let shorts = (names["shortNames"].arrayValue ?? []).compactMap(\.stringValue)
            #expect(!shorts.isEmpty, "\(file): no shortNames")
            for s in shorts {
                #expect(seen[s] == nil, "short name \(s) used by \(seen[s] ?? "") and \(file)")
                seen[s] = file
            }
        }
        // kubectl's own short names must not be shadowed.
        for builtin in ["po", "svc", "deploy", "rs", "cm", "ns", "hpa", "ing", "ev", "sa", "pv", "pvc", "crd"] {
            #expect(seen[builtin] == nil, "\(seen[builtin] ?? "") takes kubectl's short name \(builtin)")
        }
    }

    @Test("printer columns: valid types, JSONPaths into fields the schema declares, and an Age")
    func printerColumns() throws {
        let types: Set<String> = ["integer", "number", "string", "boolean", "date"]
        for (file, crd) in try Self.crds() {
            for v in crd[path: ["spec", "versions"]].arrayValue ?? [] {
                let columns = v["additionalPrinterColumns"].arrayValue ?? []
                #expect(!columns.isEmpty, "\(file): no printer columns")
                let schema = Schema(v[path: ["schema", "openAPIV3Schema"]])
                var names: Set<String> = []
                for c in columns {
                    let name = c["name"].stringValue ?? ""
                    #expect(names.insert(name).inserted, "\(file): column \(name) twice")
                    #expect(types.contains(c["type"].stringValue ?? ""), "\(file): column \(name) has type \(c["type"])")
                    let path = c["jsonPath"].stringValue ?? ""
                    #expect(path.hasPrefix("."), "\(file): column \(name) jsonPath \(path)")
                    let fields = path.dropFirst().split(separator: ".").map(String.init)
                    if fields.first != "metadata" {
                        let declared = Self.declared(schema, fields)
                        #expect(declared, "\(file): column \(name) reads \(path), which the schema does not declare")
                    }
                }
                let age = columns.contains { $0["jsonPath"] == ".metadata.creationTimestamp" && $0["type"] == "date" }
                #expect(age, "\(file): no Age column (a CRD with columns loses kubectl's default Age)")
            }
        }
    }

    static func declared(_ schema: Schema, _ fields: [String]) -> Bool {
        var s: Schema? = schema
        for f in fields { s = s?.child(f) }
        return s != nil
    }

    @Test("status subresource wherever the schema has a status; spec required where there is one")
    func statusSubresource() throws {
        for (file, crd) in try Self.crds() {
            for v in crd[path: ["spec", "versions"]].arrayValue ?? [] {
                let schema = Schema(v[path: ["schema", "openAPIV3Schema"]])
                if schema.properties["status"] != nil {
                    #expect(v[path: ["subresources", "status"]].objectValue != nil, "\(file): status without the status subresource (users could overwrite it, and Serin's spec writes would race its status writes)")
                }
                if schema.properties["spec"] != nil {
                    #expect(schema.required.contains("spec"), "\(file): spec not required")
                }
            }
        }
    }

    @Test("schemas are structural: a type at every node, items for arrays, no properties beside additionalProperties, metadata left to the API server")
    func structural() throws {
        for (file, crd) in try Self.crds() {
            for v in crd[path: ["spec", "versions"]].arrayValue ?? [] {
                let root = v[path: ["schema", "openAPIV3Schema"]]
                #expect(root["type"] == "object", "\(file): root is not an object")
                let metadata = root[path: ["properties", "metadata"]]
                let metaKeys = Set((metadata["properties"].objectValue ?? [:]).keys)
                #expect(metaKeys.isSubset(of: ["name", "generateName"]), "\(file): metadata may only restrict name and generateName")
                var problems: [String] = []
                Self.checkStructural(Schema(root), path: [], &problems)
                #expect(problems.isEmpty, "\(file):\n  \(problems.joined(separator: "\n  "))")
            }
        }
    }

    /// The rules of a structural schema (Kubernetes "Specifying a structural schema").
    static func checkStructural(_ s: Schema, path: [String], _ problems: inout [String]) {
        let at = dotted(path)
        let node = s.node
        if node["$ref"] != .null { problems.append("\(at): $ref is not allowed") }
        if s.type == nil, !s.isIntOrString, !s.preservesUnknownFields {
            problems.append("\(at): no type")
        }
        if s.isIntOrString, let t = s.type { problems.append("\(at): int-or-string with type \(t)") }
        if !s.properties.isEmpty, node["additionalProperties"] != .null {
            problems.append("\(at): properties and additionalProperties together")
        }
        if s.type == "array", s.items == nil { problems.append("\(at): array without items") }
        if (!s.properties.isEmpty || s.additionalProperties != nil), s.type != "object" {
            problems.append("\(at): properties on a non-object")
        }
        // YAML reads unquoted True, False, yes, no, on, off and numbers as other types: an enum
        // or default of another type than its field rejects every value Serin writes.
        if let t = s.type {
            for v in s.enumValues where !Schema(["type": .string(t)]).accepts(v.schemaTypeName) {
                problems.append("\(at): enum value \(v.serialized()) is a JSON \(v.schemaTypeName) in a \(t) field (quote it in YAML)")
            }
            if node["default"] != .null, !s.accepts(node["default"].schemaTypeName) {
                problems.append("\(at): default \(node["default"].serialized()) is a JSON \(node["default"].schemaTypeName) in a \(t) field")
            }
        }
        for key in ["anyOf", "allOf", "oneOf"] {
            for branch in node[key].arrayValue ?? [] {
                // In the value-validation part only: no types beyond the int-or-string pair,
                // no defaults, descriptions or nullable.
                for forbidden in ["default", "description", "nullable", "x-kubernetes-preserve-unknown-fields"] where branch[forbidden] != .null {
                    problems.append("\(at).\(key): \(forbidden) inside a logical junctor")
                }
                if branch["type"] != .null, !s.isIntOrString {
                    problems.append("\(at).\(key): type inside a logical junctor")
                }
            }
        }
        for (k, p) in s.properties.sorted(by: { $0.key < $1.key }) {
            checkStructural(Schema(p), path: path + [k], &problems)
        }
        if let i = s.items { checkStructural(i, path: path + ["[]"], &problems) }
        if let a = s.additionalProperties { checkStructural(a, path: path + ["*"], &problems) }
    }

    @Test("the structural check notices a node without a type and an enum value of the wrong type")
    func structuralCheckNotices() throws {
        var problems: [String] = []
        Self.checkStructural(Schema(["type": "object", "properties": ["spec": ["properties": ["x": ["type": "string"]]]]]),
                             path: [], &problems)
        #expect(problems.contains("spec: no type"), "\(problems)")
        let yaml = "type: object\nproperties:\n  status:\n    type: string\n    enum: [True, False, Unknown]\n"
        problems = []
        Self.checkStructural(Schema(try JSONValue(yaml: yaml)), path: [], &problems)
        #expect(problems.count == 2, "\(problems)")
    }
}
