import AsyncTopExporter
import Testing

/// `--listen`: parsing, and loopback only unless remote access is allowed.
struct ListenAddressTests {
    @Test func theDefaultIsLoopbackOnPrometheusPort() throws {
        let address = try ListenAddress.parse(ListenAddress.default)
        #expect(address.host == "127.0.0.1")
        #expect(address.port == 9464)
        #expect(address.addresses == ["127.0.0.1"])
        #expect(address.description == "127.0.0.1:9464")
    }

    @Test func formsOfTheAddress() throws {
        for (text, host, port) in [("[::1]:9100", "::1", 9100), (":0", "127.0.0.1", 0), ("localhost:80", "localhost", 80)] as [(String, String, UInt16)] {
            let split = try ListenAddress.split(text)
            #expect(split.host == host && split.port == port, "\(text)")
        }
        let v6 = try ListenAddress.parse("[::1]:9100")
        #expect(v6.bindsIPv6)
        #expect(v6.description == "[::1]:9100")
        #expect(try ListenAddress.parse("127.0.0.5:1").bindAddress == "127.0.0.5")
        // localhost resolves to loopback only (127.0.0.1, perhaps ::1 too).
        let local = try ListenAddress.parse("localhost:9464")
        #expect(local.addresses.allSatisfy(ListenAddress.isLoopback), "\(local.addresses)")
    }

    @Test(arguments: ["9464", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", "127.0.0.1:-1", "::1:9464", "[::1]9464", "[::1:9464"])
    func malformedAddressesAreRefused(_ text: String) {
        #expect(throws: ListenAddress.Problem.self) { try ListenAddress.parse(text) }
    }

    @Test(arguments: ["0.0.0.0:9464", "192.168.1.20:9464", "10.0.0.1:9464", "[::]:9464", "[fe80::1]:9464", "[::ffff:10.0.0.1]:9464"])
    func anAddressBeyondThisMachineIsRefusedUnlessAllowed(_ text: String) throws {
        let problem = #expect(throws: ListenAddress.Problem.self) { try ListenAddress.parse(text) }
        #expect(problem?.description.contains("not a loopback address") == true)
        #expect(problem?.description.contains("--allow-remote") == true)
        #expect(try ListenAddress.parse(text, allowRemote: true).port == 9464)
    }

    @Test func aHostNameResolvingElsewhereIsRefused() throws {
        // A stand-in resolver: no lookup leaves this machine.
        let resolver: (String) throws(ListenAddress.Problem) -> [String] = { host in
            host == "metrics.example" ? ["127.0.0.1", "192.0.2.7"] : ["127.0.0.1"]
        }
        let problem = #expect(throws: ListenAddress.Problem.self) {
            try ListenAddress.parse("metrics.example:9464", resolve: resolver)
        }
        #expect(problem?.description.contains("resolves to 192.0.2.7") == true, "\(String(describing: problem))")
        #expect(try ListenAddress.parse("metrics.example:9464", allowRemote: true, resolve: resolver).bindAddress == "127.0.0.1")
        #expect(try ListenAddress.parse("box:9464", resolve: resolver).addresses == ["127.0.0.1"])
    }

    @Test func loopbackAddresses() {
        for address in ["127.0.0.1", "127.255.0.9", "::1", "::ffff:127.0.0.1"] { #expect(ListenAddress.isLoopback(address), "\(address)") }
        for address in ["0.0.0.0", "128.0.0.1", "::", "::2", "fe80::1", "::ffff:10.0.0.1", "localhost", ""] {
            #expect(!ListenAddress.isLoopback(address), "\(address)")
        }
    }
}
