import AsyncTopModel

/// Every field of one task: state, timing, where it waits (its stack) and where it was
/// spawned, cancellation provenance, history, children.
struct DetailsView {
    let context: RenderContext
    let id: TaskID

    func draw(into screen: inout Screen) {
        let body = context.layout.bodyRows
        let all = lines()
        let scroll = min(context.state.detailsScroll, max(0, all.count - body.count))
        for (offset, line) in all.dropFirst(scroll).prefix(body.count).enumerated() {
            screen.put(line, at: (body.lowerBound + offset, 1), maxCol: context.cols - 1)
        }
    }

    func lines() -> [[Span]] {
        let theme = context.theme
        guard let task = context.snapshot.task(id) else {
            return [[Span("Task \(id) is no longer in the snapshot.", theme.warning)]]
        }
        func field(_ name: String, _ value: String, _ style: Style = .plain) -> [Span] {
            [Span("  " + name.padded(to: 14, ellipsis: context.glyphs.ellipsis), theme.label), Span(value, style)]
        }
        let parent = task.parentID.map { pid in "\(pid)" + (context.snapshot.task(pid).map { " \($0.displayName)" } ?? "") }
        var lines: [[Span]] = [
            [Span("Task \(task.id) ", theme.value), Span(task.displayName, theme.value)],
            field("state", context.stateLabel(task) + "  " + task.state.description, theme.state(task.state.kind)),
            field("parent", parent ?? "none"),
            field("origin", task.origin.rawValue),
            field("executor", task.executor),
            field("created", formatSeconds(task.createdAt)),
            field("finished", task.finishedAt.map(formatSeconds) ?? "not yet"),
            field("age", formatDuration(context.age(of: task))),
            field("steps", "\(task.steps)  busy \(formatDuration(task.busy))"),
            field("step time", "last \(formatDuration(task.lastStep))  max \(formatDuration(task.maxStep))"),
            field("latency", "last \(formatDuration(task.lastLatency))  max \(formatDuration(task.maxLatency))"),
        ]
        if case .suspended(let target) = task.state {
            let now = context.snapshot.takenAt
            lines.append(field("waiting on", target.description + " for " + formatDuration(now &- min(now, task.stateSince))))
            // What the resource says of itself: a socket's bytes in and out and idle time, a
            // semaphore's permits, a queue's items.
            if case .resource(_, let id, _) = target, let resource = context.snapshot.resource(id), !resource.detail.isEmpty {
                lines.append(field("", "\(resource.kind): \(resource.detail)"))
            }
        }
        lines.append([])
        lines += stack(task)
        let lints = lints(task)
        if !lints.isEmpty { lines += [[]] + lints }
        let said = said(task)
        if !said.isEmpty { lines += [[]] + said }
        let histograms = histograms(task)
        if !histograms.isEmpty { lines += [[]] + histograms }
        lines.append([])
        lines += cancellation(task)
        lines.append([])
        lines += history(task)
        lines.append([])
        lines += children(task)
        return lines
    }

    /// Where the task waits, innermost frame first, and where it was spawned; the runtime's
    /// frames only with ``DisplayOptions/allFrames``. A long stack is cut to leave room for
    /// the rest of the details.
    private func stack(_ task: TaskInfo) -> [[Span]] {
        let theme = context.theme, ellipsis = context.glyphs.ellipsis
        var lines: [[Span]] = []
        let spawned = task.site.map { [[Span("  spawned at ", theme.dim), Span($0)]] } ?? []
        guard let stack = task.stack else {
            let why: String
            if let unavailable = context.state.unavailable[.toggleWhere] {
                why = unavailable
            } else {
                switch task.state.kind {
                case .suspended, .pending: why = context.state.missingStackNote ?? "capturing\(ellipsis)"
                case .running: why = "none while it runs: a stack is read while the task is suspended"
                case .done, .failed, .cancelled: why = "none: the task has finished (\(task.state.kind.rawValue))"
                }
            }
            return [[Span("Stack ", theme.label), Span(why, theme.dim)]] + spawned
        }
        let frames = stack.frames(all: context.state.display.allFrames)
        let hidden = stack.frames.count - frames.count
        var title = [Span("Stack", theme.label), Span(" captured at \(formatSeconds(stack.capturedAt))", theme.dim)]
        if hidden > 0 {
            title.append(Span("  \(hidden) runtime \(hidden == 1 ? "frame" : "frames") hidden (a shows all)", theme.dim))
        }
        lines.append(title)
        // Room for the title, the cut line and the spawn site, and a few lines of the rest.
        let room = max(3, context.layout.bodyRows.count - 8)
        let shown = frames.count > room ? room - 1 : frames.count
        for frame in frames.prefix(shown) {
            var line = [Span("  at ", theme.dim), Span(frame.function, frame.isRuntime ? theme.dim : theme.value)]
            if let location = frame.location { line.append(Span(" (\(location))")) }
            if frame.inlined == true { line.append(Span(" inlined", theme.dim)) }
            lines.append(line)
        }
        if shown < frames.count {
            let more = frames.count - shown
            lines.append([Span("  \(ellipsis) \(more) more \(more == 1 ? "frame" : "frames")", theme.dim)])
        }
        if frames.isEmpty && stack.problem == nil { lines.append([Span("  no frames", theme.dim)]) }
        if let problem = stack.problem { lines.append([Span("  \(context.glyphs.lint) \(problem)", theme.warning)]) }
        return lines + spawned
    }

