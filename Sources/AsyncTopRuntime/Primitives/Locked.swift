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

/// A lock a woken waiter takes once more, empty-handed: its waker changed the state and
/// released this lock before resuming it, so ThreadSanitizer then sees those writes (and the
/// caller's, such as data guarded by a ``Lock``) happen before the waiter goes on. The
/// runtime's own hand-off of a continuation resumed before it was awaited is not visible to
/// TSan. Costs one uncontended lock per wake.
@usableFromInline
protocol WakeFence: AnyObject, Sendable {
    func fence()
}

extension Locked: WakeFence {
    @inlinable
    func fence() {
        pthread_mutex_lock(mutex)
        pthread_mutex_unlock(mutex)
    }
}
