import Foundation
import KubeCore
import KubeRuntime

/// glibc's heap counters, looked up at run time (malloc.h is not in the Glibc module).
enum Heap {
    private typealias MallocInfo = @convention(c) (Int32, UnsafeMutablePointer<FILE>?) -> Int32

    /// Bytes allocated and not freed: the heap glibc holds (`malloc_info`'s current system
    /// bytes, all arenas) minus its free chunks. Nil off glibc.
    static var inUse: Int? {
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_info") else { return nil }
        var buffer: UnsafeMutablePointer<CChar>?
        var size = 0
        guard let stream = open_memstream(&buffer, &size) else { return nil }
        let rc = unsafeBitCast(sym, to: MallocInfo.self)(0, stream)
        fclose(stream)
        defer { free(buffer) }
        guard rc == 0, let buffer else { return nil }
        return parse(String(cString: buffer))
    }

    /// The totals after the last `</heap>`: `<total type="fast|rest" size=…>` are free,
    /// `<system type="current" size=…>` is held, plus mmapped chunks (`<total type="mmap">`, in use).
    static func parse(_ xml: String) -> Int? {
        guard let tail = xml.range(of: "</heap>", options: .backwards).map({ xml[$0.upperBound...] }) else { return nil }
        func size(_ tag: String, _ type: String) -> Int {
            var total = 0
            var rest = tail[...]
            while let r = rest.range(of: "<\(tag) type=\"\(type)\"") {
                let after = rest[r.upperBound...]
                if let s = after.range(of: "size=\""), let e = after[s.upperBound...].firstIndex(of: "\"") {
                    total += Int(after[s.upperBound..<e]) ?? 0
                }
                rest = after
            }
            return total
        }
        let system = size("system", "current")
        let free = size("total", "fast") + size("total", "rest")
        return system - free + size("total", "mmap")
    }
}

/// How much heap the operator's informer caches need for the objects it watches: informers
/// like the operator's, run in this process over the in-process API, measured as heap growth
/// between before they start and after they synced.
enum CacheHeapProbe {
    static func measure(api: any KubeAPI, resources: [ResourceType]) async -> Int? {
        guard let before = Heap.inUse else { return nil }
        var informers: [Informer] = []
        for r in resources {
            // The Canary store carries the controller's target index, as in the operator.
            let indexers: [String: IndexFunction] = r == .canaries ? ["canary-target": { o in
                [o[path: ["spec", "targetRef", "name"]].stringValue.map { "\(o.namespace ?? "")/\($0)" }].compactMap { $0 }
            }] : [:]
            let informer = Informer(api: api, resource: r, options: InformerOptions(indexers: indexers))
            await informer.start()
            informers.append(informer)
        }
        for i in informers { _ = await i.waitForSync(timeout: .seconds(60)) }
        let after = Heap.inUse
        for i in informers { await i.stop() }
        return after.map { $0 - before }
    }
}
