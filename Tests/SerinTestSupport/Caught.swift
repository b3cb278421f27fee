/// The error of type `E` that `body` throws; nil when it throws nothing or another error.
/// For async bodies: `#expect(throws:)` cannot take a hoisted async closure (it wants a
/// `sending` result), and a closure literal inside `#expect` is miscompiled by Swift 6.3.1,
/// so tests write `let e = await caught(E.self) { … }` and then `#expect(e != nil)`.
public func caught<E: Error, R>(_ type: E.Type, _ body: () async throws -> R) async -> E? {
    do {
        _ = try await body()
        return nil
    } catch let e as E {
        return e
    } catch {
        return nil
    }
}
