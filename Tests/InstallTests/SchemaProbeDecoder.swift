import Foundation

/// A `Decoder` with no input: it makes up a value for every field a `Decodable` type asks
/// for, guided by the CRD schema where there is one, and records each field path the type
/// reads. In `maximal` mode every optional is present (a fully populated value, whatever
/// fields the type gains later); in `minimal` mode every optional is absent.
///
/// A type asking for a different JSON type than the schema declares gets a type mismatch,
/// as it would from a real document; `JSONValue` and int-or-string types try the next form.
final class SchemaProbe {
    enum Mode { case maximal, minimal }

    let mode: Mode
    /// Field paths the type read (`spec.analysis.metrics[].name`).
    private(set) var read: Set<String> = []
    /// What did not fit: fields the schema does not declare, values the type rejected.
    private(set) var problems: [String] = []

    init(mode: Mode) { self.mode = mode }

    /// A value of `type` made up from `schema`.
    func make<T: Decodable>(_ type: T.Type, schema: Schema) throws -> T {
        try T(from: ProbeDecoder(probe: self, schema: schema, path: []))
    }

    fileprivate func noteRead(_ path: [String]) { read.insert(dotted(path)) }
    fileprivate func note(_ problem: String) { if !problems.contains(problem) { problems.append(problem) } }
}

/// The schema context of one position: nil when the schema says nothing (free-form).
private struct ProbeDecoder: Decoder {
    let probe: SchemaProbe
    let schema: Schema?
    let path: [String]
    var keys: [any CodingKey] = []

    var codingPath: [any CodingKey] { keys }
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func expect(_ jsonType: String) throws {
        guard let schema else { return }
        if schema.type == nil, !schema.isIntOrString { return }  // e.g. preserve-unknown-fields only
        if !schema.accepts(jsonType) {
            throw DecodingError.typeMismatch(
                Any.self, .init(codingPath: keys, debugDescription: "the CRD schema declares \(schema.type ?? "int-or-string") at \(dotted(path)), the Swift type reads a JSON \(jsonType)"))
        }
    }

    func child(_ key: String, codingKey: any CodingKey) -> ProbeDecoder {
        var next: Schema?
        if let schema {
            next = schema.child(key)
            if next == nil, !schema.preservesUnknownFields, schema.type == "object" {
                probe.note("\(dotted(path + [key])): the Swift type reads this field but the CRD schema does not declare it (the API server prunes it)")
            }
        }
        return ProbeDecoder(probe: probe, schema: next, path: path + [key], keys: keys + [codingKey])
    }

    func item(_ index: Int) -> ProbeDecoder {
        ProbeDecoder(probe: probe, schema: schema?.items, path: path + ["[]"], keys: keys + [IndexKey(intValue: index)])
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        try expect("object")
        return KeyedDecodingContainer(ProbeKeyed<Key>(decoder: self))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try expect("array")
        return ProbeUnkeyed(decoder: self, count: probe.mode == .maximal ? 1 : 0)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { ProbeSingle(decoder: self) }

    // Made-up scalars, within what the schema allows.

    func string() throws -> String {
        try expect("string")
        if let first = schema?.enumValues.first?.stringValue { return first }
        return "x"
    }

    func integer<T: FixedWidthInteger>(_: T.Type) throws -> T {
        try expect("integer")
        return T(clamping: schema.map(SchemaDocument.value) ?? 1)
    }

    func floating<T: BinaryFloatingPoint>(_: T.Type) throws -> T {
        try expect("number")
        return 1.5
    }

    func bool() throws -> Bool {
        try expect("boolean")
        return true
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(intValue: Int) {
        self.intValue = intValue
        stringValue = "[\(intValue)]"
    }
    init?(stringValue: String) { return nil }
}

private struct ProbeKeyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let decoder: ProbeDecoder
    var codingPath: [any CodingKey] { decoder.keys }

    /// Map keys: one entry (`*`) for maps and free-form objects, the declared ones for structs.
    var allKeys: [Key] {
        guard decoder.probe.mode == .maximal else { return [] }
        if let s = decoder.schema, !s.properties.isEmpty { return s.properties.keys.sorted().compactMap(Key.init(stringValue:)) }
        return [Key(stringValue: "key")].compactMap { $0 }
    }

    func contains(_ key: Key) -> Bool { decoder.probe.mode == .maximal }
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        decoder.probe.noteRead(decoder.path + [key.stringValue])
        return try T(from: decoder.child(key.stringValue, codingKey: key))
    }

