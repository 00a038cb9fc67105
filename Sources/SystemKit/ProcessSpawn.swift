#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CRUDPShim

/// `posix_spawn(3)` with the standard descriptors and signal state `ChildProcess` sets up.
enum ProcessSpawn {
    /// What one of the child's descriptors 0, 1 and 2 becomes.
    enum Descriptor {
        /// /dev/null, opened with these flags.
        case null(flags: Int32)
        /// A copy of this descriptor of ours (a pipe end).
        case copy(of: Int32)
        /// Ours, shared as it is.
        case inherited
    }

    /// Starts `path` with `arguments` (the program name is prepended) and our environment.
    ///
    /// SIGINT, SIGTERM and SIGPIPE start at their default dispositions and no signal is blocked,
    /// whatever ours are: a program that ignores SIGPIPE or blocks signals for its poll loop must
    /// not pass that on. With `ownProcessGroup` a terminal's Ctrl-C reaches only us, so that we
    /// stop the child in order instead of it dying half-way.
    ///
    /// With `deathSignal` (Linux), the child gets that signal when the calling thread ends,
    /// which our death does, SIGKILL included: it cannot outlive us (`crudp_spawn`).
    static func start(path: String, arguments: [String], descriptors: [Descriptor],
                      ownProcessGroup: Bool, deathSignal: Int32? = nil) throws(SystemError) -> pid_t {
        #if os(Linux)
        if let deathSignal {
            return try startDyingWithParent(path: path, arguments: arguments, descriptors: descriptors,
                                            ownProcessGroup: ownProcessGroup, deathSignal: deathSignal)
        }
        #endif
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t? = nil
        var attributes: posix_spawnattr_t? = nil
        #endif
        posix_spawn_file_actions_init(&actions)
        posix_spawnattr_init(&attributes)
        defer {
            posix_spawn_file_actions_destroy(&actions)
            posix_spawnattr_destroy(&attributes)
        }
        for (target, descriptor) in descriptors.enumerated() {
            switch descriptor {
            case .null(let flags): posix_spawn_file_actions_addopen(&actions, Int32(target), "/dev/null", flags, 0)
            case .copy(let source): posix_spawn_file_actions_adddup2(&actions, source, Int32(target))
            case .inherited: break
            }
        }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var noneBlocked = sigset_t()
        sigemptyset(&noneBlocked)
        posix_spawnattr_setsigmask(&attributes, &noneBlocked)
        var flags = POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
        if ownProcessGroup {
            posix_spawnattr_setpgroup(&attributes, 0)
            flags |= POSIX_SPAWN_SETPGROUP
        }
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw SystemError(errno: result, call: "posix_spawn") }
        return pid
    }

    #if os(Linux)
    private static func startDyingWithParent(path: String, arguments: [String], descriptors: [Descriptor],
                                             ownProcessGroup: Bool, deathSignal: Int32) throws(SystemError) -> pid_t {
        var sources: [Int32] = [-1, -1, -1]
        var nullFlags: [Int32] = [-1, -1, -1]
        for (target, descriptor) in descriptors.enumerated() where target < 3 {
            switch descriptor {
            case .null(let flags): nullFlags[target] = flags
            case .copy(let source): sources[target] = source
            case .inherited: break
            }
        }
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var error: Int32 = 0
        let pid = crudp_spawn(path, argv, environ, sources, nullFlags, ownProcessGroup ? 1 : 0, deathSignal, &error)
        guard pid > 0 else { throw SystemError(errno: error, call: "fork/exec") }
        return pid
    }
    #endif
}
