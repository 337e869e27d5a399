#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a `pthread_mutex_t`, with the interface of `Synchronization.Mutex`.
///
/// ThreadSanitizer does not see the standard library's `Mutex` on Linux: it locks with futex
/// system calls inside an uninstrumented library, so TSan takes every access it guards for
/// a race, and real races drown among them. It intercepts `pthread_mutex_lock`. The
/// primitives and the registries every snapshot reads use this lock always; built with
/// `-DASYNCTOP_TSAN`, every other module of ours names it `Mutex` too (see each module's
/// `Mutex+ThreadSanitizer.swift`), so the sanitizer checks one locking discipline throughout.
public final class Locked<Value>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    /// Only touched with `mutex` held.
    @usableFromInline nonisolated(unsafe) var value: Value

    public init(_ initialValue: consuming sending Value) {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        value = initialValue
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with the value, holding the lock.
    @inlinable
    public func withLock<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Runs `body` with the value if the lock is free now; nil when it is held.
    @inlinable
    public func withLockIfAvailable<Result, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result? {
        guard pthread_mutex_trylock(mutex) == 0 else { return nil }
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }

    /// Takes the lock and gives it back at once: after it, ThreadSanitizer sees what the last
    /// holder wrote as done before (a woken waiter's fence; see the runtime's `WakeFence`).
    @inlinable
    public func fence() {
        pthread_mutex_lock(mutex)
        pthread_mutex_unlock(mutex)
    }
}
