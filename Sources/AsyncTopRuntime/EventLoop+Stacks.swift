import AsyncTopModel

/// What a request for async stacks found for one task.
public enum StackAnswer: Hashable, Sendable {
    /// Captured while the task was suspended, symbolicated off the loop.
    case stack(TaskStack)
    /// No stack, and why, in words for people ("running", "finished", "not started yet", …).
    case unavailable(String)

    /// Why there is none for an id the loop does not know.
    package static let noSuchTask = "no such task"
}

extension EventLoop {
    /// Captures the async stacks of suspended tasks: `ids`, or every suspended task when nil
    /// (with `minimumAge`, only those suspended for at least that many seconds, and at most
    /// `limit` of them). Safe from any thread; never waits.
    ///
    /// The walk runs on the loop's thread between two steps (about 20–100 ns a task), the
    /// symbolication on a thread of its own; each stack is then filed on its task, so later
    /// snapshots carry it as `TaskInfo.stack` until the task runs again. A task whose stack
    /// is still current is not walked again. `completion` gets each asked-for task's answer
    /// (only the captured ones when `ids` is nil), on any thread; an empty answer when the
    /// loop is closed or not instrumented.
    ///
    /// - Parameter walked: called on the loop's thread once the walk is done, before any
    ///   symbolication (the loop's part: how long that takes says whether the loop is stuck).
    public func captureStacks(of ids: [TaskID]? = nil, minimumAge: Double = 0, limit: Int = .max,
                              completion: (@Sendable ([TaskID: StackAnswer]) -> Void)? = nil,
                              walked: (@Sendable () -> Void)? = nil) {
        guard instrumented, !isClosedNow else {
            walked?()
            completion?([:])
            return
        }
        onLoop { loop in
            loop.captureStacksOnLoop(ids, minimumAge: minimumAge, limit: limit, walked: walked, completion: completion)
        }
    }

    /// How long a task must have been suspended for a recording to sample its stack.
    public static let stackSampleAge = 0.1
    /// The most stacks one sample walks (about 20–100 ns each on the loop's thread).
    public static let stackSampleLimit = 1_000

    /// Captures the stacks of tasks suspended for at least ``stackSampleAge`` that have none
    /// yet, at most ``stackSampleLimit`` of them: what a recording does before each frame, so
    /// that a replay shows where tasks waited. Never waits.
    public func sampleStacks() {
        // A loop between two runs would only pile the samples up until its next run.
        guard currentPhase == .running else { return }
        captureStacks(minimumAge: Self.stackSampleAge, limit: Self.stackSampleLimit)
    }

    /// The same, waiting for the answer.
    public func stacks(of ids: [TaskID]? = nil) async -> [TaskID: StackAnswer] {
        await withCheckedContinuation { continuation in
            captureStacks(of: ids) { continuation.resume(returning: $0) }
        }
    }

    private struct Walked: Sendable {
        var id: TaskID
        var stateSince: Nanos
        var addresses: [UInt]
        var cut: Bool
    }

    private func captureStacksOnLoop(_ ids: [TaskID]?, minimumAge: Double, limit: Int, walked walkedAll: (@Sendable () -> Void)?,
                                     completion: (@Sendable ([TaskID: StackAnswer]) -> Void)?) {
        let now = timeBase.now()
        let minimum = minimumAge.asNanos
        var answers: [TaskID: StackAnswer] = [:]
        var walked: [Walked] = []
        var code = CodeRanges()
        func visit(_ slot: Slot) {
            let record = registry[slot]
            if let stack = record.currentStack {
                answers[record.id] = Self.answer(stack)
                return
            }
            switch record.state {
            case .running:
                answers[record.id] = .unavailable("running")
                return
            case .done, .failed, .cancelled:
                answers[record.id] = .unavailable("finished")
                return
            case .pending, .suspended:
                break
            }
            // A task that cannot be read gets a stack without frames that says why, so that
            // it is not asked for again during this suspension.
            func refuse(_ why: String) {
                answers[record.id] = .unavailable(why)
                registry.noteStack(slot, TaskStack(frames: [], capturedAt: now, problem: why))
            }
            guard let object = record.object else {
                return refuse(readsTaskStatus ? "not started yet" : "not supported by this Swift runtime")
            }
            switch RuntimeInternals.captureStack(ofTask: object, safeReads: record.away, code: &code) {
            case .addresses(let addresses, let cut):
                walked.append(Walked(id: record.id, stateSince: record.stateSince, addresses: addresses, cut: cut))
            case .unavailable(let why):
                refuse(record.away && why == "running" ? "running on another executor" : why)
            }
        }
        if let ids {
            for id in ids {
                if let slot = registry.slot(of: id) { visit(slot) } else { answers[id] = .unavailable(StackAnswer.noSuchTask) }
            }
        } else {
            var taken = 0
            registry.forEachSlot { slot in
                guard taken < limit else { return }
                let record = registry[slot]
                guard record.state == .suspended, now &- record.stateSince >= minimum, record.object != nil else { return }
                if let stack = record.currentStack {
                    answers[record.id] = Self.answer(stack)
                    return
                }
                taken += 1
                visit(slot)
            }
            answers = answers.filter { if case .stack = $0.value { return true } else { return false } }
        }
        walkedAll?()
        guard !walked.isEmpty else {
            completion?(answers)
            return
        }
        let capturedAt = now
        let known = answers, walks = walked
        @Sendable func stacks(_ results: [(frames: [StackFrame], problem: String?)]) -> [(Walked, TaskStack)] {
            zip(walks, results).map { walk, result in
                var problem = result.problem
                if walk.cut { problem = [problem, "cut at \(RuntimeInternals.stackFrameLimit) frames"].compactMap { $0 }.joined(separator: "; ") }
                return (walk, TaskStack(frames: result.frames, capturedAt: capturedAt, problem: problem))
            }
        }
        // Every address seen before (the usual case: a program has few await sites): no trip
        // to the symbolicator's thread.
        if let results = StackSymbolicator.shared.symbolicateIfKnown(walks.map(\.addresses)) {
            var answers = known
            for (walk, stack) in stacks(results) {
                answers[walk.id] = .stack(stack)
                file(stack, for: walk.id, suspendedSince: walk.stateSince)
            }
            completion?(answers)
            return
        }
        StackSymbolicator.shared.symbolicate(walks.map(\.addresses)) { [weak self] results in
            var answers = known
            let stacks = stacks(results)
            for (walk, stack) in stacks { answers[walk.id] = .stack(stack) }
            guard let self, !self.isClosedNow else {
                completion?(answers)
                return
            }
            let filed = stacks, answered = answers
            self.onLoop { loop in
                for (walk, stack) in filed { loop.file(stack, for: walk.id, suspendedSince: walk.stateSince) }
                completion?(answered)
            }
        }
    }

    /// A filed stack as an answer: one without frames says why it has none.
    private static func answer(_ stack: TaskStack) -> StackAnswer {
        stack.frames.isEmpty ? .unavailable(stack.problem ?? "no frames") : .stack(stack)
    }

    /// Keeps a stack on its task's record while the suspension it was taken in goes on.
    private func file(_ stack: TaskStack, for id: TaskID, suspendedSince: Nanos) {
        guard let slot = registry.slot(of: id), registry[slot].stateSince == suspendedSince,
              registry[slot].state == .suspended || registry[slot].state == .pending else { return }
        registry.noteStack(slot, stack)
    }
}
