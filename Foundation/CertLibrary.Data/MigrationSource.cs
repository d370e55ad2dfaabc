using System.Reflection;

namespace CertLibrary.Data;

/// <summary>
/// A module's SQL migrations, embedded as <c>Migrations/{sqlite|postgresql}/V###_name.sql</c> in
/// <paramref name="Assembly"/>. Register one per module with
/// <c>services.AddSingleton(new MigrationSource(...))</c>; the runner applies them in version order.
/// </summary>
/// <param name="Module">Module name recorded in <c>schema_migrations</c>.</param>
/// <param name="Assembly">Assembly holding the embedded scripts.</param>
public sealed record MigrationSource(string Module, Assembly Assembly)
{
    internal IEnumerable<(int Version, string Name, string Sql)> Scripts(SqlDialect dialect)
    {
        var folder = dialect == SqlDialect.PostgreSql ? ".Migrations.postgresql." : ".Migrations.sqlite.";
        foreach (var resource in Assembly.GetManifestResourceNames())
        {
            var at = resource.IndexOf(folder, StringComparison.Ordinal);
            if (at < 0 || !resource.EndsWith(".sql", StringComparison.Ordinal))
            {
                continue;
            }

            var name = resource[(at + folder.Length)..^4];
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
