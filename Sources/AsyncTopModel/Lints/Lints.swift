/// A problem a snapshot shows: what kind, which tasks, in a sentence.
public struct Lint: Hashable, Sendable, Identifiable {
    public enum Kind: String, Hashable, Sendable, CaseIterable {
        /// A step held the loop longer than the threshold (`TaskInfo.maxStep`): asyncio's
        /// "Executing <Task> took 0.3 seconds".
        case longStep = "long-step"
        /// A cancellation was requested and the task had not seen it (no await threw, it did
        /// not end) after the threshold: a busy loop that never suspends where it can be
        /// cancelled.
        case cancelNotAcknowledged = "cancel-not-acknowledged"
        /// A task asked to cancel finished normally: it caught the cancellation and carried on.
        case cancelSwallowed = "cancel-swallowed"
        /// Executor work runs on after the task awaiting it was cancelled.
        case orphanedWork = "orphaned-work"
        /// A spawned task failed and no one took its error within the threshold: asyncio's
        /// "Task exception was never retrieved".
        case errorNeverRetrieved = "error-never-retrieved"
        /// Tasks that can only wake one another (a cycle of the wait-for graph).
        case deadlock
        /// A task has waited longer than the threshold to read from a socket or pipe, and no
        /// time-out (`waitFor`, `withTimeout`) around it will ever end the wait: a peer that
        /// never answers hangs it for good.
        case readWithoutTimeout = "read-without-timeout"

        /// A short title for lists: "long step", "deadlock".
        public var title: String { rawValue.split(separator: "-").joined(separator: " ") }
    }

    public var kind: Kind
    /// The tasks concerned; the first is the one to look at.
    public var tasks: [TaskID]
    /// Resources in it (a deadlock's locks), by id.
    public var resources: [UInt64]
    public var message: String
    /// Loop time the problem began (the long step's task start, the request, the failure).
    public var since: Nanos?

    public init(kind: Kind, tasks: [TaskID], resources: [UInt64] = [], message: String, since: Nanos? = nil) {
        self.kind = kind
        self.tasks = tasks
        self.resources = resources
        self.message = message
        self.since = since
    }

    /// Stable across snapshots while the same problem lasts: its kind and its tasks.
    public var id: String { "\(kind.rawValue) \(tasks.map(String.init).joined(separator: ","))" }
}

/// The limits the lints use.
public struct LintThresholds: Hashable, Sendable {
    /// A step longer than this held the loop too long (asyncio's `slow_callback_duration`).
    public var longStep: Nanos
    /// A cancellation not seen after this long is not acknowledged.
    public var cancelAcknowledge: Nanos
    /// A failed task whose error no one took for this long has an error never retrieved.
    public var errorRetrieve: Nanos
    /// A read waiting this long with no time-out around it is a read-without-timeout.
    public var ioRead: Nanos

    public init(longStep: Nanos = 100_000_000, cancelAcknowledge: Nanos = 1_000_000_000,
                errorRetrieve: Nanos = 1_000_000_000, ioRead: Nanos = 10_000_000_000) {
        self.longStep = longStep
        self.cancelAcknowledge = cancelAcknowledge
        self.errorRetrieve = errorRetrieve
        self.ioRead = ioRead
    }

    /// The time-based thresholds divided by `speed`, for a demo run faster than real time,
    /// whose sleeps and blocking calls are all divided by it: every one, the long step too.
    public func scaled(bySpeed speed: Double) -> LintThresholds {
        var scaled = self
        scaled.longStep = Nanos(Double(longStep) / speed)
        scaled.cancelAcknowledge = Nanos(Double(cancelAcknowledge) / speed)
        scaled.errorRetrieve = Nanos(Double(errorRetrieve) / speed)
        scaled.ioRead = Nanos(Double(ioRead) / speed)
        return scaled
    }
}

