import AsyncTopModel

/// Applies an action to the view state: the only place the dashboard's state changes.
///
/// Builds the task list and evaluates the lints of `snapshot`; a runner that keeps a
/// ``TaskList`` and a ``LintReport`` across frames calls ``reduce(_:_:list:lints:)`` instead.
/// - Returns: The new state and what the world should do about it.
public func reduce(_ state: ViewState, _ action: Action, _ snapshot: Snapshot) -> (ViewState, Effect) {
    reduce(state, action, list: TaskList(snapshot: snapshot, options: state.listOptions))
}

/// Applies an action to the view state, with the task list already built for it; evaluates
/// the lints of its snapshot.
public func reduce(_ state: ViewState, _ action: Action, list: TaskList) -> (ViewState, Effect) {
    reduce(state, action, list: list, lints: LintReport(snapshot: list.snapshot, thresholds: state.lintThresholds))
}

/// Applies an action to the view state, with the task list and the lints of its snapshot.
public func reduce(_ state: ViewState, _ action: Action, list: TaskList, lints: LintReport) -> (ViewState, Effect) {
    var reducer = Reducer(state: state, list: list, lints: lints)
    let effect = reducer.apply(action)
    return (reducer.state, effect)
}

/// The reducer's working copy of the state, with one method per concern.
struct Reducer {
    var state: ViewState
    let list: TaskList
    let lints: LintReport

    mutating func apply(_ action: Action) -> Effect {
        if case .resize(let rows, _) = action {
            let layout = Layout(rows: rows)
            state.pageSize = max(1, layout.taskRows)
            state.lintPageSize = layout.lintRows
            state.resourcePageSize = layout.lintRows
            return .none
        }
        if case .cancelAnswered(let task, let answer) = action {
            // Keeps the prompt and pane: the answer may come while the user does something else.
            state.status = answer.message(task: task)
            return .none
        }
        // Keeps the status: a refresh is no command of the user's.
        if action == .refreshed {
            state.lintHistory.record(at: list.snapshot.takenAt, count: lints.count)
            return requestStacks()
        }
        state.status = nil
        if let prompt = state.prompt { return applyPrompt(prompt, action) }
        if let why = state.unavailable[action] {
            state.status = why
            return .none
        }
        switch action {
        case .quit: return .quit
        case .togglePause: state.isPaused.toggle()
        case .showHelp: toggle(.help)
        case .showDemos: toggle(.demos)
        case .showExecutors: toggle(.executors)
        case .showLoop: toggle(.loop)
        case .showResources: toggle(.resources)
        case .showLints:
            toggle(.lints)
            return requestStacks()
        case .toggleWhere:
            state.showsWhere.toggle()
            return requestStacks()
        case .toggleAllFrames: state.display.allFrames.toggle()
        default:
            switch state.pane {
            case .tasks: return applyTasks(action)
            case .details: applyDetails(action)
            case .demos: return applyDemos(action)
            case .lints: applyLints(action)
            case .resources: applyResources(action)
            case .executors, .loop, .help: if action == .back { state.pane = .tasks }
            }
        }
        return .none
    }

    private mutating func toggle(_ pane: Pane) {
        state.pane = state.pane == pane ? .tasks : pane
    }

    private mutating func applyTasks(_ action: Action) -> Effect {
        switch action {
        case .moveUp: move(by: -1)
        case .moveDown: move(by: 1)
        case .pageUp: move(by: -state.pageSize)
        case .pageDown: move(by: state.pageSize)
        case .top: select(row: 0)
        case .bottom: select(row: list.rows.count - 1)
        case .activate:
            if let id = selectedTask?.id {
                state.pane = .details(id)
                state.detailsScroll = 0
                return requestStacks()
            }
        case .toggleTree: state.layout = state.layout == .tree ? .flat : .tree
        case .expand: if let id = selectedTask?.id { state.collapsed.remove(id) }
        case .collapse:
            if let row = state.selectionRow(in: list), list.rows[row].hasChildren {
                state.collapsed.insert(list.task(at: row).id)
            }
        case .cycleFilter: state.filter = state.filter.next
        case .nextSort: state.sort.column = state.sort.column.next
        case .invertSort: state.sort.ascending.toggle()
        case .startSearch: state.prompt = .search(query: "", origin: selectedTask?.id)
        case .nextMatch: searchAgain(forward: true)
        case .previousMatch: searchAgain(forward: false)
        case .cancelSelected: askToCancel()
        default: break
        }
        return .none
    }

