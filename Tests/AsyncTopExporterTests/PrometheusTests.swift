import AsyncTopClient
import AsyncTopExporter
import AsyncTopModel
import Foundation
import Testing
import TmuxTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The exporter's text read by Prometheus' own parsers: `promtool check metrics`, and a real
/// Prometheus server scraping `asynctop exporter` every second and answering queries.
@Suite(.offCooperativePool, .serialized)
struct PrometheusTests {
    /// `promtool check metrics` on `text`: its status and what it said.
    static func promtoolCheck(_ text: String, promtool: String, scratch: Scratch) -> (status: Int32, output: String) {
        let input = scratch.path + "/metrics-\(UUID().uuidString.prefix(4)).txt"
        _ = FileManager.default.createFile(atPath: input, contents: Data(text.utf8))
        let output = input + ".check"
        let status = TmuxSession.spawnAndWait([promtool, "check", "metrics"], stdinPath: input, outputPath: output)
        return (status, (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
    }

    @Test(.enabled(if: PrometheusTools.promtool != nil || PrometheusTools.inCI, "promtool is not installed (Debian package prometheus)"))
    func promtoolAcceptsTheTextOfConstructedLoops() throws {
        guard let promtool = PrometheusTools.require(PrometheusTools.promtool, "promtool") else { return }
        let scratch = Scratch()
        let readings = [
            TargetReading(target: "/run/a \"quoted\".sock", up: true, dataAge: 0.3, process: "odd\\name\n[1]",
                          snapshot: MetricsTextTests.snapshot(loopName: "main")),
            TargetReading(target: "/run/b.sock", up: true, dataAge: 1, process: "b[2]", snapshot: MetricsTextTests.snapshot(histograms: false)),
            TargetReading(target: "/run/c.sock", up: true, process: "odd\\name\n[1]", snapshot: MetricsTextTests.snapshot(loopName: "main")),
            TargetReading(target: "/run/gone.sock", up: false, process: "gone.sock"),
        ]
        let text = MetricsText.render(readings, scrapes: 9)
        let (status, output) = Self.promtoolCheck(text, promtool: promtool, scratch: scratch)
        #expect(status == 0, "promtool: \(output)\n\(text)")
        #expect(output.isEmpty, "promtool's lints: \(output)")
    }

    @Test(.enabled(if: PrometheusTools.promtool != nil || PrometheusTools.inCI, "promtool is not installed (Debian package prometheus)"),
          .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
    func promtoolAcceptsALiveScrape() throws {
        guard let promtool = PrometheusTools.require(PrometheusTools.promtool, "promtool") else { return }
        let scratch = Scratch()
        let fixture = try startFixture(socket: scratch.path + "/a.sock", tasks: 2)
        let exporter = try ExporterProcess([scratch.path, scratch.path + "/missing.sock"], scratch: scratch)
        let text = exporter.scrape { $0.contains("asynctop-monitor-fixture[\(fixture.pid)]") }
        #expect(text.contains("asynctop_lints{"), "\(text)")
        let (status, output) = Self.promtoolCheck(text, promtool: promtool, scratch: scratch)
        #expect(status == 0, "promtool: \(output)\n\(text)")
        #expect(output.isEmpty, "promtool's lints: \(output)")
    }

    @Test(.enabled(if: PrometheusTools.promtool != nil || PrometheusTools.inCI, "promtool is not installed (Debian package prometheus)"))
    func theExampleScrapeConfigIsValid() throws {
        guard let promtool = PrometheusTools.require(PrometheusTools.promtool, "promtool") else { return }
        let scratch = Scratch()
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let example = root.appendingPathComponent("examples/prometheus.yml").path
        let text = try String(contentsOfFile: example, encoding: .utf8)
        #expect(text.contains("asynctop exporter") && text.contains(":9464"))
        let output = scratch.path + "/check.out"
        let status = TmuxSession.spawnAndWait([promtool, "check", "config", example], outputPath: output)
        #expect(status == 0, "\((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")")
    }

    /// Two fixtures with a known difference in suspended tasks, scraped by a real Prometheus
    /// through the exporter; queried through its HTTP API.
    @Test(.enabled(if: PrometheusTools.prometheus != nil || PrometheusTools.inCI, "prometheus is not installed (Debian package prometheus)"),
          .enabled(if: BuiltBinary.asynctop != nil, "asynctop not found next to the test bundle"))
    func aPrometheusServerScrapesTheFleet() throws {
        guard let prometheusBinary = PrometheusTools.require(PrometheusTools.prometheus, "prometheus") else { return }
        let scratch = Scratch()
        let fleet = scratch.path + "/fleet"
        mkdir(fleet, 0o700)
        let small = try startFixture(socket: fleet + "/small.sock", tasks: 5)
        let large = try startFixture(socket: fleet + "/large.sock", tasks: 20)
        let exporter = try ExporterProcess([fleet, scratch.path + "/never.sock"], scratch: scratch)

        let port = freePort()
        let config = scratch.path + "/prometheus.yml"
        try """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: asynctop
            static_configs:
              - targets: ["127.0.0.1:\(exporter.port)"]
        """.write(toFile: config, atomically: true, encoding: .utf8)
        let server = try Child([prometheusBinary, "--config.file=\(config)", "--storage.tsdb.path=\(scratch.path)/tsdb",
                                "--web.listen-address=127.0.0.1:\(port)"], output: scratch.path + "/prometheus.out")
        defer { server.stop(signal: SIGTERM) }

        /// The instant vector of `query`: each series' labels and value.
        func query(_ query: String) -> [(labels: [String: String], value: Double)]? {
            var allowed = CharacterSet.urlQueryAllowed
            allowed.remove(charactersIn: "+&=")
            let encoded = query.addingPercentEncoding(withAllowedCharacters: allowed) ?? query
            guard let response = HTTPGet.get(port: port, path: "/api/v1/query?query=\(encoded)"), response.status == 200,
                  let json = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any],
                  let data = json["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return nil }
            return result.compactMap { entry in
                guard let labels = entry["metric"] as? [String: String], let value = entry["value"] as? [Any],
                      value.count == 2, let text = value[1] as? String, let number = Double(text) else { return nil }
                return (labels, number)
            }
        }

        // What each fixture's own monitor says now (a snapshot read directly, as `ps` does).
        func suspended(_ socket: String) -> Double? {
            (try? TargetLoader.load(socket)).map { Double($0.snapshot.stats.count(.suspended)) }
        }
        let names = ["asynctop-monitor-fixture[\(small.pid)]": fleet + "/small.sock",
                     "asynctop-monitor-fixture[\(large.pid)]": fleet + "/large.sock"]
        var seen: [String: Double] = [:]
        var expected: [String: Double] = [:]
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            let vector = query(#"asynctop_tasks{state="suspended"}"#) ?? []
            seen = Dictionary(vector.compactMap { entry in entry.labels["process"].map { ($0, entry.value) } }) { a, _ in a }
            expected = names.compactMapValues { suspended($0) }
            if seen.count == 2 && seen == expected { break }
            Thread.sleep(forTimeInterval: 0.3)
        }
        #expect(seen == expected, "Prometheus has \(seen), the monitors say \(expected)\n\(server.output.suffix(2000))")
        // The known difference: 15 more idle tasks.
        let difference = (seen["asynctop-monitor-fixture[\(large.pid)]"] ?? 0) - (seen["asynctop-monitor-fixture[\(small.pid)]"] ?? 0)
        #expect(difference == 15, "\(seen)")
        #expect(query(#"asynctop_tasks{state="suspended"}"#)?.allSatisfy { $0.labels["loop"] == "fixture" && $0.labels["job"] == "asynctop" } == true)

        // Up and down targets, and the exporter's own counter.
        let up = Dictionary((query("asynctop_target_up") ?? []).compactMap { e in e.labels["target"].map { ($0, e.value) } }) { a, _ in a }
        #expect(up == [fleet + "/small.sock": 1, fleet + "/large.sock": 1, scratch.path + "/never.sock": 0], "\(up)")
        #expect(query("up")?.first?.value == 1)
        #expect((query("asynctop_exporter_scrapes_total")?.first?.value ?? 0) >= 1)
    }
}
