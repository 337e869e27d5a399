import Testing
import AsyncTopModel
@testable import AsyncTopTUI

/// The resources pane: the loop's descriptors, then its primitives, with who holds and who
/// waits on each; the key that opens it; the loop's descriptor count in the executor strip.
@Suite struct ResourcesViewTests {
    private let theme = Theme(colors: true)

    /// ``Fixtures/small(version:)`` with seven resources, listed out of order: two TCP
    /// connections (fetch (2) reads from one), a server main (1) accepts on, a child
    /// process and its pipe, a lock idle (7) holds and worker-a (3) waits on, and a
    /// semaphore whose two permits fetch and worker-b hold, with three waiters.
    static func withResources() -> Snapshot {
        var snapshot = Fixtures.small()
        snapshot.resources = [
            ResourceInfo(id: 30, kind: "Lock", name: "db", holders: [7], waiters: [3], detail: "locked"),
            ResourceInfo(id: 31, kind: "Semaphore", name: "crawl-limit", holders: [2, 4], waiters: [3, 5, 6],
                         detail: "0/2 permits"),
            ResourceInfo(id: 12, kind: "TCP", name: "127.0.0.1:6379 (fd 9)", waiters: [2],
                         detail: "readline, in 1.2 KiB, out 300 B, idle 2.1s"),
            ResourceInfo(id: 11, kind: "Server", name: "127.0.0.1:8080 (fd 7)", waiters: [1], detail: "accept, idle 0.5s"),
            ResourceInfo(id: 13, kind: "Process", name: "pid 4242 (sleep) (fd 12)", detail: "idle 1.0s"),
            ResourceInfo(id: 10, kind: "TCP", name: "127.0.0.1:6379 (fd 8)", detail: "in 0 B, out 0 B, idle 0.1s"),
            ResourceInfo(id: 14, kind: "Pipe", name: "stdout of pid 4242 (fd 13)", detail: "in 20 B, out 0 B, idle 1.0s"),
        ]
        return snapshot
    }

    private func screen(_ snapshot: Snapshot = withResources(), size: (rows: Int, cols: Int) = (30, 100),
                        _ configure: (inout ViewState) -> Void = { _ in }) -> Screen {
        var state = ViewState()
        state.pane = .resources
        configure(&state)
        return render(snapshot: snapshot, state: state, size: size)
    }

    /// Presses keys through the key table and the reducer, as the terminal loop does.
    private func press(_ keys: [Key], _ state: ViewState = ViewState(), _ snapshot: Snapshot = withResources()) -> ViewState {
        var state = state
        for key in keys {
            guard let action = KeyBindings.action(for: key, in: state) else { continue }
            state = reduce(state, action, snapshot).0
        }
        return state
    }

