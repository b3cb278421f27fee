import KubeCore
import Yams

/// The documents of a YAML stream, and the syntax error that ended it early, if any.
/// (JSONValue.documents(yaml:) stops quietly at a syntax error; lint must not.)
struct ManifestDocuments {
    var documents: [JSONValue] = []
    var error: String?

    init(_ text: String) {
        do {
            let parser = try Parser(yaml: text)
            while let node = try parser.nextRoot() {
                documents.append(JSONValue(yamlNode: node))
            }
        } catch {
            self.error = "\(error)"
        }
    }
}
