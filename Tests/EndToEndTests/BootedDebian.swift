import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// A Debian 12 system booted in a container, with the real systemd as its PID 1, for the booted-system tests: a
/// scratch copy of the root `Tests/Harness/debian-root` keeps under `.build/`, started with
/// `systemd-nspawn -b --register=no --keep-unit`, and driven with `nsenter` into the container's PID 1.
///
/// - Important: Only the `systemd-nspawn` this fixture started is ever signalled, by its pid; the host's own init is
///   never touched.
final class BootedDebian: @unchecked Sendable {
    /// The packages under test, from `Packaging/build-deb`: `KEYROT_DEB` (installed first) and `KEYROT_DEB_NEXT`
    /// (a newer build of the same, for the upgrade).
    static let package = ProcessInfo.processInfo.environment["KEYROT_DEB"]
    static let nextPackage = ProcessInfo.processInfo.environment["KEYROT_DEB_NEXT"]
    /// Whether these tests can run: as root (debootstrap, nspawn, nsenter) with the packages built.
    static let available = Repository.runningAsRoot && package != nil && nextPackage != nil

    let scratch: TemporaryDirectory
    let container: SpawnedProcess
    let leader: pid_t

    /// Boots a system with `files` copied in (host path → path inside), runs `body` with it, and powers it off
    /// whether `body` succeeded or not.
    static func with(copying files: [String: String], _ body: (BootedDebian) async throws -> Void) async throws {
        let system = try await boot(copying: files)
        do {
            try await body(system)
        } catch {
            await system.powerOff()
            throw error
        }
        await system.powerOff()
    }

    /// Copies the cached root (building it the first time), puts `files` into it, boots it, and waits until
    /// systemd says the system is up.
    private static func boot(copying files: [String: String]) async throws -> BootedDebian {
        let made = try await ProcessResult.runOffPool(Repository.path("Tests/Harness/debian-root"), [])
        guard made.status == 0 else { throw BootError("debian-root failed: \(made.standardError)") }
        let pristine = made.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        let scratch = try TemporaryDirectory()
        let root = scratch.path("root")
        let copied = try await ProcessResult.runOffPool("cp", ["-a", pristine, root])
        guard copied.status == 0 else { throw BootError("cannot copy the root: \(copied.standardError)") }
        for (source, destination) in files {
            try FileManager.default.copyItem(atPath: source, toPath: root + destination)
        }
        let container = try SpawnedProcess(
            "/usr/bin/systemd-nspawn",
            // A network namespace of its own: no network, and a PID 1 that may set up the services' private ones.
            ["-D", root, "--register=no", "--keep-unit", "--private-network", "-b", "--console=pipe", "--quiet"],
            logFile: scratch.path("console.log")
        )
        do {
            let leader = try await Self.waitForPidOne(of: container)
            let system = BootedDebian(scratch: scratch, container: container, leader: leader)
            try await system.waitUntilRunning()
            return system
        } catch {
            container.send(SIGKILL)
            _ = try? await container.waitForExit(timeout: 10)
            scratch.remove()
            throw error
        }
    }

    private init(scratch: TemporaryDirectory, container: SpawnedProcess, leader: pid_t) {
        self.scratch = scratch
        self.container = container
        self.leader = leader
    }

    /// The container's systemd, as the host sees it: the child of `systemd-nspawn` named `systemd`.
    private static func waitForPidOne(of container: SpawnedProcess) async throws -> pid_t {
        for _ in 0..<300 {
            let children =
                (try? String(contentsOfFile: "/proc/\(container.pid)/task/\(container.pid)/children", encoding: .utf8))?
                .split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? []
            for child in children {
                let name = try? String(contentsOfFile: "/proc/\(child)/comm", encoding: .utf8)
                if name?.trimmingCharacters(in: .whitespacesAndNewlines) == "systemd" { return child }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw BootError("systemd-nspawn started no systemd: \(container.log.suffix(2000))")
    }

    private func waitUntilRunning() async throws {
        var state = ""
        for _ in 0..<300 {
            state = try await run(["systemctl", "is-system-running"]).standardOutput
                .trimmingCharacters(in: .whitespacesAndNewlines)
            if state == "running" || state == "degraded" { return }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw BootError("the container did not finish booting (\(state)): \(container.log.suffix(2000))")
    }

    /// Runs `command` inside the container, as root, with a plain environment.
    func run(_ command: [String], input: String = "") async throws -> ProcessResult {
        try await ProcessResult.runOffPool(
            "/usr/bin/nsenter",
            ["-t", "\(leader)", "-a", "/usr/bin/env", "-i", "PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C.UTF-8"]
                + command,
            input: input
        )
    }

    /// Runs `command` inside the container as `user`, with that user's groups.
    func run(as user: String, _ command: [String]) async throws -> ProcessResult {
        try await run(["setpriv", "--reuid=\(user)", "--regid=\(user)", "--init-groups"] + command)
    }

    /// Runs a shell script inside the container; fails the test (and throws) unless it exits 0.
    @discardableResult
    func shell(
        _ script: String,
        input: String = "",
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> String {
        let result = try await run(["/bin/sh", "-ec", script], input: input)
        guard result.status == 0 else {
            Issue.record("`\(script)` exited \(result.status): \(result.standardError)", sourceLocation: sourceLocation)
            throw BootError("`\(script)` failed")
        }
        return result.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A property of a unit, as `systemctl show -P` gives it.
    func property(_ name: String, of unit: String) async throws -> String {
        try await shell("systemctl show -P \(name) \(unit)")
    }

    /// Waits until `condition` holds, checking every half second for at most `seconds`.
    func waitUntil(
        _ what: String,
        seconds: Double,
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(500))
        }
        throw BootError("timed out after \(seconds) s waiting for \(what)")
    }

    /// Powers the container off and removes its scratch copy; kills it, by its pid, if it does not stop in time.
    func powerOff() async {
        _ = try? await run(["systemctl", "poweroff", "--no-block"])
        if (try? await container.waitForExit(timeout: 30)) ?? nil == nil {
            container.send(SIGKILL)
            _ = try? await container.waitForExit(timeout: 10)
        }
        scratch.remove()
    }

    /// What went wrong with the container itself (not with what it runs).
    struct BootError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
