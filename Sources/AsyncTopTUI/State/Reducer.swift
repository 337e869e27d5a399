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
            return .none
        }
        state.status = nil
        if let prompt = state.prompt { return applyPrompt(prompt, action) }
        switch action {
        case .quit: return .quit
        case .togglePause: state.isPaused.toggle()
        case .showHelp: toggle(.help)
        case .showDemos: toggle(.demos)
        case .showExecutors: toggle(.executors)
        case .showLints: toggle(.lints)
        default:
            switch state.pane {
            case .tasks: return applyTasks(action)
            case .details: applyDetails(action)
            case .demos: return applyDemos(action)
            case .lints: applyLints(action)
            case .executors, .help: if action == .back { state.pane = .tasks }
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

    /// Shows the selected lint's first task in the task list: selected, its ancestors
    /// unfolded in tree mode, the filter cleared if it hid the task, scrolled into view.
    private mutating func goToSelectedLint() {
        guard let row = state.lintSelectionRow(in: lints) else { return }
        let lint = lints.lints[row]
        guard let id = lint.tasks.first else {
            state.status = "this lint names no task"
            return
        }
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
            case .activate: state.prompt = nil
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
                state.prompt = nil
                state.status = "cancel requested for task \(task)"
                return .cancelTask(task, message: message.isEmpty ? nil : message)
            case .back:
                state.prompt = nil
                state.status = "cancel aborted"
            default: break
            }
        }
        return .none
    }

    /// Opens the confirmation for the selected task, unless it has already finished.
    private mutating func askToCancel() {
        if case .details(let id) = state.pane { askToCancel(list.snapshot.task(id)) } else { askToCancel(selectedTask) }
    }

    private mutating func askToCancel(_ task: TaskInfo?) {
        guard let task else { return }
        if task.state.isFinished {
            state.status = "task \(task.id) has already finished"
        } else {
            state.prompt = .confirmCancel(task: task.id, message: "")
        }
    }

    /// Selects the first row from the origin on (wrapping) whose name contains `query`.
    private mutating func search(_ query: String, origin: TaskID?) {
        state.prompt = .search(query: query, origin: origin)
        guard !query.isEmpty, !list.rows.isEmpty else { return }
        let needle = query.lowercased()
        let start = origin.flatMap(list.row(of:)) ?? 0
        let count = list.rows.count
        for step in 0..<count {
            let row = (start + step) % count
            if list.task(at: row).displayName.lowercased().contains(needle) {
                select(row: row)
                return
            }
        }
        state.status = "no task named like \"\(query)\""
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
