import Testing
import AsyncTopTUI
import AsyncTopModel

@Test func dump() {
    var state = ViewState(demos: Fixtures.demos)
    print(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).text)
    state.pane = .details(3)
    print(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).text)
    state.pane = .executors
    print(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).text)
    state.pane = .tasks
    state.prompt = .confirmCancel(task: 2, message: "bye")
    state.display = DisplayOptions(colors: false, unicode: false)
    print(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).text)
    state.prompt = nil
    state.pane = .help
    print(render(snapshot: Fixtures.small(), state: state, size: (30, 100)).text)
    print(render(snapshot: Fixtures.small(), state: state, size: (5, 20)).text)
    state.pane = .demos
    print(render(snapshot: Fixtures.small(), state: state, size: (20, 80)).text)
}
