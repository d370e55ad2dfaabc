using System.Reflection;

namespace CertLibrary.Data;

/// <summary>
/// A module's SQL migrations, embedded as <c>{Folder}/{sqlite|postgresql}/V###_name.sql</c> in
/// <paramref name="Assembly"/>. Register one per module with
/// <c>services.AddMigrations(new MigrationSource(...))</c>; the runner applies them in version order.
/// </summary>
/// <param name="Module">Module name recorded in <c>schema_migrations</c>.</param>
/// <param name="Assembly">Assembly holding the embedded scripts; its root namespace is its name.</param>
/// <param name="Folder">
/// Project folder of the scripts. Only that folder counts, not a sub-folder, so two modules can share an assembly
/// (<c>certstore</c> in <c>Migrations</c>, <c>verification</c> in <c>OnlineVerification/Migrations</c>).
/// </param>
public sealed record MigrationSource(string Module, Assembly Assembly, string Folder = "Migrations")
{
    internal IEnumerable<(int Version, string Name, string Sql)> Scripts(SqlDialect dialect)
    {
        // Embedded resource names are {root namespace}.{folder, '/' as '.'}.{dialect}.{file}.
        var prefix = $"{Assembly.GetName().Name}.{Folder.Replace('/', '.')}.{(dialect == SqlDialect.PostgreSql ? "postgresql" : "sqlite")}.";
        foreach (var resource in Assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(prefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[prefix.Length..^4];
            if (name.Length < 5 || name[0] != 'V' || !int.TryParse(name.AsSpan(1, 3), out var version))
            {
                throw new InvalidOperationException($"Migration '{resource}' is not named V###_name.sql.");
            }

            using var stream = Assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            yield return (version, name, reader.ReadToEnd());
        }
    }
}
