import Foundation
import PackagePlugin

/// Embeds the package's migrations into the target that uses this plugin, as Swift source generated at build time,
/// so the schema ships inside the binary and `Migrations/` stays its single source of truth: `Migrations/*.sql`
/// (SQLite's) into KeyrotStore, `Migrations/postgresql/*.sql` (the same schema in PostgreSQL's dialect) into
/// KeyrotPostgres.
@main
struct EmbedMigrations: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        var directory = context.package.directoryURL.appending(path: "Migrations")
        if target.name == "KeyrotPostgres" { directory.append(path: "postgresql") }
        let files = try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "sql" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedMigrations.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(files.count) migrations into \(target.name)",
                executable: try context.tool(named: "keyrot-embed").url,
                arguments: [output.path(), "KeyrotCore.MigrationFile"] + files.map { $0.path() },
                inputFiles: files,
                outputFiles: [output]
            )
        ]
    }
}
