import AsyncTopTerminal
#if canImport(Glibc)
@preconcurrency import Glibc
#endif

// The dashboard over a fake source, for trying the terminal for real (and tmux tests).
// Usage: asynctop-tui-fixture [--tasks N] [--answer-after-ms N] [--no-commands] [--no-series] [--ascii]
//   --answer-after-ms: cancels are answered that late, from another thread (as over a socket)
//   --no-commands: the source cancels and launches nothing, as a replay
//   --no-series: snapshots without the loop's series and histograms, as from an older program
//   --ascii: draw with ASCII glyphs only
var taskCount: Int?
var answerDelay: Duration?
var commands = true
var series = true
var ascii = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--no-commands": commands = false
    case "--no-series": series = false
    case "--ascii": ascii = true
    case "--tasks" where arguments.first.flatMap(Int.init).map { $0 > 0 } == true:
        taskCount = arguments.popFirst().flatMap(Int.init)
    case "--answer-after-ms" where arguments.first.flatMap(Int.init).map { $0 >= 0 } == true:
        answerDelay = .milliseconds(arguments.popFirst().flatMap(Int.init)!)
    default:
        fputs("usage: asynctop-tui-fixture [--tasks N] [--answer-after-ms N] [--no-commands] [--no-series] [--ascii]\n", stderr)
        exit(2)
    }
}

do {
    try DashboardTerminal.run(source: FakeSource(taskCount: taskCount, answerDelay: answerDelay, commands: commands,
                                                 series: series),
                              demos: FakeTasks.demos, ascii: ascii)
} catch {
    fputs("\(error)\n", stderr)
    exit(1)
}
