import Foundation
import KeyrotTestSupport
import Testing

/// The files in `systemd/` as systemd's own tools judge them.
@Suite struct UnitFileTests {
    /// The units with `/usr/bin/` (where the package installs the binaries) pointing at the built ones, in a fresh
    /// directory: `systemd-analyze verify` insists that the executables exist.
    func unitsPointingAtTheBuiltBinaries() throws -> TemporaryDirectory {
        let directory = try TemporaryDirectory()
        let binaries = URL(fileURLWithPath: DaemonProcess.builtBinary).deletingLastPathComponent().path(
            percentEncoded: false
        )
        for unit in ["keyrotd.service", "keyrotd.socket", "keyrotd-provider.service"] {
            let text = try String(contentsOfFile: Repository.path("systemd/\(unit)"), encoding: .utf8)
            #expect(unit.hasSuffix(".socket") || text.contains("ExecStart=/usr/bin/keyrotd"))
            try text.replacingOccurrences(of: "/usr/bin/", with: binaries + "/")
                .write(toFile: directory.path(unit), atomically: true, encoding: .utf8)
        }
        return directory
    }

    @Test func systemdAnalyzeVerifyReportsNothing() throws {
        let units = try unitsPointingAtTheBuiltBinaries()
        defer { units.remove() }
        let result = try ProcessResult.run(
            "systemd-analyze",
            [
                // The man pages the units name are the package's; the booted-system tests find them installed.
                "verify", "--man=no", units.path("keyrotd.service"), units.path("keyrotd.socket"),
                units.path("keyrotd-provider.service"),
            ]
        )
        #expect(result.status == 0)
        #expect(result.standardOutput.isEmpty && result.standardError.isEmpty, "\(result.standardError)")
    }

