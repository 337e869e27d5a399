import AsyncTopModel
import Testing
@testable import AsyncTopRuntime

/// The primitives' state machines alone: events in, actions out. Continuations are labels.
@Suite struct PrimitiveStateMachineTests {
    /// What a `park` answered: parked, resumed at once, or failed at once.
    enum Parked: Equatable {
        case parked, resumed, failed(String)

        init(_ answer: Result<Void, any Error>?) {
            switch answer {
            case nil: self = .parked
            case .success?: self = .resumed
            case .failure(let error)?: self = .failed("\(type(of: error))")
            }
        }
    }

    static let cancelled = Parked.failed("CancellationError")

    func token(_ action: ArrivalAction) -> UInt64? {
        if case .suspend(let token) = action { token } else { nil }
    }

    // MARK: Waiters

    @Test func waitersKeepArrivalOrderWhenOneInTheMiddleLeaves() throws {
        var waiters = Waiters<String>()
        let tokens = (0..<4).map { _ in waiters.makeToken() }
        for (i, token) in tokens.enumerated() {
            #expect(Parked(waiters.enqueue("w\(i)", token: token, task: TaskID(10 + i), cancelled: false)) == .parked)
        }
        #expect(waiters.remove(tokens[1])?.continuation == "w1")
        #expect(waiters.remove(tokens[1]) == nil)
        #expect(waiters.tasks == [10, 12, 13] && waiters.count == 3)
        #expect(waiters.popFirst()?.continuation == "w0")
        #expect(waiters.remove(tokens[0]) == nil, "a woken waiter cannot be withdrawn")
        #expect(waiters.removeAll().map(\.continuation) == ["w2", "w3"])
        #expect(waiters.isEmpty && waiters.popFirst() == nil)
    }

    @Test func aCancelledTaskIsNotParked() {
        var waiters = Waiters<String>()
        let token = waiters.makeToken()
        #expect(Parked(waiters.enqueue("w", token: token, task: 1, cancelled: true)) == Self.cancelled)
        #expect(waiters.isEmpty && waiters.tasks.isEmpty)
    }

    @Test func withdrawnTokensDoNotPileUp() {
        var waiters = Waiters<Int>()
        var tokens: [UInt64] = []
        for i in 0..<10_000 {
            let token = waiters.makeToken()
            tokens.append(token)
            _ = waiters.enqueue(i, token: token, task: 1, cancelled: false)
        }
        // Every waiter but each hundredth withdraws, from the back: popFirst never passes them.
        for (i, token) in tokens.enumerated().reversed() where i % 100 != 0 {
            #expect(waiters.remove(token)?.continuation == i)
            #expect(waiters.arrivals.count <= max(16, 2 * waiters.count + 1))
        }
        #expect(waiters.count == 100 && waiters.arrivals.count <= 200)
        #expect(waiters.removeAll().map(\.continuation) == Array(stride(from: 0, to: 10_000, by: 100)))
    }

    // MARK: Lock

    @Test func lockHandsOverInFIFOOrder() throws {
        var lock = LockStateMachine<String>()
        #expect(lock.acquire(by: 1) == .proceed && lock.locked && lock.holder == 1)
        let second = try #require(token(lock.acquire(by: 2)))
        let third = try #require(token(lock.acquire(by: 3)))
        #expect(Parked(lock.park("c2", token: second, task: 2, cancelled: false)) == .parked)
        #expect(Parked(lock.park("c3", token: third, task: 3, cancelled: false)) == .parked)
        #expect(lock.waiters.tasks == [2, 3])

        guard case .resume("c2") = try lock.release(title: "Lock db") else { Issue.record("not handed to c2"); return }
        #expect(lock.locked && lock.holder == 2 && lock.waiters.tasks == [3])
        #expect(lock.withdraw(second) == nil, "handed over: the waiter passes the lock on itself")
        guard case .resume("c3") = try lock.release(title: "Lock db") else { Issue.record("not handed to c3"); return }
        guard case .unlocked = try lock.release(title: "Lock db") else { Issue.record("not unlocked"); return }
        #expect(!lock.locked && lock.holder == 0)
        #expect(throws: ToolkitError.lockNotHeld("Lock db")) { try lock.release(title: "Lock db") }
    }