    /// An optional field the type cannot take a made-up value for is noted, not fatal, so one
    /// run reports every such field.
    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard contains(key) else { return nil }
        do {
            return try decode(type, forKey: key)
        } catch let e as DecodingError {
            decoder.probe.note("\(dotted(decoder.path + [key.stringValue])): the Swift type rejects a value the CRD schema allows (\(e.fieldMessage))")
            return nil
        }
    }


    // The primitive requirements, all through the generic paths above.
    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try value(type, key) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try value(type, key) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try value(type, key) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try value(type, key) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try value(type, key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try value(type, key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try value(type, key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try value(type, key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try value(type, key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try value(type, key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try value(type, key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try value(type, key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try value(type, key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try value(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try optional(type, key) }
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try optional(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try optional(type, key) }
    func decodeIfPresent(_ type: Float.Type, forKey key: Key) throws -> Float? { try optional(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try optional(type, key) }
    func decodeIfPresent(_ type: Int8.Type, forKey key: Key) throws -> Int8? { try optional(type, key) }
    func decodeIfPresent(_ type: Int16.Type, forKey key: Key) throws -> Int16? { try optional(type, key) }
    func decodeIfPresent(_ type: Int32.Type, forKey key: Key) throws -> Int32? { try optional(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt.Type, forKey key: Key) throws -> UInt? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt8.Type, forKey key: Key) throws -> UInt8? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt16.Type, forKey key: Key) throws -> UInt16? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt32.Type, forKey key: Key) throws -> UInt32? { try optional(type, key) }
    func decodeIfPresent(_ type: UInt64.Type, forKey key: Key) throws -> UInt64? { try optional(type, key) }

    private func value<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T { try decode(type, forKey: key) }
    private func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? { try decodeIfPresent(type, forKey: key) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
        decoder.probe.noteRead(decoder.path + [key.stringValue])
        return try decoder.child(key.stringValue, codingKey: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        decoder.probe.noteRead(decoder.path + [key.stringValue])
        return try decoder.child(key.stringValue, codingKey: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { decoder }
    func superDecoder(forKey key: Key) throws -> any Decoder { decoder.child(key.stringValue, codingKey: key) }
}

private struct ProbeUnkeyed: UnkeyedDecodingContainer {
    let decoder: ProbeDecoder
    let count: Int?
    var currentIndex = 0

    init(decoder: ProbeDecoder, count: Int) {
        self.decoder = decoder
        self.count = count
    }

    var codingPath: [any CodingKey] { decoder.keys }
    var isAtEnd: Bool { currentIndex >= (count ?? 0) }

    mutating func decodeNil() throws -> Bool { false }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let d = decoder.item(currentIndex)
        currentIndex += 1
        return try T(from: d)
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type) }

    private mutating func next<T: Decodable>(_ type: T.Type) throws -> T { try decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
        let d = decoder.item(currentIndex)
        currentIndex += 1
        return try d.container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        let d = decoder.item(currentIndex)
        currentIndex += 1
        return try d.unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { decoder.item(currentIndex) }
}

private struct ProbeSingle: SingleValueDecodingContainer {
    let decoder: ProbeDecoder
    var codingPath: [any CodingKey] { decoder.keys }

    func decodeNil() -> Bool { false }
    func decode(_ type: Bool.Type) throws -> Bool { try decoder.bool() }
    func decode(_ type: String.Type) throws -> String { try decoder.string() }
    func decode(_ type: Double.Type) throws -> Double { try decoder.floating(type) }
    func decode(_ type: Float.Type) throws -> Float { try decoder.floating(type) }
    func decode(_ type: Int.Type) throws -> Int { try decoder.integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try decoder.integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try decoder.integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try decoder.integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try decoder.integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try decoder.integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try decoder.integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try decoder.integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try decoder.integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try decoder.integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: decoder) }
}
