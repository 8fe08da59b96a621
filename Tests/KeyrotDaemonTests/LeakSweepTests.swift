import Foundation
import KeyrotCore
import KeyrotCrypto
import KeyrotTestSupport
import Testing

/// No key material in anything the whole suite left: run the suite with `$KEYROT_LEAK_CAPTURE` set, then this
/// test with `$KEYROT_LEAK_SWEEP` naming the same directory (README's test command does both).
///
/// The secrets: every key still sealed in any database left behind, opened with every master key left beside
/// it; the secrets tests imported themselves; and the master keys. The search: every other file (daemon logs,
/// keyrotctl and keyrotd output, journal exports, the databases themselves), for each secret raw, in hex, base64
/// and base64url.
@Suite struct LeakSweepTests {
    static let root = ProcessInfo.processInfo.environment[LeakSweep.sweepVariable]

    @Test(.enabled(if: root != nil, "runs after a capturing run of the suite"))
    func noKeyMaterialInAnythingTheSuiteLeft() throws {
        let root = URL(fileURLWithPath: Self.root!, isDirectory: true)
        let files = Self.regularFiles(under: root)
        let masterKeys = files.compactMap { file in Self.masterKey(at: file).map { (file, $0) } }
        var secrets: [[UInt8]] = masterKeys.map(\.1)
        var databases = 0
        for database in files where database.lastPathComponent == "keyrotd.db" {
            databases += 1
            for sealed in try Self.sealedKeys(in: database) {
                for (_, key) in masterKeys {
                    guard let master = try? MasterKey(SecretBytes(copying: key)),
                        let opened = try? master.open(
                            sealed.blob,
                            for: .key(workspace: sealed.workspace, keyID: sealed.keyID)
                        )
                    else { continue }
                    secrets.append(opened.withUnsafeBytes { Array($0) })
                    break
                }
            }
        }
        for file in files where file.lastPathComponent == LeakSweep.knownSecretsFile {
            let lines = (try String(contentsOf: file, encoding: .utf8)).split(separator: "\n")
            secrets += lines.compactMap { Data(base64Encoded: String($0)).map(Array.init) }
        }
        let unique = Array(Set(secrets))
        let matcher = LeakSweep.Matcher(secrets: unique)
        let keyFiles = Set(masterKeys.map(\.0))
        var leaks: [String] = []
        var searched = 0
        var bytes = 0
        for file in files where !keyFiles.contains(file) && !Self.isTestInput(file) {
            guard let content = FileManager.default.contents(atPath: file.path) else { continue }
            searched += 1
            bytes += content.count
            for index in matcher.secrets(in: Array(content)) {
                leaks.append("\(file.path): secret \(index) of \(unique.count)")
            }
        }
        #expect(leaks.isEmpty, "\(leaks.prefix(20))")
        #expect(databases >= 10 && unique.count >= 50 && searched >= 100, "too little to sweep")
        print(
            "leak sweep: \(unique.count) secrets (\(masterKeys.count) master keys, the live keys of \(databases) "
                + "databases, imported ones) searched for in \(searched) files (\(bytes / 1024) KiB): "
                + "\(leaks.count) found"
        )
    }

    @Test(arguments: 0..<3)
    func theMatcherFindsASecretInEveryFormAtEveryAlignment(offset: Int) {
        let secret = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let other = (0..<32).map { UInt8(truncatingIfNeeded: $0 &* 53 &+ 7) }
        let matcher = LeakSweep.Matcher(secrets: [other, secret])
        let padding = [UInt8](repeating: 0x41, count: offset)
        let base64 = Data(padding + secret + [1, 2]).base64EncodedString()
        let texts = [
            "hex: " + secret.hex,
            "HEX: " + secret.map { String(format: "%02X", $0) }.joined(),
            "base64: " + base64,
            "base64url: " + base64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_"),
        ]
        for text in texts { #expect(matcher.secrets(in: Array(text.utf8)) == [1], "\(text)") }
        #expect(matcher.secrets(in: [0x20] + padding + secret + [0x20]) == [1])
        // One byte changed is not the secret.
        var almost = secret
        almost[16] ^= 1
        #expect(matcher.secrets(in: Array(Data(almost).base64EncodedString().utf8) + almost).isEmpty)
    }

    /// Files the tests wrote as input for the programs they ran (standard input, a secret to import), not output.
    static func isTestInput(_ file: URL) -> Bool {
        ["in", LeakSweep.knownSecretsFile].contains(file.lastPathComponent)
            // A provider access token's own file (`<state-dir>/credentials/NAME`, where --dev's agent reads it).
            || file.deletingLastPathComponent().lastPathComponent == "credentials"
    }

    static func regularFiles(under root: URL) -> [URL] {
        let enumerator = FileManager.default.enumerator(
            at: root,
            includingPropertiesForKeys: [.isRegularFileKey],
            options: []
        )
        return (enumerator?.allObjects as? [URL] ?? []).filter {
            (try? $0.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true
        }
    }

    /// A master key file's 32 bytes (raw, or 64 hex digits and a newline), or nil for any other file. Master key
    /// files are the ones the tests name so: `master.key` (--dev), `*.key`, `master-key` (a credential), `mk`,
    /// `k1`... (other output, like a chain hash printed in hex, is not a key).
    static func masterKey(at file: URL) -> [UInt8]? {
        let name = file.lastPathComponent
        let keyName =
            name.hasSuffix(".key") || name == "master-key" || name == "mk"
            || (name.first == "k" && name.count > 1 && name.dropFirst().allSatisfy(\.isNumber))
        guard keyName, let data = FileManager.default.contents(atPath: file.path) else { return nil }
        if data.count == 32 { return Array(data) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
        guard text.count == 64, text.allSatisfy(\.isHexDigit) else { return nil }
        return [UInt8](hex: text)
    }

    /// The sealed keys in a database, read with the sqlite3 shell from a copy (the sweep changes nothing).
    static func sealedKeys(in database: URL) throws -> [(workspace: WorkspaceName, keyID: String, blob: Data)] {
        let scratch = try TemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch.url) }
        for suffix in ["", "-wal"] where FileManager.default.fileExists(atPath: database.path + suffix) {
            try FileManager.default.copyItem(atPath: database.path + suffix, toPath: scratch.path("copy.db" + suffix))
        }
        let rows = try SQLiteShell.query(
            "SELECT w.name, k.key_id, hex(k.sealed_secret) FROM keys AS k JOIN workspaces AS w ON w.id = k.workspace_id "
                + "WHERE k.sealed_secret IS NOT NULL;",
            database: scratch.path("copy.db")
        )
        return rows.split(separator: "\n").compactMap { row in
            let fields = row.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard fields.count == 3, let workspace = try? WorkspaceName(fields[0]) else { return nil }
            return (workspace, fields[1], Data([UInt8](hex: fields[2])))
        }
    }
}
