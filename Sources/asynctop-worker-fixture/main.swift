// A program that is only a process pool worker, for the tests of ProcessPoolExecutor: the
// test bundle cannot be re-executed in worker mode, so the tests start this instead.
import AsyncTopRuntime
import Foundation

struct Failure: Error, CustomStringConvertible {
    var description: String { "the function failed on purpose" }
}

func fib(_ n: Int) -> Int { n < 2 ? n : fib(n - 1) + fib(n - 2) }

ProcessPool.register("square") { (n: Int) -> Int in n * n }
ProcessPool.register("fib") { (n: Int) -> Int in fib(n) }
/// fib(n) and the pid that computed it.
ProcessPool.register("fibPid") { (n: Int) -> [Int] in [fib(n), Int(getpid())] }
ProcessPool.register("sleepMs") { (ms: Int) -> Int in
    usleep(UInt32(ms) * 1000)
    return Int(getpid())
}
ProcessPool.register("pid") { (_: Int) -> Int in Int(getpid()) }
ProcessPool.register("crash") { (_: Int) -> Int in
    signal(SIGABRT, SIG_DFL)  // a plain crash, without the Swift backtracer's report
    abort()
}
ProcessPool.register("fail") { (_: Int) -> Int in throw Failure() }
ProcessPool.register("echo") { (text: String) -> String in text }

ProcessPool.runWorkerIfRequested()
FileHandle.standardError.write(Data("asynctop-worker-fixture: run me from a ProcessPoolExecutor\n".utf8))
exit(2)
