import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// How a command ended, and what it wrote (stdout and stderr interleaved, capped).
public struct CommandOutcome: Sendable, Hashable {
    public enum Ending: Sendable, Hashable {
        case exited(Int32)
        case signaled(Int32)
        /// Killed (with its whole process group) when the timeout passed.
        case timedOut
        case failedToStart(String)
    }

    public var ending: Ending
    /// The first `outputCap` bytes of the output.
    public var output: [UInt8]
    /// True when the command wrote more than the cap (the rest was read and dropped).
    public var truncated: Bool
    public var seconds: Double

    public var succeeded: Bool { ending == .exited(0) }
    public var text: String { String(decoding: output, as: UTF8.self) }

    /// "exit status 3", "killed by signal 9", "timed out after 2s", "could not start: …".
    public func describe(timeout: Double) -> String {
        switch ending {
        case .exited(let code): return "exit status \(code)"
        case .signaled(let s): return "killed by signal \(s)"
        case .timedOut: return "timed out after \(TesterDuration.format(timeout)), killed"
        case .failedToStart(let why): return "could not start: \(why)"
        }
    }
}

/// Runs a program without a shell (argv as given; PATH lookup for a bare name), in a process
/// group of its own so that a timeout kills everything it started. Output goes through one
/// pipe and is capped; reading continues past the cap so that the program never blocks on a
/// full pipe. Blocking work runs on a thread of its own, never on the caller's executor.
public enum CommandRunner {
    public static func run(_ argv: [String], timeout: Double, outputCap: Int = 64 << 10) async -> CommandOutcome {
        await withCheckedContinuation { (done: CheckedContinuation<CommandOutcome, Never>) in
            let thread = Thread {
                done.resume(returning: runBlocking(argv, timeout: timeout, outputCap: outputCap))
            }
            thread.name = "serin-tester-command"
            thread.start()
        }
    }

    static func runBlocking(_ argv: [String], timeout: Double, outputCap: Int) -> CommandOutcome {
        let start = Date()
        func elapsed() -> Double { Date().timeIntervalSince(start) }
        guard let program = argv.first, !program.isEmpty else {
            return CommandOutcome(ending: .failedToStart("empty command"), output: [], truncated: false, seconds: 0)
        }
        var fds: [Int32] = [-1, -1]
        // Close-on-exec from the start, so that no other child inherits our pipe (glibc's
        // pipe2 is not visible to Swift; the lock keeps our own spawns from racing the fcntl).
        let piped = spawnLock.withLock { () -> Bool in
            guard pipe(&fds) == 0 else { return false }
            _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
            _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
            return true
        }
        guard piped else {
            return CommandOutcome(ending: .failedToStart("pipe: \(errnoText())"), output: [], truncated: false, seconds: 0)
        }
        let readFD = fds[0], writeFD = fds[1]

        let spawned = spawnLock.withLock { spawn(argv, output: writeFD) }
        close(writeFD)
        let pid: pid_t
        switch spawned {
        case .failure(let why):
            close(readFD)
            return CommandOutcome(ending: .failedToStart(why.text), output: [], truncated: false, seconds: elapsed())
        case .success(let p):
            pid = p
        }

        var output: [UInt8] = []
        var truncated = false
        var buffer = [UInt8](repeating: 0, count: 16 << 10)
        var eof = false
        var exitedAt: Double?
        var killedAt: Double?
        var timedOut = false
        var termSentAt: Double?
        while true {
            let now = elapsed()
            if !eof {
                var pfd = pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)
                let r = poll(&pfd, 1, 50)
                if r > 0 {
                    let n = read(readFD, &buffer, buffer.count)
                    if n > 0 {
                        let room = max(0, outputCap - output.count)
                        if n > room { truncated = true }
                        output += buffer.prefix(min(n, room))
                    } else if n == 0 || (errno != EINTR && errno != EAGAIN) {
                        eof = true
                    }
                }
            } else {
                usleep(10_000)
            }
            // The leader's end, seen without reaping it (its pid, the group id, stays reserved).
            if exitedAt == nil, hasExited(pid) {
                exitedAt = now
                // Programs it left behind would hold the pipe open: end them too.
                kill(-pid, SIGKILL)
            }
            if exitedAt != nil, eof { break }
            if let e = exitedAt, now - e > 2 { break }  // output still open after the group was killed
            if exitedAt == nil, !timedOut, now >= timeout {
                timedOut = true
                termSentAt = now
                kill(-pid, SIGTERM)
            }
            if let t = termSentAt, killedAt == nil, now - t > 1 {
                killedAt = now
                kill(-pid, SIGKILL)
            }
            if let k = killedAt, now - k > 5 { break }  // cannot happen short of a stuck kernel
        }
        close(readFD)
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, 0) == pid
        let ending: CommandOutcome.Ending
        if timedOut {
            ending = .timedOut
        } else if !reaped {
            ending = .failedToStart("lost track of process \(pid)")
        } else if status & 0x7f == 0 {
            ending = .exited((status >> 8) & 0xff)
        } else {
            ending = .signaled(status & 0x7f)
        }
        return CommandOutcome(ending: ending, output: output, truncated: truncated, seconds: elapsed())
    }

    struct SpawnError: Error { var text: String }

    static let spawnLock = NSLock()

    /// posix_spawn with stdin from /dev/null, stdout and stderr to `output`, a new process
    /// group, and default signal handling (the server ignores SIGPIPE; its children must not).
    static func spawn(_ argv: [String], output: Int32) -> Result<pid_t, SpawnError> {
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attr = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t? = nil
        var attr: posix_spawnattr_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attr)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attr)
        }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, output, 1)
        posix_spawn_file_actions_adddup2(&actions, output, 2)
        var noMask = sigset_t()
        sigemptyset(&noMask)
        posix_spawnattr_setsigmask(&attr, &noMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setpgroup(&attr, 0)
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let cArgs: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var pid: pid_t = 0
        let rc = posix_spawnp(&pid, argv[0], &actions, &attr, cArgs, environ)
        if rc != 0 { return .failure(SpawnError(text: "\(argv[0]): \(String(cString: strerror(rc)))")) }
        return .success(pid)
    }

    /// Whether the process has ended, leaving it a zombie for `waitpid` to collect.
    static func hasExited(_ pid: pid_t) -> Bool {
        var info = siginfo_t()
        let r = waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT)
        #if os(Linux)
        return r == 0 && info._sifields._sigchld.si_pid == pid
        #else
        return r == 0 && info.si_pid == pid
        #endif
    }

    static func errnoText() -> String { String(cString: strerror(errno)) }
}
