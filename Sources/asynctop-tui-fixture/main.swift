import AsyncTopTerminal
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// The dashboard over a fake source, for trying the terminal for real (and tmux tests).
// Usage: asynctop-tui-fixture [--tasks N]
var taskCount: Int?
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    guard argument == "--tasks", let value = arguments.popFirst().flatMap(Int.init), value > 0 else {
        fputs("usage: asynctop-tui-fixture [--tasks N]\n", stderr)
        exit(2)
    }
    taskCount = value
}

do {
    try DashboardTerminal.run(source: FakeSource(taskCount: taskCount), demos: FakeTasks.demos)
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}
