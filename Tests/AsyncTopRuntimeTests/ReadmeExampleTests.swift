import AsyncTopRuntime
import Testing

/// The example of README.md, as written there.
@Suite struct ReadmeExampleTests {
    @Test func theReadmeExampleRuns() async throws {
        let total = try await EventLoop.run(name: "crawler", reportLeftovers: { _ in }) {
            let pages = try (1...3).map { page in
                try spawn(name: "fetch \(page)") { () async throws -> Int in
                    try await sleep(0.01 * Double(page))
                    return page * 10
                }
            }
            async let audit: Int = { try await Task.sleep(for: .milliseconds(5)); return 1 }()

            let listed = try allTasks().map { "\($0.id) \($0.displayName) \($0.state)" }
            #expect(listed.count >= 4)
            var sum = 0
            for page in pages { sum += try await page.value }
            return sum + (try await audit)
        }
        #expect(total == 61)
    }
}

/// The README's loop-isolated actor, as written there.
actor Inventory: LoopActor {
    let loop: EventLoop
    var stock: [String: Int] = [:]
    init(loop: EventLoop) { self.loop = loop }
    func add(_ item: String) { stock[item, default: 0] += 1 }
}

@MainLoopActor var served = 0
@MainLoopActor func serve() { served += 1 }

@Suite struct ReadmeClosureAndIsolationExampleTests {
    func fetchUser(_ id: Int) async throws -> String { try await sleep(0.01); return "user \(id)" }
    func fetchOrders(_ id: Int) async throws -> [Int] { [id, id + 1] }
    func ping(_ host: String) async throws -> String {
        try await sleep(host == "a" ? 0.01 : 0.5)
        return host
    }

    @Test func theClosureFormsRunAsTheReadmeShowsThem() async throws {
        try await EventLoop.run(reportLeftovers: { _ in }) {
            let (user, orders) = try await gather({ try await fetchUser(7) }, { try await fetchOrders(7) })
            let first = try await waitFor(timeout: 2) { try await fetchUser(8) }
            let (done, pending) = try await wait(returnWhen: .firstCompleted, { try await ping("a") }, { try await ping("b") })
            #expect(user == "user 7" && orders == [7, 8] && first == "user 8")
            #expect(try done.map { try $0.result() } == ["a"] && pending.count == 1)
            #expect(EventLoop.current!.time() > 0)
        }
    }

    @Test func theIsolationExampleRunsAsTheReadmeShowsIt() async throws {
        let (stock, count) = try await onMainLoop { () -> ([String: Int], Int) in
            let inventory = Inventory(loop: EventLoop.current!)
            let before = await served
            try await gather({ await inventory.add("apple") }, { await inventory.add("pear") })
            await serve()
            return (await inventory.stock, await served - before)
        }
        #expect(stock == ["apple": 1, "pear": 1] && count == 1)
    }
}

/// README's network and subprocess example, as written there.
@Suite struct ReadmeIOExampleTests {
    @Test func theStreamAndSubprocessExampleRuns() async throws {
        let (echoed, out) = try await EventLoop.run(name: "io", reportLeftovers: { _ in }) { () -> ([UInt8], [UInt8]?) in
            let server = try await startServer(host: "127.0.0.1", port: 0) { reader, writer in  // 0: any free port
                while case let line = try await reader.readLine(), !line.isEmpty {  // "readline 127.0.0.1:51234 (fd 9)"
                    try writer.write(line)
                    try await writer.drain()                                     // back-pressure: 64 KiB high, 16 KiB low
                }
                writer.close()
            }
            let (reader, writer) = try await openConnection(host: "localhost", port: server.port!)
            try writer.write("hello\n")
            let echoed = try await withTimeout(2) { try await reader.readLine() }  // TimeoutError if no answer

            let sort = try await createSubprocessExec("sort", ["-r"], stdin: .pipe, stdout: .pipe)
            let (out, _) = try await sort.communicate(input: Array("b\na\n".utf8))   // "wait pid 4242 (sort)"
            writer.close()
            server.close()
            try await server.waitClosed()
            return (echoed, out)
        }
        #expect(echoed == Array("hello\n".utf8))
        #expect(out == Array("b\na\n".utf8))
    }
}