    private mutating func applyDetails(_ action: Action) {
        switch action {
        case .back, .activate: state.pane = .tasks
        case .moveUp: state.detailsScroll = max(0, state.detailsScroll - 1)
        case .moveDown: state.detailsScroll += 1
        case .pageUp: state.detailsScroll = max(0, state.detailsScroll - state.pageSize)
        case .pageDown: state.detailsScroll += state.pageSize
        case .top: state.detailsScroll = 0
        case .cancelSelected: askToCancel()
        default: break
        }
    }

    private mutating func applyDemos(_ action: Action) -> Effect {
        let count = state.demos.count
        switch action {
        case .moveUp: state.demoSelection = max(0, state.demoSelection - 1)
        case .moveDown: state.demoSelection = min(max(0, count - 1), state.demoSelection + 1)
        case .back: state.pane = .tasks
        case .activate where state.demoSelection < count:
            let name = state.demos[state.demoSelection].name
            state.pane = .tasks
            state.status = "launched demo \(name)"
            return .launchDemo(name)
        default: break
        }
        return .none
    }

    private mutating func applyLints(_ action: Action) {
        let row = state.lintSelectionRow(in: lints) ?? 0
        switch action {
        case .moveUp: selectLint(row: row - 1)
        case .moveDown: selectLint(row: row + 1)
        case .pageUp: selectLint(row: row - state.lintPageSize)
        case .pageDown: selectLint(row: row + state.lintPageSize)
        case .top: selectLint(row: 0)
        case .bottom: selectLint(row: lints.count - 1)
        case .activate: goToSelectedLint()
        case .back: state.pane = .tasks
        case .cancelSelected:
            // The lint's first task: the stubborn one, the one whose error went untaken.
            let id = state.lintSelectionRow(in: lints).flatMap { lints.lints[$0].tasks.first }
            if let id { askToCancel(list.snapshot.task(id)) } else { state.status = "this lint names no task" }
        default: break
        }
    }

    /// Selects a lint row (clamped) and scrolls just enough to keep it on screen.
    private mutating func selectLint(row: Int) {
        guard !lints.isEmpty else { return }
        let row = min(max(0, row), lints.count - 1)
        state.lintSelectedRow = row
        state.lintSelectedID = lints.lints[row].id
        if row < state.lintScrollTop { state.lintScrollTop = row }
        if row >= state.lintScrollTop + state.lintPageSize { state.lintScrollTop = row - state.lintPageSize + 1 }
    }

    /// Shows the selected lint's first task in the task list.
    private mutating func goToSelectedLint() {
        guard let row = state.lintSelectionRow(in: lints) else { return }
        guard let id = lints.lints[row].tasks.first else {
            state.status = "this lint names no task"
            return
        }
        goToTask(id)
    }

    private mutating func applyResources(_ action: Action) {
        let resources = ResourceList(snapshot: list.snapshot)
        let row = state.resourceSelectionRow(in: resources) ?? 0
        switch action {
        case .moveUp: selectResource(row: row - 1, in: resources)
        case .moveDown: selectResource(row: row + 1, in: resources)
        case .pageUp: selectResource(row: row - state.resourcePageSize, in: resources)
        case .pageDown: selectResource(row: row + state.resourcePageSize, in: resources)
        case .top: selectResource(row: 0, in: resources)
        case .bottom: selectResource(row: resources.count - 1, in: resources)
        case .activate:
            // The task waiting on it (the reader of a socket, the first in a lock's line),
            // else the one holding it.
            guard let row = state.resourceSelectionRow(in: resources) else { return }
            let resource = resources.resources[row]
            if let id = resource.waiters.first ?? resource.holders.first {
                goToTask(id)
            } else {
                state.status = "no task holds or waits on \(resource.title)"
            }
        case .back: state.pane = .tasks
        default: break
        }
    }

