#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// State behind a pthread mutex, for the primitives: what `Synchronization.Mutex` gives, in
/// a form ThreadSanitizer sees. On Linux, `Mutex` locks with futex system calls inside the
/// uninstrumented standard library, so TSan takes every access it guards for a race and the
/// real races drown among them; it intercepts `pthread_mutex_lock`.
///
/// Decide under the lock, resume continuations after leaving it.
@usableFromInline
final class Locked<State>: @unchecked Sendable {
    @usableFromInline let mutex: UnsafeMutablePointer<pthread_mutex_t>
    // Only touched with `mutex` held.
    @usableFromInline var state: State

    @usableFromInline
    init(_ state: State) {
        self.state = state
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    /// Runs `body` with the state, holding the lock.
    @inlinable
    func withLock<R>(_ body: (inout State) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&state)
    }
}
