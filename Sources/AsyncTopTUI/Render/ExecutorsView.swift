import AsyncTopModel

/// The executors pane: every worker and what it runs, every waiting item in order.
struct ExecutorsView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let body = context.layout.bodyRows
        var row = body.lowerBound
        for line in lines() where row < body.upperBound {
            screen.put(line, at: (row, 1), maxCol: context.cols - 1)
            row += 1
        }
    }

    func lines() -> [[Span]] {
        let theme = context.theme, now = context.snapshot.takenAt
        func since(_ t: Nanos) -> String { now > t ? formatDuration(now - t) : "0ns" }
        var lines: [[Span]] = [[Span("Executors", theme.label)]]
        if context.snapshot.executors.isEmpty { lines.append([Span("No executors reported.", theme.dim)]) }
        for executor in context.snapshot.executors {
            var title = [
                Span(executor.name, theme.value), Span(" (\(executor.kind.rawValue))"),
                Span("  workers ", theme.label), Span("\(executor.busyWorkers)/\(executor.workers.count) busy"),
                Span("  queue ", theme.label), Span("\(executor.queueDepth)"),
            ]
            // How long its work waited for a worker (for the loop: its jobs' scheduling latency).
            if let wait = executor.waitHistogram, !wait.isEmpty {
                title += [Span("  waited ", theme.label),
                          Span("p50 \(formatDuration(wait.p50))  p99 \(formatDuration(wait.p99))  max \(formatDuration(wait.max))  n \(wait.count)")]
            }
            lines.append(title)
            for worker in executor.workers {
                guard let item = worker.item else {
                    lines.append([Span("  \(worker.name)  "), Span("idle", theme.dim)])
                    continue
                }
                var text = "  \(worker.name)  running item \(item)"
                if let label = worker.label { text += " \(label)" }
                if let task = worker.awaitingTask { text += " for task \(task)" }
                var line = [Span(text)]
                if worker.orphaned {
                    // The await was cancelled; the call runs on for no one.
                    let owner = worker.awaitingTask.map { id in
                        "task \(id)" + (context.snapshot.task(id).map { " \($0.displayName)" } ?? "")
                    } ?? "its task"
                    line += [Span("  \(context.glyphs.lint) orphaned", theme.lint(.warning)),
                             Span(": \(owner) stopped waiting (cancelled)", theme.warning)]
                }
                line.append(Span(worker.since.map { "  for \(since($0))" } ?? "", theme.dim))
                lines.append(line)
            }
            for (n, queued) in executor.queue.enumerated() {
                var text = "  \(n + 1). item \(queued.item)"
                if let task = queued.task { text += " task \(task)" }
                if let label = queued.label { text += " \(label)" }
                lines.append([Span(text), Span("  waiting \(since(queued.enqueuedAt))", theme.dim)])
            }
            if executor.queueDepth > executor.queue.count {
                lines.append([Span("  … \(executor.queueDepth - executor.queue.count) more waiting", theme.dim)])
            }
            if executor.kind == .loop { lines += descriptors() }
        }
        return lines
    }

    /// The loop's registered descriptors, under the loop: kind and name, the task waiting on
    /// each and how, bytes and idle time (the resource's own detail).
    private func descriptors() -> [[Span]] {
        let io = ResourceList(snapshot: context.snapshot).resources.filter { ResourceList.isIO($0.kind) }
        guard !io.isEmpty else { return [] }
        var lines: [[Span]] = [[Span("  descriptors ", context.theme.label), Span("\(io.count)")]]
        for resource in io {
            let waiting = resource.waiters.map { id in
                "\(context.snapshot.task(id)?.displayName ?? "task") (\(id))"
            }.joined(separator: ", ")
            lines.append([Span("  \(resource.kind) \(resource.name ?? "#\(resource.id)")"),
                          Span(waiting.isEmpty ? "" : "  ← \(waiting)"),
                          Span(resource.detail.isEmpty ? "" : "  \(resource.detail)", context.theme.dim)])
        }
        return lines
    }
}
