import AsyncTopModel

/// A few lines under the task list: one per executor, with its busy workers and its queue.
struct ExecutorStripView {
    let context: RenderContext

    func draw(into screen: inout Screen) {
        let layout = context.layout
        guard layout.executorStripRows > 0 else { return }
        let executors = context.snapshot.executors
        let top = layout.executorStripTop
        let end = screen.put([Span("Executors", context.theme.label), Span("  (x for queues)", context.theme.dim)], at: (top, 1))
        // The latest line a demo said, on the rest of the title row.
        if let line = context.output.last, let text = line.detail {
            let who = line.task.map { " \(line.name ?? "task \($0)") (\($0))" } ?? ""
            screen.put([Span("   \(context.glyphs.said)\(who): ", context.theme.dim), Span(text)], at: (top, end),
                       maxCol: context.cols - 1)
        }
        let room = layout.executorStripRows - 1
        let fds = ResourceList.ioCount(in: context.snapshot)
        for (n, executor) in executors.prefix(room).enumerated() {
            if n == room - 1 && executors.count > room {
                screen.put("+\(executors.count - n) more", at: (top + 1 + n, 1), style: context.theme.dim)
                break
            }
            screen.put(Self.summary(executor, fds: fds, ellipsis: context.glyphs.ellipsis, width: context.cols - 2),
                       at: (top + 1 + n, 1))
        }
    }

    /// "pool (threads)  busy 2/4  queue 3: task 12, task 14, …"; the loop with the
    /// descriptors registered in it (`fds`, the I/O resources), when it has any: "main (loop)
    /// busy 1/1  fds 21  queue 0", before the queue's list so a long queue cannot hide it.
    static func summary(_ executor: ExecutorInfo, fds: Int = 0, ellipsis: Character, width: Int) -> String {
        var text = "\(executor.name) (\(executor.kind.rawValue))  busy \(executor.busyWorkers)/\(executor.workers.count)"
        if executor.kind == .loop && fds > 0 { text += "  fds \(fds)" }
        text += "  queue \(executor.queueDepth)"
        if !executor.queue.isEmpty {
            text += ": " + executor.queue.map { $0.task.map { "task \($0)" } ?? "item \($0.item)" }.joined(separator: ", ")
        }
        return text.truncated(to: width, ellipsis: ellipsis)
    }
}