    @Test func descriptorsComeFirstThenPrimitivesWithHoldersWaitersAndDetail() {
        let screen = screen()
        #expect(Array(screen.lines[4...13]) == [
            " Resources (7): 1 server, 2 TCP sockets, 1 pipe, 1 process, 1 lock, 1 semaphore",
            " KIND        NAME                     HOLDERS        WAITERS                  DETAIL",
            " Server      127.0.0.1:8080 (fd 7)    -              1: main (1)              accept, idle 0.5s",
            " TCP         127.0.0.1:6379 (fd 8)    -              -                        in 0 B, out 0 B, idl…",
            " TCP         127.0.0.1:6379 (fd 9)    -              1: fetch (2)             readline, in 1.2 KiB…",
            " Pipe        stdout of pid 4242 (fd … -              -                        in 20 B, out 0 B, id…",
            " Process     pid 4242 (sleep) (fd 12) -              -                        idle 1.0s",
            " Lock        db                       idle (7)       1: worker-a (3)          locked",
            " Semaphore   crawl-limit              2: fetch (2),… 3: worker-a (3), parser… 0/2 permits",
            "",
        ])
        // The first row is selected; the column titles have their style.
        #expect(screen[6, 40].style == theme.selection)
        #expect(screen[7, 40].style == .plain)
        #expect(screen[5, 2].style == theme.columnTitles)
        #expect(screen.lines[29] == "EnterGo to  EscBack   j/kSelect rBack   F10Quit")
    }

    @Test func theSelectedResourceShowsInFullAtTheBottom() {
        let lines = screen { $0.resourceSelectedKey = "Semaphore#31" }.lines
        #expect(Array(lines[24...28]) == [
            " " + String(repeating: "─", count: 98),
            " Semaphore crawl-limit  0/2 permits",
            "   held by fetch (2), worker-b (4)",
            "   waited on by worker-a (3), parser (5), janitor (6)",
            "",
        ])
        let socket = screen { $0.resourceSelectedKey = "TCP#12" }.lines
        #expect(Array(socket[25...27]) == [
            " TCP 127.0.0.1:6379 (fd 9)  readline, in 1.2 KiB, out 300 B, idle 2.1s",
            "   held by none",
            "   waited on by fetch (2)",
        ])
    }

    @Test func sixtyColumnsDropTheDetailColumnAndKeepItAtTheBottom() {
        let lines = screen(size: (24, 60)) { $0.resourceSelectedKey = "TCP#12" }.lines
        #expect(Array(lines[4...9]) == [
            " Resources (7): 1 server, 2 TCP sockets, 1 pipe, 1 process,",
            " KIND      NAME               HOLDERS    WAITERS",
            " Server    127.0.0.1:8080 (f… -          1: main (1)",
            " TCP       127.0.0.1:6379 (f… -          -",
            " TCP       127.0.0.1:6379 (f… -          1: fetch (2)",
            " Pipe      stdout of pid 424… -          -",
        ])
        #expect(Array(lines[18...22]) == [
            " " + String(repeating: "─", count: 58),
            " TCP 127.0.0.1:6379 (fd 9)",
            "   readline, in 1.2 KiB, out 300 B, idle 2.1s",
            "   held by none",
            "   waited on by fetch (2)",
        ])
        // At 40 columns the holders go too; the name and waiters stay.
        let narrow = screen(size: (12, 40)).lines
        #expect(narrow[5] == " KIND      NAME       WAITERS")
        #expect(Array(narrow[5...7]) == [" KIND      NAME       WAITERS", " Server    127.0.0.1… 1: main (1)", " " + String(repeating: "─", count: 38)],
                "\(narrow)")
    }

    @Test func arrowsAndJKMoveTheSelectionAndEnterGoesToTheWaitersTask() {
        // Down past the server and a first connection to the second, whose reader is fetch (2).
        var state = press([.character("r"), .down, .down])
        #expect(state.pane == .resources && state.resourceSelectedKey == "TCP#12")
        state = press([.enter], state)
        #expect(state.pane == .tasks && state.selectedID == 2)
        // The lock: its first waiter, worker-a (3), not its holder.
        state = press([.character("r"), .character("G"), .character("k")], state)
        #expect(state.resourceSelectedKey == "Lock#30")
        #expect(press([.enter], state).selectedID == 3)
        // A resource no one waits on goes to its holder; one no task touches says so.
        var snapshot = Self.withResources()
        snapshot.resources.append(ResourceInfo(id: 40, kind: "Event", name: "ready", holders: [], waiters: []))
        snapshot.resources.append(ResourceInfo(id: 41, kind: "Queue", name: "jobs", holders: [5], waiters: []))
        let queue = press([.character("r"), .end, .enter], ViewState(), snapshot)
        #expect(queue.pane == .tasks && queue.selectedID == 5)
        let event = press([.character("r"), .end, .up, .enter], ViewState(), snapshot)
        #expect(event.pane == .resources && event.status == "no task holds or waits on Event ready")
        // A collapsed parent unfolds and a filter that hid the task is reset.
        var hidden = ViewState()
        hidden.collapsed = [1]
        hidden.filter = .failed
        let unfolded = press([.character("r"), .character("j"), .character("j"), .enter], hidden)
        #expect(unfolded.selectedID == 2 && unfolded.filter == .all && !unfolded.collapsed.contains(1))
        #expect(unfolded.status == "filter reset to all to show task 2")
    }

    @Test func theSelectionFollowsTheResourceAcrossRefreshes() {
        let state = press([.character("r"), .down, .down, .down])
        #expect(state.resourceSelectedKey == "Pipe#14")
        // A new connection sorts in before it: the pipe stays selected, a row lower.
        var later = Self.withResources()
        later.resources.append(ResourceInfo(id: 9, kind: "TCP", name: "127.0.0.1:6379 (fd 5)"))
        let lines = render(snapshot: later, state: state, size: (30, 100))
        #expect(lines.lines[10].hasPrefix(" Pipe "))
        #expect(lines[10, 40].style == theme.selection)
        #expect(lines[9, 40].style == .plain)
    }

    @Test func rAndEscClose() {
        let open = press([.character("r")])
        #expect(open.pane == .resources)
        #expect(press([.character("r")], open).pane == .tasks)
        #expect(press([.escape], open).pane == .tasks)
        #expect(press([.character("l")], open).pane == .lints)
    }

    @Test func emptyPaneSaysWhatWouldShow() {
        let lines = screen(Fixtures.small()).lines
        #expect(Array(lines[4...8]) == [
            " Resources",
            "",
            "   No resources: no locks, semaphores, events, queues, futures or open sockets, pipes or child",
            "   processes on this loop.",
            "",
        ])
        #expect(lines[29] == "EscBack   rBack   F10Quit")
        #expect(press([.character("r"), .enter], ViewState(), Fixtures.small()).pane == .resources)
    }

    @Test func manyResourcesScrollToKeepTheSelectionInView() {
        var snapshot = Fixtures.small()
        snapshot.resources = (1...40).map { ResourceInfo(id: UInt64($0), kind: "TCP", name: "peer-\($0)") }
        var state = press([.character("r")], ViewState(), snapshot)
        state = reduce(state, .resize(rows: 24, cols: 100), snapshot).0
        for _ in 0..<30 { state = reduce(state, .moveDown, snapshot).0 }
        let screen = render(snapshot: snapshot, state: state, size: (24, 100))
        // 24 rows: 12 rows of list, the selection (the 31st) on the last.
        #expect(screen.lines[6].contains("peer-20 "))
        #expect(screen.lines[17].contains("peer-31 "))
        #expect(screen[17, 10].style == theme.selection)
        #expect(screen.lines[18].hasPrefix(" ───"))
    }

    @Test func helpAndFooterListR() {
        let help = render(snapshot: Fixtures.small(), state: { var s = ViewState(); s.pane = .help; return s }(),
                          size: (30, 100)).lines
        #expect(help.contains("   l r               lints: what looks wrong; r: resources and their waiters; Enter goes to a task"))
        #expect(help[28].hasPrefix(" Marks"), "the help still fits 30 rows")
        // The tasks' footer lists it where a whole hint fits; a hint that would be cut is left out.
        let wide = render(snapshot: Fixtures.small(), state: ViewState(), size: (30, 120)).lines[29]
        #expect(wide == "F1Help   F2Demos  F5Tree   F6Sort   F9Cancel F10Quit   /Search fFilter SpcPause  xExec   LLoop   rRes")
        let hundred = render(snapshot: Fixtures.small(), state: ViewState(), size: (30, 100)).lines[29]
        #expect(hundred.hasSuffix("xExec   LLoop"))
        #expect(KeyBindings.action(for: .character("r"), in: ViewState()) == .showResources)
    }

    @Test func theLoopsExecutorLineCountsItsDescriptors() {
        var state = ViewState()
        state.pane = .tasks
        let lines = render(snapshot: Self.withResources(), state: state, size: (30, 100)).lines
        // Five descriptors (two TCP, a server, a pipe, a process); the lock and semaphore are not.
        #expect(lines[26] == " loop (loop)  busy 1/1  fds 5  queue 1: task 7")
        #expect(lines[27] == " io (threads)  busy 1/2  queue 5: task 3, item 23", "only the loop has descriptors")
        // Primitives alone: no count.
        let primitives = render(snapshot: Fixtures.withLints(), state: state, size: (30, 100)).lines
        #expect(primitives[26] == " loop (loop)  busy 1/1  queue 1: task 7")
        #expect(ResourceList.ioCount(in: Self.withResources()) == 5)
    }
}
