import KubeCore
import Synchronization

/// What the HTTP router and the in-process API share: options, store, faults and the
/// background tasks (bookmarks, workload simulator).
final class ServerCore: Sendable {
    let options: TestAPIServer.Options
    let token: String
    let store: ObjectStore
    let faults: FaultInjector
    let audit = RequestAudit()
    let access = AccessPolicy()
    private let tasks = Mutex<[Task<Void, Never>]>([])

    init(options: TestAPIServer.Options, token: String) {
        self.options = options
        self.token = token
        let store = ObjectStore(historyLimit: options.historyLimit)
        self.store = store
        self.faults = FaultInjector(closeWatches: { store.closeAllWatches() }, forgetHistory: { store.forgetHistory() })
    }

    func startBackgroundWork(api: any KubeAPI) {
        let interval = options.bookmarkInterval
        let store = self.store
        let bookmarks = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                store.sendBookmarks()
            }
        }
        tasks.withLock { $0.append(bookmarks) }
    }

    func stopBackgroundWork() async {
        faults.stop()
        let all = tasks.withLock { t in
            let copy = t
            t.removeAll()
            return copy
        }
        for t in all { t.cancel() }
        for t in all { await t.value }
    }
}