    /// The units and the catalog point at documentation that exists once the package is installed: man pages and
    /// files under /usr/share/doc/keyrotd, never a web address.
    @Test func documentationIsTheInstalledManPagesAndFiles() throws {
        for file in ["keyrotd.service", "keyrotd.socket", "keyrotd-provider.service", "keyrotd.catalog"] {
            let text = try String(contentsOfFile: Repository.path("systemd/\(file)"), encoding: .utf8)
            let references = text.split(separator: "\n").filter {
                $0.hasPrefix("Documentation") || $0.hasPrefix("Support:")
            }
            #expect(!references.isEmpty, "\(file)")
            for line in references {
                let targets = line.split(whereSeparator: { $0 == " " || $0 == "=" }).dropFirst()
                for target in targets {
                    #expect(
                        target.hasPrefix("man:") || target.hasPrefix("file:///usr/share/doc/keyrotd/"),
                        "\(file): \(line)"
                    )
                }
            }
        }
    }

    /// The hardening issue's bound: keyrotd.service stays at 0.4 or better, with no network at all.
    @Test func theServiceIsExposedAtMostFourTenths() throws {
        #expect(try exposure(of: "keyrotd.service") <= 0.4)
        let text = try String(contentsOfFile: Repository.path("systemd/keyrotd.service"), encoding: .utf8)
        #expect(text.contains("\nPrivateNetwork=yes\n") && text.contains("\nRestrictAddressFamilies=AF_UNIX\n"))
    }

    /// The provider agent needs the network, and nothing of keyrotd's: at most 2.0, keyrotd's state inaccessible,
    /// its tokens as credentials.
    @Test func theProviderAgentIsExposedAtMostTwo() throws {
        #expect(try exposure(of: "keyrotd-provider.service") <= 2.0)
        let text = try String(contentsOfFile: Repository.path("systemd/keyrotd-provider.service"), encoding: .utf8)
        #expect(text.contains("\nUser=keyrotd-provider\n"))
        #expect(text.contains("\nInaccessiblePaths=-/var/lib/keyrotd -/etc/keyrotd/master-key\n"))
        #expect(text.contains("\nLoadCredential=tokens:/etc/keyrotd/provider-tokens\n"))
    }

    /// keyrotd holds no HTTP client at all (DESIGN §2): only the provider agent talks to the network.
    @Test func onlyTheProviderAgentLinksAnHTTPClient() throws {
        let marker = Data("AsyncHTTPClient".utf8)
        let binaries = URL(fileURLWithPath: DaemonProcess.builtBinary).deletingLastPathComponent()
        for (binary, expected) in [("keyrotd", false), ("keyrotctl", false), ("keyrotd-provider", true)] {
            let bytes = try Data(contentsOf: binaries.appending(path: binary), options: .mappedIfSafe)
            #expect((bytes.range(of: marker) != nil) == expected, "\(binary)")
        }
    }

    /// `systemd-analyze security --offline=true`'s overall exposure of a unit of `systemd/`.
    func exposure(of unit: String) throws -> Double {
        let result = try ProcessResult.run(
            "systemd-analyze",
            ["security", "--offline=true", "--no-pager", Repository.path("systemd/\(unit)")]
        )
        let line = try #require(
            result.standardOutput.split(separator: "\n").first { $0.contains("Overall exposure level") },
            "\(result.standardOutput)\(result.standardError)"
        )
        return try #require(line.split(separator: " ").compactMap { Double($0) }.first, "\(line)")
    }

    /// What bounds the damage of a peer or a crash, as systemd reads the unit: no core dumps, and a ceiling on
    /// memory and tasks (keyrotd's own backpressure keeps it far below them).
    @Test func theServiceHasNoCoreDumpsAndBoundedMemoryAndTasks() throws {
        let text = try String(contentsOfFile: Repository.path("systemd/keyrotd.service"), encoding: .utf8)
        let settings = Dictionary(
            text.split(separator: "\n").filter { !$0.hasPrefix("#") && $0.contains("=") }.map {
                (String($0.prefix { $0 != "=" }), String($0.drop { $0 != "=" }.dropFirst()))
            },
            uniquingKeysWith: { $1 }
        )
        #expect(settings["LimitCORE"] == "0")
        #expect(settings["UMask"] == "0077")
        let megabytes = { (key: String) in settings[key].flatMap { $0.hasSuffix("M") ? Int($0.dropLast()) : nil } }
        let memoryMax = try #require(megabytes("MemoryMax"), "MemoryMax= in megabytes")
        #expect((128...1024).contains(memoryMax))
        #expect(megabytes("MemoryHigh").map { $0 < memoryMax } == true)
        let tasks = try #require(settings["TasksMax"].flatMap { Int($0) }, "TasksMax= as a number")
        #expect((32...512).contains(tasks))
        // systemd accepts them: verify (in systemdAnalyzeVerifyReportsNothing) would name an unknown or bad value.
    }

    @Test(.enabled(if: Repository.runningAsRoot, "systemd-tmpfiles sets owners"))
    func sysusersAndTmpfilesMakeTheUserAndTheDirectories() throws {
        let root = try TemporaryDirectory()
        defer { root.remove() }
        try FileManager.default.createDirectory(atPath: root.path("etc"), withIntermediateDirectories: true)
        for file in ["passwd", "group", "shadow", "gshadow"] {
            #expect(FileManager.default.createFile(atPath: root.path("etc/\(file)"), contents: Data()))
        }
        let users = try ProcessResult.run(
            "systemd-sysusers",
            ["--root=\(root.path)", Repository.path("systemd/keyrotd.sysusers.conf")]
        )
        #expect(users.status == 0, "\(users.standardError)")
        let passwd = try String(contentsOfFile: root.path("etc/passwd"), encoding: .utf8)
        let user = try #require(passwd.split(separator: "\n").first { $0.hasPrefix("keyrotd:") }, "\(passwd)")
        #expect(user.hasSuffix(":/var/lib/keyrotd:/usr/sbin/nologin"))

        let tmpfiles = try ProcessResult.run(
            "systemd-tmpfiles",
            ["--root=\(root.path)", "--create", Repository.path("systemd/keyrotd.tmpfiles.conf")]
        )
        #expect(tmpfiles.status == 0, "\(tmpfiles.standardError)")
        let state = try FileManager.default.attributesOfItem(atPath: root.path("var/lib/keyrotd"))
        #expect(state[.posixPermissions] as? Int == 0o700)
        #expect(state[.ownerAccountID] as? Int == Int(user.split(separator: ":")[2]))
    }
}
