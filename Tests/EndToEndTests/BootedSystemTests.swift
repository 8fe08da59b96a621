import Foundation
import KeyrotTestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The Debian package installed into a booted Debian 12 whose PID 1 is the real systemd (``BootedDebian``): the
/// units, socket activation, the watchdog, reload, the journal with its catalog, the sandbox's score, the
/// maintainer scripts on install, upgrade, remove and purge. They need the packages `Packaging/build-deb` makes,
/// named by `KEYROT_DEB` and `KEYROT_DEB_NEXT` (a newer build); `.ci/run` builds both and runs these tests.
@Suite(
    .enabled(if: BootedDebian.available, "needs root, and KEYROT_DEB and KEYROT_DEB_NEXT from Packaging/build-deb"),
    .timeLimit(.minutes(10))
)
struct BootedSystemTests {
    /// A workspace that rotates every 20 s, signed for by group webapp, and one the reload adds.
    static let configuration = """
        [workspace.acme]
        rotate_every = "20s"
        grace = "1min"
        token_ttl = "30s"
        signers = ["group:webapp"]
        """
    static let reloadedConfiguration = configuration + "\n\n[workspace.beta]\nrotate_every = \"1h\"\n"

    @Test func theInstalledPackageRunsUnderSystemd() async throws {
        try await BootedDebian.with(copying: [BootedDebian.package!: "/root/keyrotd.deb"]) { system in
            try await installAndRun(system)
        }
    }

    func installAndRun(_ system: BootedDebian) async throws {
        // The install: users, directories, a root-only master key, and the socket enabled and listening.
        try await system.shell("dpkg -i /root/keyrotd.deb")
        #expect(try await system.shell("systemctl is-enabled keyrotd.socket") == "enabled")
        #expect(try await system.shell("systemctl is-active keyrotd.socket") == "active")
        // The service is enabled as well, so that after a reboot rotations run without waiting for a first call.
        #expect(try await system.shell("systemctl is-enabled keyrotd.service") == "enabled")
        #expect(try await system.property("ActiveState", of: "keyrotd.service") == "inactive")
        #expect(try await system.shell("stat -c '%U:%G %a %s' /etc/keyrotd/master-key") == "root:root 600 32")
        #expect(try await system.shell("stat -c '%U:%G %a' /var/lib/keyrotd") == "keyrotd:keyrotd 700")
        for page in [
            "man8/keyrotd.8.gz", "man1/keyrotctl.1.gz", "man5/keyrotd.toml.5.gz", "man8/keyrotd-provider.8.gz",
        ] {
            try await system.shell("test -s /usr/share/man/\(page)")
        }
        try await system.shell("test -s /usr/share/bash-completion/completions/keyrotctl")

        try await system.shell(
            "useradd --system --user-group webapp && usermod -aG keyrotd webapp && cat > /etc/keyrotd/keyrotd.toml",
            input: Self.configuration
        )

        // Socket activation: the first call starts keyrotd, which says READY and what it does.
        try await system.shell("keyrotctl status")
        #expect(try await system.property("ActiveState", of: "keyrotd.service") == "active")
        #expect(try await system.property("SubState", of: "keyrotd.service") == "running")
        #expect(try await system.property("StatusText", of: "keyrotd.service").contains("acme"))

        // A rotation on schedule, in the journal with its catalog text and its fields.
        try await system.waitUntil("a scheduled rotation", seconds: 90) {
            try await system.shell("journalctl -u keyrotd -o verbose --no-pager KEYROTD_EVENT=rotated")
                .contains("KEYROTD_WORKSPACE=acme")
        }
        let explained = try await system.shell("journalctl -u keyrotd -x --no-pager")
        #expect(explained.contains("keeps verifying"), "the catalog text of a rotation")
        #expect(explained.contains("Documentation: man:keyrotd(8)"))

        // A member of the signers' group signs and verifies, and may not rotate.
        let token = try await system.run(as: "webapp", ["keyrotctl", "sign", "acme", "--user-id", "u-1"])
        #expect(token.status == 0, "\(token.standardError)")
        let signed = token.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await system.run(as: "webapp", ["keyrotctl", "verify", "acme", signed]).status == 0)
        #expect(try await system.run(as: "webapp", ["keyrotctl", "rotate", "acme"]).status == 77)

        // Reload: a changed configuration is applied; a broken one is refused, the daemon keeps running and says why.
        try await system.shell("cat > /etc/keyrotd/keyrotd.toml", input: Self.reloadedConfiguration)
        try await system.shell("systemctl reload keyrotd")
        #expect(try await system.run(["keyrotctl", "keys", "beta"]).status == 0, "the reload created workspace beta")
        try await system.shell("echo 'rotate_every = \"soon\"' >> /etc/keyrotd/keyrotd.toml")
        #expect(try await system.run(["systemctl", "reload", "keyrotd"]).status != 0)
        #expect(try await system.property("ActiveState", of: "keyrotd.service") == "active")
        let refused = try await system.property("StatusText", of: "keyrotd.service")
        #expect(refused.contains("last reload rejected") && refused.contains("keyrotd.toml"), "\(refused)")
        try await system.shell("cat > /etc/keyrotd/keyrotd.toml", input: Self.reloadedConfiguration)
        try await system.shell("systemctl reload keyrotd")

