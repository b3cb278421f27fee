/// JSON Merge Patch (RFC 7386): `application/merge-patch+json`.
public enum JSONMergePatch {
    /// Applies `patch` to `target`: objects merge key by key, `null` removes a key, anything
    /// else (arrays included) replaces.
    public static func apply(_ patch: JSONValue, to target: JSONValue) -> JSONValue {
        guard case .object(let p) = patch else { return patch }
        var result = target.objectValue ?? [:]
        for (key, value) in p {
            if value.isNull {
                result.removeValue(forKey: key)
            } else {
                result[key] = apply(value, to: result[key] ?? .null)
            }
        }
        return .object(result)
    }

    /// A merge patch that turns `from` into `to`: changed and added keys with their new
    /// value, removed keys as `null`, arrays whole. `{}` when nothing differs.
    ///
    /// A `null` member inside `to` cannot be expressed by a merge patch (it means "remove"),
    /// so such a key comes out removed when the patch is applied.
    public static func diff(from: JSONValue, to: JSONValue) -> JSONValue {
        // Anything but object-to-object is a wholesale replacement; applying an object patch
        // to a non-object starts from `{}`, so returning `to` is right in every case.
        guard case .object(let a) = from, case .object(let b) = to else { return to }
        var patch: [String: JSONValue] = [:]
        for key in a.keys where b[key] == nil { patch[key] = .null }
        for (key, new) in b {
            guard let old = a[key] else {
                patch[key] = new
                continue
            }
            if old == new { continue }
            if case .object = old, case .object = new {
                patch[key] = diff(from: old, to: new)
            } else {
                patch[key] = new
            }
        }
        return .object(patch)
    }
}
