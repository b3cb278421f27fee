import Foundation
import KubeCore

/// Decodes the Kubernetes protobuf bodies kubectl's typed clients send for the imperative
/// `kubectl create namespace|configmap|secret`. Only those kinds (and the common ObjectMeta
/// fields) are understood; anything else is answered 415 by the caller.
enum ProtobufBody {
    static let contentType = "application/vnd.kubernetes.protobuf"

    struct Reader {
        var bytes: ArraySlice<UInt8>

        mutating func varint() -> UInt64? {
            var result: UInt64 = 0
            var shift: UInt64 = 0
            while let b = bytes.popFirst() {
                result |= UInt64(b & 0x7f) << shift
                if b & 0x80 == 0 { return result }
                shift += 7
                if shift > 63 { return nil }
            }
            return nil
        }

        /// Next (field number, wire type, payload) where payload is the bytes of a
        /// length-delimited field or the varint value.
        mutating func field() -> (Int, ArraySlice<UInt8>?, UInt64?)? {
            guard !bytes.isEmpty, let key = varint() else { return nil }
            let number = Int(key >> 3)
            switch key & 7 {
            case 0:
                guard let v = varint() else { return nil }
                return (number, nil, v)
            case 2:
                guard let n = varint(), bytes.count >= Int(n) else { return nil }
                let payload = bytes.prefix(Int(n))
                bytes = bytes.dropFirst(Int(n))
                return (number, payload, nil)
            case 1:
                guard bytes.count >= 8 else { return nil }
                bytes = bytes.dropFirst(8)
                return (number, nil, nil)
            case 5:
                guard bytes.count >= 4 else { return nil }
                bytes = bytes.dropFirst(4)
                return (number, nil, nil)
            default:
                return nil
            }
        }
    }

    static func decode(_ body: [UInt8]) throws -> JSONValue {
        let magic: [UInt8] = [0x6b, 0x38, 0x73, 0x00]
        guard body.starts(with: magic) else { throw unsupported("missing the k8s protobuf envelope") }
        var r = Reader(bytes: body[4...])
        var apiVersion = ""
        var kind = ""
        var raw: ArraySlice<UInt8> = []
        while let (n, payload, _) = r.field() {
            switch n {
            case 1:
                var tm = Reader(bytes: payload ?? [])
                while let (m, p, _) = tm.field() {
                    if m == 1 { apiVersion = string(p) } else if m == 2 { kind = string(p) }
                }
            case 2: raw = payload ?? []
            default: break
            }
        }
        var obj: JSONValue = ["apiVersion": .string(apiVersion), "kind": .string(kind)]
        var o = Reader(bytes: raw)
        while let (n, p, v) = o.field() {
            switch (kind, n) {
            case (_, 1): obj["metadata"] = objectMeta(p ?? [])
            case ("Namespace", 2):
                var spec = Reader(bytes: p ?? [])
                var finalizers: [JSONValue] = []
                while let (m, fp, _) = spec.field() {
                    if m == 1 { finalizers.append(.string(string(fp))) }
                }
                if !finalizers.isEmpty { obj["spec"] = ["finalizers": .array(finalizers)] }
            case ("ConfigMap", 2), ("Secret", 4):
                let (k, val) = mapEntry(p ?? [])
                obj[n == 2 ? "data" : "stringData"][k] = .string(string(val))
            case ("ConfigMap", 3), ("Secret", 2):
                let (k, val) = mapEntry(p ?? [])
                obj[n == 3 ? "binaryData" : "data"][k] = .string(Data(val).base64EncodedString())
            case ("ConfigMap", 4), ("Secret", 5): obj["immutable"] = .bool((v ?? 0) != 0)
            case ("Secret", 3): if !string(p).isEmpty { obj["type"] = .string(string(p)) }
            case ("Namespace", _), ("ConfigMap", _), ("Secret", _): break
            default: throw unsupported("protobuf bodies are understood for Namespace, ConfigMap and Secret only, not \(kind)")
            }
        }
        if !["Namespace", "ConfigMap", "Secret"].contains(kind) {
            throw unsupported("protobuf bodies are understood for Namespace, ConfigMap and Secret only, not \(kind)")
        }
        return obj
    }

    static func objectMeta(_ bytes: ArraySlice<UInt8>) -> JSONValue {
        var meta: JSONValue = [:]
        var r = Reader(bytes: bytes)
        while let (n, p, _) = r.field() {
            switch n {
            case 1: meta["name"] = .string(string(p))
            case 2: meta["generateName"] = .string(string(p))
            case 3: meta["namespace"] = .string(string(p))
            case 6: meta["resourceVersion"] = .string(string(p))
            case 11, 12:
                let (k, v) = mapEntry(p ?? [])
                meta[n == 11 ? "labels" : "annotations"][k] = .string(string(v))
            case 14:
                var list = meta["finalizers"].arrayValue ?? []
                list.append(.string(string(p)))
                meta["finalizers"] = .array(list)
            default: break
            }
        }
        return meta
    }

    static func mapEntry(_ bytes: ArraySlice<UInt8>) -> (String, ArraySlice<UInt8>) {
        var r = Reader(bytes: bytes)
        var key = ""
        var value: ArraySlice<UInt8> = []
        while let (n, p, _) = r.field() {
            if n == 1 { key = string(p) } else if n == 2 { value = p ?? [] }
        }
        return (key, value)
    }

    static func string(_ p: ArraySlice<UInt8>?) -> String { String(decoding: p ?? [], as: UTF8.self) }

    static func unsupported(_ why: String) -> KubeAPIError {
        APIErrors.unsupportedMediaType("the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (\(why))")
    }
}
