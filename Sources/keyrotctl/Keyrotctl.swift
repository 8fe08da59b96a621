import ArgumentParser
import CLinux
import Foundation
import KeyrotCore

/// `keyrotctl`: commands keyrotd over its control socket.
@main
struct Keyrotctl: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keyrotctl",
        abstract: "Command keyrotd: rotate, flag leaks, sign and verify tokens, read the audit history.",
        discussion: """
            Exit codes: 0 success; 1 the daemon refused (or, for verify, the token is invalid); 64 usage;
            69 keyrotd unreachable, or its socket served by a stranger (nothing is sent); 74 keyrotd could not \
            store the change; 75 a revocation in force but not yet stored (flag-leak, revoke); 77 permission denied.
            """,
        version: KeyrotVersion.current,
        subcommands: [
            Status.self, WorkspaceCommand.self, Keys.self, Rotate.self, FlagLeak.self, Revoke.self, Sign.self,
            Verify.self, UserHash.self, History.self, AuditCommand.self, Plan.self, KeyCommand.self, Reload.self,
            ProviderCommand.self,
        ]
    )

    /// Accepts the global options before the command too (`keyrotctl --socket PATH status`), as documented:
    /// every command declares them, so they are moved behind the command's name before parsing.
    static func main() async {
        // An imported secret passes through keyrotctl's memory: no core dump of it.
        keyrot_set_undumpable()
        await main(Self.movingGlobalOptionsLast(Array(CommandLine.arguments.dropFirst())))
    }

    static func movingGlobalOptionsLast(_ arguments: [String]) -> [String] {
        var leading: [String] = []
        var rest = arguments[...]
        while let first = rest.first, first.hasPrefix("--") {
            if first == "--json" || first.hasPrefix("--socket=") {
                leading.append(first)
                rest = rest.dropFirst()
            } else if first == "--socket", rest.count >= 2 {
                leading += rest.prefix(2)
                rest = rest.dropFirst(2)
            } else {
                break
            }
        }
        return Array(rest) + leading
    }
}