    /// The task's step times and scheduling latencies, summed up and as a bar per bucket;
    /// nothing for a task without them (an older peer or recording).
    private func histograms(_ task: TaskInfo) -> [[Span]] {
        var lines: [[Span]] = []
        for (name, histogram) in [("Step times", task.stepHistogram), ("Latencies", task.latencyHistogram)] {
            guard let histogram, !histogram.isEmpty else { continue }
            let view = HistogramView(name: name, histogram: histogram, context: context)
            lines += view.summary(width: context.cols - 2) + view.bars(width: min(context.cols - 2, 70), rows: 12)
        }
        return lines
    }

    /// The last lines the task said (a demo's output), with their times; nothing when none.
    private func said(_ task: TaskInfo) -> [[Span]] {
        let lines = context.output.filter { $0.task == task.id }.suffix(5)
        guard !lines.isEmpty else { return [] }
        return [[Span("Said", context.theme.label)]] + lines.map { line in
            [Span("  " + formatSeconds(line.at).padded(to: 10, ellipsis: context.glyphs.ellipsis), context.theme.dim),
             Span(line.detail ?? "")]
        }
    }

    /// The messages of the lints naming the task, wrapped; nothing when none does.
    private func lints(_ task: TaskInfo) -> [[Span]] {
        let theme = context.theme
        let lints = context.lints.lints(of: task.id)
        guard !lints.isEmpty else { return [] }
        var lines: [[Span]] = [[Span("Lints", theme.label), Span(" (\(lints.count))")]]
        for lint in lints {
            let style = theme.lint(lint.kind.severity)
            lines.append([Span("  \(context.glyphs.lint) ", style), Span(lint.kind.title, style)])
            for line in wordWrap(lint.message, width: max(10, context.cols - 8)) {
                lines.append([Span("    " + line)])
            }
        }
        return lines
    }

    private func cancellation(_ task: TaskInfo) -> [[Span]] {
        let theme = context.theme
        func field(_ name: String, _ value: String) -> [Span] {
            [Span("  " + name.padded(to: 14, ellipsis: context.glyphs.ellipsis), theme.label), Span(value)]
        }
        let shielded = task.shieldedBy.map { ids in [field("shielded by", ids.map { "task \($0)" }.joined(separator: ", "))] } ?? []
        guard let cancel = task.cancel else {
            return [[Span("Cancellation ", theme.label), Span("not requested", theme.dim)]] + shielded
        }
        let delivered = cancel.deliveredAt.map { "at \(formatSeconds($0))" + (cancel.deliveredIn.map { " in \($0)" } ?? "") }
        return [
            [Span("Cancellation", theme.label)],
            field("requested by", cancel.requestedBy.description),
            field("requested at", formatSeconds(cancel.requestedAt)),
            field("message", cancel.message.map { "\"\($0)\"" } ?? "none"),
            field("delivered", delivered ?? "not yet"),
            field("outcome", cancel.outcome.rawValue),
        ] + shielded
    }

    private func history(_ task: TaskInfo) -> [[Span]] {
        let theme = context.theme
        var lines: [[Span]] = [[Span("History", theme.label)]]
        let timeline = task.timeline
        // The dropped transitions came just before the first one kept, which follows the
        // creation and the first start.
        var gapAt: Int?
        if task.historyDropped > 0 {
            let lead = task.startedAt == nil ? 1 : 2
            gapAt = task.history.first.flatMap { first in timeline.indices.dropFirst(lead).first { timeline[$0] == first } }
                ?? min(lead, timeline.count)
        }
        for (index, transition) in timeline.enumerated() {
            if index == gapAt { lines.append(droppedLine(task.historyDropped)) }
            let kind = transition.state
            lines.append([
                Span("  " + formatSeconds(transition.at).padded(to: 10, ellipsis: context.glyphs.ellipsis, alignRight: true)),
                Span("  \(context.glyphs.state(kind)) \(kind.rawValue)", theme.state(kind)),
                Span(transition.detail.map { "  \($0)" } ?? "", theme.dim),
            ])
        }
        if let gapAt, gapAt >= timeline.count { lines.append(droppedLine(task.historyDropped)) }
        return lines
    }

    /// "… 10505 earlier transitions not kept": where the history was cut to stay bounded.
    private func droppedLine(_ count: Int) -> [Span] {
        [Span("  \(context.glyphs.ellipsis) \(count) earlier \(count == 1 ? "transition" : "transitions") not kept",
              context.theme.warning)]
    }

    private func children(_ task: TaskInfo) -> [[Span]] {
        let kids = context.list.children(of: task.id)
        var lines: [[Span]] = [[Span("Children", context.theme.label), Span(" (\(kids.count))")]]
        for child in kids {
            lines.append([
                Span("  \(child.id)".padded(to: 9, ellipsis: context.glyphs.ellipsis)),
                Span(context.stateLabel(child).padded(to: 13, ellipsis: context.glyphs.ellipsis),
                     context.theme.state(child.state.kind)),
                Span(child.displayName),
            ])
        }
        return lines
    }
}
