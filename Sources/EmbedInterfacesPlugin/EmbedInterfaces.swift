import Foundation
import PackagePlugin

/// Embeds the target's own `*.varlink` interface files into it, as Swift source generated at build time, so the
/// interface file is the one contract both the server and `GetInterfaceDescription` use.
@main
struct EmbedInterfaces: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let module = target as? SourceModuleTarget else { return [] }
        let files = try FileManager.default.contentsOfDirectory(
            at: module.directoryURL,
            includingPropertiesForKeys: nil
        )
        .filter { $0.pathExtension == "varlink" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedInterfaces.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) varlink interfaces into \(target.name)",
                executable: try context.tool(named: "keyrot-embed").url,
                arguments: [output.path(), "VarlinkInterfaceFile"] + files.map { $0.path() },
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