    /// Selects a resource row (clamped) and scrolls just enough to keep it on screen.
    private mutating func selectResource(row: Int, in resources: ResourceList) {
        guard !resources.isEmpty else { return }
        let row = min(max(0, row), resources.count - 1)
        state.resourceSelectedRow = row
        state.resourceSelectedKey = ResourceList.key(resources.resources[row])
        if row < state.resourceScrollTop { state.resourceScrollTop = row }
        if row >= state.resourceScrollTop + state.resourcePageSize {
            state.resourceScrollTop = row - state.resourcePageSize + 1
        }
    }

    /// Shows a task in the task list: selected, its ancestors unfolded in tree mode, the
    /// filter cleared if it hid the task, scrolled into view.
    private mutating func goToTask(_ id: TaskID) {
        let tasks = list.snapshot.tasks
        guard let index = TaskForest.index(of: id, in: tasks) else {
            state.status = "task \(id) is no longer in the snapshot"
            return
        }
        if state.layout == .tree {
            // Parent links can form a cycle in a bad snapshot: stop after every task once.
            var ancestor = Int(list.forest.parent[index]), steps = 0
            while ancestor >= 0 && steps < tasks.count {
                state.collapsed.remove(tasks[ancestor].id)
                ancestor = Int(list.forest.parent[ancestor])
                steps += 1
            }
        }
        var target = state.listOptions == list.options ? list : TaskList(snapshot: list.snapshot, options: state.listOptions)
        if target.row(of: id) == nil && state.filter != .all {
            state.filter = .all
            state.status = "filter reset to all to show task \(id)"
            target = TaskList(snapshot: list.snapshot, options: state.listOptions)
        }
        guard let taskRow = target.row(of: id) else { return }
        state.pane = .tasks
        state.selectedID = id
        state.selectedRow = taskRow
        // Off screen, it lands mid-page, with its neighbours (its parent, often) in view.
        if taskRow < state.scrollTop || taskRow >= state.scrollTop + state.pageSize {
            state.scrollTop = max(0, taskRow - state.pageSize / 2)
        }
    }

    private mutating func applyPrompt(_ prompt: Prompt, _ action: Action) -> Effect {
        switch prompt {
        case .search(let query, let origin):
            switch action {
            case .insert(let c): search(query + String(c), origin: origin)
            case .deleteBackward: search(String(query.dropLast()), origin: origin)
            case .activate:
                state.prompt = nil
                if !query.isEmpty { state.lastSearch = query }
            case .back:
                state.prompt = nil
                state.selectedID = origin
            default: break
            }
        case .confirmCancel(let task, let message):
            switch action {
            case .insert(let c): state.prompt = .confirmCancel(task: task, message: message + String(c))
            case .deleteBackward: state.prompt = .confirmCancel(task: task, message: String(message.dropLast()))
            case .activate:
                // The source's answer (``Action/cancelAnswered(task:answer:)``) replaces this.
                state.prompt = nil
                state.status = "cancelling task \(task)\u{2026}"
                return .cancelTask(task, message: message.isEmpty ? nil : message)
            case .back:
                state.prompt = nil
                state.status = "cancel aborted"
            default: break
            }
        }
        return .none
    }