/// Pure checks over a snapshot, so they work alike in-process, attached and in replays.
public enum Lints {
    /// The lints `snapshot` shows: per task in id order (long step, cancellation, error),
    /// then orphaned executor work, then each deadlock.
    public static func evaluate(_ snapshot: Snapshot, _ thresholds: LintThresholds = LintThresholds()) -> [Lint] {
        var lints: [Lint] = []
        let now = snapshot.takenAt
        func who(_ id: TaskID) -> String { snapshot.task(id).map { "\($0.displayName) (\(id))" } ?? "task \(id)" }
        /// " at Bank.swift:41": where the task waits, when its stack was captured.
        func whereAt(_ task: TaskInfo?) -> String { task?.stack?.innermost?.location.map { " at \($0)" } ?? "" }
        func asker(_ requester: CancelRequester) -> String {
            if case .task(let id) = requester { return who(id) }
            return requester.description
        }
        // One walk over the tasks, gathering what the deadlock search needs on the way: with
        // 100,000 tasks, each walk costs more than all the checks.
        var waits = WaitScan(capacity: snapshot.tasks.count)
        for (index, task) in snapshot.tasks.enumerated() {
            waits.add(task, at: index)
            // Formatted only for a task that has a lint: most have none.
            var name: String { "\(task.displayName) (\(task.id))" }
            if task.maxStep > thresholds.longStep {
                lints.append(Lint(kind: .longStep, tasks: [task.id],
                                  message: "\(name) held the loop for \(formatDuration(task.maxStep)) in one step"
                                    + (task.stack?.innermost?.location.map { " (now waiting at \($0))" } ?? ""),
                                  since: task.startedAt))
            }
            if let cancel = task.cancel {
                let acknowledged = cancel.deliveredAt ?? task.finishedAt
                let waited = (acknowledged ?? now) &- cancel.requestedAt
                if waited > thresholds.cancelAcknowledge && waited < Nanos.max / 2 {
                    let text = acknowledged == nil
                        ? "\(name) has not acknowledged the cancel asked by \(asker(cancel.requestedBy)) \(formatDuration(waited)) ago"
                            + (task.stack?.innermost?.location.map { "; it waits at \($0)" } ?? "")
                        : "\(name) acknowledged the cancel asked by \(asker(cancel.requestedBy)) only after \(formatDuration(waited))"
                    lints.append(Lint(kind: .cancelNotAcknowledged, tasks: [task.id], message: text, since: cancel.requestedAt))
                }
                if cancel.outcome == .swallowed {
                    let saw = cancel.deliveredIn.map { "caught it in \($0)" } ?? "never saw it"
                    lints.append(Lint(kind: .cancelSwallowed, tasks: [task.id],
                                      message: "\(name) was cancelled by \(asker(cancel.requestedBy)), \(saw) and returned normally",
                                      since: cancel.requestedAt))
                }
            }
            if task.state.kind == .failed, task.origin == .spawned, task.retrievedAt == nil,
               let failedAt = task.finishedAt, now &- failedAt > thresholds.errorRetrieve, now >= failedAt {
                let error = task.state.detail.map { ": \($0)" } ?? ""
                lints.append(Lint(kind: .errorNeverRetrieved, tasks: [task.id],
                                  message: "\(name) failed \(formatDuration(now - failedAt)) ago and no one took its error\(error)",
                                  since: failedAt))
            }
        }
        lints += unboundedReads(snapshot, thresholds, who: who)
        for executor in snapshot.executors {
            // Orphaned work has an awaiting task, whose await was cancelled. Executors are
            // shared between loops: only work this snapshot's tasks awaited counts.
            for worker in executor.workers where worker.orphaned {
                guard let owner = worker.awaitingTask, snapshot.task(owner) != nil else { continue }
                let work = worker.label.map { "'\($0)'" } ?? "work item \(worker.item.map(String.init) ?? "?")"
                lints.append(Lint(kind: .orphanedWork, tasks: [owner],
                                  message: "\(worker.name) of \(executor.name) runs \(work) on for \(who(owner)), whose await was cancelled",
                                  since: worker.since))
            }
        }
        let cycles = WaitForGraph.cycles(in: snapshot, waits)
        // Resources by id for the deadlocks' messages: `snapshot.resource(_:)` is a scan.
        let resourcesByID = cycles.isEmpty ? [:] : Dictionary(snapshot.resources.map { ($0.id, $0) }) { first, _ in first }
        for cycle in cycles {
            let tasks = cycle.compactMap { if case .task(let id) = $0 { id } else { nil } }
            guard !tasks.isEmpty else { continue }
            let resources = cycle.compactMap { if case .resource(let id) = $0 { id } else { nil } }
            // "left (3) waits on Lock second at Bank.swift:41, held by right (4), which waits on
            // Lock first at Bank.swift:57, held by left (3)" (the places when stacks were captured)
            var text = ""
            for (index, node) in cycle.enumerated() {
                let next = cycle[(index + 1) % cycle.count]
                switch node {
                case .task(let id):
                    if index > 0 { text += ", which " } else { text += "\(who(id)) " }
                    if case .resource = next { text += "waits on " } else { text += "awaits " }
                case .resource(let id):
                    let waiter = cycle[(index + cycle.count - 1) % cycle.count]
                    let at = if case .task(let waiterID) = waiter { whereAt(snapshot.task(waiterID)) } else { "" }
                    text += "\(resourcesByID[id]?.title ?? "resource #\(id)")\(at), held by "
                }
                if case .task(let id) = next {
                    text += who(id)
                    if case .task(let awaiter) = node { text += whereAt(snapshot.task(awaiter)) }
                }
            }
            lints.append(Lint(kind: .deadlock, tasks: tasks, resources: resources, message: text))
        }
        return lints
    }
}

extension Lints {
    /// The waits of a read from a socket or pipe, as the loop names them.
    static let readOperations: Set<String> = ["read", "readline", "readexactly", "readuntil"]

    /// Tasks waiting to read for longer than the threshold with no time-out that will end
    /// the wait: none on the task, nor on the tasks whose structured child it is (a time-out
    /// cancels a task group or `async let` with its children).
    static func unboundedReads(_ snapshot: Snapshot, _ thresholds: LintThresholds,
                               who: (TaskID) -> String) -> [Lint] {
        var lints: [Lint] = []
        let now = snapshot.takenAt
        for task in snapshot.tasks {
            guard case .suspended(.resource(let kind, let resource, let name)) = task.state,
                  readOperations.contains(kind), now >= task.stateSince,
                  now - task.stateSince > thresholds.ioRead else { continue }
            var bounded = false
            var current: TaskInfo? = task
            var hops = 0
            while let link = current, hops < 64 {
                if link.deadline != nil { bounded = true; break }
                guard link.origin == .asyncLet || link.origin == .groupChild, let parent = link.parentID else { break }
                current = snapshot.task(parent)
                hops += 1
            }
            guard !bounded else { continue }
            let what = name ?? "resource #\(resource)"
            lints.append(Lint(kind: .readWithoutTimeout, tasks: [task.id], resources: [resource],
                              message: "\(who(task.id)) has waited \(formatDuration(now - task.stateSince)) in \(kind) "
                                + "on \(what) with no timeout around it",
                              since: task.stateSince))
        }
        return lints
    }
}
