/// A value behind a pthread mutex, for state many threads reach at once (the registries
/// every snapshot reads).
///
/// `Synchronization.Mutex` hands a contended lock over inside the toolchain's prebuilt
/// library, where ThreadSanitizer cannot see it, and then reports races that are not
/// there; a pthread mutex it sees.
final class LockedValue<Value>: @unchecked Sendable {
    private let lock = ConditionLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
