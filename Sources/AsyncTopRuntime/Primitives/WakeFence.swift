import AsyncTopSync

/// A lock a woken waiter takes once more, empty-handed: its waker changed the state and
/// released this lock before resuming it, so ThreadSanitizer then sees those writes (and the
/// caller's, such as data guarded by a ``Lock``) happen before the waiter goes on. The
/// runtime's own hand-off of a continuation resumed before it was awaited is not visible to
/// TSan. Costs one uncontended lock per wake.
@usableFromInline
protocol WakeFence: AnyObject, Sendable {
    func fence()
}

extension Locked: WakeFence {}
