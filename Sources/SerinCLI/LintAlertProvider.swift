import KubeCore
import SerinAPI

extension DocumentCheck {
    /// AlertProvider: decoding with field paths, then AlertProviderSpec.validate.
    mutating func alertProvider() {
        let provider: AlertProvider
        do {
            provider = try AlertProvider(json: doc.json)
        } catch {
            let path = error.path.isEmpty ? "spec" : error.path
            add(path, error.message, "give \(path) the type the AlertProvider schema expects (kubectl explain alertprovider.\(path))")
            return
        }
        for p in provider.spec.validate() { add(p.path, p.message, p.fix) }
    }
}