        // The watchdog: a stopped daemon is killed and restarted by systemd, and what it acknowledged is kept.
        try await system.shell("keyrotctl rotate acme --reason 'before the watchdog test'")
        let acknowledged = try await system.shell(
            "sqlite3 /var/lib/keyrotd/keyrotd.db \"SELECT key_id FROM key_status WHERE workspace = 'acme' AND state = 'active'\""
        )
        let stopped = try await system.property("MainPID", of: "keyrotd.service")
        try await system.shell("kill -STOP \(stopped)")
        try await system.waitUntil("the watchdog's restart", seconds: 120) {
            let pid = try await system.property("MainPID", of: "keyrotd.service")
            let state = try await system.property("ActiveState", of: "keyrotd.service")
            return pid != stopped && pid != "0" && state == "active"
        }
        #expect(try await system.shell("journalctl -u keyrotd --no-pager").contains("Watchdog timeout"))
        try await system.shell("keyrotctl status")
        let keys = try await system.shell(
            "sqlite3 /var/lib/keyrotd/keyrotd.db \"SELECT key_id FROM key_status WHERE workspace = 'acme'\""
        )
        #expect(keys.split(separator: "\n").contains(Substring(acknowledged)), "\(acknowledged) in \(keys)")
        #expect(
            try await system.shell("sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT count(*) FROM audit_chain_breaks'")
                == "0"
        )

        // A clean stop, and a journal without a warning or an error from keyrotd in the whole run.
        try await system.shell("systemctl stop keyrotd.service")
        #expect(try await system.property("Result", of: "keyrotd.service") == "success")
        #expect(try await system.property("ExecMainStatus", of: "keyrotd.service") == "0")
        // keyrotd's own warnings and errors (its process's, not systemd's about it) are the two this test provoked:
        // the rotation webapp was refused, and the broken configuration.
        let complaints = try await system.shell("journalctl -q --no-pager -o cat -p warning _COMM=keyrotd")
            .split(separator: "\n")
        let provoked = complaints.filter {
            $0 == "control call denied"
                || $0.hasPrefix("configuration reload rejected, the configuration in force stays")
        }
        #expect(provoked.count == 2 && complaints.count == 2, "keyrotd's warnings and errors: \(complaints)")
        // Nor, at any priority, the runtime's complaint that the sandbox refused its thread priorities.
        let everything = try await system.shell("journalctl -q --no-pager -o cat _COMM=keyrotd")
        #expect(everything.contains("rotated to key") && !everything.contains("thread priority"))

        // The sandbox, as the booted systemd scores it.
        let security = try await system.shell("systemd-analyze security --no-pager keyrotd.service | tail -n 1")
        let exposure = security.split(separator: " ").compactMap { Double($0) }.first
        #expect(exposure.map { $0 <= 0.4 } == true, "\(security)")
    }

    @Test func anUpgradeKeepsTheKeysAndOnlyAPurgeRemovesThem() async throws {
        let packages = [
            BootedDebian.package!: "/root/keyrotd.deb", BootedDebian.nextPackage!: "/root/keyrotd-next.deb",
        ]
        try await BootedDebian.with(copying: packages) { system in try await upgradeRemoveAndPurge(system) }
    }

    func upgradeRemoveAndPurge(_ system: BootedDebian) async throws {
        try await system.shell("dpkg -i /root/keyrotd.deb")
        try await system.shell("cat > /etc/keyrotd/keyrotd.toml", input: "[workspace.acme]\nrotate_every = \"1h\"\n")
        try await system.shell("keyrotctl rotate acme --reason one && keyrotctl rotate acme --reason two")
        let token = try await system.shell("keyrotctl sign acme --user-id u-1")
        let keysBefore = try await system.shell(
            "sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT key_id, state FROM key_status ORDER BY key_id'"
        )
        let auditBefore = try await system.shell(
            "sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT seq, hex(hash) FROM audit_log'"
        )
        let daemonBefore = try await system.property("MainPID", of: "keyrotd.service")

        // The upgrade, over the running daemon: it restarts on the new binary, with every key and the audit chain.
        try await system.shell("dpkg -i /root/keyrotd-next.deb")
        let installed = try await system.shell("dpkg-query -W -f '${Version}' keyrotd")
        #expect(installed != (try await system.shell("dpkg-deb -f /root/keyrotd.deb Version")))
        #expect(try await system.property("ActiveState", of: "keyrotd.service") == "active")
        let daemonAfter = try await system.property("MainPID", of: "keyrotd.service")
        #expect(daemonAfter != daemonBefore && daemonAfter != "0")
        // The running executable is the file the upgrade installed (an old process would run a deleted inode).
        #expect(
            try await system.shell("stat -L -c %i /proc/\(daemonAfter)/exe")
                == (try await system.shell("stat -c %i /usr/bin/keyrotd"))
        )
        #expect(
            try await system.shell(
                "sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT key_id, state FROM key_status ORDER BY key_id'"
            ) == keysBefore
        )
        let auditAfter = try await system.shell(
            "sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT seq, hex(hash) FROM audit_log'"
        )
        #expect(auditAfter.hasPrefix(auditBefore))
        #expect(
            try await system.shell("sqlite3 /var/lib/keyrotd/keyrotd.db 'SELECT count(*) FROM audit_chain_breaks'")
                == "0"
        )
        #expect(try await system.run(["keyrotctl", "verify", "acme", token]).status == 0)

        // Remove keeps the keys and the master key that opens them; purge deletes them.
        try await system.shell("apt-get remove -y keyrotd")
        #expect(try await system.property("ActiveState", of: "keyrotd.service") == "inactive")
        try await system.shell("test -s /var/lib/keyrotd/keyrotd.db && test -s /etc/keyrotd/master-key")
        try await system.shell("apt-get purge -y keyrotd")
        try await system.shell("test ! -e /var/lib/keyrotd && test ! -e /etc/keyrotd/master-key")
    }
}