    /// Asks for the stacks shown and still missing: the task in the details, while the
    /// WHERE column shows the task rows on screen, and in the lints view the lints' tasks; those suspended or waiting to start, each
    /// suspension once (``ViewState/stackRequests``), all in one effect.
    private mutating func requestStacks() -> Effect {
        guard state.unavailable[.toggleWhere] == nil else { return .none }
        let snapshot = list.snapshot
        // Suspensions that are over (the task moved on or left) need no memo.
        if !state.stackRequests.isEmpty {
            state.stackRequests = state.stackRequests.filter { snapshot.task($0.task)?.stateSince == $0.since }
        }
        var shown: [TaskInfo] = []
        if case .details(let id) = state.pane, let task = snapshot.task(id) { shown.append(task) }
        if state.showsWhere && (state.pane == .tasks || state.pane == .demos) && !list.rows.isEmpty {
            let top = TaskTableView.firstVisibleRow(scrollTop: state.scrollTop, selected: state.selectionRow(in: list),
                                                    count: list.rows.count, visible: state.pageSize)
            shown += (top..<min(list.rows.count, top + state.pageSize)).map(list.task(at:))
        }
        // The lints say where their tasks wait once those stacks are known.
        if state.pane == .lints {
            shown += lints.lints.flatMap(\.tasks).prefix(64).compactMap { snapshot.task($0) }
        }
        var ids: [TaskID] = []
        for task in shown where task.stack == nil && (task.state.kind == .suspended || task.state.kind == .pending) {
            if state.stackRequests.insert(StackRequest(task: task.id, since: task.stateSince)).inserted { ids.append(task.id) }
        }
        return ids.isEmpty ? .none : .requestStacks(ids)
    }

    /// Opens the confirmation for the selected task, unless it has already finished.
    private mutating func askToCancel() {
        if case .details(let id) = state.pane { askToCancel(list.snapshot.task(id)) } else { askToCancel(selectedTask) }
    }

    /// Native children (`async let`, group children) get no dialog: only their parent's
    /// cancellation reaches them, and the loop would refuse.
    private mutating func askToCancel(_ task: TaskInfo?) {
        guard let task else { return }
        if task.state.isFinished {
            state.status = "task \(task.id) has already finished"
        } else if task.origin == .asyncLet || task.origin == .groupChild {
            state.status = "task \(task.id) is \(task.origin == .asyncLet ? "an async let" : "a group child"): "
                + "it cannot be cancelled by itself; cancel its parent"
        } else {
            state.prompt = .confirmCancel(task: task.id, message: "")
        }
    }

    /// Selects the first row from the origin on (wrapping) whose name contains `query`.
    private mutating func search(_ query: String, origin: TaskID?) {
        state.prompt = .search(query: query, origin: origin)
        guard !query.isEmpty else { return }
        if !findMatch(of: query, from: origin.flatMap(list.row(of:)) ?? 0, forward: true) {
            state.status = "no match for \"\(query)\""
        }
    }

    /// `n` and `N`: the next or previous row (wrapping) matching the last search.
    private mutating func searchAgain(forward: Bool) {
        guard let query = state.lastSearch else {
            state.status = "no search yet: / searches by name"
            return
        }
        let current = state.selectionRow(in: list) ?? (forward ? -1 : 0)
        if !findMatch(of: query, from: current + (forward ? 1 : -1), forward: forward) {
            state.status = "no match for \"\(query)\""
        } else if state.selectionRow(in: list) == current {
            state.status = "only one match for \"\(query)\""
        }
    }

    /// Selects the first row from `start` (wrapping, either way) whose name contains `query`.
    /// - Returns: Whether one did.
    private mutating func findMatch(of query: String, from start: Int, forward: Bool) -> Bool {
        let count = list.rows.count
        guard count > 0 else { return false }
        let needle = query.lowercased()
        for step in 0..<count {
            let row = ((start + (forward ? step : -step)) % count + count) % count
            if list.task(at: row).displayName.lowercased().contains(needle) {
                select(row: row)
                return true
            }
        }
        return false
    }

    private var selectedTask: TaskInfo? {
        state.selectionRow(in: list).map(list.task(at:))
    }

    private mutating func move(by delta: Int) {
        select(row: (state.selectionRow(in: list) ?? 0) + delta)
    }

    /// Selects a row (clamped) and scrolls just enough to keep it on screen.
    private mutating func select(row: Int) {
        guard !list.rows.isEmpty else { return }
        let row = min(max(0, row), list.rows.count - 1)
        state.selectedRow = row
        state.selectedID = list.task(at: row).id
        if row < state.scrollTop { state.scrollTop = row }
        if row >= state.scrollTop + state.pageSize { state.scrollTop = row - state.pageSize + 1 }
    }
}