    @Test func aWithdrawnLockWaiterNeverHoldsIt() throws {
        var lock = LockStateMachine<String>()
        _ = lock.acquire(by: 1)
        let waiter = try #require(token(lock.acquire(by: 2)))
        _ = lock.park("c2", token: waiter, task: 2, cancelled: false)
        #expect(lock.withdraw(waiter) == "c2")
        guard case .unlocked = try lock.release(title: "Lock db") else { Issue.record("handed to a withdrawn waiter"); return }
        #expect(!lock.locked && lock.waiters.isEmpty)
    }

    @Test func aLockFreedBeforeParkingIsTakenAtOnceAndACancelledParkFails() throws {
        var lock = LockStateMachine<String>()
        _ = lock.acquire(by: 1)
        let late = try #require(token(lock.acquire(by: 2)))
        let cancelled = try #require(token(lock.acquire(by: 3)))
        #expect(Parked(lock.park("c3", token: cancelled, task: 3, cancelled: true)) == Self.cancelled)
        _ = try lock.release(title: "Lock db")
        #expect(Parked(lock.park("c2", token: late, task: 2, cancelled: false)) == .resumed)
        #expect(lock.locked && lock.holder == 2 && lock.waiters.isEmpty)
    }

    // MARK: Semaphore

    @Test func semaphoreCountsPermitsAndTracksHolders() throws {
        var semaphore = SemaphoreStateMachine<String>(value: 2, bounded: false)
        #expect(semaphore.acquire(by: 1) == .proceed && semaphore.acquire(by: 2) == .proceed)
        #expect(semaphore.value == 0 && semaphore.holders == [1, 2])
        let waiter = try #require(token(semaphore.acquire(by: 3)))
        #expect(Parked(semaphore.park("c3", token: waiter, task: 3, cancelled: false)) == .parked)

        guard case .resume("c3") = try semaphore.release(by: 2, title: "Semaphore s") else { Issue.record("not handed to c3"); return }
        #expect(semaphore.value == 0 && semaphore.holders == [1, 3])
        // A release by a task holding nothing (another thread) takes out the earliest holder.
        guard case .returned = try semaphore.release(by: 0, title: "Semaphore s") else { Issue.record("not returned"); return }
        #expect(semaphore.value == 1 && semaphore.holders == [3])
        _ = try semaphore.release(by: 3, title: "Semaphore s")
        _ = try semaphore.release(by: 3, title: "Semaphore s")
        #expect(semaphore.value == 3 && semaphore.holders.isEmpty, "an unbounded semaphore grows")
    }

    @Test func aReleaseOffTheLoopTakesAPermitHeldOffTheLoopFirst() throws {
        var semaphore = SemaphoreStateMachine<String>(value: 3, bounded: false)
        _ = semaphore.acquire(by: 1)
        _ = semaphore.acquire(by: 0)
        _ = semaphore.acquire(by: 2)
        #expect(semaphore.holders == [1, 2] && semaphore.anonymousHolders == 1)
        _ = try semaphore.release(by: 0, title: "Semaphore s")
        #expect(semaphore.holders == [1, 2] && semaphore.anonymousHolders == 0, "the loop's holders stay shown")
        #expect(semaphore.acquire(by: 0) == .proceed)
        let waiter = try #require(token(semaphore.acquire(by: 0)))
        _ = semaphore.park("thread", token: waiter, task: 0, cancelled: false)
        guard case .resume("thread") = try semaphore.release(by: 2, title: "Semaphore s") else { Issue.record("not handed over"); return }
        #expect(semaphore.holders == [1] && semaphore.anonymousHolders == 2)
    }

