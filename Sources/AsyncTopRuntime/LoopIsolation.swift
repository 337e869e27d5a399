/// The serial-executor side of an ``EventLoop``: the executor of the actors isolated to the
/// loop. Its jobs go to the loop's queue like a task's, tagged, and run isolated to it, so
/// that the compiler's checks and `assumeIsolated` know the loop's thread as the actor's.
///
/// A separate object rather than the loop itself: the runtime runs a job isolated only
/// when it came in for an actor, and telling the two apart by the executor they were
/// enqueued on costs nothing, while running every task job isolated cost about twice the
/// time.
final class LoopIsolation: SerialExecutor, @unchecked Sendable {
    /// Set once, when the loop is made (the loop owns this object and outlives its actors,
    /// each of which holds the loop).
    unowned(unsafe) var loop: EventLoop!

    /// Made anew at each use (it only wraps the pointer): a lazy property would be
    /// initialized by whichever thread came first, racing the others.
    var reference: UnownedSerialExecutor { UnownedSerialExecutor(ordinary: self) }

    func enqueue(_ job: consuming ExecutorJob) {
        loop.enqueue(UnownedJob(job), isolated: true)
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor { reference }

    func checkIsolated() {
        precondition(loop.isOnLoopThread, "not on the thread of event loop \(loop.name), which this code is isolated to")
    }
}

/// An event loop is also a serial executor: actors isolated to it (``LoopActor``,
/// ``MainLoopActor``) run on its thread, between its tasks' steps, as everything in
/// asyncio runs on its loop's thread. State that only such actors and the loop's tasks
/// touch needs no lock, and the compiler checks it.
extension EventLoop: SerialExecutor {
    public func asUnownedSerialExecutor() -> UnownedSerialExecutor { isolation.reference }

    /// Stops the program unless called on the loop's thread: `assumeIsolated` calls it.
    public func checkIsolated() { isolation.checkIsolated() }
}

/// An actor whose code runs on an event loop's thread: asyncio's single-threaded model,
/// checked by the compiler.
///
/// ```swift
/// actor Inventory: LoopActor {
///     let loop: EventLoop
///     var items: [String: Int] = [:]
///     init(loop: EventLoop) { self.loop = loop }
///     func add(_ name: String) { items[name, default: 0] += 1 }
/// }
/// ```
///
/// A loop task calls its methods with `await`, as any actor's, and they run on the loop's
/// thread; a task elsewhere hops to the loop and back. The loop keeps running the actor's
/// jobs while it runs (`run`, `runUntilComplete`, `runForever`); jobs sent to a loop that
/// is not running wait until it runs.
public protocol LoopActor: Actor {
    /// The loop this actor is isolated to.
    nonisolated var loop: EventLoop { get }
}

extension LoopActor {
    public nonisolated var unownedExecutor: UnownedSerialExecutor { loop.asUnownedSerialExecutor() }
}

extension EventLoop {
    /// The program's main loop, named "main": the loop ``MainLoopActor`` code runs on.
    /// Made on first use and never closed; run it with `EventLoop.run(on: .main) { … }`.
    public static let main = EventLoop(name: "main")
}

/// A global actor for the program's main loop (``EventLoop/main``): what is marked
/// `@MainLoopActor` runs on that loop's thread, as `@MainActor` code runs on the main
/// thread.
///
/// ```swift
/// @MainLoopActor var served = 0
///
/// try await EventLoop.run(on: .main) { @MainLoopActor in
///     served += 1
/// }
/// ```
@globalActor
public actor MainLoopActor {
    public static let shared = MainLoopActor()

    public nonisolated var unownedExecutor: UnownedSerialExecutor { EventLoop.main.asUnownedSerialExecutor() }
}
