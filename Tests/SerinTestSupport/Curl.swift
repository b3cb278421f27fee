import Foundation

/// Runs the real `curl` with `args`, writing `stdin` to it, and returns what it printed: the
/// wire-level client the tests use where they must see the server's bytes as kubectl would.
public func runCurl(_ args: [String], stdin: String? = nil) async throws -> String {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<String, any Error>) in
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = args
        let outPipe = Pipe()
        let inPipe = Pipe()
        p.standardOutput = outPipe
        p.standardError = FileHandle.nullDevice
        p.standardInput = inPipe
        do { try p.run() } catch {
            c.resume(throwing: error)
            return
        }
        // Off the cooperative pool: the reads block until curl exits.
        Thread.detachNewThread {
            if let s = stdin { inPipe.fileHandleForWriting.write(Data(s.utf8)) }
            try? inPipe.fileHandleForWriting.close()
            let data = outPipe.fileHandleForReading.readDataToEndOfFile()
            p.waitUntilExit()
            c.resume(returning: String(decoding: data, as: UTF8.self))
        }
    }
}
