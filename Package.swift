// swift-tools-version:6.2
import PackageDescription

/// Every target of ours builds in Swift 6 language mode with warnings as errors.
let strict: [SwiftSetting] = [.treatAllWarnings(as: .error)]

let package = Package(
    name: "keyrotd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "keyrotd", targets: ["keyrotd"]),
        .executable(name: "keyrotctl", targets: ["keyrotctl"]),
        .executable(name: "keyrotd-provider", targets: ["keyrotd-provider"]),
        .library(name: "KeyrotDaemon", targets: ["KeyrotDaemon"]),
    ],
    // The PostgreSQL store is in every build a user makes. CI's sanitizer builds leave it out (its suite runs in the
    // plain build): postgres-nio and swift-crypto would add minutes to each of them.
    traits: [
        .trait(name: "PostgreSQL", description: "The PostgreSQL store ([store] backend = \"postgresql\")."),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.0"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
    ],
    targets: [
        // System libraries: a module map and a tiny shim each.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CLinux"),

        // The pure core: no I/O, time is a parameter.
        .target(
            name: "KeyrotCore",
            dependencies: [.product(name: "HeapModule", package: "swift-collections")],
            swiftSettings: strict
        ),

        // Adapters, each owning one foreign system.
        .target(name: "KeyrotCrypto", dependencies: ["KeyrotCore", "COpenSSL", "CLinux"], swiftSettings: strict),
        .target(
            name: "KeyrotStore",
            dependencies: ["KeyrotCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict,
            plugins: ["EmbedMigrations"]
        ),

        .target(
            name: "KeyrotPostgres",
            dependencies: [
                "KeyrotCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict,
            plugins: ["EmbedMigrations"]
        ),

        .target(
            name: "KeyrotSystemd",
            dependencies: ["CSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),

        .target(
            name: "KeyrotControl",
            dependencies: [
                "KeyrotCore",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["io.keyrotd.varlink", "org.varlink.service.varlink"],
            swiftSettings: strict,
            plugins: ["EmbedInterfaces"]
        ),

        // The composition root and the thin executable.
        .target(
            name: "KeyrotDaemon",
            dependencies: [
                "KeyrotCore", "KeyrotCrypto", "KeyrotStore", "KeyrotControl", "KeyrotSystemd",
                .target(name: "KeyrotPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "keyrotd",
            dependencies: [
                "KeyrotCore", "KeyrotDaemon", "KeyrotSystemd", "KeyrotCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        .executableTarget(
            name: "keyrotctl",
            dependencies: [
                "KeyrotControl", "KeyrotCore", "CLinux",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        // The provider agent: the only code that opens network sockets (DESIGN §2). It never sees the master key
        // or the database.
        .target(
            name: "KeyrotProvider",
            dependencies: [
                "KeyrotCore", "KeyrotControl",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "keyrotd-provider",
            dependencies: [
                "KeyrotProvider", "KeyrotControl", "KeyrotCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // The benchmark (release build); its jwt-kit peer is a separate package under Benchmarks/.
        .executableTarget(
            name: "keyrot-bench",
            dependencies: [
                "KeyrotCore", "KeyrotDaemon", "KeyrotControl", "KeyrotStore", "KeyrotCrypto",
                .target(name: "KeyrotPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),

        // Build-time: embeds Migrations/*.sql into KeyrotStore and the varlink interface into KeyrotControl
        // (no Bundle.module at run time).
        .executableTarget(name: "keyrot-embed", path: "Sources/EmbedTool", swiftSettings: strict),
        .plugin(
            name: "EmbedMigrations",
            capability: .buildTool(),
            dependencies: ["keyrot-embed"],
            path: "Sources/EmbedMigrationsPlugin"
        ),
        .plugin(
            name: "EmbedInterfaces",
            capability: .buildTool(),
            dependencies: ["keyrot-embed"],
            path: "Sources/EmbedInterfacesPlugin"
        ),

        // Test-only helpers and the tests.
        .target(
            name: "KeyrotTestSupport",
            dependencies: [
                "KeyrotCore", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "KeyrotCoreTests", dependencies: ["KeyrotCore"], swiftSettings: strict),
        .testTarget(
            name: "KeyrotCryptoTests",
            dependencies: ["KeyrotCore", "KeyrotCrypto", "KeyrotTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotSystemdTests",
            dependencies: ["KeyrotSystemd", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotControlTests",
            dependencies: [
                "KeyrotControl", "KeyrotTestSupport", .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotStoreTests",
            dependencies: [
                "KeyrotCore", "KeyrotStore", "KeyrotCrypto", "KeyrotTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotPostgresTests",
            dependencies: [
                "KeyrotCore", "KeyrotCrypto", "KeyrotTestSupport",
                .target(name: "KeyrotPostgres", condition: .when(traits: ["PostgreSQL"])),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotDaemonTests",
            dependencies: [
                "KeyrotControl", "KeyrotCore", "KeyrotDaemon", "KeyrotStore", "KeyrotCrypto", "KeyrotTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KeyrotProviderTests",
            dependencies: [
                "KeyrotProvider", "KeyrotTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "keyrotd", "keyrotctl", "keyrotd-provider", "KeyrotTestSupport",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)