    @Test func boundedSemaphoreRefusesOverReleaseAndWithdrawnWaitersGetNothing() throws {
        var semaphore = SemaphoreStateMachine<String>(value: 1, bounded: true)
        #expect(throws: ToolkitError.overReleased("BoundedSemaphore b")) {
            try semaphore.release(by: 1, title: "BoundedSemaphore b")
        }
        #expect(semaphore.acquire(by: 1) == .proceed)
        let waiter = try #require(token(semaphore.acquire(by: 2)))
        _ = semaphore.park("c2", token: waiter, task: 2, cancelled: false)
        #expect(semaphore.withdraw(waiter) == "c2")
        guard case .returned = try semaphore.release(by: 1, title: "BoundedSemaphore b") else { Issue.record("handed to a withdrawn waiter"); return }
        #expect(semaphore.value == 1 && semaphore.holders.isEmpty && semaphore.waiters.isEmpty)
    }

    // MARK: Event

    @Test func eventWakesEveryWaiterInOrderOnSet() throws {
        var event = EventStateMachine<String>()
        let first = try #require(token(event.wait()))
        let second = try #require(token(event.wait()))
        let third = try #require(token(event.wait()))
        _ = event.park("c1", token: first, task: 1, cancelled: false)
        _ = event.park("c2", token: second, task: 2, cancelled: false)
        _ = event.park("c3", token: third, task: 3, cancelled: false)
        #expect(event.withdraw(second) == "c2")
        #expect(event.set() == ["c1", "c3"])
        #expect(event.isSet && event.waiters.isEmpty && event.wait() == .proceed)
        event.clear()
        let late = try #require(token(event.wait()))
        #expect(event.set().isEmpty)
        #expect(Parked(event.park("c4", token: late, task: 4, cancelled: false)) == .resumed, "set before it parked")
    }

    // MARK: Condition

    @Test func conditionNotifiesTheLongestWaitingFirst() {
        var condition = ConditionStateMachine<String>()
        let tokens = (1...4).map { _ in condition.prepareWait() }
        for (i, token) in tokens.enumerated() {
            #expect(Parked(condition.park("c\(i + 1)", token: token, task: TaskID(i + 1), cancelled: false)) == .parked)
        }
        #expect(condition.withdraw(tokens[0]) == "c1")
        #expect(condition.notify(1) == ["c2"])
        #expect(condition.withdraw(tokens[1]) == nil, "notified: the waiter passes the notification on itself")
        #expect(condition.notify(5) == ["c3", "c4"])
        #expect(condition.notify(1).isEmpty && condition.notifyAll().isEmpty)
        let cancelled = condition.prepareWait()
        #expect(Parked(condition.park("c5", token: cancelled, task: 5, cancelled: true)) == Self.cancelled)
        #expect(condition.waiters.isEmpty)
    }

    // MARK: Queue

    @Test func fullQueueParksPuttersAndATakeFreesOne() throws {
        var queue = QueueStateMachine<Int, String>(maxsize: 1, order: .fifo, title: "Queue q")
        guard case .done(resume: nil) = try queue.offer(1) else { Issue.record("first offer"); return }
        guard case .suspend(let putter) = try queue.offer(2) else { Issue.record("a full queue took it"); return }
        #expect(Parked(queue.parkPutter("p", token: putter, task: 7, cancelled: false)) == .parked)
        #expect(queue.isFull && queue.putters.tasks == [7] && queue.unfinished == 1)
        guard case .item(1, resume: "p"?) = try queue.take() else { Issue.record("take did not free the putter"); return }
        #expect(queue.passOnSlot() == nil, "the slot went to the only putter")
        guard case .done(resume: nil) = try queue.offer(2) else { Issue.record("offer after a take"); return }
        #expect(queue.items == [2] && queue.unfinished == 2)
    }

    @Test func emptyQueueParksGettersAndAnOfferWakesOne() throws {
        var queue = QueueStateMachine<Int, String>(maxsize: 0, order: .fifo, title: "Queue q")
        guard case .suspend(let first) = try queue.take() else { Issue.record("an empty queue gave an item"); return }
        guard case .suspend(let second) = try queue.take() else { Issue.record("an empty queue gave an item"); return }
        _ = queue.parkGetter("g1", token: first, task: 1, cancelled: false)
        _ = queue.parkGetter("g2", token: second, task: 2, cancelled: false)
        guard case .done(resume: "g1"?) = try queue.offer(5) else { Issue.record("offer woke no getter"); return }
        // g1 was cancelled as it woke: the item goes to g2.
        #expect(queue.passOnItem() == "g2")
        #expect(queue.passOnItem() == nil && queue.withdrawGetter(second) == nil)
        guard case .item(5, resume: nil) = try queue.take() else { Issue.record("the item is lost"); return }
        let late = try #require({ if case .suspend(let token) = try queue.take() { token } else { nil } }())
        _ = try queue.offer(6)
        #expect(Parked(queue.parkGetter("g3", token: late, task: 3, cancelled: false)) == .resumed, "an item came before it parked")
    }

    @Test func queueOrders() throws {
        var lifo = QueueStateMachine<Int, String>(maxsize: 0, order: .lifo, title: "LifoQueue l")
        var priority = QueueStateMachine<Int, String>(maxsize: 0, order: .priority { $0 < $1 }, title: "PriorityQueue p")
        for item in [3, 1, 4, 1, 5, 9, 2, 6] {
            _ = try lifo.offer(item)
            _ = try priority.offer(item)
        }
        func drain(_ queue: inout QueueStateMachine<Int, String>) throws -> [Int] {
            var out: [Int] = []
            while case .item(let item, _) = try queue.take() { out.append(item) }
            return out
        }
        #expect(try drain(&lifo) == [6, 2, 9, 5, 1, 4, 1, 3])
        #expect(try drain(&priority) == [1, 1, 2, 3, 4, 5, 6, 9])
    }

    @Test func joinWaitsForEveryTaskDone() throws {
        var queue = QueueStateMachine<Int, String>(maxsize: 0, order: .fifo, title: "Queue q")
        #expect(queue.join() == .proceed)
        _ = try queue.offer(1)
        _ = try queue.offer(2)
        let joiner = try #require(token(queue.join()))
        let leaver = try #require(token(queue.join()))
        _ = queue.parkJoiner("j1", token: joiner, task: 1, cancelled: false)
        _ = queue.parkJoiner("j2", token: leaver, task: 2, cancelled: false)
        #expect(queue.withdrawJoiner(leaver) == "j2")
        #expect(try queue.taskDone().isEmpty)
        #expect(try queue.taskDone() == ["j1"])
        #expect(throws: ToolkitError.taskDoneTooManyTimes("Queue q")) { try queue.taskDone() }
    }

    @Test func shutdownFailsPuttersWakesGettersAndImmediateDropsItems() throws {
        var queue = QueueStateMachine<Int, String>(maxsize: 1, order: .fifo, title: "Queue q")
        _ = try queue.offer(1)
        guard case .suspend(let putter) = try queue.offer(2) else { Issue.record("a full queue took it"); return }
        _ = queue.parkPutter("p", token: putter, task: 1, cancelled: false)
        let joiner = try #require(token(queue.join()))
        _ = queue.parkJoiner("j", token: joiner, task: 2, cancelled: false)

        let action = queue.shutdown(immediate: true)
        #expect(action.putters == ["p"] && action.joiners == ["j"] && action.getters.isEmpty)
        #expect(queue.items.isEmpty && queue.unfinished == 0 && queue.isShutDown)
        #expect(throws: QueueShutDown(queue: "Queue q")) { try queue.offer(3) }
        #expect(throws: QueueShutDown(queue: "Queue q")) { try queue.take() }
        #expect(Parked(queue.parkPutter("late", token: 99, task: 3, cancelled: false)) == .failed("QueueShutDown"))
    }

    @Test func shutdownLeavesItemsToGetters() throws {
        var queue = QueueStateMachine<Int, String>(maxsize: 0, order: .fifo, title: "Queue q")
        guard case .suspend(let getter) = try queue.take() else { Issue.record("an empty queue gave an item"); return }
        _ = queue.parkGetter("g", token: getter, task: 1, cancelled: false)
        #expect(queue.shutdown(immediate: false).getters == ["g"])
        #expect(throws: QueueShutDown(queue: "Queue q")) { try queue.take() }
    }
}
