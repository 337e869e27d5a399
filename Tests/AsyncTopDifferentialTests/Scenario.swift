import Testing

/// A behaviour of asyncio, as a Python program in `python/<rawValue>.py` and its Swift twin.
enum Scenario: String, CaseIterable, CustomTestStringConvertible {
    case yieldOrder = "yield_order"
    case taskCancel = "task_cancel"
    case future
    case futureCallbackOrder = "future_callback_order"
    case gather
    case gatherReturnExceptions = "gather_return_exceptions"
    case gatherNestedCancel = "gather_nested_cancel"
    case gatherCancelCleanup = "gather_cancel_cleanup"
    case asCompletedTimeout = "as_completed_timeout"
    case waitModes = "wait_modes"
    case waitFor = "wait_for"
    case timeout
    case deadlineRaces = "deadline_races"
    case shield
    case taskGroup = "taskgroup"
    case taskGroupCancelsBody = "taskgroup_cancels_body"
    case lock
    case semaphore
    case condition
    case event
    case waiterCancellation = "waiter_cancellation"
    case wokenThenCancelled = "woken_then_cancelled"
    case queueBackpressure = "queue_backpressure"
    case queueShutdown = "queue_shutdown"
    case priorityLifoQueues = "priority_lifo_queues"
    case toThread = "to_thread"
    case executor
    case runCoroutineThreadsafe = "run_coroutine_threadsafe"
    case streams

    var testDescription: String { rawValue }

    /// True for a scenario whose Python program needs an asyncio newer than 3.11.
    var needsPython313: Bool { self == .queueShutdown }

    /// CPython's log as asynctop must log it: the same, but for the differences asynctop
    /// keeps on purpose, each mapped here with the reason.
    func kept(_ cpython: [String]) -> [String] {
        switch self {
        case .taskGroupCancelsBody:
            // asyncio cancels the task running the body of `async with TaskGroup()` when a
            // child fails, and takes the cancellation back (`uncancel`) when the group
            // exits. Swift cannot take a task's cancellation back: the task would stay
            // cancelled after the group, and its every later await would throw. So
            // `withLoopTaskGroup` leaves its body running; the children are cancelled and the
            // group throws the same error as asyncio's once the body returns.
            cpython.map { $0 == "body caught CancelledError" ? "body finished" : $0 }
        default:
            cpython
        }
    }

    /// Runs the Swift twin on the current loop, logging its events in `log`.
    func twin(_ log: EventLog) async throws {
        switch self {
        case .yieldOrder: try await LoopTwins.yieldOrder(log)
        case .taskCancel: try await LoopTwins.taskCancel(log)
        case .future: try await LoopTwins.future(log)
        case .futureCallbackOrder: try await LoopTwins.futureCallbackOrder(log)
        case .gather: try await CombinatorTwins.gather(log)
        case .gatherReturnExceptions: try await CombinatorTwins.gatherReturnExceptions(log)
        case .gatherNestedCancel: try await CombinatorTwins.gatherNestedCancel(log)
        case .gatherCancelCleanup: try await CombinatorTwins.gatherCancelCleanup(log)
        case .asCompletedTimeout: try await CombinatorTwins.asCompletedTimeout(log)
        case .waitModes: try await CombinatorTwins.waitModes(log)
        case .waitFor: try await CombinatorTwins.waitFor(log)
        case .timeout: try await CombinatorTwins.timeout(log)
        case .deadlineRaces: try await DeadlineTwins.races(log)
        case .shield: try await CombinatorTwins.shield(log)
        case .taskGroup: try await CombinatorTwins.taskGroup(log)
        case .taskGroupCancelsBody: try await CombinatorTwins.taskGroupCancelsBody(log)
        case .lock: try await PrimitiveTwins.lock(log)
        case .semaphore: try await PrimitiveTwins.semaphore(log)
        case .condition: try await PrimitiveTwins.condition(log)
        case .event: try await PrimitiveTwins.event(log)
        case .waiterCancellation: try await PrimitiveTwins.waiterCancellation(log)
        case .wokenThenCancelled: try await WokenThenCancelledTwins.run(log)
        case .queueBackpressure: try await QueueTwins.backpressure(log)
        case .queueShutdown: try await QueueTwins.shutdown(log)
        case .priorityLifoQueues: try await QueueTwins.priorityAndLifo(log)
        case .toThread: try await ThreadTwins.toThread(log)
        case .executor: try await ThreadTwins.executor(log)
        case .runCoroutineThreadsafe: try await ThreadTwins.runCoroutineThreadsafe(log)
        case .streams: try await StreamTwins.streams(log)
        }
    }
}
